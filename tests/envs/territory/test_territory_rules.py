"""Rule tests on hand-built Territory states: each test builds a map, steps once, and checks one rule."""

from __future__ import annotations

import numpy as np
import pytest
from territory_helpers import build_state, waits

from botarena.envs.territory import core

CELL = core.MODE_CELL


def act(s, player, mode, code, intensity):
    actions = waits(1, s.num_players)
    actions[0, player] = (mode, code, intensity)
    return actions


def idx(s, y, x):
    return y * s.width + x


# --- growth --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("troops,cap", [(0, 200_000), (25_000, 154_000), (1_000_000, 3_000_000)])
def test_troops_grow_by_openfront_rate(troops, cap):
    rate = (10 + troops**0.73 / 4) * (1 - troops / cap)
    assert core.troop_growth(troops, cap, 0) == troops + int(rate)


def test_troop_cap_is_openfront_max_on_scaled_tiles():
    assert core.max_troops(100, 0, 1.0) == int(2 * (100**0.6 * 1000 + 50000))
    # tile_scale makes one tile count as that many OpenFront tiles.
    assert core.max_troops(100, 0, 20.0) == int(2 * (2000**0.6 * 1000 + 50000))
    assert core.max_troops(0, 0, 1.0) == 0


def test_growth_stops_at_the_cap_and_shrinks_above_it():
    cap = 100_000
    assert all(core.troop_growth(t, cap, 3) <= cap for t in range(cap - 2_000, cap + 1, 7))
    assert core.troop_growth(cap, cap, 0) == cap
    assert core.troop_growth(cap + 50_000, cap, 0) < cap + 50_000


def test_cities_raise_the_cap_and_the_growth():
    assert core.max_troops(100, 2, 1.0) == core.max_troops(100, 0, 1.0) + 2 * core.CITY_MAX_TROOPS
    troops, cap = 10_000, 1_000_000
    rate = (10 + troops**0.73 / 4) * (1 - troops / cap)
    assert core.troop_growth(troops, cap, 2) == troops + int(rate * (1 + 2 * core.CITY_GROWTH_BONUS))
    assert core.troop_growth(troops, cap, 2) > core.troop_growth(troops, cap, 0)


def test_every_alive_player_grows_once_per_tick():
    s = build_state(["00..", "....", "..1B"], troops=[5_000, 7_000])
    caps = [core.max_troops(s.tiles[0, p], s.cities[0, p], 1.0) for p in range(2)]
    assert s.cities[0, 1] == 1
    core.step_envs(s, waits(1, 2), 1)
    assert s.troops[0, 0] == core.troop_growth(5_000, caps[0], 0)
    assert s.troops[0, 1] == core.troop_growth(7_000, caps[1], 1)
    assert s.tick[0] == 1


# --- conquest --------------------------------------------------------------------------------------------
def test_conquest_only_takes_tiles_adjacent_to_own_land():
    s = build_state(["00........", "00........", "..........", "..........", ".........1"], troops=[200_000, 10])
    core.step_envs(s, act(s, 0, CELL, idx(s, 0, 2), 4), 0)
    for _ in range(6):
        before = s.owner[0].copy()
        core.step_envs(s, waits(1, 2), 1)
        gained = np.argwhere((s.owner[0] == 0) & (before != 0))
        assert len(gained) > 0
        for y, x in gained:
            neighbours = [before[yy, xx] for yy, xx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1))
                          if 0 <= yy < s.height and 0 <= xx < s.width]
            assert 0 in neighbours, f"tile {(y, x)} was taken without touching player 0's land"


def test_attack_takes_the_tiles_nearest_its_direction_first():
    rows = ["..........", "..........", "....00....", "....00....", "..........", "..........", ".........1"]
    s = build_state(rows, troops=[1_000_000, 10])
    before = s.owner[0].copy()
    east = 2
    core.step_envs(s, act(s, 0, core.MODE_DIRECTION, east, 4), 1)
    new = {(int(y), int(x)) for y, x in np.argwhere((s.owner[0] == 0) & (before != 0))}
    # Centroid (2, 4); the focus lies far east on row 2, so the east column of the block's front goes first.
    assert {(2, 6), (3, 6)} <= new
    assert all(x >= 4 for _, x in new), f"an eastward attack took {sorted(new)}"
    # Exactly the k nearest candidates to the focus were taken (k = 1 + candidates // 4 on neutral land).
    fy, fx = 2, 4 + (s.height + s.width)
    cands = [(y, x) for y in range(s.height) for x in range(s.width)
             if before[y, x] == core.NEUTRAL and any(
                 0 <= yy < s.height and 0 <= xx < s.width and before[yy, xx] == 0
                 for yy, xx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)))]
    k = core.front_size(len(cands), core.NEUTRAL, 750_000, 0)
    nearest = sorted(cands, key=lambda t: ((t[0] - fy) ** 2 + (t[1] - fx) ** 2, t[0] * s.width + t[1]))[:k]
    assert new == set(nearest)


