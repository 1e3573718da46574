"""The PettingZoo base on the test-only two-player CorridorRace: API, seeding, leaving agents, replays."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test
from pettingzoo.utils.conversions import parallel_to_aec
from toy import CorridorRace

from botarena.envs import GAMES
from botarena.envs.common.multiagent import pettingzoo_name
from botarena.envs.common.recording import EpisodeRecorder, EpisodeRecording, replay


def test_parallel_api_test_passes():
    parallel_api_test(CorridorRace(), num_cycles=200)


def test_aec_api_test_passes_through_parallel_to_aec():
    api_test(parallel_to_aec(CorridorRace()), num_cycles=200)


def test_parallel_seed_test_passes():
    parallel_seed_test(lambda: CorridorRace())


def test_an_agent_that_falls_out_leaves_and_the_other_plays_on():
    env = CorridorRace(gust=0.0)
    env.reset(seed=0)
    env.pos[:] = [0, 1]
    _, rewards, terms, truncs, _ = env.step({"player_0": 0, "player_1": 1})
    assert terms == {"player_0": True, "player_1": False} and rewards["player_0"] == -1.0
    assert env.agents == ["player_1"]
    with pytest.raises(ValueError, match=r"agents not in the game: \['player_0'\]"):
        env.step({"player_0": 1, "player_1": 1})
    obs, *_ = env.step({"player_1": 2})
    assert set(obs) == {"player_1"}


def test_max_cycles_truncates_every_live_agent():
    env = CorridorRace(max_cycles=3, gust=0.0)
    env.reset(seed=0)
    for _ in range(3):
        _, _, terms, truncs, _ = env.step({a: 1 for a in env.agents})
    assert all(truncs.values()) and not any(terms.values()) and env.agents == []
    with pytest.raises(RuntimeError, match="reset"):
        env.step({})


def test_bad_actions_name_the_agent():
    env = CorridorRace()
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"action of player_1 7 is outside Discrete\(3\)"):
        env.step({"player_0": 1, "player_1": 7})


def test_a_pettingzoo_recording_replays_exactly(tmp_path):
    env = CorridorRace(gust=0.4)
    env.reset(seed=9)
    recorder = EpisodeRecorder(env_module="toy", env_kwargs={"gust": 0.4}, seed=9, api="pettingzoo")
    rng = np.random.default_rng(1)
    while env.agents:
        actions = {a: int(rng.integers(0, 3)) for a in env.agents}
        _, rewards, *_ = env.step(actions)
        recorder.record(actions, rewards)
    rec = recorder.finish(terminated=True, truncated=False)
    loaded = EpisodeRecording.load(rec.save(tmp_path / "race.npz"))
    results = list(replay(loaded))
    assert len(results) == rec.length


def test_keep_dead_agents_gives_out_agents_zero_observations_until_the_game_ends():
    from botarena.envs.common.multiagent import KeepDeadAgents

    env = KeepDeadAgents(CorridorRace(gust=0.0, length=6, max_cycles=40))
    env.reset(seed=0)
    env.env.pos[:] = [0, 1]
    obs, rewards, terms, truncs, _ = env.step({"player_0": 0, "player_1": 1})  # player_0 falls out
    assert rewards["player_0"] == -1.0 and not terms["player_0"] and env.agents == ["player_0", "player_1"]
    obs, rewards, terms, _, _ = env.step({"player_0": 2, "player_1": 2})  # its action is ignored
    assert not obs["player_0"].any() and rewards["player_0"] == 0.0 and not any(terms.values())
    while env.agents:
        obs, rewards, terms, truncs, _ = env.step({"player_0": 2, "player_1": 2})
        assert not obs["player_0"].any()
    assert all(terms.values()) and not any(truncs.values()) and env.agents == []
    assert rewards["player_1"] == 1.0


def test_flatten_observations_puts_each_key_where_flat_slice_says():
    from gymnasium import spaces

    from botarena.envs.common.multiagent import FlattenObservations, flat_slice

    space = spaces.Dict({"b": spaces.Box(0, 1, (2,), np.float32), "a": spaces.Box(0, 9, (3,), np.int8)})
    assert flat_slice(space, "a") == slice(0, 3) and flat_slice(space, "b") == slice(3, 5)  # keys sorted
    env = FlattenObservations(CorridorRace())
    obs, _ = env.reset(seed=1)
    assert env.observation_space("player_0").contains(obs["player_0"])


# ---------------------------------------------------------------------- bot seats and the leaderboard contract
class CorridorRaceWithBots(CorridorRace):
    """CorridorRace whose seats may be held by the built-in "runner" bot (always steps right)."""

    bot_names = ("runner",)

    def _step_game(self, actions, acting):
        bot_seats = np.array([p in self.bots for p in range(self.num_players)])
        actions = np.where(bot_seats, 2, actions)
        super()._step_game(actions, acting | (bot_seats & ~self.seat_out))


def test_bot_seats_must_be_ints_in_range_each_named_once_with_a_known_bot():
    for bots, message in (({2: "runner"}, r"bots seat must be an int in \[0, 1\], got 2"),
                          ({True: "runner"}, r"bots seat must be an int in \[0, 1\], got True"),
                          ({1.0: "runner"}, r"bots seat must be an int in \[0, 1\], got 1.0"),
                          ([(1, "runner"), (1, "runner")], r"bots names seat 1 twice"),
                          ({1: "walker"}, r"bots\[1\] must be one of \['runner'\], got 'walker'"),
                          ("runner", r"bots must map seats to bot names, e.g. \{1: 'runner'\}")):
        with pytest.raises(ValueError, match=message):
            CorridorRaceWithBots(bots=bots)
    env = CorridorRaceWithBots(bots=[(np.int64(1), "runner")])
    assert env.bots == {1: "runner"} and type(next(iter(env.bots))) is int
    assert env.possible_agents == ["player_0"] and env.agent_index == {"player_0": 0}


def test_a_bot_seat_plays_inside_the_game_and_play_out_finishes_it_after_the_agents_leave():
    env = CorridorRaceWithBots(bots={1: "runner"}, gust=0.0, length=8)
    env.reset(seed=0)
    env.pos[:] = [0, 1]
    _, rewards, terms, _, _ = env.step({"player_0": 0})  # the agent steps off the corridor
    assert terms == {"player_0": True} and env.agents == [] and rewards == {"player_0": -1.0}
    env.play_out()
    assert env.seat_out.all() and env.pos[1] == 7 and env.cycles == 6  # the runner ran from cell 1 to 7
    assert env.episode_returns().tolist() == [-1.0, 1.0] and env.final_placements().tolist() == [2, 1]


def test_every_seat_may_be_a_bot_and_play_out_plays_the_whole_game():
    env = CorridorRaceWithBots(bots={0: "runner", 1: "runner"}, gust=0.0)
    assert env.possible_agents == []
    assert env.reset(seed=3) == ({}, {}) and env.agents == []
    env.pos[:] = [2, 3]
    env.play_out()
    assert env.seat_out.all() and env.episode_returns().tolist() == [-1.0, 1.0]
    assert env.final_placements().tolist() == [2, 1]
    env.reset(seed=3)
    env.pos[:] = [2, 2]  # a dead heat: both win
    env.play_out()
    assert env.episode_returns().tolist() == [1.0, 1.0] and env.final_placements().tolist() == [1, 1]


def test_play_out_stops_at_max_cycles_and_takes_the_live_agents_out_of_the_game():
    env = CorridorRace(gust=0.0, max_cycles=5, length=30)
    env.reset(seed=0)
    env.step({"player_0": 1, "player_1": 1})
    env.play_out()  # the agents make no input (noop: stay) until the cycle limit
    assert env.cycles == 5 and env.agents == [] and not env.seat_out.any()
    assert env.episode_returns().tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match=r"call reset\(\) before play_out\(\)"):
        CorridorRace().play_out()
    unbounded = CorridorRace(max_cycles=None)
    unbounded.reset(seed=0)
    with pytest.raises(ValueError, match="pass max_cycles"):
        unbounded.play_out()


def test_episode_returns_sum_every_reward_the_agents_received():
    env = CorridorRace(gust=0.5)
    env.reset(seed=4)
    totals = {a: 0.0 for a in env.possible_agents}
    rng = np.random.default_rng(0)
    while env.agents:
        _, rewards, *_ = env.step({a: int(rng.integers(1, 3)) for a in env.agents})
        for agent, reward in rewards.items():
            totals[agent] += reward
    assert env.episode_returns().tolist() == [totals["player_0"], totals["player_1"]]


def test_seeds_and_max_cycles_are_checked_ints():
    with pytest.raises(ValueError, match=r"seed must be None or an int >= 0, got -1"):
        CorridorRace().reset(seed=-1)
    with pytest.raises(ValueError, match=r"max_cycles must be None or an int >= 1, got True"):
        CorridorRace(max_cycles=True)


def test_pettingzoo_names_are_derived_from_the_gymnasium_ids():
    from botarena.envs.common.multiagent import id_version, pettingzoo_name

    assert id_version("botarena/Territory-v1") == 1 and id_version("x/Some-Name-v12") == 12
    with pytest.raises(ValueError, match="not a versioned Gymnasium id"):
        id_version("botarena/Territory")
    assert pettingzoo_name(GAMES["territory"]) == "territory_v2"


# ---------------------------------------------------------------------- every game keeps the contract
GAMES_PZ = sorted(GAMES)


def game_parallel_env(name, **kwargs):
    return importlib.import_module(f"{GAMES[name].module}.multiagent").parallel_env(**kwargs)


@pytest.mark.parametrize("name", GAMES_PZ)
def test_every_game_is_named_after_its_id_and_plays_a_bots_only_game_out(name):
    expected = {"territory": "territory_v2", "click_arena": "click_arena_v0", "tick_duel": "tick_duel_v1"}
    env = game_parallel_env(name)
    assert env.metadata["name"] == pettingzoo_name(GAMES[name]) == expected.get(name, env.metadata["name"])
    bots = dict.fromkeys(range(env.num_players), env.bot_names[0])
    env = game_parallel_env(name, bots=bots, max_cycles=30)
    assert env.reset(seed=1) == ({}, {})
    env.play_out()
    returns, placements = env.episode_returns(), env.final_placements()
    assert returns.dtype == np.float64 and returns.shape == (env.num_players,)
    assert placements.dtype == np.int64 and placements.shape == (env.num_players,) and placements.min() == 1
    assert env.cycles == 30 or env.seat_out.all()


@pytest.mark.parametrize("name", GAMES_PZ)
def test_every_games_episode_returns_hold_the_agents_rewards_and_the_bots_returns(name):
    env = game_parallel_env(name, bots={1: "random"}, max_cycles=40)
    obs, _ = env.reset(seed=2)
    space = env.action_space("player_0")
    space.seed(2)
    total = 0.0
    while env.agents:
        _, rewards, *_ = env.step({"player_0": env.noop_action if "action_mask" in obs["player_0"] else space.sample()})
        total += rewards["player_0"]
    env.play_out()
    assert env.episode_returns()[0] == total and env.agents == []
