"""SB3 and MaskablePPO train on the native batch through SB3VecEnv, with SB3's info conventions."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium.vector import AutoresetMode
from toy import CorridorEnv, CorridorVectorEnv

from botarena.envs.common.sb3 import SB3VecEnv

RIGHT = 2


def test_sb3_check_env_accepts_the_single_view():
    from stable_baselines3.common.env_checker import check_env

    check_env(CorridorEnv(), warn=True)


def test_step_wait_reports_terminal_observation_and_time_limit_flags():
    venv = SB3VecEnv(CorridorVectorEnv(3, length=4, gust=0.0, max_episode_steps=6))
    venv.seed(0)
    obs = venv.reset()
    assert obs["pos"].shape == (3, 2)
    finished = {}
    for _ in range(6):
        obs, rewards, dones, infos = venv.step(np.full(3, RIGHT))
        assert rewards.dtype == np.float32 and dones.dtype == np.bool_
        for i in np.flatnonzero(dones):
            finished[i] = infos[i]
    assert finished, "some episode must end within 6 steps on a 4-cell corridor"
    for info in finished.values():
        assert info["terminal_observation"]["pos"][0] == 1.0
        assert info["TimeLimit.truncated"] is False

    venv = SB3VecEnv(CorridorVectorEnv(2, gust=0.0, max_episode_steps=2))
    venv.reset()
    venv.step(np.zeros(2, np.int64))
    _, _, dones, infos = venv.step(np.zeros(2, np.int64))
    assert dones.all() and all(info["TimeLimit.truncated"] for info in infos)


def test_action_masks_come_from_the_batched_masks():
    venv = SB3VecEnv(CorridorVectorEnv(4))
    obs = venv.reset()
    masks = np.stack(venv.env_method("action_masks"))
    np.testing.assert_array_equal(masks, obs["action_mask"].astype(bool))
    assert len(venv.env_method("action_masks", indices=[1, 3])) == 2
    with pytest.raises(AttributeError, match="batched"):
        venv.env_method("reset")


def test_the_adapter_refuses_next_step_autoreset():
    with pytest.raises(ValueError, match="SAME_STEP"):
        SB3VecEnv(CorridorVectorEnv(2, autoreset_mode=AutoresetMode.NEXT_STEP))


def test_ppo_learns_to_walk_right_on_the_native_batch():
    from stable_baselines3 import PPO
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.vec_env import VecMonitor

    venv = VecMonitor(SB3VecEnv(CorridorVectorEnv(8, length=6, gust=0.1, max_episode_steps=30)))
    model = PPO("MultiInputPolicy", venv, n_steps=32, batch_size=64, n_epochs=4, learning_rate=3e-3, seed=0,
                device="cpu")
    before, _ = evaluate_policy(model, venv, n_eval_episodes=16, deterministic=True)
    model.learn(total_timesteps=3072)
    after, _ = evaluate_policy(model, venv, n_eval_episodes=16, deterministic=True)
    # Reaching the goal pays +1; wandering until the 30-step limit pays -0.3.
    assert after > 0.8, f"PPO did not learn the corridor: mean return {before:.2f} -> {after:.2f}"


def test_maskable_ppo_trains_through_the_adapter():
    from sb3_contrib import MaskablePPO

    venv = SB3VecEnv(CorridorVectorEnv(4, max_episode_steps=20))
    model = MaskablePPO("MultiInputPolicy", venv, n_steps=32, batch_size=64, n_epochs=1, seed=0, device="cpu")
    model.learn(total_timesteps=256)
    obs = venv.reset()
    actions, _ = model.predict(obs, action_masks=venv.action_masks(), deterministic=True)
    # "left" is masked wherever the walker stands on cell 0.
    assert not np.any((actions == 0) & (obs["action_mask"][:, 0] == 0))
