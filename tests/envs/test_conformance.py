"""The contracts every registered game keeps, tested once over ``botarena.envs.ENV_IDS``.

Gymnasium ``check_env`` (every action / observation mode worth checking), ``gym.make`` and ``gym.make_vec`` with
the native batch, env ``i`` of a batch seeded ``s`` playing like a single env seeded ``s + i``, same seed same
episode, pickling mid-episode, render modes, stable-baselines3 ``check_env`` and training through the adapter,
and PettingZoo's ``parallel_api_test``, ``api_test`` (AEC), ``parallel_seed_test``, ``seed_test`` and
``max_cycles_test``. A new game adds its :class:`Case` below; the game's own rules are tested in its folder.
"""

from __future__ import annotations

import functools
import importlib
import pickle
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.vector.utils import concatenate, create_empty_array

from botarena.envs import ENV_IDS, GAMES


@dataclass(frozen=True)
class Case:
    """How one game is checked.

    Attributes:
        kwargs: arguments of its Gymnasium envs for every test (a small map keeps Territory fast).
        variants: further argument sets that check_env and the determinism test also run (other action and
            observation modes, random builds).
        multiagent_kwargs: arguments of its PettingZoo env.
        bots: a bot seating the PettingZoo API test also runs (``parallel_env(bots=...)``).
        sb3_algorithm: the stable-baselines3 / sb3-contrib algorithm that trains on the native batch, or ``None``
            where SB3 cannot take the action space as it is.
        steps: how many steps the trajectory tests play.
    """

    kwargs: dict[str, Any] = field(default_factory=dict)
    variants: tuple[dict[str, Any], ...] = ()
    multiagent_kwargs: dict[str, Any] = field(default_factory=dict)
    bots: dict[int, str] = field(default_factory=dict)
    sb3_algorithm: str | None = None
    steps: int = 40


CASES: dict[str, Case] = {
    "territory": Case(kwargs={"preset": "duel"}, variants=({"action_mode": "cell"},),
                      multiagent_kwargs={"preset": "duel"}, bots={1: "aggressor"}, sb3_algorithm="MaskablePPO"),
    "click_arena": Case(variants=({"obs_mode": "pixels"}, {"difficulty": "hard", "cursor": "teleport"}),
                        multiagent_kwargs={"num_players": 3}, bots={1: "expert"}, sb3_algorithm="PPO", steps=300),
    # SB3 takes no Dict action space: TickDuel trains through SemanticActions (tests/envs/tick_duel/
    # test_tick_duel_semantic.py checks SB3's check_env and MaskablePPO there).
    "tick_duel": Case(variants=({"build": "random", "opponent_build": "pure", "opponent": "nh_expert:sloppy",
                                 "max_events": 8},),
                      multiagent_kwargs={"builds": ("random", "pure")}, bots={1: "nh_expert:sloppy"}, steps=80),
}
GAME_OF = {spec.env_id: name for name, spec in GAMES.items()}


def case(env_id: str) -> Case:
    return CASES[GAME_OF[env_id]]


def variants(env_id: str) -> list[dict[str, Any]]:
    base = case(env_id).kwargs
    return [base, *({**base, **v} for v in case(env_id).variants)]


def variant_params() -> list[Any]:
    return [pytest.param(env_id, kwargs, id=f"{GAME_OF[env_id]}-{'-'.join(map(str, kwargs.values())) or 'default'}")
            for env_id in ENV_IDS for kwargs in variants(env_id)]


def sample(space: gym.Space, obs: Any) -> Any:
    """A random action from the seeded ``space``, among the valid ones where ``obs`` carries an action mask."""
    mask = obs.get("action_mask") if isinstance(obs, dict) else None
    if mask is None:
        return space.sample()
    mask = np.asarray(mask, np.int8)
    if isinstance(space, gym.spaces.Discrete):
        return space.sample(mask=mask)
    # MultiDiscrete: the mask is each factor's mask, concatenated (SB3's MaskablePPO convention).
    return space.sample(mask=tuple(np.split(mask, np.cumsum(space.nvec)[:-1])))


def sample_batch(envs: gym.vector.VectorEnv, obs: Any) -> Any:
    rows = [sample(envs.single_action_space, _row(obs, i)) for i in range(envs.num_envs)]
    return concatenate(envs.single_action_space, rows, create_empty_array(envs.single_action_space, envs.num_envs))


def _row(batch: Any, i: int) -> Any:
    return {k: _row(v, i) for k, v in batch.items()} if isinstance(batch, dict) else batch[i]


