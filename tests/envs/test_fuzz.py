"""Every game's action input fuzzed through the single, vector and PettingZoo envs.

Each generated action is a valid one (sampled from the space, as a Python value or another numeric dtype, at
the space's edges, masked Territory launches, TickDuel events out of time order) or a valid one with one known
defect (NaN, inf, out of range, beyond the dtype, not an integer, wrong shape, wrong type, a missing or an extra
key, an unknown agent). A valid action must step, and afterwards every state invariant of the game holds
(``envs/<game>/invariants.py``, checked against the state before the step). A defective one must raise a
``ValueError`` that names the action and its space, and leave the whole state, RNG included, exactly as it was:
never a numba crash, never a silent change. Territory's single env also plays a twin fed WAIT wherever the
action is masked: both must stay identical, as the docs say a masked launch is a no-op.

Hypothesis draws the plans (derandomized, so CI is repeatable); each test counts its actions and asserts the
three tests of a game fuzz at least 10,000 together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botarena.envs.click_arena import invariants as click_arena_invariants
from botarena.envs.click_arena import multiagent as click_arena_multiagent
from botarena.envs.common.invariants import snapshot
from botarena.envs.territory import invariants as territory_invariants
from botarena.envs.territory import multiagent as territory_multiagent
from botarena.envs.territory.env import WAIT_ACTION
from botarena.envs.tick_duel import invariants as tick_duel_invariants
from botarena.envs.tick_duel import multiagent as tick_duel_multiagent

ACTIONS_PER_PLAN = 25
PLANS = 135  # 135 plans x 25 actions x 3 envs = 10,125 actions per game
MIN_ACTIONS_PER_GAME = 10_000


@dataclass(frozen=True)
class Game:
    env_id: str
    violations: Callable[..., list[str]]
    parallel_env: Callable[..., Any]
    masked_noop: int | None = None  # the action a masked one must equal (Territory's WAIT)


GAMES = {
    "territory": Game("botarena/Territory-v2", territory_invariants.violations, territory_multiagent.parallel_env,
                      masked_noop=WAIT_ACTION),
    "click_arena": Game("botarena/ClickArena-v0", click_arena_invariants.violations,
                        click_arena_multiagent.parallel_env),
    "tick_duel": Game("botarena/TickDuel-v0", tick_duel_invariants.violations, tick_duel_multiagent.parallel_env),
}


# ---------------------------------------------------------------------------------------------- mutations
# A mutation takes a valid value of a leaf space (Discrete or Box; batched or not) and returns (value, valid).
# Element-wise defects hit one element chosen by ``rng``.
def _one_element(value: np.ndarray, rng: np.random.Generator, new: Any, dtype: Any = np.float64) -> np.ndarray:
    out = np.array(value, dtype=dtype, copy=True)
    out.flat[rng.integers(out.size)] = new
    return out


def _integer(space: spaces.Space) -> bool:
    """Whether a space holds integers (a batch of Discrete actions is a MultiDiscrete)."""
    return isinstance(space, (spaces.Discrete, spaces.MultiDiscrete))


def _bounds(space: spaces.Space, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(space, spaces.Discrete):
        return (np.full(shape, space.start, np.float64), np.full(shape, space.start + space.n - 1, np.float64))
    if isinstance(space, spaces.MultiDiscrete):
        low = np.broadcast_to(space.start, shape).astype(np.float64)
        return low, low + np.broadcast_to(space.nvec, shape) - 1
    return (np.broadcast_to(space.low, shape).astype(np.float64), np.broadcast_to(space.high, shape).astype(np.float64))


def _beyond(space: spaces.Space, value: np.ndarray, rng: np.random.Generator, above: bool) -> np.ndarray:
    """One element just outside the space: the next integer, or for a Box the next value of its own dtype."""
    low, high = _bounds(space, value.shape)
    i = rng.integers(value.size)
    out = np.array(value, dtype=np.int64 if _integer(space) else np.float64, copy=True)
    edge = (high if above else low).flat[i]
    if _integer(space):
        out.flat[i] = int(edge) + (1 if above else -1)
    else:
        out = out.astype(space.dtype)
        out.flat[i] = np.nextafter(space.dtype.type(edge), space.dtype.type(np.inf if above else -np.inf))
    return out


LEAF_MUTATIONS: dict[str, Callable[[spaces.Space, np.ndarray, np.random.Generator], tuple[Any, bool]]] = {
    # valid
    "sampled": lambda sp, v, rng: (v, True),
    "python": lambda sp, v, rng: (v.tolist(), True),
    "float64": lambda sp, v, rng: (v.astype(np.float64), True),
    "int16": lambda sp, v, rng: ((v.astype(np.int16), True) if _integer(sp)
                                 else (np.clip(np.round(v), *_bounds(sp, v.shape)).astype(np.int16), True)),
    "low edge": lambda sp, v, rng: (_bounds(sp, v.shape)[0].astype(v.dtype), True),
    "high edge": lambda sp, v, rng: (_bounds(sp, v.shape)[1].astype(v.dtype), True),
    # defective
    "nan": lambda sp, v, rng: (_one_element(v, rng, np.nan), False),
    "inf": lambda sp, v, rng: (_one_element(v, rng, np.inf), False),
    "-inf": lambda sp, v, rng: (_one_element(v, rng, -np.inf), False),
    "above": lambda sp, v, rng: (_beyond(sp, v, rng, above=True), False),
    "below": lambda sp, v, rng: (_beyond(sp, v, rng, above=False), False),
    "beyond float32": lambda sp, v, rng: (_one_element(v, rng, 1e39), False),
    "huge negative": lambda sp, v, rng: (_one_element(v, rng, -1e300), False),
    "beyond int64": lambda sp, v, rng: (_one_element(v, rng, 2**64 - 1, np.uint64), False),
    "half": lambda sp, v, rng: ((_one_element(v, rng, float(np.asarray(v).flat[0]) + 0.5), False)
                                if _integer(sp) else (v, True)),  # a Box takes fractions
    "extra axis": lambda sp, v, rng: (v[None], False),
    "one element short": lambda sp, v, rng: ((v.reshape(-1)[:-1], False) if v.ndim else (v[None], False)),
    "string": lambda sp, v, rng: ("up", False),
    "none": lambda sp, v, rng: (None, False),
    "complex": lambda sp, v, rng: (v.astype(np.complex128), False),
    "object array": lambda sp, v, rng: (np.array([v, "x"], dtype=object), False),
}


def mutate(space: spaces.Space, value: Any, name: str, rng: np.random.Generator) -> tuple[Any, bool]:
    """A valid ``value`` of ``space`` with mutation ``name`` applied (to one key, for a Dict); (value, valid)."""
    if isinstance(space, spaces.Dict):
        if name == "missing key":
            dropped = sorted(value)[rng.integers(len(value))]
            return {k: v for k, v in value.items() if k != dropped}, False
        if name == "extra key":
            return {**value, "extra": 0}, False
        if name == "not a dict":
            return list(value.values()), False
        key = sorted(space.spaces)[rng.integers(len(space.spaces))]
        inner, valid = mutate(space.spaces[key], value[key], name, rng)
        return {**value, key: inner}, valid
    return LEAF_MUTATIONS[name](space, np.asarray(value), rng)


MUTATIONS = sorted(LEAF_MUTATIONS) + ["missing key", "extra key", "not a dict"]


def _leaf_names(space: spaces.Space) -> list[str]:
    return MUTATIONS if isinstance(space, spaces.Dict) else sorted(LEAF_MUTATIONS)


def valid_value(space: spaces.Space, rng: np.random.Generator) -> Any:
    """A sample of ``space`` drawn from ``rng`` (TickDuel's events come in random time order)."""
    space.seed(int(rng.integers(2**31)))
    return space.sample()


# ---------------------------------------------------------------------------------------------- checking
def assert_refused(error: ValueError) -> None:
    message = str(error)
    assert "action" in message, message
    assert any(kind in message for kind in ("Discrete", "Box", "Dict", "keys")), message


def assert_unchanged(before: Any, after: Any) -> None:
    for field, old, new in zip(before._fields, before, after, strict=True):
        assert np.array_equal(old, new, equal_nan=True), f"a refused action changed {field}"


def check_step(game: Game, state_before: Any, state_after: Any, env: Any) -> None:
    problems = game.violations(state_after, state_before, env=env)
    assert not problems, problems


def assert_fuzzed_enough(counted: Counter, label: str) -> None:
    """A third of the game's 10,000 actions, and enough of both kinds that neither path went untested.

    Prints the counts (``pytest -s tests/envs/test_fuzz.py`` shows them; the README's reliability table cites them).
    """
    total = counted["stepped"] + counted["refused"]
    print(f"\nfuzzed {label}: {total:,} actions, {counted['stepped']:,} stepped, {counted['refused']:,} refused")
    assert total >= MIN_ACTIONS_PER_GAME / 3, counted
    assert min(counted["stepped"], counted["refused"]) >= total / 5, counted


def fuzz_step(game: Game, env: Any, step: Callable[[Any], Any], action: Any, valid: bool,
              counted: Counter) -> tuple[Any, ValueError | None]:
    """Play one generated action through ``step`` and check the outcome against ``env.state`` (the env's game
    state); returns (what ``step`` returned, None) or (None, the ValueError of a refused action)."""
    before = snapshot(env.state)
    if not valid:
        with pytest.raises(ValueError) as refused:
            step(action)
        assert_refused(refused.value)
        assert_unchanged(before, env.state)
        counted["refused"] += 1
        return None, refused.value
    result = step(action)
    check_step(game, before, env.state, env=env)
    counted["stepped"] += 1
    return result, None


PLAN = st.lists(st.tuples(st.sampled_from(MUTATIONS), st.integers(0, 2**31 - 1)),
                min_size=ACTIONS_PER_PLAN, max_size=ACTIONS_PER_PLAN)
FUZZ = settings(max_examples=PLANS, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ---------------------------------------------------------------------------------------------- the tests
@pytest.mark.parametrize("name", GAMES)
def test_single_env_steps_valid_actions_and_refuses_defective_ones_unchanged(name):
    game = GAMES[name]
    env, twin = gym.make(game.env_id), gym.make(game.env_id)
    batch, twin_batch = env.unwrapped.batch, twin.unwrapped.batch
    counted = Counter()

    @FUZZ
    @given(seed=st.integers(0, 2**32 - 1), plan=PLAN)
    def fuzz(seed, plan):
        env.reset(seed=seed)
        twin.reset(seed=seed)
        for mutation, draw in plan:
            rng = np.random.default_rng(draw)
            name = mutation if mutation in _leaf_names(env.action_space) else "sampled"
            action, valid = mutate(env.action_space, valid_value(env.action_space, rng), name, rng)
            result, refused = fuzz_step(game, batch, env.step, action, valid, counted)
            if refused is not None:
                continue
            _, _, terminated, truncated, _ = result
            if game.masked_noop is not None:  # the twin waits wherever the action is masked
                twin_action = _masked_to_noop(game, twin_batch, action)
                twin.step(twin_action)
                assert_unchanged(batch.state, twin_batch.state)
            if terminated or truncated:
                env.reset()
                twin.reset()

    fuzz()
    assert_fuzzed_enough(counted, f"{name}, single env")


def _masked_to_noop(game: Game, batch: Any, action: Any) -> int:
    """The action as Territory plays it: WAIT when the mask (of the twin's identical state) forbids it."""
    index = int(np.asarray(action))
    return index if batch.action_masks()[0, index] else game.masked_noop


@pytest.mark.parametrize("name", GAMES)
def test_vector_env_steps_valid_batches_and_refuses_defective_ones_unchanged(name):
    game = GAMES[name]
    envs = gym.make_vec(game.env_id, num_envs=3, vectorization_mode="vector_entry_point")
    counted = Counter()

    @FUZZ
    @given(seed=st.integers(0, 2**32 - 1), plan=PLAN)
    def fuzz(seed, plan):
        envs.reset(seed=seed)
        for mutation, draw in plan:
            rng = np.random.default_rng(draw)
            # A batch is mutated as a whole array: the defect lands in one env's part of it.
            name = mutation if mutation in _leaf_names(envs.action_space) else "sampled"
            action, valid = mutate(envs.action_space, valid_value(envs.action_space, rng), name, rng)
            # Autoreset: an env that ends starts again within the step, and its invariants still hold.
            fuzz_step(game, envs, envs.step, action, valid, counted)

    fuzz()
    assert_fuzzed_enough(counted, f"{name}, vector env")


@pytest.mark.parametrize("name", GAMES)
def test_pettingzoo_env_steps_valid_actions_and_refuses_defective_ones_unchanged(name):
    game = GAMES[name]
    env = game.parallel_env()
    counted = Counter()

    @FUZZ
    @given(seed=st.integers(0, 2**32 - 1), plan=PLAN, unknown_agent_at=st.integers(0, ACTIONS_PER_PLAN - 1))
    def fuzz(seed, plan, unknown_agent_at):
        env.reset(seed=seed)
        for step, (mutation, draw) in enumerate(plan):
            if not env.agents:
                env.reset()
            rng = np.random.default_rng(draw)
            space = env.action_space(env.agents[0])
            actions = {agent: valid_value(space, rng) for agent in env.agents}
            victim = env.agents[rng.integers(len(env.agents))]
            actions[victim], valid = mutate(space, actions[victim],
                                            mutation if mutation in _leaf_names(space) else "sampled", rng)
            if step == unknown_agent_at:
                before = snapshot(env.state)
                with pytest.raises(ValueError, match="not in the game"):
                    env.step({**actions, "player_99": actions[victim]})
                assert_unchanged(before, env.state)
                counted["refused"] += 1
                continue
            _, refused = fuzz_step(game, env, env.step, actions, valid, counted)
            if refused is not None:
                assert victim in str(refused)  # the error names whose action it was

    fuzz()
    assert_fuzzed_enough(counted, f"{name}, PettingZoo env")
