"""SuperSuit vectorisation of the PettingZoo Territory env, and MaskablePPO training through it."""

from __future__ import annotations

import numpy as np
import pytest

ss = pytest.importorskip("supersuit")


def make_venv(num_copies: int = 2):
    from botarena.envs.common.multiagent import FlattenObservations, KeepDeadAgents, flat_slice
    from botarena.envs.common.sb3 import VecActionMasksFromObs
    from botarena.envs.territory import parallel_env

    par = parallel_env(preset="duel", max_cycles=40)
    mask = flat_slice(par.observation_space("player_0"), "action_mask")
    # SuperSuit needs a fixed agent count: KeepDeadAgents is our black death (eliminated players get zero
    # observations until the game ends; SuperSuit 3.11's black_death_v3 never ends a game won by
    # elimination). SuperSuit's vector envs take Box observations, hence the flattening.
    env = KeepDeadAgents(FlattenObservations(par))
    venv = ss.concat_vec_envs_v1(ss.pettingzoo_env_to_vec_env_v1(env), num_copies, num_cpus=0,
                                 base_class="stable_baselines3")
    return VecActionMasksFromObs(venv, lambda obs: obs[:, mask]), mask


def test_supersuit_vectorises_every_player_and_masks_come_from_the_observation():
    venv, mask = make_venv()
    obs = venv.reset()
    assert obs.shape[0] == 4  # 2 copies x 2 players
    masks = np.stack(venv.env_method("action_masks"))
    assert masks.shape == (4, 45) and masks.any(axis=1).all()
    rng = np.random.default_rng(0)
    ended = 0
    for _ in range(45):
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in venv.action_masks()])
        obs, rewards, dones, infos = venv.step(actions)
        assert obs.shape[0] == 4 and np.isfinite(rewards).all()
        ended += int(dones.all())
        for i in np.flatnonzero(dones):
            assert infos[i]["terminal_observation"].shape == obs.shape[1:]
    assert ended >= 1  # max_cycles=40 ends every copy at the latest, and SuperSuit resets them


def test_maskable_ppo_trains_through_supersuit():
    from sb3_contrib import MaskablePPO

    venv, _ = make_venv()
    # No seed=: SuperSuit 3.11's SB3 wrapper forwards seed() to ConcatVecEnv, which has none (AttributeError).
    model = MaskablePPO("MlpPolicy", venv, n_steps=16, batch_size=32, n_epochs=1, device="cpu",
                        policy_kwargs={"net_arch": [32]})
    model.learn(total_timesteps=128)
    obs = venv.reset()
    actions, _ = model.predict(obs, action_masks=venv.action_masks(), deterministic=True)
    assert all(venv.action_masks()[i, a] for i, a in enumerate(actions))
