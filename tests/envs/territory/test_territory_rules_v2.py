"""Territory v2 rule tests (OpenFront's rules; ``core``'s *Rules v2*) on hand-built states: one rule each."""

from __future__ import annotations

import numpy as np
import pytest
from territory_helpers import build_state, waits

from botarena.envs.territory import core, observe

CELL = core.MODE_CELL
V2 = core.RULES_V2


def act(s, player, mode, code, intensity):
    actions = waits(1, s.num_players)
    actions[0, player] = (mode, code, intensity)
    return actions


def idx(s, y, x):
    return y * s.width + x


def past_immunity(s):
    s.tick[0] = core.SPAWN_IMMUNITY_TICKS
    return s


# --- terrain -----------------------------------------------------------------------------------------------
def test_mountains_are_land_under_v2_and_walls_under_v1():
    rows = ["00^..", "00^..", ".....", "....1"]
    v1 = build_state(rows)
    v2 = build_state(rows, rules=V2)
    assert v1.owner[0, 0, 2] == core.IMPASSABLE and v2.owner[0, 0, 2] == core.NEUTRAL
    assert v2.land[0] == v1.land[0] + 2
    core.step_envs(v2, act(v2, 0, CELL, idx(v2, 0, 2), 4), 0)
    for _ in range(40):
        core.step_envs(v2, waits(1, 2), 1)
    assert v2.owner[0, 0, 2] == 0 and v2.owner[0, 1, 2] == 0  # OpenFront's mountains are passable, and slow


def test_mountain_tiles_cost_and_use_more_than_plains():
    for tile_scale in (1.0, 20.0):
        assert core.neutral_tile_cost(core.MOUNTAIN, tile_scale) > core.neutral_tile_cost(core.PLAINS, tile_scale)
        use = [core.tile_budget_v2(t, core.NEUTRAL, 1_000, 0, 1.0, 1.0, tile_scale)
               for t in (core.PLAINS, core.HILLS, core.MOUNTAIN)]
        assert use[0] < use[1] < use[2]


# --- speed -------------------------------------------------------------------------------------------------
def test_neutral_front_takes_at_most_two_fifths_of_its_border_per_tick():
    # attackTilesPerTick: a budget of 2 x border, each neutral tile using at least 5 of it.
    rows = ["." * 30] * 6 + ["0" * 30] + ["." * 29 + "1"]
    s = build_state(rows, troops=[10_000_000, 10], rules=V2)
    core.step_envs(s, act(s, 0, CELL, idx(s, 5, 15), 4), 0)
    before = s.tiles[0, 0]
    core.step_envs(s, waits(1, 2), 1)
    border = 30 + 29  # the row above and the row below our line
    taken = s.tiles[0, 0] - before
    assert 0 < taken <= int(0.4 * border) + 1


def test_budget_counts_the_border_in_openfront_tiles():
    # Our tile is sqrt(tile_scale) OpenFront tiles wide; the budget grows with it, a tile's use with its area.
    assert core.tick_budget_v2(10, core.NEUTRAL, 1, 0, 16.0) == pytest.approx(2 * 10 * 4)
    assert core.tile_budget_v2(core.PLAINS, core.NEUTRAL, 10**9, 0, 1.0, 1.0, 16.0) == pytest.approx(5 * 16)


def test_enemy_fronts_need_troops_near_the_defenders_for_full_speed():
    full = core.tick_budget_v2(10, 1, 100_000, 100_000, 1.0) / core.tile_budget_v2(
        core.PLAINS, 1, 100_000, 100_000, 1.0, 1.0, 1.0)
    fifth = core.tick_budget_v2(10, 1, 20_000, 100_000, 1.0) / core.tile_budget_v2(
        core.PLAINS, 1, 20_000, 100_000, 1.0, 1.0, 1.0)
    assert fifth < full / 4


def test_size_modifiers_follow_attack_logic():
    debuff, loss, speed = core.size_modifiers(10, 10, 1.0)
    assert loss == speed == 1.0 and debuff == pytest.approx(0.7 + 0.3 * (1 - 1 / (1 + 2**3)), rel=1e-4)  # ~0 tiles
    debuff_big, loss_big, speed_big = core.size_modifiers(400_000, 1_000_000, 1.0)
    assert debuff_big < debuff and loss_big == pytest.approx(0.25**0.35) and speed_big == pytest.approx(0.25**0.6)


# --- order -------------------------------------------------------------------------------------------------
def test_pockets_and_plains_are_taken_before_exposed_or_mountain_tiles():
    # (1, 2) has three of player 0's neighbours; (0, 5) one and is a mountain.
    rows = ["0.0..^.", "000.000", "0000000", "......1"]
    s = build_state(rows, troops=[10_000_000, 10], rules=V2)
    core.step_envs(s, act(s, 0, CELL, idx(s, 0, 5), 4), 0)
    core.step_envs(s, waits(1, 2), 1)
    assert s.owner[0, 0, 1] == 0
    assert s.owner[0, 0, 5] == core.NEUTRAL


# --- immunity, retreat ---------------------------------------------------------------------------------------
def test_players_cannot_be_attacked_during_spawn_immunity():
    rows = ["0011", "0011", "....", "...."]
    s = build_state(rows, troops=[100_000, 1_000], rules=V2)
    core.step_envs(s, act(s, 0, CELL, idx(s, 0, 2), 4), 0)
    assert (s.att_target[0, 0] == core.NO_ATTACK).all()
    past_immunity(s)
    core.step_envs(s, act(s, 0, CELL, idx(s, 0, 2), 4), 0)
    assert (s.att_target[0, 0] == 1).any()


