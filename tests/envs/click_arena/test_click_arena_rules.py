"""Rule tests on hand-built arenas: build the state, act for a frame or a few, assert the rule."""

from __future__ import annotations

import numpy as np
from click_arena_helpers import act, empty_state, put_alien, put_box, screen_of, step

from botarena.envs.click_arena import core


def test_a_click_inside_an_alien_locks_it():
    s = empty_state()
    put_alien(s, 0, 1200.0, 1000.0)  # medium: click radius 26
    sx, sy = screen_of(s, 1200.0 + 25.0, 1000.0)
    step(s, act(s, sx, sy, click=True))
    assert s.ship_lock_kind[0, 0] == core.LOCK_ALIEN and s.ship_lock_idx[0, 0] == 0
    assert s.ship_moving[0, 0] == 0  # locking does not fly the ship


def test_a_click_just_outside_an_alien_does_not_lock_it_and_flies_there():
    s = empty_state()
    put_alien(s, 0, 1200.0, 1000.0)
    sx, sy = screen_of(s, 1200.0 + 27.0, 1000.0)
    step(s, act(s, sx, sy, click=True))
    assert s.ship_lock_kind[0, 0] == core.LOCK_NONE
    assert s.ship_moving[0, 0] == 1 and abs(s.ship_tx[0, 0] - 1227.0) < 1e-3  # float32 action


def test_only_the_rising_edge_of_the_button_clicks():
    s = empty_state()
    put_alien(s, 0, 1200.0, 1000.0)
    far = screen_of(s, 900.0, 900.0)
    step(s, act(s, *far, click=True))  # press on empty space: fly
    on = screen_of(s, 1200.0, 1000.0)
    step(s, act(s, *on, click=True), frames=5)  # still held while moving onto the alien: no new click
    assert s.ship_lock_kind[0, 0] == core.LOCK_NONE
    step(s, act(s, *screen_of(s, 1200.0, 1000.0), click=False))
    step(s, act(s, *screen_of(s, 1200.0, 1000.0), click=True))
    assert s.ship_lock_kind[0, 0] == core.LOCK_ALIEN


def test_the_human_cursor_moves_at_a_bounded_speed_and_a_click_acts_where_it_is():
    s = empty_state(cursor="human")
    put_alien(s, 0, 1300.0, 1000.0)  # 300 px right of the screen centre, where the cursor starts
    sx, sy = screen_of(s, 1300.0, 1000.0)
    step(s, act(s, sx, sy, click=True))
    # one frame moves the cursor 3000 / 60 = 50 px: the click lands on empty space, not on the alien
    assert abs(s.ship_cursor_x[0, 0] - (core.VIEW_W / 2 + 50.0)) < 1e-6
    assert s.ship_lock_kind[0, 0] == core.LOCK_NONE
    t = empty_state(cursor="teleport")
    put_alien(t, 0, 1300.0, 1000.0)
    step(t, act(t, sx, sy, click=True))
    assert t.ship_lock_kind[0, 0] == core.LOCK_ALIEN


def _locked(x: float, kind: int = core.KIND_TANK) -> core.ArenaState:
    s = empty_state()
    put_alien(s, 0, x, 1000.0, kind)
    s.ship_lock_kind[0, 0] = core.LOCK_ALIEN
    s.ship_lock_idx[0, 0] = 0
    return s


def test_the_laser_hits_a_locked_alien_in_range_while_attack_is_held():
    s = _locked(1000.0 + core.LASER_RANGE - 1.0)
    hp = s.al_hp[0, 0]
    step(s, act(s, 400, 300, attack=True))
    assert s.al_hp[0, 0] == hp - core.LASER_DAMAGE
    assert s.step_damage[0, 0] == core.LASER_DAMAGE


def test_the_laser_does_not_fire_beyond_its_range_or_without_the_attack_key():
    s = _locked(1000.0 + core.LASER_RANGE + 40.0)  # the alien stays put: wander waypoint = its position
    hp = s.al_hp[0, 0]
    step(s, act(s, 400, 300, attack=True), frames=3)
    assert s.al_hp[0, 0] == hp
    t = _locked(1100.0)
    step(t, act(t, 400, 300, attack=False), frames=3)
    assert t.al_hp[0, 0] == hp


def test_the_laser_respects_its_cooldown():
    s = _locked(1100.0)
    hp = s.al_hp[0, 0]
    frames = int(round(core.LASER_COOLDOWN * core.FPS))
    step(s, act(s, 400, 300, attack=True), frames=frames)  # fires on frame 1 only
    assert s.al_hp[0, 0] == hp - core.LASER_DAMAGE
    step(s, act(s, 400, 300, attack=True), frames=1)  # a cooldown later: the second shot
    assert s.al_hp[0, 0] == hp - 2 * core.LASER_DAMAGE


