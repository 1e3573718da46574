"""Rule and UI tests on hand-built duels: build the state, make the tick's events, step once, assert the rule."""

from __future__ import annotations

import numpy as np
from tick_duel_helpers import centre, click, ev, fresh, key, place, tick, wear

from botarena.envs.tick_duel import core

WHIP_SET = core.SET_MELEE


def _melee_duel(seed: int) -> core.DuelState:
    """Player 1 in melee gear next to player 0, attacking it with a ready timer; player 0 passive."""
    s = fresh(seed=seed)
    place(s, 0, 2, 2)
    place(s, 1, 3, 2)
    wear(s, 1, WHIP_SET)
    s.target[0, 1] = 1
    return s


def _hit_with_and_without_prayer(seed: int) -> tuple[int, int, core.DuelState, core.DuelState]:
    in_time = _melee_duel(seed)
    late = in_time.copy()
    # In time: F4 (prayer tab) at 500 ms, protect from melee at 590 ms, before the boundary.
    tick(in_time, p0=[key(500, core.TAB_PRAYER), click(590, core.prayer_rect(core.protect_cell(core.MELEE)))])
    # Late: nothing this tick; the same clicks land at the start of the next tick.
    tick(late)
    taken_late = int(late.taken[0, 0])
    tick(late, p0=[key(5, core.TAB_PRAYER), click(20, core.prayer_rect(core.protect_cell(core.MELEE)))])
    return int(in_time.taken[0, 0]), taken_late, in_time, late


def test_a_protection_prayer_clicked_before_the_boundary_blocks_that_ticks_hit():
    checked = 0
    for seed in range(40):
        blocked, unblocked, in_time, late = _hit_with_and_without_prayer(seed)
        assert in_time.protect[0, 0] == core.MELEE
        # The same random draws: the prayed hit is the unprayed one cut by 40 %.
        assert blocked == int(np.floor(unblocked * core.PROTECT_FACTOR))
        assert late.protect[0, 0] == core.MELEE  # the late click did switch it on, one tick too late
        if unblocked >= 10:
            assert blocked < unblocked
            checked += 1
    assert checked >= 5


def test_a_protection_prayer_clicked_after_the_boundary_does_not_block_the_hit():
    for seed in range(10):
        s = _melee_duel(seed)
        ref = s.copy()
        tick(ref)
        tick(s, p0=[key(5, core.TAB_PRAYER)])  # the tab opens, but the prayer is clicked only next tick
        assert s.taken[0, 0] == ref.taken[0, 0]
        assert s.protect[0, 0] == -1


def test_eating_a_shark_heals_at_the_boundary_and_delays_the_next_attack_three_ticks():
    s = fresh()
    place(s, 0, 2, 2)
    place(s, 1, 3, 2)
    wear(s, 0, WHIP_SET)
    s.target[0, 0] = 1
    s.hp[0, 0] = 50
    shark = int(np.flatnonzero(s.inventory[0, 0] == core.ITEM_SHARK)[0])
    tick(s, p0=[click(100, core.inventory_slot_rect(shark))])
    assert s.hp[0, 0] >= 50 + 20 - s.taken[0, 0]  # healed 20 before any hit
    assert s.inventory[0, 0, shark] == core.ITEM_EMPTY
    assert s.last_style[0, 0] == -1  # the ready attack was pushed back
    attacks = []
    for t in range(1, 6):
        tick(s)
        if s.last_style[0, 0] >= 0:
            attacks.append(t)
    assert attacks[0] == core.FOOD_ATTACK_DELAY


def test_a_second_shark_in_the_same_tick_is_refused_but_a_karambwan_is_combo_eaten():
    s = fresh()
    s.hp[0, 0] = 30
    sharks = np.flatnonzero(s.inventory[0, 0] == core.ITEM_SHARK)
    karambwan = int(np.flatnonzero(s.inventory[0, 0] == core.ITEM_KARAMBWAN)[0])
    tick(s, p0=[click(50, core.inventory_slot_rect(int(sharks[0]))),
                click(150, core.inventory_slot_rect(int(sharks[1]))), click(250, core.inventory_slot_rect(karambwan))])
    assert s.hp[0, 0] == 30 + 20 + 18
    assert s.inventory[0, 0, sharks[1]] == core.ITEM_SHARK
    assert s.inventory[0, 0, karambwan] == core.ITEM_EMPTY
    # The shark delay lasts EAT_DELAY ticks: the second shark works again after it.
    for _ in range(core.EAT_DELAY - 1):
        tick(s, p0=[click(50, core.inventory_slot_rect(int(sharks[1])))])
        assert s.inventory[0, 0, sharks[1]] == core.ITEM_SHARK
    tick(s, p0=[click(50, core.inventory_slot_rect(int(sharks[1])))])
    assert s.inventory[0, 0, sharks[1]] == core.ITEM_EMPTY


