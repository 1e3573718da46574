"""The batched VectorEnv base and the single-env view, exercised on the test-only Corridor game."""

from __future__ import annotations

import hashlib
import pickle
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AutoresetMode
from toy import CorridorEnv, CorridorVectorEnv, register_corridor

RIGHT, STAY, LEFT = 2, 1, 0


def rollout_hash(envs, seed: int, steps: int = 60) -> str:
    """Hash a trajectory of a fixed action sequence (mixing all actions so the RNG matters)."""
    digest = hashlib.sha256()
    obs, _ = envs.reset(seed=seed)
    actions = np.array([RIGHT, STAY, RIGHT, LEFT, RIGHT])
    for t in range(steps):
        obs, rew, term, trunc, _ = envs.step(np.full(envs.num_envs, actions[t % len(actions)]))
        for part in (obs["pos"], rew, term, trunc):
            digest.update(np.ascontiguousarray(part).tobytes())
    return digest.hexdigest()


def test_make_vec_uses_the_native_batch_and_injects_max_episode_steps():
    env_id = register_corridor()
    envs = gym.make_vec(env_id, num_envs=3)
    assert isinstance(envs, CorridorVectorEnv)
    assert envs.max_episode_steps == 50
    envs.reset(seed=0)
    for _ in range(49):
        _, _, term, trunc, _ = envs.step(np.full(3, LEFT))
        assert not trunc.any() and not term.any()
    _, _, term, trunc, infos = envs.step(np.full(3, LEFT))
    assert trunc.all() and not term.any()
    assert infos["_final_obs"].all()


def test_same_seed_gives_the_same_trajectory_and_another_seed_does_not():
    a, b = CorridorVectorEnv(4, gust=0.4), CorridorVectorEnv(4, gust=0.4)
    assert rollout_hash(a, seed=3) == rollout_hash(b, seed=3)
    assert rollout_hash(a, seed=3) != rollout_hash(a, seed=4)


def test_env_i_of_a_batch_seeded_s_matches_a_single_env_seeded_s_plus_i():
    envs = CorridorVectorEnv(3, gust=0.5, autoreset_mode=AutoresetMode.DISABLED)
    obs, _ = envs.reset(seed=10)
    single = CorridorEnv(gust=0.5)
    one_obs, _ = single.reset(seed=12)
    np.testing.assert_array_equal(obs["pos"][2], one_obs["pos"])
    for _ in range(5):
        obs, rew, *_ = envs.step(np.full(3, STAY))
        one_obs, one_rew, *_ = single.step(STAY)
        np.testing.assert_array_equal(obs["pos"][2], one_obs["pos"])
        assert rew[2] == one_rew


