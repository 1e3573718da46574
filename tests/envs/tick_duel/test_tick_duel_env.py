"""The Gymnasium envs: jitted kernels against pure Python, bad actions, history (see also test_conformance.py)."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from tick_duel_helpers import play_bot_game

import botarena.envs  # noqa: F401  (registers the ids)
from botarena.envs.tick_duel import TickDuelEnv, TickDuelVectorEnv, bots, core, observe

HERE = Path(__file__).parent
ENV_ID = "botarena/TickDuel-v1"


def _noop(max_events: int = 64) -> dict:
    return {"n": 0, "events": np.zeros((max_events, 7), np.float32)}


def test_jitted_kernels_equal_pure_python_runs():
    jitted = [" ".join(play_bot_game(policies, 2, 60, 7, rules)) for rules in core.RULE_SETS
              for policies in ((bots.BOT_NH_FAST, bots.BOT_NH_SLOPPY), (bots.BOT_RANDOM, bots.BOT_TICK_PERFECT))]
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONWARNINGS="ignore")
    out = subprocess.run([sys.executable, str(HERE / "tick_duel_helpers.py"), "60", "7"], capture_output=True,
                         text=True, env=env, timeout=600, check=True)
    assert out.stdout.strip().splitlines() == jitted


@pytest.mark.parametrize("field,value,message", [
    (0, 600.0, "outside"), (0, -1.0, "outside"), (0, np.nan, "NaN"), (2, 765.0, "outside"), (3, np.inf, "NaN"),
    (1, 6.0, "outside"),
])
def test_values_outside_the_space_raise_a_clear_error(field, value, message):
    env = TickDuelEnv()
    env.reset(seed=0)
    action = _noop()
    action["events"][0, field] = value
    with pytest.raises(ValueError, match=message) as err:
        env.step(action)
    assert "events" in str(err.value)


def test_bad_counts_and_shapes_raise():
    env = TickDuelEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="outside"):
        env.step({"n": 65, "events": np.zeros((64, 7), np.float32)})
    with pytest.raises(ValueError, match="shape"):
        env.step({"n": 1, "events": np.zeros((63, 7), np.float32)})
    with pytest.raises(ValueError, match="keys"):
        env.step({"events": np.zeros((64, 7), np.float32)})


def test_integer_fields_are_rounded_and_events_beyond_n_are_ignored():
    env = TickDuelEnv()
    env.reset(seed=0)
    action = _noop()
    action["events"][0] = (100.0, 3.4, 0, 0, 0.4, 4.4, 0)  # KEY_DOWN F4 (prayer), fields rounded
    action["events"][1] = (50.0, 3.0, 0, 0, 0, 5.0, 0)  # F5 but beyond n
    obs, *_ = env.step({"n": 1, "events": action["events"]})
    assert obs["gamestate"][observe.COL_OPEN_TAB + core.TAB_PRAYER] == 1.0
    assert obs["history_len"][-1] == 1
    np.testing.assert_array_equal(obs["action_history"][-1, 0], [100.0, 3, 0, 0, 0, 4, 0])


def test_action_history_keeps_the_last_ten_ticks_in_time_order():
    env = TickDuelEnv(opponent="random")
    env.reset(seed=0)
    for t in range(12):
        events = np.zeros((64, 7), np.float32)
        events[:t % 4 + 1, 0] = np.arange(t % 4 + 1)[::-1] * 10.0 + t  # given newest first
        events[:, 2] = t  # tag the tick in x
        obs, *_ = env.step({"n": t % 4 + 1, "events": events})
    assert list(obs["history_len"]) == [(t % 4) + 1 for t in range(2, 12)]
    for row, t in enumerate(range(2, 12)):
        n = t % 4 + 1
        times = obs["action_history"][row, :n, 0]
        assert (np.diff(times) >= 0).all()
        assert (obs["action_history"][row, :n, 2] == t).all()
        assert (obs["action_history"][row, n:] == 0).all()


def test_rewards_presets_and_a_callable():
    def total(reward):
        env = TickDuelEnv(opponent="nh_expert:fast", reward=reward)
        env.reset(seed=2)
        rewards = []
        for _ in range(500):
            _, r, term, _, info = env.step(_noop())
            rewards.append(r)
            if term:
                break
        return np.array(rewards), info

    dense, info = total("default")
    assert info["winner"] == 1  # a player who never acts loses
    assert dense[-1] < -9.0 and (dense[:-1] <= 0).all()
    sparse, _ = total("sparse")
    assert (sparse[:-1] == 0).all() and sparse[-1] == -1.0
    calls, _ = total(lambda state, i, terminated: float(state.hp[i, 0]))
    assert calls[0] == 99.0
    with pytest.raises(ValueError, match="reward"):
        TickDuelEnv(reward="shaped")


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="build"):
        TickDuelEnv(build="tank")
    with pytest.raises(ValueError, match="bot"):
        TickDuelEnv(opponent="nh_god")
    with pytest.raises(ValueError, match="max_events"):
        TickDuelEnv(max_events=0)


def test_autoreset_same_step_returns_the_final_observation():
    envs = TickDuelVectorEnv(2, opponent="tick_perfect", max_episode_steps=400)
    envs.reset(seed=0)
    zero = {"n": np.zeros(2, np.int64), "events": np.zeros((2, 64, 7), np.float32)}
    for _ in range(400):
        obs, rew, term, trunc, info = envs.step(zero)
        if term.any():
            i = int(np.flatnonzero(term)[0])
            assert info["_final_obs"][i] and info["final_obs"][i]["gamestate"][0] == 0.0
            assert obs["gamestate"][i, 0] == 1.0 and obs["history_len"][i].sum() == 0
            return
    raise AssertionError("no duel ended")


def test_the_docstring_documents_all_152_features_and_v0_keeps_its_128():
    env_module = importlib.import_module("botarena.envs.tick_duel.env")  # the package's `env` is PettingZoo's
    v0, v1 = observe.observation_features(core.RULES_V0), observe.observation_features(core.RULES_V1)
    assert len(v0) == observe.OBS_SIZE == 128 and len(v1) == observe.V1_OBS_SIZE == 152
    moved = [a for a, b in zip(v0, v1[:128], strict=True) if a != b]
    # Only the item id scale moved, and the shark features name v1's main food.
    assert moved == [n for n in v0 if "id / 26" in n or "shark" in n]
    for k, name in enumerate(v1):
        assert f"* {k}: {name}" in env_module.__doc__
    assert len(set(observe.OBSERVATION_FEATURES)) == 128


@pytest.mark.parametrize("build", ["max", "zerker", "pure"])
def test_observations_stay_in_the_space_through_whole_expert_duels(build):
    envs = TickDuelVectorEnv(4, build=build, opponent="nh_expert:fast", autoreset_mode="Disabled")
    envs.policies[:, 0] = bots.BOT_NH_SLOPPY  # the learner seat played by a bot through the same event path
    obs, _ = envs.reset(seed=1)
    zero = {"n": np.zeros(4, np.int64), "events": np.zeros((4, 64, 7), np.float32)}
    for _ in range(500):
        obs, _, term, trunc, info = envs.step(zero)
        for i in range(4):
            single = {k: v[i] for k, v in obs.items()}
            assert envs.single_observation_space.contains(single), (build, i)
        if (term | trunc).all():
            break
    assert term.all() and (info["winner"] >= 0).all()


def test_gym_make_max_episode_steps_beyond_the_default_is_honoured():
    # The single env's batch must not cut episodes at its own default (500): TimeLimit owns truncation.
    env = gym.make("botarena/TickDuel-v0", max_episode_steps=520, opponent="random")
    env.reset(seed=0)
    idle = {"n": 0, "events": np.zeros((64, 7), np.float32)}
    for step in range(1, 521):
        _, _, terminated, truncated, _ = env.step(idle)
        if terminated:
            pytest.skip("the random opponent won before the time limit")
        assert truncated == (step == 520), step


def test_playing_the_expert_labels_replays_the_game_the_expert_plays():
    """``expert_events`` labels without touching the game: an agent that plays the labels of nh_expert:fast
    plays, tick for tick, the duel nh_expert:fast plays in seat 0 itself (same seeds)."""
    from botarena.envs.tick_duel import TickDuelVectorEnv, bots

    by_bot = TickDuelVectorEnv(3, build="pure", autoreset_mode="disabled")
    by_bot.policies[:, 0] = bots.bot_id("nh_expert:fast")
    by_labels = TickDuelVectorEnv(3, build="pure", autoreset_mode="disabled")
    noop = {"n": np.zeros(3, np.int64), "events": np.zeros((3, 64, 7), np.float32)}
    obs_bot, _ = by_bot.reset(seed=11)
    obs_lab, _ = by_labels.reset(seed=11)
    for _ in range(120):
        labels = by_labels.expert_events("nh_expert:fast")
        obs_bot, _, term_bot, _, _ = by_bot.step(noop)
        obs_lab, _, term_lab, _, _ = by_labels.step(labels)
        np.testing.assert_array_equal(labels["n"], by_bot.counts[:, 0])
        np.testing.assert_array_equal(obs_bot["gamestate"], obs_lab["gamestate"])
        np.testing.assert_array_equal(term_bot, term_lab)
    assert obs_lab["history_len"].sum() > 0
    with pytest.raises(ValueError, match="bot must be one of"):
        by_labels.expert_events("nobody")


class _PrayerTabOpener:
    """An opponent agent that presses F4 (the prayer tab) at 100 ms every tick and keeps what it was shown."""

    def __init__(self) -> None:
        self.seen: list[dict] = []
        self.seeds: list = []

    def reset(self, seed=None) -> None:
        self.seeds.append(seed)

    def act_batch(self, obs):
        self.seen.append({k: np.array(v) for k, v in obs.items()})
        n = len(obs["gamestate"])
        events = np.zeros((n, 64, 7), np.float32)
        events[:, 0] = (100.0, 3, 0, 0, 0, 4, 0)  # KEY_DOWN F4
        return {"n": np.ones(n, np.int64), "events": events}


def test_an_agent_opponent_plays_seat_1_from_its_own_observation():
    from botarena.envs.tick_duel import TickDuelVectorEnv, core

    agent = _PrayerTabOpener()
    env = TickDuelVectorEnv(2, build="pure", opponent=agent, autoreset_mode="disabled")
    obs, _ = env.reset(seed=4)
    assert agent.seeds == [4]
    for _ in range(3):
        obs, _, _, _, info = env.step({"n": np.zeros(2, np.int64), "events": np.zeros((2, 64, 7), np.float32)})
    assert (env.state.open_tab[:, 1] == core.TAB_PRAYER).all() and (env.state.open_tab[:, 0] != core.TAB_PRAYER).all()
    seen = agent.seen[-1]
    assert seen["history_len"][:, -1].tolist() == [1, 1]  # its own last tick: the F4
    assert seen["action_history"][0, -1, 0, core.F_KEY] == 4 and obs["history_len"].sum() == 0
    # Its observation is seat 1's: the tab it opened, and its own hitpoints where the learner sees the opponent's.
    assert (seen["gamestate"][:, 27] == 1).all() and (obs["gamestate"][:, 27] == 0).all()  # open tab: prayer
    np.testing.assert_array_equal(env.state.hp[:, 1], info["opponent_hp"])
    bad = _PrayerTabOpener()
    bad.act_batch = lambda obs: {"n": np.full(2, 99), "events": np.zeros((2, 64, 7), np.float32)}
    env = TickDuelVectorEnv(2, opponent=bad)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="opponent agent"):
        env.step({"n": np.zeros(2, np.int64), "events": np.zeros((2, 64, 7), np.float32)})
    with pytest.raises(ValueError, match="registered tick_duel agent"):
        TickDuelVectorEnv(1, opponent="tick_duel/nobody")
    assert TickDuelVectorEnv(1, opponent="tick_duel/nh_expert-fast").policies[0, 1] == 2  # a wrapped bot: the bot
