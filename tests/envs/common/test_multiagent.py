"""The PettingZoo base on the test-only two-player CorridorRace: API, seeding, leaving agents, replays."""

from __future__ import annotations

import numpy as np
import pytest
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test
from pettingzoo.utils.conversions import parallel_to_aec
from toy import CorridorRace

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