def _frozen_duel() -> core.DuelState:
    """Player 0 casts ice barrage on player 1 through the spellbook; the first seed where it lands."""
    for seed in range(100):
        s = fresh(seed=seed)
        opp = core.tile_rect(int(s.pos_x[0, 1]), int(s.pos_y[0, 1]))
        tick(s, p0=[key(10, core.TAB_MAGIC), click(100, core.spell_rect(core.SPELL_ICE_BARRAGE)), click(300, opp)])
        if s.frozen[0, 1] > 0:
            return s
    raise AssertionError("ice barrage never landed in 100 seeds")


def test_ice_barrage_freezes_for_32_ticks_then_5_ticks_of_immunity():
    s = _frozen_duel()
    assert s.frozen[0, 1] == core.FREEZE_TICKS
    s.target[0, 0] = 0  # player 0 stops attacking
    start = (int(s.pos_x[0, 1]), int(s.pos_y[0, 1]))
    walk = click(10, core.tile_rect(9, 5))
    for _ in range(core.FREEZE_TICKS):
        tick(s, p1=[walk])
        assert (int(s.pos_x[0, 1]), int(s.pos_y[0, 1])) == start
    assert s.frozen[0, 1] == 0 and s.freeze_immune[0, 1] == core.FREEZE_IMMUNITY_TICKS
    tick(s, p1=[walk])
    assert (int(s.pos_x[0, 1]), int(s.pos_y[0, 1])) != start


def test_a_frozen_player_is_not_frozen_again_while_immune():
    s = _frozen_duel()
    s.frozen[0, 1] = 0
    s.freeze_immune[0, 1] = core.FREEZE_IMMUNITY_TICKS
    s.attack_timer[0, 0] = 0
    opp = core.tile_rect(int(s.pos_x[0, 1]), int(s.pos_y[0, 1]))
    for _ in range(3):
        tick(s, p0=[key(10, core.TAB_MAGIC), click(100, core.spell_rect(core.SPELL_ICE_BARRAGE)), click(300, opp)])
        s.attack_timer[0, 0] = 0
        assert s.frozen[0, 1] == 0


def test_a_gear_switch_of_several_clicks_in_one_tick_is_worn_together_at_the_boundary():
    s = fresh()
    s.target[0, 0] = 1
    ranged = core.GEAR_SETS[core.BUILD_MAX, core.SET_RANGED]
    slots = [int(np.flatnonzero(s.inventory[0, 0] == item)[0]) for item in ranged]
    tick(s, p0=[click(60 + 120 * k, core.inventory_slot_rect(slot)) for k, slot in enumerate(slots)])
    assert list(s.equipment[0, 0]) == list(ranged)
    # The worn magic items took the clicked slots, and the attack at this boundary was a ranged one.
    assert sorted(s.inventory[0, 0, slots]) == sorted(core.START_EQUIPMENT[core.BUILD_MAX])
    assert s.last_style[0, 0] == core.RANGED


def test_attack_cooldowns_follow_the_weapon_speed():
    for kind, speed in ((core.SET_MELEE, 4), (core.SET_RANGED, 5), (core.SET_MAGIC, core.SPELL_SPEED)):
        s = fresh()
        place(s, 0, 2, 2)
        place(s, 1, 3, 2)
        wear(s, 0, kind)
        s.target[0, 0] = 1
        s.hp[0, 1] = 10_000  # nobody dies
        s.stats[0, 1, core.S_HP] = 10_000
        ticks = []
        for t in range(20):
            tick(s)
            if s.last_style[0, 0] >= 0:
                ticks.append(t)
        assert np.all(np.diff(ticks) == speed), (kind, ticks)