def test_the_trajectory_is_the_same_in_another_process():
    here = Path(__file__).parent
    code = (f"import sys; sys.path.insert(0, {str(here)!r}); from toy import CorridorVectorEnv; "
            f"from test_vector import rollout_hash; print(rollout_hash(CorridorVectorEnv(4, gust=0.4), seed=5))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == rollout_hash(CorridorVectorEnv(4, gust=0.4), seed=5)


def test_same_step_autoreset_returns_the_new_episode_and_keeps_the_last_obs_in_info():
    envs = CorridorVectorEnv(2, length=4, gust=0.0)
    envs.reset(seed=0)
    done_seen = False
    for _ in range(4):
        obs, rew, term, trunc, infos = envs.step(np.full(2, RIGHT))
        if term.any():
            done_seen = True
            i = int(np.flatnonzero(term)[0])
            assert rew[i] == 1.0
            assert infos["_final_obs"][i] and infos["final_obs"][i]["pos"][0] == 1.0  # at the goal
            assert obs["pos"][i, 0] < 0.5  # already the next episode's start (left half)
            assert infos["_final_info"][i] and infos["final_info"]["pos"][i] == 3
            assert envs.episode_steps[i] == 0
            break
    assert done_seen


def test_next_step_autoreset_resets_on_the_following_step_with_zero_reward():
    envs = CorridorVectorEnv(1, length=4, gust=0.0, autoreset_mode=AutoresetMode.NEXT_STEP)
    envs.reset(seed=0)
    for _ in range(4):
        obs, rew, term, _, infos = envs.step(np.array([RIGHT]))
        if term[0]:
            break
    assert term[0] and obs["pos"][0, 0] == 1.0 and "final_obs" not in infos
    obs, rew, term, trunc, _ = envs.step(np.array([RIGHT]))  # this action is ignored
    assert rew[0] == 0.0 and not term[0] and not trunc[0]
    assert obs["pos"][0, 0] < 0.5


def test_disabled_autoreset_with_a_reset_mask_resets_only_the_masked_envs():
    envs = CorridorVectorEnv(2, gust=0.0, autoreset_mode="Disabled")
    envs.reset(seed=1)
    for _ in range(3):
        envs.step(np.full(2, RIGHT))
    before = envs.pos.copy()
    envs.reset(options={"reset_mask": np.array([True, False])})
    assert envs.pos[1] == before[1] and envs.episode_steps[1] == 3 and envs.episode_steps[0] == 0
    with pytest.raises(ValueError, match="reset_mask"):
        envs.reset(options={"reset_mask": np.array([1, 0])})


def test_with_autoreset_disabled_an_ended_env_stays_ended_until_reset():
    envs = CorridorVectorEnv(2, length=3, gust=0.0, autoreset_mode="Disabled")
    envs.reset(seed=1)
    actions = np.array([RIGHT, STAY])
    for _ in range(10):
        obs, rew, term, trunc, _ = envs.step(actions)
        if term[0]:
            break
    assert term[0] and not term[1]
    steps = envs.episode_steps.copy()
    for _ in range(3):
        again, rew, term, trunc, _ = envs.step(actions)
        assert term[0] and rew[0] == 0.0 and envs.episode_steps[0] == steps[0]
        np.testing.assert_array_equal(again["pos"][0], obs["pos"][0])
    assert envs.episode_steps[1] == steps[1] + 3  # the other env plays on
    envs.reset(options={"reset_mask": np.array([True, False])})
    _, _, term, *_ = envs.step(actions)
    assert not term[0]


def test_returned_observations_are_copies_not_views_of_the_buffers():
    envs = CorridorVectorEnv(2)
    obs1, info1 = envs.reset(seed=0)
    obs2, *_, info2 = envs.step(np.full(2, RIGHT))
    assert not np.shares_memory(obs1["pos"], obs2["pos"])
    assert not np.shares_memory(obs2["pos"], envs._obs["pos"])
    assert not np.shares_memory(info1["pos"], info2["pos"])
    obs2["pos"][:] = -1
    assert envs._obs["pos"].min() >= 0


def test_step_before_reset_and_bad_actions_raise_clear_errors():
    envs = CorridorVectorEnv(2)
    with pytest.raises(RuntimeError, match="reset"):
        envs.step(np.zeros(2, np.int64))
    envs.reset(seed=0)
    with pytest.raises(ValueError, match=r"Discrete\(3\)"):
        envs.step(np.array([0, 3]))
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        envs.step(np.array([0]))
    with pytest.raises(ValueError, match="NaN"):
        envs.step(np.array([0.0, np.nan]))
    single = CorridorEnv()
    single.reset(seed=0)
    with pytest.raises(ValueError, match=r"5 is outside Discrete\(3\)"):
        single.step(5)


@pytest.mark.parametrize("bad", [{"num_envs": 0}, {"num_envs": 2, "max_episode_steps": 0},
                                 {"num_envs": 2, "render_mode": "human"}, {"num_envs": 2, "autoreset_mode": "x"}])
def test_constructor_arguments_are_checked(bad):
    with pytest.raises(ValueError):
        CorridorVectorEnv(**bad)


def test_single_view_passes_gymnasium_check_env_and_pickles():
    env = CorridorEnv(render_mode="rgb_array")
    check_env(env, skip_render_check=False)
    env.reset(seed=0)
    clone = pickle.loads(pickle.dumps(env))
    a, b = env.step(RIGHT), clone.step(RIGHT)
    np.testing.assert_array_equal(a[0]["pos"], b[0]["pos"])
    assert env.render().shape == (8, 64, 3)


def test_a_finished_single_episode_stays_finished_until_reset():
    env = CorridorEnv(length=3, gust=0.0)
    env.reset(seed=0)
    for _ in range(3):
        obs, rew, term, *_ = env.step(RIGHT)
        if term:
            break
    assert term
    obs2, rew2, term2, *_ = env.step(LEFT)
    assert term2 and rew2 == 0.0 and obs2["pos"][0] == obs["pos"][0]


def test_vector_render_returns_one_frame_per_env():
    envs = CorridorVectorEnv(3, render_mode="rgb_array")
    envs.reset(seed=0)
    frames = envs.render()
    assert len(frames) == 3 and all(f.shape == (8, 64, 3) and f.dtype == np.uint8 for f in frames)

