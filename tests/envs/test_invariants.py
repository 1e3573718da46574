"""The state invariants hold on real play and catch a state broken by hand, rule by rule."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from botarena.envs.click_arena import invariants as click_arena_invariants
from botarena.envs.common.invariants import rng_draws, snapshot
from botarena.envs.common.rng import next_u64
from botarena.envs.territory import invariants as territory_invariants
from botarena.envs.tick_duel import core as tick_duel_core
from botarena.envs.tick_duel import invariants as tick_duel_invariants

CHECKS = {
    "botarena/Territory-v2": territory_invariants.violations,
    "botarena/Territory-v1": territory_invariants.violations,
    "botarena/ClickArena-v0": click_arena_invariants.violations,
    "botarena/TickDuel-v1": tick_duel_invariants.violations,
    "botarena/TickDuel-v0": tick_duel_invariants.violations,
}

# (env id, what to break, the rule that must name it)
BREAKAGES = [
    ("botarena/Territory-v2", lambda s: s.tiles.__setitem__((0, 1), s.tiles[0, 1] + 1), "tiles[1] counts"),
    ("botarena/Territory-v2", lambda s: s.owner.__setitem__((0, 0, 0), 7), "owner is a player"),
    ("botarena/Territory-v2", lambda s: s.troops.__setitem__((0, 2), -5), "never negative"),
    ("botarena/Territory-v2", lambda s: s.winner.__setitem__(0, 3), "winner is -1 while"),
    ("botarena/ClickArena-v0", lambda s: s.ship_hull.__setitem__((0, 0), np.nan), "ship_hull is finite"),
    ("botarena/ClickArena-v0", lambda s: s.ship_shield.__setitem__((0, 0), 1e5), "shield in [0, SHIP_SHIELD]"),
    ("botarena/ClickArena-v0", lambda s: s.ship_lock_kind.__setitem__((0, 0), 1), "a lock names"),
    ("botarena/TickDuel-v0", lambda s: s.hp.__setitem__((0, 1), 150), "hitpoints in"),
    ("botarena/TickDuel-v0", lambda s: s.inventory.__setitem__((0, 0, 0), tick_duel_core.ITEM_NAMES.index("voidwaker")),
     "gear is never created or lost"),
    ("botarena/TickDuel-v0", lambda s: s.frozen.__setitem__((0, 0), 40), "freeze ticks"),
    ("botarena/TickDuel-v0", lambda s: s.stats.__setitem__((0, 0, 0), 100), "levels in"),
    ("botarena/TickDuel-v1", lambda s: s.hp.__setitem__((0, 1), 122), "hitpoints in"),
    ("botarena/TickDuel-v1", lambda s: s.stats.__setitem__((0, 0, 2), 125), "levels in"),
    ("botarena/TickDuel-v1", lambda s: s.hit_tick.__setitem__((0, 0, 0), -5), "pending hits land in the next"),
    ("botarena/TickDuel-v1", lambda s: s.pot_timer.__setitem__((0, 1), 4), "potion timer"),
    ("botarena/TickDuel-v0", lambda s: s.pot_timer.__setitem__((0, 1), 2), "v0 leaves"),
    ("botarena/TickDuel-v1", lambda s: s.inventory.__setitem__((0, 0, 0), tick_duel_core.ITEM_GRANITE_MAUL),
     "gear is never created or lost"),
]


@pytest.mark.parametrize("env_id", CHECKS)
def test_the_invariants_hold_through_random_play(env_id):
    envs = gym.make_vec(env_id, num_envs=2, vectorization_mode="vector_entry_point")
    envs.reset(seed=3)
    envs.action_space.seed(3)
    assert CHECKS[env_id](envs.state, env=envs) == []
    for _ in range(300):
        before = snapshot(envs.state)
        envs.step(envs.action_space.sample())
        assert CHECKS[env_id](envs.state, before, env=envs) == []


@pytest.mark.parametrize(("env_id", "breakage", "rule"), BREAKAGES, ids=[f"{b[0]}: {b[2]}" for b in BREAKAGES])
def test_a_state_broken_by_hand_is_named_by_its_rule(env_id, breakage, rule):
    envs = gym.make_vec(env_id, num_envs=2, vectorization_mode="vector_entry_point")
    envs.reset(seed=1)
    broken = snapshot(envs.state)
    breakage(broken)
    problems = CHECKS[env_id](broken)
    assert any(rule in p and "env 0" in p for p in problems), problems


@pytest.mark.parametrize("env_id", CHECKS)
def test_an_rng_word_rewritten_or_stepped_back_is_caught(env_id):
    envs = gym.make_vec(env_id, num_envs=2, vectorization_mode="vector_entry_point")
    envs.reset(seed=1)
    before = snapshot(envs.state)
    after = snapshot(envs.state)
    after.rng_state[1] = np.uint64(12345)  # rewritten, not advanced
    problems = CHECKS[env_id](after, before, env=envs)
    assert any("rng_state advanced" in p and "env 1" in p for p in problems), problems


def test_rng_draws_counts_splitmix_steps_exactly():
    state = np.array([2**63 + 5, 0], dtype=np.uint64)
    start = state.copy()
    for _ in range(7):
        next_u64(state, 0)
    next_u64(state, 1)
    assert list(rng_draws(start, state)) == [7, 1]
    assert rng_draws(state, start)[0] > 10**12  # backwards is not a small number of draws