def test_killing_an_alien_pays_its_credits_and_it_respawns():
    s = _locked(1100.0, core.KIND_FAST)
    s.al_hp[0, 0] = 100.0
    step(s, act(s, 400, 300, attack=True))
    assert s.al_alive[0, 0] == 0 and s.ship_kills[0, 0] == 1
    assert s.step_credits[0, 0] == core.ALIEN_CREDITS[core.KIND_FAST]
    assert s.ship_lock_kind[0, 0] == core.LOCK_NONE
    step(s, act(s, 400, 300), frames=int(core.ALIEN_RESPAWN_S * core.FPS) + 1)
    assert s.al_alive[0, 0] == 1
    assert np.hypot(s.al_x[0, 0] - 1000.0, s.al_y[0, 0] - 1000.0) >= core.SPAWN_CLEAR * 0.5


def test_shooting_a_passive_alien_makes_it_aggressive():
    s = _locked(1000.0 + 500.0)  # beyond the tank's aggro range (260)
    step(s, act(s, 400, 300))
    assert s.al_target[0, 0] == -1
    step(s, act(s, 400, 300, attack=True))
    assert s.al_target[0, 0] == 0


def test_shield_regenerates_only_out_of_combat():
    s = empty_state()
    s.ship_shield[0, 0] = 1000.0
    s.ship_since_combat[0, 0] = 0.0
    step(s, act(s, 400, 300), frames=int(core.OUT_OF_COMBAT_S * core.FPS) - 2)
    assert s.ship_shield[0, 0] == 1000.0
    step(s, act(s, 400, 300), frames=60)
    assert s.ship_shield[0, 0] > 1000.0 + 0.8 * core.SHIELD_REGEN * core.SHIP_SHIELD


def test_an_aggressive_alien_in_range_shoots_and_keeps_the_shield_down():
    s = empty_state()
    put_alien(s, 0, 1150.0, 1000.0, core.KIND_FAST)  # inside its aggro range
    s.ship_shield[0, 0] = 1000.0
    step(s, act(s, 400, 300), frames=10 * core.FPS)
    assert s.al_target[0, 0] == 0
    assert s.ship_shield[0, 0] < 1000.0  # hit every second, never out of combat long enough to regenerate


def test_the_shield_absorbs_its_share_of_damage():
    s = empty_state()
    core.damage_ship(s, 0, 0, 1000.0)
    assert s.ship_shield[0, 0] == core.SHIP_SHIELD - 1000.0 * core.SHIELD_ABSORB
    assert s.ship_hull[0, 0] == core.SHIP_HULL - 1000.0 * (1 - core.SHIELD_ABSORB)


def test_a_clicked_box_is_collected_on_arrival():
    s = empty_state()
    put_box(s, 0, 1100.0, 1000.0, core.BOX_CREDITS)
    step(s, act(s, *screen_of(s, 1100.0, 1000.0), click=True))
    assert s.ship_collect[0, 0] == 0 and s.ship_moving[0, 0] == 1
    frames = int((100.0 - core.COLLECT_DIST) / core.SHIP_SPEED * core.FPS) - 2
    step(s, act(s, 400, 300), frames=frames)
    assert s.box_alive[0, 0] == 1  # not there yet
    step(s, act(s, 400, 300), frames=4)
    assert s.box_alive[0, 0] == 0 and s.ship_credits[0, 0] == core.BOX_CREDITS_VALUE


def test_flying_over_a_box_without_clicking_it_does_not_collect_it():
    s = empty_state()
    put_box(s, 0, 1100.0, 1000.0)
    step(s, act(s, *screen_of(s, 1200.0, 1000.0), click=True))
    step(s, act(s, 400, 300), frames=60)
    assert s.box_alive[0, 0] == 1 and s.ship_credits[0, 0] == 0.0


def test_a_repair_box_restores_hull():
    s = empty_state()
    s.ship_hull[0, 0] = 1000.0
    s.ship_since_combat[0, 0] = 0.0
    put_box(s, 0, 1010.0, 1000.0, core.BOX_REPAIR)
    step(s, act(s, *screen_of(s, 1010.0, 1000.0), click=True))
    assert s.ship_hull[0, 0] == 1000.0 + core.BOX_REPAIR_VALUE * core.SHIP_HULL


def test_death_ends_the_ship():
    s = empty_state()
    s.ship_shield[0, 0] = 0.0
    s.ship_hull[0, 0] = 50.0
    put_alien(s, 0, 1150.0, 1000.0, core.KIND_TANK)
    step(s, act(s, 400, 300))
    assert s.ship_alive[0, 0] == 0 and s.step_died[0, 0] == 1 and s.ship_hull[0, 0] == 0.0


def test_ships_can_lock_and_shoot_each_other():
    s = empty_state(num_ships=2)
    s.ship_x[0, 1], s.ship_y[0, 1] = 1200.0, 1000.0
    s.ship_tx[0, 1], s.ship_ty[0, 1] = 1200.0, 1000.0
    step(s, act(s, *screen_of(s, 1200.0, 1000.0), click=True))
    assert s.ship_lock_kind[0, 0] == core.LOCK_SHIP and s.ship_lock_idx[0, 0] == 1
    step(s, act(s, 400, 300, attack=True))
    assert s.ship_shield[0, 1] < core.SHIP_SHIELD and s.step_damage[0, 0] == core.LASER_DAMAGE
