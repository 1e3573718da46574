"""SuperSuit vectorisation of the PettingZoo ClickArena env, and PPO training through it."""

from __future__ import annotations

import numpy as np
import pytest

ss = pytest.importorskip("supersuit")


def make_venv(num_copies: int = 2):
    from botarena.envs.click_arena import parallel_env
    from botarena.envs.common.multiagent import FlattenObservations, KeepDeadAgents

    # SuperSuit needs a fixed agent count and Box observations: KeepDeadAgents gives destroyed ships zero
    # observations until the game ends; FlattenObservations flattens the Dict.
    env = KeepDeadAgents(FlattenObservations(parallel_env(num_players=2, max_cycles=60)))
    return ss.concat_vec_envs_v1(ss.pettingzoo_env_to_vec_env_v1(env), num_copies, num_cpus=0,
                                 base_class="stable_baselines3")


def test_supersuit_vectorises_every_ship():
    venv = make_venv()
    obs = venv.reset()
    assert obs.shape == (4, 16 * 20 + 16 + 64)  # 2 copies x 2 ships
    rng = np.random.default_rng(0)
    ended = 0
    for _ in range(65):
        obs, rewards, dones, infos = venv.step(rng.random((4, 4)).astype(np.float32))
        assert obs.shape[0] == 4 and np.isfinite(rewards).all()
        ended += int(dones.all())
    assert ended >= 1  # max_cycles=60 ends every copy, and SuperSuit resets them


def test_ppo_trains_through_supersuit():
    from stable_baselines3 import PPO

    venv = make_venv()
    model = PPO("MlpPolicy", venv, n_steps=16, batch_size=32, n_epochs=1, device="cpu",
                policy_kwargs={"net_arch": [32]})
    model.learn(total_timesteps=128)
    actions, _ = model.predict(venv.reset(), deterministic=True)
    assert actions.shape == (4, 4)