def same(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[key], b[key]) for key in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return np.array_equal(a, b)


def assert_same(a: Any, b: Any, what: str = "") -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys(), what
        for key in a:
            assert_same(a[key], b[key], f"{what}[{key}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), what
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{what}[{k}]")
    else:
        np.testing.assert_array_equal(a, b, err_msg=what)


def make_single(env_id: str, **kwargs: Any) -> gym.Env:
    """The registered single env itself, without gym.make's wrappers (check_env wants the bare env)."""
    return gym.make(env_id, **{**case(env_id).kwargs, **kwargs}).unwrapped


def make_batch(env_id: str, num_envs: int, **kwargs: Any) -> gym.vector.VectorEnv:
    return gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point",
                        **{**case(env_id).kwargs, **kwargs})


def multiagent_module(env_id: str) -> Any:
    return importlib.import_module(GAMES[GAME_OF[env_id]].module)


def test_every_registered_game_has_a_conformance_case():
    assert set(GAME_OF.values()) == set(CASES), "add the new game's Case to CASES"


# ---------------------------------------------------------------------- Gymnasium
@pytest.mark.parametrize("env_id, kwargs", variant_params())
def test_gymnasium_check_env_passes(env_id, kwargs):
    check_env(make_single(env_id, **kwargs), skip_render_check=True)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_make_and_make_vec_give_the_single_env_and_the_native_batch(env_id):
    spec = GAMES[GAME_OF[env_id]]
    single = gym.make(env_id, **case(env_id).kwargs)
    assert single.spec.max_episode_steps == spec.max_episode_steps
    assert type(single.unwrapped).__name__ == spec.env_class
    obs, _ = single.reset(seed=0)
    assert single.observation_space.contains(obs)
    envs = make_batch(env_id, 3)
    assert type(envs.unwrapped).__name__ == spec.vector_class
    assert envs.single_observation_space == single.observation_space
    assert envs.single_action_space == single.action_space
    obs, _ = envs.reset(seed=0)
    assert envs.observation_space.contains(obs)
    envs.single_action_space.seed(0)
    obs, rewards, terminated, truncated, infos = envs.step(sample_batch(envs, obs))
    assert envs.observation_space.contains(obs)
    assert rewards.shape == terminated.shape == truncated.shape == (3,)
    assert all(len(value) == 3 for value in infos.values()), {k: np.shape(v) for k, v in infos.items()}
    assert rewards.dtype == np.float64 and terminated.dtype == truncated.dtype == np.bool_
    single.close()
    envs.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_env_i_of_a_batch_seeded_s_plays_like_a_single_env_seeded_s_plus_i(env_id):
    envs = make_batch(env_id, 3)
    single = make_single(env_id)
    batch_obs, _ = envs.reset(seed=5)
    obs, _ = single.reset(seed=7)
    envs.single_action_space.seed(1)
    for step in range(case(env_id).steps):
        assert_same(_row(batch_obs, 2), obs, f"step {step} obs")
        if hasattr(single, "expert_labels"):
            assert_same(_row(envs.unwrapped.expert_labels(), 2), single.expert_labels(), f"step {step} labels")
        actions = sample_batch(envs, batch_obs)
        batch_obs, batch_rewards, batch_terminated, _, _ = envs.step(actions)
        obs, reward, terminated, _, _ = single.step(_row(actions, 2))
        assert batch_rewards[2] == reward and batch_terminated[2] == terminated, f"step {step}"
        if terminated:
            break  # the batch resets env 2 in the same step; the single env waits for reset()


