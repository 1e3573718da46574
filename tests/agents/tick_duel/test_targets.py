"""Click targets: every left click of the demonstrations names the element the game acted on."""

from __future__ import annotations

import numpy as np

from botarena.agents.tick_duel import targets
from botarena.envs.tick_duel import core


def _tick(*rows: tuple[int, float, float, int]) -> np.ndarray:
    """One tick of (type, x, y, key) rows, 10 ms apart."""
    events = np.zeros((1, 8, 7), np.float32)
    for k, (etype, x, y, key) in enumerate(rows):
        events[0, k, [core.F_TIME, core.F_TYPE, core.F_X, core.F_Y, core.F_KEY]] = 10.0 * k, etype, x, y, key
        events[0, k, core.F_BUTTON] = 1 if etype == core.EV_LEFT_CLICK else 0
    return events


def _centre(rect) -> tuple[float, float]:
    return rect[0] + rect[2] / 2, rect[1] + rect[3] / 2


def test_a_side_panel_click_means_the_element_of_the_tab_open_at_that_moment():
    slot_5 = _centre(core.inventory_slot_rect(5))
    prayer_tab = _centre(core.tab_button_rect(core.TAB_PRAYER))
    events = _tick((core.EV_LEFT_CLICK, *slot_5, 0),  # inventory open: slot 5
                   (core.EV_LEFT_CLICK, *prayer_tab, 0),  # the prayer tab ...
                   (core.EV_LEFT_CLICK, *slot_5, 0),  # ... so the same pixels are a prayer cell now
                   (core.EV_KEY_DOWN, 0, 0, core.KEY_F1 + core.TAB_MAGIC),  # F-key: the spell book
                   (core.EV_LEFT_CLICK, *_centre(core.spell_rect(0)), 0),
                   (core.EV_MOVE, *slot_5, 0))  # a move is no click
    label = targets.label_clicks(events, np.array([6]), np.array([core.TAB_INVENTORY]))[0]
    x, y = slot_5
    cell = int((y - core.PRAY_Y0) // core.PRAY_CELL) * core.PRAY_COLS + int((x - core.PRAY_X0) // core.PRAY_CELL)
    assert label[:6].tolist() == [targets.FIRST_SLOT + 5, targets.FIRST_TAB + core.TAB_PRAYER,
                                  targets.FIRST_PRAYER + cell, targets.ELSEWHERE, targets.FIRST_SPELL, 0]
    assert (label[6:] == targets.ELSEWHERE).all()  # padding


def test_clicks_off_every_element_are_elsewhere_and_positions_round_trip():
    events = _tick((core.EV_LEFT_CLICK, 2.0, 2.0, 0),  # the viewport's border
                   (core.EV_LEFT_CLICK, *_centre(core.tile_rect(3, 2)), 0),
                   (core.EV_LEFT_CLICK, *_centre(core.SPEC_ORB), 0))
    label = targets.label_clicks(events, np.array([3]), np.array([core.TAB_PRAYER]))
    assert label[0, :3].tolist() == [targets.ELSEWHERE, targets.FIRST_TILE + 2 * core.ARENA_W + 3, targets.SPEC_ORB]
    off = targets.offsets(events, label)
    assert np.allclose(off[0, 1:3], 0.5, atol=0.02) and not off[0, 0].any()
    xy = targets.position(label[0, 1:3], off[0, 1:3])
    assert np.allclose(xy, events[0, 1:3, [core.F_X, core.F_Y]].T, atol=1.0)
    # Offsets at the very edge still give a pixel the game reads as inside the element.
    edge = targets.position(np.array([targets.FIRST_SLOT]), np.array([[1.0, 0.0]]))[0]
    rx, ry, rw, rh = core.inventory_slot_rect(0)
    assert rx <= edge[0] < rx + rw and ry <= edge[1] < ry + rh