def frontier(s, owner_map, p):
    h, w = owner_map.shape
    return [(y, x) for y in range(h) for x in range(w)
            if owner_map[y, x] not in (p, core.IMPASSABLE) and any(
                0 <= yy < h and 0 <= xx < w and owner_map[yy, xx] == p
                for yy, xx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)))]


def front_key(s, tile, fy, fx):
    """The conquest priority ``core.front_key`` gives ``tile`` (y, x) for an attack of player 0 with focus (fy, fx)."""
    y, x = tile
    owned = core.owned_around(s.owner[0], y, x, 0)
    return core.front_key(y, x, y * s.width + x, owned, np.int64(fy), np.int64(fx), s.height, s.width)


def test_an_attack_fills_a_pocket_before_it_pushes_toward_its_focus():
    # A hole at (2, 2), five columns behind the block's east edge: by distance alone an eastward front would
    # leave it, but a tile the attacker surrounds goes first (OpenFront's numOwnedByMe), so borders stay whole.
    rows = ["..........", ".000000...", ".0.0000...", ".000000...", "..........", "..........", ".........1"]
    s = build_state(rows, troops=[1_000_000, 10])
    before = s.owner[0].copy()
    east = 2
    cy, cx = s.sum_y[0, 0] // s.tiles[0, 0], s.sum_x[0, 0] // s.tiles[0, 0]  # the centroid, as the rules floor it
    fy, fx = cy, cx + s.height + s.width
    cands = frontier(s, before, 0)
    keys = {t: front_key(s, t, fy, fx) for t in cands}
    core.step_envs(s, act(s, 0, core.MODE_DIRECTION, east, 4), 1)
    new = {(int(y), int(x)) for y, x in np.argwhere((s.owner[0] == 0) & (before != 0))}
    k = core.front_size(len(cands), core.NEUTRAL, 750_000, 0)
    assert new == set(sorted(cands, key=keys.get)[:k])
    assert (2, 2) in new
    by_distance = sorted(cands, key=lambda t: (t[0] - fy) ** 2 + (t[1] - fx) ** 2)[:k]
    assert (2, 2) not in by_distance
    assert {(1, 7), (2, 7), (3, 7)} <= new  # and the front still moves east


def test_a_clicked_cell_is_taken_first_then_the_tiles_around_it():
    rows = ["..........", "..000.....", "..000.....", "..000.....", "..........", ".........1"]
    s = build_state(rows, troops=[1_000_000, 10])
    before = s.owner[0].copy()
    cell = (2, 5)
    cands = frontier(s, before, 0)
    keys = {t: front_key(s, t, *cell) for t in cands}
    assert min(cands, key=keys.get) == cell
    core.step_envs(s, act(s, 0, CELL, idx(s, *cell), 4), 1)
    new = {(int(y), int(x)) for y, x in np.argwhere((s.owner[0] == 0) & (before != 0))}
    k = core.front_size(len(cands), core.NEUTRAL, 750_000, 0)
    assert cell in new and new == set(sorted(cands, key=keys.get)[:k])


@pytest.mark.parametrize("char,terrain", [(".", core.PLAINS), ("h", core.HILLS), ("c", core.CITY)])
def test_neutral_tile_costs_its_terrain_cost(char, terrain):
    s = build_state(["0" + char + "~1"], troops=[1_000, 10])
    core.step_envs(s, act(s, 0, CELL, idx(s, 0, 1), 0), 1)
    assert s.owner[0, 0, 1] == 0
    expected_cost = int(core.TERRAIN_MAG[terrain] / 5)  # OpenFront terra-nullius loss mag / 5 at scale 1
    assert s.att_troops[0, 0].sum() == 150 - expected_cost
    assert core.neutral_tile_cost(core.HILLS, 1.0) > core.neutral_tile_cost(core.PLAINS, 1.0)


