"""Every script in examples/ runs, with small arguments, in this process (its kernels are already loaded)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, *args: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", [name, *args])
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")


def test_every_example_has_a_smoke_test_and_a_line_in_the_readme():
    tested = {"gym_loop.py", "pettingzoo_bots.py", "train_sb3.py", "record_replay.py", "leaderboard.py",
              "render_episodes.py", "territory_bot_table.py", "train_territory.py"}
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested
    readme = (EXAMPLES / "README.md").read_text()
    assert all(name in readme for name in tested)


def test_territory_bot_table(monkeypatch, capsys):
    run_example("territory_bot_table.py", "--rules", "2", "--seeds", "2", "--decisions", "5", monkeypatch=monkeypatch)
    out = capsys.readouterr().out
    assert "| nation |" in out and out.count("%") == 10  # every bot in both settings


def test_gym_loop(monkeypatch, capsys):
    for game in ("territory", "click_arena", "tick_duel"):
        run_example("gym_loop.py", "--game", game, "--episodes", "1", "--max-steps", "20", monkeypatch=monkeypatch)
    assert capsys.readouterr().out.count("episode 0 (seed 0): return") == 3


def test_pettingzoo_bots(monkeypatch, capsys):
    for game in ("territory", "click_arena", "tick_duel"):
        run_example("pettingzoo_bots.py", "--game", game, monkeypatch=monkeypatch)
    out = capsys.readouterr().out
    assert out.count("the PettingZoo loop:") == 3 and out.count("play_episode:") == 3


@pytest.mark.slow
def test_train_sb3(monkeypatch, capsys, tmp_path):
    run_example("train_sb3.py", "--timesteps", "256", "--num-envs", "2", "--eval-episodes", "1",
                "--save", str(tmp_path / "model"), monkeypatch=monkeypatch)
    assert "trained 256 steps" in capsys.readouterr().out and (tmp_path / "model.zip").is_file()


def test_train_territory(monkeypatch, capsys):
    run_example("train_territory.py", "--timesteps", "256", "--num-envs", "2", "--eval-games", "2",
                "--max-episode-steps", "40", monkeypatch=monkeypatch)
    out = capsys.readouterr().out
    assert "trained 256 steps" in out and "held-out duel vs expander, 2 games: won" in out


def test_record_replay(monkeypatch, capsys, tmp_path):
    run_example("record_replay.py", "--game", "territory", "--max-steps", "30", "--out", str(tmp_path),
                monkeypatch=monkeypatch)
    assert "every reward equal to the recording's" in capsys.readouterr().out
    assert (tmp_path / "territory.npz").is_file()


def test_leaderboard(monkeypatch, capsys, tmp_path):
    run_example("leaderboard.py", "--game", "tick_duel", "--agents", "tick_duel/random,tick_duel/nh_expert",
                "--episodes", "1", "--out", str(tmp_path), monkeypatch=monkeypatch)
    assert "## tick_duel (botarena/TickDuel-v1" in capsys.readouterr().out
    assert (tmp_path / "episodes.jsonl").is_file()


def test_render_episodes_for_every_game_and_agent_kind(monkeypatch, capsys, tmp_path):
    short = ("--max-cycles", "30", "--frames", "4", "--out", str(tmp_path))
    run_example("render_episodes.py", *short, monkeypatch=monkeypatch)  # every game, its random agent
    for agent in ("territory/expander", "click_arena/expert", "tick_duel/nh_expert-fast"):  # built-in bots
        run_example("render_episodes.py", "--game", agent.split("/")[0], "--agent", agent, *short,
                    monkeypatch=monkeypatch)
    assert capsys.readouterr().out.count(" cycles, returns ") == 6
    assert {p.name for p in tmp_path.iterdir()} == {f"{g}.{ext}" for g in ("territory", "click_arena", "tick_duel")
                                                    for ext in ("png", "gif")}
