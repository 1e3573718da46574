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
