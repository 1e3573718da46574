"""The jitted kernels against pure-Python runs, determinism, and the exactness of the action masks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from territory_helpers import copy_state, play_bot_game, seeded_batch, waits

from botarena.envs.territory import bots, core, mapgen, observe

HERE = Path(__file__).parent


@pytest.mark.parametrize("rules", [core.RULES_V1, core.RULES_V2])
def test_jitted_kernels_equal_pure_python_for_hundreds_of_steps(rules):
    # A 16x16, 3-player bot game (nation, turtle, aggressor) for 300 decisions = 1,200 ticks.
    jitted = play_bot_game(16, 3, 300, seed=7, rules=rules)
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONWARNINGS="ignore")
    out = subprocess.run([sys.executable, str(HERE / "territory_helpers.py"), "16", "3", "300", "7", str(rules)],
                         capture_output=True, text=True, env=env, timeout=600, check=True)
    assert out.stdout.split() == jitted


def test_same_seed_same_game_and_different_seeds_differ():
    assert play_bot_game(24, 4, 120, seed=3, every=40) == play_bot_game(24, 4, 120, seed=3, every=40)
    assert play_bot_game(24, 4, 40, seed=3, every=40) != play_bot_game(24, 4, 40, seed=4, every=40)


def test_env_i_of_a_batch_plays_like_a_single_env_seeded_with_seed_plus_i():
    batch = seeded_batch(3, 20, 3, seed=11)
    single = seeded_batch(1, 20, 3, seed=13)
    pol3 = np.tile(np.array([1, 2, 3], np.int8), (3, 1))
    pol1 = pol3[:1].copy()
    a3 = waits(3, 3)
    a1 = waits(1, 3)
    for _ in range(60):
        bots.bot_actions(batch, pol3, a3)
        core.step_envs(batch, a3, 4)
        bots.bot_actions(single, pol1, a1)
        core.step_envs(single, a1, 4)
    for name, arr in single.game_arrays().items():
        np.testing.assert_array_equal(arr[0], getattr(batch, name)[2], err_msg=name)


def test_generated_maps_have_fair_connected_spawns():
    s = seeded_batch(8, 64, 5, seed=0)
    for n in range(8):
        assert (s.tiles[n] == core.SPAWN_TILES).all()
        assert (s.troops[n] == core.START_TROOPS).all()
        counts = np.bincount(s.terrain[n].ravel(), minlength=core.NUM_TERRAIN)
        assert counts[core.WATER] > 0 and counts[core.MOUNTAIN] > 0 and counts[core.HILLS] > 0
        assert counts[core.CITY] >= mapgen.MIN_CITIES
        # No player's land touches another's at the start.
        owner = s.owner[n]
        assert not ((owner[1:] >= 0) & (owner[:-1] >= 0) & (owner[1:] != owner[:-1])).any()
        assert not ((owner[:, 1:] >= 0) & (owner[:, :-1] >= 0) & (owner[:, 1:] != owner[:, :-1])).any()


def _random_states(num_games=3, size=20, players=4, seed=5, checkpoints=(5, 30, 90)):
    """Mid-game states from bot games (all policies), several per game."""
    s = seeded_batch(num_games, size, players, seed)
    policies = np.tile(np.array([p % 4 for p in range(players)], np.int8), (num_games, 1))
    actions = waits(num_games, players)
    states = []
    for t in range(1, max(checkpoints) + 1):
        bots.bot_actions(s, policies, actions)
        core.step_envs(s, actions, 4)
        if t in checkpoints:
            for n in range(num_games):
                if not s.done[n]:
                    states.append(core.TerritoryState(*[a[n:n + 1].copy() for a in s]))
    return states


STATES = _random_states()


@pytest.mark.parametrize("k", range(len(STATES)))
def test_masked_direction_action_never_changes_the_state_and_unmasked_one_always_does(k):
    base = STATES[k]
    num_p = base.num_players
    for player in range(num_p):
        if not base.alive[0, player]:
            continue
        mask = np.zeros((1, 45), np.int8)
        observe.write_direction_masks(base, np.array([player]), mask)
        waited = copy_state(base)
        core.step_envs(waited, waits(1, num_p), 1)
        for a in range(45):
            if a // 5 == core.WAIT:
                continue
            trial = copy_state(base)
            actions = waits(1, num_p)
            actions[0, player] = (core.MODE_DIRECTION, a // 5, a % 5)
            core.step_envs(trial, actions, 1)
            changed = trial.state_hash() != waited.state_hash()
            assert changed == bool(mask[0, a]), f"state {k} player {player} action {a} mask {mask[0, a]}"


@pytest.mark.parametrize("k", range(0, len(STATES), 2))
def test_masked_cell_never_changes_the_state_and_a_valid_pair_always_does(k):
    base = STATES[k]
    num_p = base.num_players
    hw = base.height * base.width
    player = int(np.argmax(base.alive[0]))
    mask = np.zeros((1, hw + 6), np.int8)
    observe.write_cell_masks(base, np.array([player]), mask)
    waited = copy_state(base)
    core.step_envs(waited, waits(1, num_p), 1)
    valid_intensities = [i for i in range(5) if mask[0, hw + 1 + i]]
    for cell in range(hw):
        for intensity in range(5):
            trial = copy_state(base)
            actions = waits(1, num_p)
            actions[0, player] = (core.MODE_CELL, cell, intensity)
            ok = core.resolve_action(trial, 0, player, core.MODE_CELL, cell, intensity)[0]
            core.step_envs(trial, actions, 1)
            changed = trial.state_hash() != waited.state_hash()
            assert changed == ok
            if ok:
                assert mask[0, cell] and intensity in valid_intensities
            if not mask[0, cell]:
                assert not changed