def test_enemy_tile_cost_grows_with_defender_troop_density():
    sparse = core.enemy_tile_cost(core.PLAINS, 1.0, 10_000, 10_000, 100)
    dense = core.enemy_tile_cost(core.PLAINS, 1.0, 10_000, 10_000, 10)
    assert dense > sparse
    assert core.enemy_tile_cost(core.PLAINS, 1.0, 10_000, 10_000, 10) > core.neutral_tile_cost(core.PLAINS, 1.0)


def test_conquering_enemy_land_pays_the_cost_and_costs_the_defender_its_density():
    s = build_state(["00011111"], troops=[100_000, 5_000])
    core.step_envs(s, act(s, 0, CELL, idx(s, 0, 3), 4), 0)
    commit = 75_000
    slot = int(np.argmax(s.att_target[0, 0] == 1))
    assert s.att_troops[0, 0, slot] == commit
    cost = core.enemy_tile_cost(core.PLAINS, 1.0, commit, 5_000, 5)
    core.step_envs(s, waits(1, 2), 1)
    assert s.owner[0, 0, 3] == 0
    assert s.att_troops[0, 0, slot] == commit - cost
    cap1 = core.max_troops(4, 0, 1.0)
    assert s.troops[0, 1] == core.troop_growth(5_000 - 5_000 // 5, cap1, 0)


def test_attack_that_cannot_pay_for_its_next_tile_ends_and_returns_its_troops():
    s = build_state(["0hhhh~1111"], troops=[1_000, 10])
    # 150 troops: hills cost 20 each, only one candidate per tick; after 4 tiles, no candidate remains.
    core.step_envs(s, act(s, 0, CELL, idx(s, 0, 1), 0), 0)
    home = s.troops[0, 0]
    core.step_envs(s, waits(1, 2), 5)
    assert (s.att_target[0, 0] == core.NO_ATTACK).all()
    assert s.tiles[0, 0] == 5
    # 150 - 4 * 20 = 70 troops came home; the rest of the difference is growth.
    grown = home
    for _tiles, back in ((2, 0), (3, 0), (4, 0), (5, 0), (5, 70)):
        grown = core.troop_growth(grown + back, core.max_troops(_tiles, 0, 1.0), 0)
    assert s.troops[0, 0] == grown


def test_opposing_attacks_between_two_players_cancel_troops_first():
    s = build_state(["0011"], troops=[2_000, 1_000])
    s.att_target[0, 1, 0] = 0
    s.att_troops[0, 1, 0] = 500
    s.att_fy[0, 1, 0], s.att_fx[0, 1, 0] = 0, 1
    core.step_envs(s, act(s, 0, CELL, idx(s, 0, 2), 0), 0)  # commits 15 % of 2,000 = 300
    assert s.troops[0, 0] == 1_700
    assert s.att_troops[0, 1, 0] == 200
    assert (s.att_target[0, 0] == core.NO_ATTACK).all(), "a fully cancelled launch leaves no attack"
    core.step_envs(s, act(s, 0, CELL, idx(s, 0, 2), 1), 0)  # 30 % of 1,700 = 510 > 200
    assert (s.att_target[0, 1] == core.NO_ATTACK).all()
    slot = int(np.argmax(s.att_target[0, 0] == 1))
    assert s.att_troops[0, 0, slot] == 310


def test_a_second_launch_at_the_same_target_merges_into_the_running_attack():
    s = build_state(["0....", "....1"], troops=[10_000, 10])
    core.step_envs(s, act(s, 0, CELL, idx(s, 0, 1), 0), 0)
    core.step_envs(s, act(s, 0, CELL, idx(s, 1, 0), 0), 0)
    assert (s.att_target[0, 0] == core.NEUTRAL).sum() == 1
    assert s.att_troops[0, 0].sum() == 1_500 + 1_275


def test_player_with_no_tiles_is_eliminated_and_the_last_player_wins():
    s = build_state(["0001"], troops=[100_000, 50])
    core.step_envs(s, act(s, 0, CELL, idx(s, 0, 3), 4), 1)
    assert s.alive[0, 1] == 0 and s.tiles[0, 1] == 0 and s.troops[0, 1] == 0
    assert s.elim_tick[0, 1] == 0
    assert s.done[0] == 1 and s.winner[0] == 0


def test_eliminated_player_loses_its_running_attacks():
    s = build_state(["0001", "2..."], num_players=3, troops=[100_000, 50, 10_000])
    s.att_target[0, 1, 0] = 2
    s.att_troops[0, 1, 0] = 40
    core.step_envs(s, act(s, 0, CELL, idx(s, 0, 3), 4), 1)
    assert s.alive[0, 1] == 0
    assert (s.att_target[0, 1] == core.NO_ATTACK).all() and s.att_troops[0, 1].sum() == 0
    assert s.done[0] == 0, "two players are still alive"


def test_game_ends_when_one_player_holds_80_percent_of_the_land():
    s = build_state(["0000000..~1"], troops=[10_000, 10])
    assert s.land[0] == 10
    core.step_envs(s, waits(1, 2), 1)
    assert s.done[0] == 0
    core.step_envs(s, act(s, 0, CELL, idx(s, 0, 7), 0), 1)
    assert s.tiles[0, 0] == 8
    assert s.done[0] == 1 and s.winner[0] == 0
    assert s.alive[0].sum() == 2


def test_finished_games_do_not_step():
    s = build_state(["0001"], troops=[100_000, 50])
    core.step_envs(s, act(s, 0, CELL, idx(s, 0, 3), 4), 1)
    snapshot = s.state_hash()
    core.step_envs(s, waits(1, 2), 3)
    assert s.state_hash() == snapshot


# --- invalid actions --------------------------------------------------------------------------------------
@pytest.mark.parametrize("action", [
    (CELL, 0, 0),                # own tile
    (CELL, 5, 0),                # water
    (CELL, 3, 0),                # not adjacent to own land
    (CELL, 10_000, 0),           # out of range
    (CELL, 1, 7),                # bad intensity
    (core.MODE_DIRECTION, 8, 4),  # WAIT
    (7, 1, 0),                   # unknown mode
])
def test_invalid_actions_are_no_ops(action):
    s = build_state(["0..1.~"], troops=[1_000, 1_000])
    waited = build_state(["0..1.~"], troops=[1_000, 1_000])
    actions = waits(1, 2)
    actions[0, 0] = action
    core.step_envs(s, actions, 2)
    core.step_envs(waited, waits(1, 2), 2)
    assert s.state_hash() == waited.state_hash()


def test_placements_rank_alive_by_tiles_then_the_eliminated_by_how_late_they_fell():
    s = build_state(["000.11.2.3"], num_players=4, troops=[10, 10, 10, 10])
    s.alive[0, 3] = 0
    s.tiles[0, 3] = 0
    s.elim_tick[0, 3] = 5
    s.alive[0, 2] = 0
    s.tiles[0, 2] = 0
    s.elim_tick[0, 2] = 9
    out = np.zeros(4, np.int64)
    core.placements(s, 0, out)
    assert out.tolist() == [1, 2, 3, 4]


def test_every_tile_taken_within_a_decision_touched_the_attackers_land_at_that_tick():
    # Four ticks per decision: ticks after the first use the attack's cached candidates, which must still
    # only ever hold tiles beside the attacker's land. conq_tick replays the order of conquest.
    rows = ["............", "....0.......", "............", "hhh.....hh..", "......1.....", "............"]
    s = build_state(rows, troops=[300_000, 300_000])
    start = s.owner[0].copy()
    core.step_envs(s, act(s, 0, CELL, idx(s, 1, 5), 4), 0)
    core.step_envs(s, act(s, 1, CELL, idx(s, 4, 7), 4), 0)
    for _ in range(3):
        before_step = s.owner[0].copy()
        tick0 = int(s.tick[0])
        core.step_envs(s, waits(1, 2), 4)
        for player in (0, 1):
            owned = before_step == player
            for t in range(tick0, int(s.tick[0])):
                taken = np.argwhere((s.owner[0] == player) & (s.conq_tick[0] == t) & (before_step != player))
                for y, x in taken:
                    near = [owned[yy, xx] for yy, xx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1))
                            if 0 <= yy < s.height and 0 <= xx < s.width]
                    assert any(near), f"player {player} took {(y, x)} at tick {t} without touching its land"
                owned = owned | ((s.owner[0] == player) & (s.conq_tick[0] == t))
    assert (s.owner[0] == 0).sum() > (start == 0).sum() + 10
