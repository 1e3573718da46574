"""Frames show the client: the right colours at known places."""

from __future__ import annotations

import numpy as np
from tick_duel_helpers import click, fresh, key, place, tick

from botarena.envs.tick_duel import core, render


def _at(frame: np.ndarray, x: float, y: float) -> tuple:
    return tuple(int(v) for v in frame[int(y), int(x)])


def test_frames_show_players_tabs_prayers_hitsplats_and_the_event_trail():
    s = fresh()
    place(s, 0, 2, 2)
    place(s, 1, 6, 4)
    s.protect[0, 1] = core.MELEE
    s.hitsplat[0, 1] = 12
    s.frozen[0, 1] = 10
    events = np.zeros((4, 7), np.float32)
    events[0] = (100.0, core.EV_LEFT_CLICK, 300.0, 100.0, 1, 0, 0)
    frame = render.render_rgb(s, 0, 0, events, 1)
    assert frame.shape == (503, 765, 3) and frame.dtype == np.uint8
    x, y, w, h = core.tile_rect(2, 2)
    assert _at(frame, x + w / 2 + 12, y + h / 2) == render.OWN
    ox, oy, ow, oh = core.tile_rect(6, 4)
    assert _at(frame, ox + ow / 2 + 12, oy + oh / 2 - 8) == render.OPPONENT
    assert _at(frame, ox + ow / 2, oy - 2) == render.PRAYER_ICON[core.protect_cell(core.MELEE)]
    assert _at(frame, ox + ow / 2 - 10, oy + oh / 2 + 5) == render.HIT_RED
    assert _at(frame, ox + ow / 2 + 20, oy + oh / 2) == render.FROZEN_RING
    assert _at(frame, 300, 100) == render.TRAIL_LEFT
    tab = core.tab_button_rect(core.TAB_INVENTORY)
    assert _at(frame, tab[0] + 4, tab[1] + 4) == render.TAB_ON
    other = core.tab_button_rect(core.TAB_PRAYER)
    assert _at(frame, other[0] + 4, other[1] + 4) == render.TAB_OFF
    # Own health bar full green; the opponent's overhead sits above its bar.
    assert _at(frame, x + 10, y + 4) == render.HP_GREEN


def test_the_side_panel_follows_the_open_tab_and_lights_active_prayers():
    s = fresh()
    tick(s, p0=[key(50, core.TAB_PRAYER), click(100, core.prayer_rect(2))])
    frame = render.render_rgb(s, 0, 0)
    rect = core.prayer_rect(2)
    assert _at(frame, rect[0] + 5, rect[1] + 5) == render.PRAYER_ON
    off = core.prayer_rect(0)
    assert _at(frame, off[0] + 5, off[1] + 5) == render.PANEL_BG
    tick(s, p0=[key(50, core.TAB_INVENTORY)])
    frame = render.render_rgb(s, 0, 0)
    shark = int(np.flatnonzero(s.inventory[0, 0] == core.ITEM_SHARK)[0])
    sx, sy, sw, sh = core.inventory_slot_rect(shark)
    assert _at(frame, sx + sw / 2, sy + sh / 2) == render.FOOD_COLOURS[core.ITEM_SHARK]




def test_v1_frames_show_a_bolt_in_flight_a_tile_from_its_target_per_tick_left():
    s = fresh(rules=core.RULES_V1)
    place(s, 0, 1, 2)
    place(s, 1, 7, 2)
    s.hit_tick[0, 0, 0] = int(s.tick[0]) + 1  # lands at the boundary after next: two tiles out
    s.hit_style[0, 0, 0] = core.RANGED
    frame = render.render_rgb(s, 0, 0)
    x, y, w, h = core.tile_rect(1, 2)
    assert _at(frame, x + w / 2 + 2 * core.TILE_PX, y + h / 2) == render.STYLE_COLOURS[core.RANGED]
    s.hit_tick[0, 0, 0] = core.NO_LANDING
    assert _at(render.render_rgb(s, 0, 0), x + w / 2 + 2 * core.TILE_PX, y + h / 2) != render.STYLE_COLOURS[core.RANGED]