@pytest.mark.parametrize("target_player", [False, True])
def test_a_recalled_attack_stands_still_20_ticks_then_comes_home_minus_a_quarter_from_a_player(target_player):
    rows = ["00.....11", "00.....11", ".........", "........."] if not target_player else \
        ["0011.....", "0011.....", ".........", "........."]
    s = past_immunity(build_state(rows, troops=[100_000, 1_000], rules=V2))
    core.step_envs(s, act(s, 0, CELL, idx(s, 0, 2), 2), 0)
    slot = int(np.flatnonzero(s.att_target[0, 0] != core.NO_ATTACK)[0])
    mask = np.zeros(45, np.int8)
    observe.direction_mask_one(s, 0, 0, mask)
    assert mask[41 + slot] == 1 and mask[41:].sum() == 1
    core.step_envs(s, act(s, 0, core.MODE_RETREAT, slot, 0), 0)
    observe.direction_mask_one(s, 0, 0, mask)
    assert mask[41:].sum() == 0  # already called back
    inside = int(s.att_troops[0, 0, slot])
    tiles = s.tiles[0, 0]
    home = s.troops[0, 0]
    s.troops[0, 0] = 0  # growth aside, only the returning troops arrive
    for _ in range(core.RETREAT_TICKS):
        core.step_envs(s, waits(1, 2), 1)
        assert s.tiles[0, 0] == tiles and s.att_troops[0, 0, slot] == inside
    s.troops[0, 0] = 0
    core.step_envs(s, waits(1, 2), 1)
    assert s.att_target[0, 0, slot] == core.NO_ATTACK
    expected = inside * 3 // 4 if target_player else inside
    cap = core.max_troops(s.tiles[0, 0], 0, 1.0)
    assert s.troops[0, 0] == core.troop_growth(expected, cap, 0)
    assert home > 0


def test_retreat_is_a_no_op_under_v1():
    s = build_state(["00.....1"])
    core.step_envs(s, act(s, 0, CELL, idx(s, 0, 2), 2), 0)
    slot = int(np.flatnonzero(s.att_target[0, 0] != core.NO_ATTACK)[0])
    core.step_envs(s, act(s, 0, core.MODE_RETREAT, slot, 0), 0)
    assert s.att_retreat[0, 0, slot] == -1


# --- annexation, enclaves ------------------------------------------------------------------------------------
def test_a_defender_under_a_hundred_openfront_tiles_is_annexed():
    # tile_scale 30: player 1's 4 tiles are 120 OpenFront tiles; taking one leaves 90 < 100, so the rest goes too.
    rows = ["000000", "001100", "001100", "000000", "......"]
    s = past_immunity(build_state(rows, num_players=2, troops=[10_000_000, 10], tile_scale=30.0, rules=V2))
    core.step_envs(s, act(s, 0, CELL, idx(s, 1, 2), 4), 0)
    core.step_envs(s, waits(1, 2), 1)
    assert s.tiles[0, 1] == 0 and not s.alive[0, 1]


def test_an_enclave_cut_off_inside_another_player_is_captured():
    # Player 1's small piece at (2, 2) sits inside player 0's land; its main land is elsewhere, on the shore.
    rows = ["0000011", "0000011", "0010011", "0000011", "0000011", "......."]
    s = build_state(rows, troops=[1_000, 1_000], rules=V2)
    s.tick[0] = core.CLUSTER_TICKS - 1
    core.step_envs(s, waits(1, 2), 1)
    assert s.owner[0, 2, 2] == 0
    assert s.tiles[0, 1] == 10  # the main land is kept


def test_land_on_the_shore_is_never_captured():
    # Player 1's small piece at (2..3, 2..3) has player 0 on three sides and water below: its bottom tiles touch
    # only water and their own land (no border-list entry), yet they are border tiles to OpenFront, on the shore.
    rows = ["0000011", "0000011", "0011011", "0011011", "00~~011", "00~~011"]
    s = build_state(rows, troops=[1_000, 1_000], rules=V2)
    s.tick[0] = core.CLUSTER_TICKS - 1
    core.step_envs(s, waits(1, 2), 1)
    assert s.tiles[0, 1] == 16 and s.owner[0, 2, 2] == 1


def test_a_player_wholly_surrounded_by_one_neighbour_is_captured_but_not_one_touching_neutral_land():
    surrounded = ["00000", "01100", "01100", "00000", "....."]
    s = build_state(surrounded, troops=[1_000, 1_000], rules=V2)
    s.tick[0] = core.CLUSTER_TICKS - 1
    core.step_envs(s, waits(1, 2), 1)
    assert not s.alive[0, 1] and s.tiles[0, 0] == 20
    open_side = ["00000", "01100", "011..", "00000", "....."]
    s = build_state(open_side, troops=[1_000, 1_000], rules=V2)
    s.tick[0] = core.CLUSTER_TICKS - 1
    core.step_envs(s, waits(1, 2), 1)
    assert s.alive[0, 1] and s.tiles[0, 1] == 4


def test_direction_and_cell_masks_are_exact_under_v2():
    rows = ["0011....", "0011....", "........", "..^^...."]
    s = past_immunity(build_state(rows, troops=[50_000, 20_000], rules=V2))
    mask = np.zeros(45, np.int8)
    observe.direction_mask_one(s, 0, 0, mask)
    for a in range(40):
        trial = build_state(rows, troops=[50_000, 20_000], rules=V2)
        past_immunity(trial)
        before = trial.state_hash()
        core.step_envs(trial, act(trial, 0, core.MODE_DIRECTION, a // 5, a % 5), 0)
        assert (trial.state_hash() != before) == bool(mask[a]), a
