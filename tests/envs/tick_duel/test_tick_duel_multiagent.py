"""PettingZoo views: bot seats, play_out, episode returns and placements (API tests: test_conformance.py)."""

from __future__ import annotations

import numpy as np
import pytest

from botarena.envs.tick_duel import parallel_env


def test_bot_seats_are_not_agents_and_play_out_finishes_the_duel():
    penv = parallel_env(bots={1: "nh_expert:fast"}, max_cycles=500)
    obs, _ = penv.reset(seed=1)
    assert penv.possible_agents == ["player_0"] and penv.agent_index == {"player_0": 0}
    noop = {"n": 0, "events": np.zeros((64, 7), np.float32)}
    total = 0.0
    for _ in range(5):
        _, rewards, _, _, _ = penv.step({"player_0": noop})
        total += rewards["player_0"]
    penv.play_out()
    returns = penv.episode_returns()
    assert returns.dtype == np.float64 and returns.shape == (2,)
    assert penv.state.done[0] == 1 and penv.state.winner[0] == 1  # a player who never acts loses
    assert returns[1] > 9.0 and returns[0] < -9.0
    # The returns of the seat the agent left use the agent's reward: damage terms cancel between seats.
    assert np.isclose(returns[0], -returns[1])


def test_every_seat_a_bot_plays_out_and_the_expert_beats_random():
    wins = 0
    for seed in range(8):
        penv = parallel_env(bots={0: "nh_expert", 1: "random"})
        obs, _ = penv.reset(seed=seed)
        assert obs == {} and penv.agents == []
        penv.play_out()
        wins += penv.state.winner[0] == 0
        assert penv.episode_returns()[0] > 0
    assert wins >= 7


def test_bad_bot_arguments_raise():
    with pytest.raises(ValueError, match="bots"):
        parallel_env(bots={2: "nh_expert"})
    with pytest.raises(ValueError, match="bots"):
        parallel_env(bots={1: "smite_bot"})


def test_final_placements_follow_the_kill_and_on_a_timeout_the_share_of_hitpoints_left():
    from botarena.envs.tick_duel import core, parallel_env

    env = parallel_env(bots={0: "nh_expert", 1: "random"})
    env.reset(seed=3)
    env.play_out()
    assert env.state.winner[0] == 0 and env.final_placements().tolist() == [1, 2]

    env = parallel_env(bots={0: "random", 1: "random"}, max_cycles=2)
    env.reset(seed=3)
    env.play_out()
    s = env.state
    assert s.winner[0] == -1  # out of time, nobody dead
    s.hp[0, 0] = s.stats[0, 0, core.S_HP]
    s.hp[0, 1] = s.stats[0, 1, core.S_HP]
    assert env.final_placements().tolist() == [1, 1]
    s.hp[0, 1] -= 1
    assert env.final_placements().tolist() == [1, 2]
    s.winner[0] = 2  # a double knockout
    assert env.final_placements().tolist() == [1, 1]
