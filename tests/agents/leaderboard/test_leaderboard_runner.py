"""The leaderboard runner on fake games: balanced seating, resume, identical results across backends,
broken agents reported without stopping the others."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from botarena.agents.common import registry
from botarena.agents.common.protocol import BaseAgent
from botarena.agents.leaderboard import cli, games, runner, seeds
from botarena.agents.leaderboard.games import GameAdapter, References, SeatOutcome

STRENGTH = {"fakeffa/strong": 2.0, "fakeffa/middle": 0.0, "fakeffa/weak": -2.0, "fakeffa/fourth": -1.0,
            "fakeffa/fifth": -1.5, "fakesolo/good": 1.0, "fakesolo/bad": 0.0,
            "fakeduel/ace": 2.0, "fakeduel/pro": 0.5, "fakeduel/novice": -1.5, "fakeduel/hopeless": -50.0}


class Fixed(BaseAgent):
    def act(self, obs):
        return 0


class Broken(BaseAgent):
    def act(self, obs):
        raise RuntimeError("this agent is broken")


def make_fixed(**kwargs):
    return Fixed(**kwargs)


def make_broken(**kwargs):
    return Broken(**kwargs)


class FakeFFA(GameAdapter):
    """Placement by strength plus seeded noise; the seat matters a little (seat 0 is favoured)."""

    name, game, env_id, version, kind, num_seats = "fakeffa", "fakeffa", "fake/FFA-v0", 0, "ffa", 5

    def play(self, agents, seed, variant=""):
        from gymnasium import spaces

        rng = np.random.default_rng(seed)
        for seat, a in enumerate(agents):
            games.act_checked(a, seat, None, spaces.Discrete(2))
        score = [STRENGTH[a.name] + rng.normal() + (0.3 if seat == 0 else 0.0) for seat, a in enumerate(agents)]
        order = np.argsort(-np.asarray(score))
        places = np.empty(len(agents), int)
        places[order] = np.arange(1, len(agents) + 1)
        return [SeatOutcome(float(-places[s]), 10, int(places[s])) for s in range(len(agents))]


class FakeSolo(GameAdapter):
    """Two variants (like TickDuel's builds); the "hard" one scores 10 less for everybody."""

    name, game, env_id, version, kind, num_seats = "fakesolo", "fakesolo", "fake/Solo-v0", 0, "single", 1
    references, variants = References("fakesolo/bad", "fakesolo/good", "the bad one scores 1 less"), ("easy", "hard")

    def play(self, agents, seed, variant=""):
        agents[0].act(None)
        ret = STRENGTH[agents[0].name] + np.random.default_rng(seed).normal() - (10.0 if variant == "hard" else 0.0)
        return [SeatOutcome(float(ret), 5)]


class FakeDuel(GameAdapter):
    """Head to head: the stronger agent usually wins; equal noisy scores within 0.1 are a draw."""

    name, game, env_id, version, kind, num_seats = "fakeduel", "fakeduel", "fake/Duel-v0", 0, "duel", 2
    variants = ("a", "b")

    def play(self, agents, seed, variant=""):
        rng = np.random.default_rng(seed + 7 * len(variant))
        score = [STRENGTH[a.name] + rng.normal() for a in agents]
        if abs(score[0] - score[1]) < 0.1:
            return [SeatOutcome(0.0, 3, 1), SeatOutcome(0.0, 3, 1)]
        first = 1 if score[0] > score[1] else 2
        return [SeatOutcome(1.0, 3, first), SeatOutcome(-1.0, 3, 3 - first)]


@pytest.fixture(autouse=True)
def fake_games(monkeypatch):
    registry.list_agents()  # register the bundled agents first: the zoo module imports (registers) only once
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    for name in STRENGTH:
        registry.register_agent(name, f"{__name__}:make_fixed")
    registry.register_agent("fakeffa/broken", f"{__name__}:make_broken")
    adapters = {**games.GAME_ADAPTERS, "fakeffa": FakeFFA(), "fakesolo": FakeSolo(), "fakeduel": FakeDuel()}
    for module in (games, runner, cli, __import__("botarena.agents.leaderboard.aggregate", fromlist=["x"])):
        monkeypatch.setattr(module, "GAME_ADAPTERS", adapters, raising=False)
    for game in ("fakeffa", "fakesolo", "fakeduel"):
        monkeypatch.setitem(seeds.EVAL_SEEDS, game, tuple(range(1000, 1064)))
    runner._AGENT_CACHE.clear()


def run(out, agents="fakeffa/strong,fakeffa/middle,fakeffa/weak,fakesolo/good,fakesolo/bad", backend="serial",
        episodes=6):
    return cli.run_leaderboard(tables=["fakeffa", "fakesolo"], agents_arg=agents, episodes=episodes, quick=False,
                               backend=backend, out=out, workers=2, progress=False, argv=["test"])


def test_every_agent_sits_in_every_seat_equally_often():
    jobs = runner.plan_jobs("fakeffa", ["a", "b", "c", "d", "e", "f", "g"], episodes=2)
    seat_counts = Counter((agent, seat) for job in jobs for seat, agent in enumerate(job.seats))
    assert len(set(seat_counts.values())) == 1
    assert len(seat_counts) == 7 * 5
    games_per_agent = Counter(agent for job in jobs for agent in job.seats)
    assert len(set(games_per_agent.values())) == 1


def test_fewer_agents_than_seats_share_the_extra_seats_equally():
    tables = runner.balanced_subsets(["a", "b", "c", "d"], 5)
    assert tables[0] == ("a", "b", "c", "d", "a")
    assert Counter(agent for table in tables for agent in table) == {"a": 5, "b": 5, "c": 5, "d": 5}
    assert runner.balanced_subsets(["a", "b", "c", "d", "e"], 5) == [("a", "b", "c", "d", "e")]


def test_duels_pair_every_two_agents_in_both_seat_orders():
    jobs = runner.plan_jobs("fakeduel", ["fakeduel/ace", "fakeduel/pro", "fakeduel/novice"], episodes=4)
    assert len(jobs) == 3 * 4 * 2 * 2  # pairs x seeds x variants x seat orders
    assert set(Counter(job.seats for job in jobs).values()) == {4 * 2}
    assert Counter(job.variant for job in jobs) == {"a": 24, "b": 24}
    seat_counts = Counter((agent, seat) for job in jobs for seat, agent in enumerate(job.seats))
    assert set(seat_counts.values()) == {16}


def test_head_to_head_ratings_and_crosstable_rank_the_known_order(tmp_path):
    board = cli.run_leaderboard(tables=["fakeduel"], agents_arg="fakeduel/ace,fakeduel/pro,fakeduel/novice",
                                episodes=20, quick=False, backend="serial", out=tmp_path, progress=False,
                                argv=["test"])
    duel = board["tables"]["fakeduel"]
    assert [e["agent"] for e in duel["agents"]] == ["fakeduel/ace", "fakeduel/pro", "fakeduel/novice"]
    ace = duel["agents"][0]
    # rivals x seeds x variants x seat orders
    assert ace["wins"] + ace["draws"] + ace["losses"] == ace["games"] == 2 * 20 * 2 * 2
    cross = duel["crosstable"]
    assert cross["agents"] == ["fakeduel/ace", "fakeduel/pro", "fakeduel/novice"]
    assert cross["score_rate"][0][0] is None and cross["score_rate"][0][2] > 0.8
    assert cross["score_rate"][0][1] + cross["score_rate"][1][0] == pytest.approx(1.0)
    assert "Crosstable" in (tmp_path / "LEADERBOARD.md").read_text()
    assert "Crosstable" in (tmp_path / "leaderboard.html").read_text()


def test_the_leaderboard_ranks_the_known_order_and_writes_every_report(tmp_path):
    board = run(tmp_path)
    ffa = [e["agent"] for e in board["tables"]["fakeffa"]["agents"]]
    assert ffa == ["fakeffa/strong", "fakeffa/middle", "fakeffa/weak"]
    # Each agent played every game of its 3 tables x 6 seeds x 5 rotations; copies at a table count once.
    assert {e["games"] for e in board["tables"]["fakeffa"]["agents"]} == {3 * 6 * 5}
    solo = board["tables"]["fakesolo"]["agents"]
    assert [e["agent"] for e in solo] == ["fakesolo/good", "fakesolo/bad"]
    assert solo[0]["normalized_iqm"]["value"] == pytest.approx(1.0, abs=0.5)
    for name in ("episodes.jsonl", "leaderboard.json", "leaderboard.csv", "LEADERBOARD.md", "leaderboard.html",
                 "manifest.json", "intervals_fakeffa.png"):
        assert (tmp_path / name).is_file(), name
    rows = [json.loads(line) for line in (tmp_path / "episodes.jsonl").read_text().splitlines()]
    assert solo[0]["per_variant_mean"]["hard"]["value"] < solo[0]["per_variant_mean"]["easy"]["value"] - 5
    # 3 FFA agents fill 5 seats at 3 tables (each agent takes the extra seats at one) x 6 seeds x 5 rotations
    # x 5 seats; 2 solo agents x 6 seeds x 2 variants.
    assert len(rows) == 3 * 6 * 5 * 5 + 2 * 6 * 2
    assert {"agent", "checkpoint_sha256", "env_id", "game_version", "seed", "seat", "return", "length",
            "placement", "wall_time_s"} <= set(rows[0])


def test_an_interrupted_run_resumes_to_the_same_results(tmp_path):
    run(tmp_path / "full")
    partial = tmp_path / "partial"
    run(partial)
    lines = (partial / "episodes.jsonl").read_text().splitlines()
    # Keep a third of the episodes, and half a line as a crash mid-write would leave.
    (partial / "episodes.jsonl").write_text("\n".join(lines[: len(lines) // 3]) + "\n" + lines[-1][:20])
    (partial / "leaderboard.json").unlink()
    run(partial)
    assert (partial / "leaderboard.json").read_bytes() == (tmp_path / "full" / "leaderboard.json").read_bytes()
    assert len((partial / "episodes.jsonl").read_text().splitlines()) == len(lines)


def test_episodes_of_another_game_version_are_set_aside_and_played_again(tmp_path):
    run(tmp_path / "full")
    out = tmp_path / "old"
    run(out)
    rows = [json.loads(line) for line in (out / "episodes.jsonl").read_text().splitlines()]
    for row in rows[:40]:
        row["game_version"] = -1  # as if played before the game's rules changed
    (out / "episodes.jsonl").write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
    run(out)
    assert (out / "leaderboard.json").read_bytes() == (tmp_path / "full" / "leaderboard.json").read_bytes()
    stale = list(out.glob("episodes.stale-*.jsonl"))
    assert len(stale) == 1 and len(stale[0].read_text().splitlines()) == 40
    assert all(json.loads(line)["game_version"] == 0 for line in (out / "episodes.jsonl").read_text().splitlines())


def test_serial_and_process_backends_write_byte_identical_results(tmp_path):
    run(tmp_path / "serial", backend="serial")
    run(tmp_path / "process", backend="process")
    assert (tmp_path / "serial" / "leaderboard.json").read_bytes() == \
        (tmp_path / "process" / "leaderboard.json").read_bytes()


def test_ray_backend_matches_serial(tmp_path, monkeypatch):
    ray = pytest.importorskip("ray")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    here = str(Path(__file__).parent)  # workers import this module to unpickle the fake games
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": here}})
    try:
        run(tmp_path / "serial", backend="serial", episodes=2)
        run(tmp_path / "ray", backend="ray", episodes=2)
    finally:
        ray.shutdown()
    assert (tmp_path / "serial" / "leaderboard.json").read_bytes() == \
        (tmp_path / "ray" / "leaderboard.json").read_bytes()


def test_a_broken_agent_is_reported_as_failed_and_the_others_are_ranked(tmp_path):
    # Six agents: one five-seat table of the six leaves the broken one out, so the others still meet.
    board = run(tmp_path, agents="fakeffa/strong,fakeffa/middle,fakeffa/weak,fakeffa/fourth,fakeffa/fifth,"
                "fakeffa/broken", episodes=2)
    table = board["tables"]["fakeffa"]["agents"]
    failed = [e for e in table if e["status"] == "failed"]
    assert [e["agent"] for e in failed] == ["fakeffa/broken"]
    assert "this agent is broken" in failed[0]["error"]
    ranked = [e["agent"] for e in table if e["status"] == "ok"]
    assert ranked[0] == "fakeffa/strong" and set(ranked) == {"fakeffa/strong", "fakeffa/middle", "fakeffa/weak",
                                                              "fakeffa/fourth", "fakeffa/fifth"}
    assert "FAILED" in (tmp_path / "LEADERBOARD.md").read_text()


def test_a_rating_that_rests_on_the_prior_is_marked_as_a_bound(tmp_path):
    board = cli.run_leaderboard(tables=["fakeduel"], agents_arg="fakeduel/ace,fakeduel/pro,fakeduel/hopeless",
                                episodes=4, quick=False, backend="serial", out=tmp_path, progress=False,
                                argv=["test"])
    entries = {e["agent"]: e for e in board["tables"]["fakeduel"]["agents"]}
    assert entries["fakeduel/hopeless"]["prior_bound"] == "never scored"
    assert "prior_bound" not in entries["fakeduel/pro"]
    assert "†" in (tmp_path / "LEADERBOARD.md").read_text()


def test_an_agent_returning_an_invalid_action_is_named_in_the_error():
    from gymnasium import spaces

    from botarena.agents.leaderboard.games import AgentFailure, act_checked

    with pytest.raises(AgentFailure, match=r"outside Discrete\(3\)") as info:
        act_checked(type("Bad", (), {"act": lambda self, obs: 7})(), 2, None, spaces.Discrete(3))
    assert info.value.seat == 2


def test_rows_name_their_table_game_and_seats():
    rows = runner.play_job(runner.plan_jobs("fakeffa", ["fakeffa/strong", "fakeffa/weak"], episodes=1)[0])
    assert {r["table"] for r in rows} == {"fakeffa"} and {r["game"] for r in rows} == {"fakeffa"}
    assert all(r["seats"] == list(rows[0]["seats"]) and r["row_format"] == runner.ROW_FORMAT for r in rows)


def test_episodes_written_by_an_older_runner_are_set_aside_with_the_reason(tmp_path, capsys):
    run(tmp_path / "full")
    out = tmp_path / "old"
    run(out)
    rows = [json.loads(line) for line in (out / "episodes.jsonl").read_text().splitlines()]
    for row in rows[:30]:  # row format 1: the table in "game", the seats in "table"
        del row["row_format"]
        row["game"], row["table"] = row["table"], row.pop("seats")
    (out / "episodes.jsonl").write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
    capsys.readouterr()
    run(out)
    assert "written by an older runner (row format 1, today 2)" in capsys.readouterr().err
    assert (out / "leaderboard.json").read_bytes() == (tmp_path / "full" / "leaderboard.json").read_bytes()
    stale = list(out.glob("episodes.stale-*.jsonl"))
    assert len(stale) == 1 and len(stale[0].read_text().splitlines()) == 30


def test_each_single_player_table_says_which_references_it_uses_their_returns_and_why(tmp_path):
    board = run(tmp_path)
    norm = board["tables"]["fakesolo"]["normalization"]
    assert norm["status"] == "ok" and norm["why"] == "the bad one scores 1 less"
    assert norm["zero"]["agent"] == "fakesolo/bad" and norm["one"]["agent"] == "fakesolo/good"
    assert norm["one"]["mean_return"] > norm["zero"]["mean_return"]
    assert set(norm["one"]["mean_return_per_variant"]) == {"easy", "hard"}
    assert board["tables"]["fakeffa"]["normalization"]["status"] == "none"
    for report in ("LEADERBOARD.md", "leaderboard.html"):
        text = (tmp_path / report).read_text()
        assert "Normalised scores: 0 = fakesolo/bad (mean return" in text and "Why: the bad one scores 1 less." in text
        assert "Normalised scores: none: the ratings compare the agents" in text
    # Without a reference on the table there is no normalised score, and the table says why.
    board = run(tmp_path / "alone", agents="fakeffa/strong,fakeffa/middle,fakeffa/weak,fakesolo/good")
    norm = board["tables"]["fakesolo"]["normalization"]
    assert norm["status"].startswith("not normalised: fakesolo/bad not ranked")
    assert all("normalized_iqm" not in e for e in board["tables"]["fakesolo"]["agents"])
    assert "This run is not normalised: fakesolo/bad" in (tmp_path / "alone" / "LEADERBOARD.md").read_text()


def test_the_pool_takes_learned_agents_and_longer_games_first_and_keeps_every_job():
    jobs = (runner.plan_jobs("tick_duel", ["tick_duel/random", "tick_duel/nh_expert"], 1)
            + runner.plan_jobs("click_arena", ["click_arena/random", "click_arena/hierarchical"], 1))
    ordered = runner.longest_first(jobs)
    assert sorted(j.key for j in ordered) == sorted(j.key for j in jobs)
    assert ordered[0].seats == ("click_arena/hierarchical",)  # the learned agent's 3-minute episode
    assert ordered[1].seats == ("click_arena/random",)  # then the longer game
    assert all(j.table == "tick_duel" for j in ordered[2:])


def test_cold_compiles_are_packed_so_the_workers_finish_together():
    tables = ["click_arena", "territory", "tick_duel"]
    assert runner.pack_compiles(tables, 2) == [["tick_duel"], ["territory", "click_arena"]]
    assert runner.pack_compiles(tables, 1) == [["tick_duel", "territory", "click_arena"]]
    assert sorted(map(tuple, runner.pack_compiles(tables, 8))) == [("click_arena",), ("territory",), ("tick_duel",)]
    assert runner.pack_compiles(["tick_duel"], 2) == [["tick_duel"]]