@pytest.mark.parametrize("env_id, kwargs", variant_params())
def test_the_same_seed_gives_the_same_episode_and_observations_stay_in_the_space(env_id, kwargs):
    def trajectory(seed: int) -> list[Any]:
        envs = make_batch(env_id, 2, **kwargs)
        envs.single_action_space.seed(seed)  # sample_batch draws every row from the single space
        obs, _ = envs.reset(seed=seed)
        out = [obs]
        for _ in range(case(env_id).steps):
            obs, rewards, terminated, truncated, _ = envs.step(sample_batch(envs, obs))
            assert envs.observation_space.contains(obs)
            out.append((obs, rewards, terminated, truncated))
        envs.close()
        return out

    first = trajectory(3)
    for step, (a, b) in enumerate(zip(first, trajectory(3), strict=True)):
        assert_same(a, b, f"step {step}")
    assert not same(first, trajectory(4))


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_single_and_batched_envs_pickle_mid_episode_and_continue_identically(env_id):
    for env in (make_single(env_id), make_batch(env_id, 2)):
        space = getattr(env, "single_action_space", env.action_space)
        space.seed(2)
        obs, _ = env.reset(seed=4)
        act = functools.partial(sample_batch, env) if isinstance(env, gym.vector.VectorEnv) else (
            functools.partial(sample, space))
        for _ in range(case(env_id).steps // 2):
            obs, *_ = env.step(act(obs))
        clone = pickle.loads(pickle.dumps(env))
        for _ in range(case(env_id).steps // 2):
            action = act(obs)
            if hasattr(env.unwrapped, "expert_labels"):
                assert_same(env.unwrapped.expert_labels(), clone.unwrapped.expert_labels())
            obs, *rest = env.step(action)
            clone_obs, *clone_rest = clone.step(action)
            assert_same(obs, clone_obs)
            assert_same(rest[:3], clone_rest[:3])
        env.close()
        clone.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_render_modes_work_headless(env_id, monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    assert {"rgb_array", "human"} <= set(make_single(env_id).metadata["render_modes"])
    single = make_single(env_id, render_mode="rgb_array")
    obs, _ = single.reset(seed=0)
    single.step(sample(single.action_space, obs))
    frame = single.render()
    assert frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8
    envs = make_batch(env_id, 2, render_mode="rgb_array")
    envs.reset(seed=0)
    frames = envs.render()
    assert len(frames) == 2 and frames[0].shape == frame.shape
    human = make_single(env_id, render_mode="human")
    obs, _ = human.reset(seed=0)
    human.step(sample(human.action_space, obs))
    assert human.render() is None
    human.close()
    parallel = multiagent_module(env_id).parallel_env(render_mode="rgb_array", **case(env_id).multiagent_kwargs)
    parallel.reset(seed=0)
    assert parallel.render().dtype == np.uint8
    parallel.close()


# ---------------------------------------------------------------------- stable-baselines3
@pytest.mark.slow
@pytest.mark.parametrize("env_id", [env_id for env_id in ENV_IDS if case(env_id).sb3_algorithm])
def test_sb3_check_env_and_training_on_the_native_batch_through_the_adapter(env_id):
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    from botarena.envs.common.sb3 import SB3VecEnv

    algorithm = case(env_id).sb3_algorithm
    if algorithm == "MaskablePPO":
        algorithm_class = pytest.importorskip("sb3_contrib").MaskablePPO
    else:
        algorithm_class = getattr(importlib.import_module("stable_baselines3"), algorithm)
    sb3_check_env(make_single(env_id))
    # SB3's MultiInputPolicy reads a uint8 image as an image (NatureCNN: Territory's duel map is big enough).
    venv = SB3VecEnv(make_batch(env_id, 2, max_episode_steps=40).unwrapped)
    model = algorithm_class("MultiInputPolicy", venv, n_steps=16, batch_size=32, n_epochs=1, device="cpu")
    model.learn(64)


# ---------------------------------------------------------------------- PettingZoo
@pytest.mark.parametrize("env_id", ENV_IDS)
@pytest.mark.parametrize("seated", [False, True], ids=["agents", "with-bots"])
def test_pettingzoo_parallel_api_test_passes(env_id, seated):
    from pettingzoo.test import parallel_api_test

    bots = case(env_id).bots if seated else {}
    env = multiagent_module(env_id).parallel_env(bots=bots, **case(env_id).multiagent_kwargs)
    parallel_api_test(env, num_cycles=60)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_pettingzoo_aec_api_and_seed_tests_pass(env_id):
    from pettingzoo.test import api_test, parallel_seed_test, seed_test

    module, kwargs = multiagent_module(env_id), case(env_id).multiagent_kwargs
    api_test(module.env(**kwargs), num_cycles=20)
    seed_test(lambda: module.env(**kwargs), num_cycles=20)
    parallel_seed_test(lambda: module.parallel_env(**kwargs))
    parallel_seed_test(lambda: module.parallel_env(bots=case(env_id).bots, **kwargs))


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_pettingzoo_max_cycles_test_passes(env_id):
    from pettingzoo.test import max_cycles_test

    module, kwargs = multiagent_module(env_id), case(env_id).multiagent_kwargs

    class Module:  # max_cycles_test calls mod.parallel_env(max_cycles=...) and mod.env(max_cycles=...)
        parallel_env = staticmethod(functools.partial(module.parallel_env, **kwargs))
        env = staticmethod(functools.partial(module.env, **kwargs))

    max_cycles_test(Module)