def test_melee_needs_an_orthogonally_adjacent_tile_and_the_attacker_walks_there():
    s = fresh()
    place(s, 0, 2, 2)
    place(s, 1, 3, 3)  # diagonal
    wear(s, 0, core.SET_MELEE)
    s.frozen[0, 0] = 5
    s.target[0, 0] = 1
    tick(s)
    assert s.last_style[0, 0] == -1  # frozen on a diagonal: no melee
    s.frozen[0, 0] = 0
    tick(s)
    assert abs(s.pos_x[0, 0] - 3) + abs(s.pos_y[0, 0] - 3) == 1


def test_the_same_click_does_different_things_with_different_tabs_open():
    x, y = centre(core.inventory_slot_rect(0))
    # Inventory slot 0 and prayer cell 0 (protect from magic) overlap on screen.
    assert core.prayer_rect(0)[0] <= x < core.prayer_rect(0)[0] + core.PRAY_CELL
    inv = fresh()
    tick(inv, p0=[ev(100, core.EV_LEFT_CLICK, x, y, 1)])
    assert inv.equipment[0, 0, core.SLOT_WEAPON] == core.GEAR_SETS[core.BUILD_MAX, core.SET_RANGED, 0]
    assert inv.protect[0, 0] == -1
    pray = fresh()
    tick(pray, p0=[key(50, core.TAB_PRAYER), ev(100, core.EV_LEFT_CLICK, x, y, 1)])
    assert pray.protect[0, 0] == core.MAGIC
    assert pray.equipment[0, 0, core.SLOT_WEAPON] == core.START_EQUIPMENT[core.BUILD_MAX, 0]
    magic = fresh()
    tick(magic, p0=[key(50, core.TAB_MAGIC), ev(100, core.EV_LEFT_CLICK, x, y, 1)])
    assert magic.selected_spell[0, 0] == core.SPELL_ICE_BARRAGE


def test_events_given_out_of_order_act_in_time_order():
    x, y = centre(core.prayer_rect(core.protect_cell(core.MELEE)))
    # Listed click first, but the F-key is earlier: the click hits the prayer book.
    s = fresh()
    tick(s, p0=[ev(300, core.EV_LEFT_CLICK, x, y, 1), key(100, core.TAB_PRAYER)])
    assert s.protect[0, 0] == core.MELEE
    # Same rows with the times swapped: the click lands on the inventory first.
    s = fresh()
    tick(s, p0=[ev(100, core.EV_LEFT_CLICK, x, y, 1), key(300, core.TAB_PRAYER)])
    assert s.protect[0, 0] == -1
    assert s.open_tab[0, 0] == core.TAB_PRAYER


def test_events_with_equal_times_keep_their_order():
    x, y = centre(core.prayer_rect(0))
    s = fresh()
    tick(s, p0=[key(200, core.TAB_PRAYER), ev(200, core.EV_LEFT_CLICK, x, y, 1)])
    assert s.protect[0, 0] == core.MAGIC


def test_a_selected_spell_casts_on_the_opponent_and_a_right_click_cancels_it():
    cast = cancelled = 0
    for seed in range(20):
        s = fresh(seed=seed)
        opp = core.tile_rect(int(s.pos_x[0, 1]), int(s.pos_y[0, 1]))
        spell = [key(10, core.TAB_MAGIC), click(100, core.spell_rect(core.SPELL_ICE_BARRAGE))]
        r = s.copy()
        tick(s, p0=[*spell, click(300, opp)])
        cast += s.frozen[0, 1] > 0
        # Cancelled by a right click: the staff autocasts blood barrage, which never freezes.
        tick(r, p0=[*spell, ev(200, core.EV_RIGHT_CLICK, 5, 5, 2), click(300, opp)])
        assert r.last_style[0, 0] == core.MAGIC and r.frozen[0, 1] == 0
        cancelled += 1
    assert cast > 0 and cancelled == 20


def test_a_click_on_a_tile_walks_two_tiles_a_tick_and_stops_attacking():
    s = fresh()
    s.target[0, 0] = 1
    tick(s, p0=[click(100, core.tile_rect(6, 2))])
    assert s.target[0, 0] == 0
    assert (s.pos_x[0, 0], s.pos_y[0, 0]) == (4, 2)
    tick(s)
    assert (s.pos_x[0, 0], s.pos_y[0, 0]) == (6, 2)
    assert s.dest_x[0, 0] == -1


def test_the_special_attack_spends_energy_and_a_weapon_switch_disarms_it():
    s = fresh()
    place(s, 0, 2, 2)
    place(s, 1, 3, 2)
    wear(s, 0, core.SET_SPEC)
    tick(s, p0=[click(100, core.SPEC_ORB)])
    assert s.spec_armed[0, 0] == 1
    whip = int(np.flatnonzero(s.inventory[0, 0] == core.ITEM_NAMES.index("abyssal whip"))[0])
    tick(s, p0=[click(100, core.inventory_slot_rect(whip))])
    assert s.spec_armed[0, 0] == 0
    tick(s, p0=[click(100, core.inventory_slot_rect(whip)), click(200, core.SPEC_ORB),
                click(300, core.tile_rect(3, 2))])
    assert s.spec[0, 0] == core.SPEC_MAX - core.ITEM_SPEC_COST[core.ITEM_NAMES.index("voidwaker")]
    assert s.spec_armed[0, 0] == 0


def test_prayer_drains_and_every_prayer_switches_off_at_zero():
    s = fresh()
    s.prayer[0, 0] = 2
    tick(s, p0=[key(10, core.TAB_PRAYER), click(100, core.prayer_rect(2)), click(200, core.prayer_rect(3))])
    assert s.protect[0, 0] == core.MELEE and s.boost[0, 0] == core.MELEE
    for _ in range(20):
        tick(s)
    assert s.prayer[0, 0] == 0 and s.protect[0, 0] == -1 and s.boost[0, 0] == -1
    tick(s, p0=[click(100, core.prayer_rect(2))])
    assert s.protect[0, 0] == -1


def test_both_players_dying_in_one_tick_is_a_draw():
    for seed in range(200):
        s = fresh(seed=seed)
        place(s, 0, 2, 2)
        place(s, 1, 3, 2)
        wear(s, 0, core.SET_MELEE)
        wear(s, 1, core.SET_MELEE)
        s.target[0, :] = 1
        s.hp[0, :] = 1
        tick(s)
        if s.taken[0, 0] and s.taken[0, 1]:
            assert s.done[0] == 1 and s.winner[0] == 2
            return
    raise AssertionError("no double kill in 200 seeds")


def test_a_kill_ends_the_duel_and_names_the_winner():
    for seed in range(50):
        s = fresh(seed=seed)
        place(s, 0, 2, 2)
        place(s, 1, 3, 2)
        wear(s, 0, core.SET_MELEE)
        s.target[0, 0] = 1
        s.hp[0, 1] = 1
        tick(s)
        if s.hp[0, 1] == 0:
            assert s.done[0] == 1 and s.winner[0] == 0 and s.tick[0] == 1
            return
    raise AssertionError("no kill in 50 seeds")


def test_hit_chance_matches_the_osrs_formula():
    assert core.hit_chance(100.0, 50.0) == 1.0 - 52.0 / 202.0
    assert core.hit_chance(50.0, 100.0) == 50.0 / 202.0


def test_player_one_sees_the_arena_turned_so_both_start_on_the_left():
    s = fresh()
    # Seat 1 stands at world (7, 3): on its own screen that is tile (2, 2), where seat 0 sees itself.
    assert (core.view_x(1, 7), core.view_y(1, 3)) == (2, 2)
    opp_on_screen = core.tile_rect(core.view_x(1, int(s.pos_x[0, 0])), core.view_y(1, int(s.pos_y[0, 0])))
    tick(s, p1=[click(100, opp_on_screen)])
    assert s.target[0, 1] == 1
    # The unturned spot of seat 0 is, on seat 1's screen, its own tile: a walk that goes nowhere.
    world = core.tile_rect(int(s.pos_x[0, 0]), int(s.pos_y[0, 0]))
    s2 = fresh()
    tick(s2, p1=[click(100, world)])
    assert s2.target[0, 1] == 0 and (s2.pos_x[0, 1], s2.pos_y[0, 1]) == (7, 3)
