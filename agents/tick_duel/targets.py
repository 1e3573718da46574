"""Click targets: the UI elements a left click in TickDuel can mean, so the decoder can *choose* one.

A position mixture over the whole screen spends its mass between elements and misses small ones (a 42 x 36
inventory slot is 0.4 % of the screen); a click is really a choice among a few dozen elements plus where inside
it the hand lands. ``TARGETS`` numbers them, in ``core.left_click``'s order of precedence:

=======  ===========================================================  =================================
index    element                                                      counts while this tab is open
=======  ===========================================================  =================================
0        elsewhere (no element: the position mixture places it)        -
1-5      the tab buttons, in ``core.TAB_*`` order                      any
6        the special attack orb                                        any
7        the special attack bar                                        combat
8-35     the 28 inventory slots                                        inventory
36-41    the 6 prayer cells                                            prayer
42-43    the 2 spells                                                  magic
44-103   the 10 x 6 arena tiles, row by row as drawn on screen         any
=======  ===========================================================  =================================

Side-panel elements overlap (the prayer book and the inventory share the panel), so a click is labelled by the
tab open *when it happens*: the tab at the tick's start (``gamestate``) changed by the tick's earlier F-keys and
tab clicks, as ``core.apply_events`` changes it. A position is (element, offset), the offset in [0, 1) of the
element's width and height.
"""

from __future__ import annotations

import numpy as np

from botarena.envs.tick_duel import core

ELSEWHERE = 0
FIRST_TAB, SPEC_ORB, SPEC_BAR = 1, 1 + core.NUM_TABS, 2 + core.NUM_TABS
FIRST_SLOT = SPEC_BAR + 1
FIRST_PRAYER = FIRST_SLOT + core.INVENTORY_SLOTS
FIRST_SPELL = FIRST_PRAYER + core.NUM_PRAYERS
FIRST_TILE = FIRST_SPELL + core.NUM_SPELLS
NUM_TARGETS = FIRST_TILE + core.ARENA_W * core.ARENA_H


def _rects() -> tuple[np.ndarray, np.ndarray]:
    rects = np.zeros((NUM_TARGETS, 4), np.float64)  # x, y, w, h (row 0 unused)
    needs_tab = np.full(NUM_TARGETS, -1, np.int64)
    for tab in range(core.NUM_TABS):
        rects[FIRST_TAB + tab] = core.tab_button_rect(tab)
    rects[SPEC_ORB] = core.SPEC_ORB
    rects[SPEC_BAR], needs_tab[SPEC_BAR] = core.SPEC_BAR, core.TAB_COMBAT
    for slot in range(core.INVENTORY_SLOTS):
        rects[FIRST_SLOT + slot], needs_tab[FIRST_SLOT + slot] = core.inventory_slot_rect(slot), core.TAB_INVENTORY
    for cell in range(core.NUM_PRAYERS):
        rects[FIRST_PRAYER + cell], needs_tab[FIRST_PRAYER + cell] = core.prayer_rect(cell), core.TAB_PRAYER
    for spell in range(core.NUM_SPELLS):
        rects[FIRST_SPELL + spell], needs_tab[FIRST_SPELL + spell] = core.spell_rect(spell), core.TAB_MAGIC
    for row in range(core.ARENA_H):
        for col in range(core.ARENA_W):
            rects[FIRST_TILE + row * core.ARENA_W + col] = core.tile_rect(col, row)
    return rects, needs_tab


RECTS, NEEDS_TAB = _rects()


def label_clicks(events: np.ndarray, count: np.ndarray, open_tab: np.ndarray) -> np.ndarray:
    """The target of every left click: int64 [N, E], ``ELSEWHERE`` for other events and padding.

    ``events`` float [N, E, 7] ticks in time order, ``count`` [N] events each, ``open_tab`` [N] the tab open at
    each tick's start.
    """
    n, e = events.shape[:2]
    valid = np.arange(e)[None] < np.asarray(count)[:, None]
    etype = np.rint(events[..., core.F_TYPE]).astype(np.int64)
    key = np.rint(events[..., core.F_KEY]).astype(np.int64)
    x, y = events[..., core.F_X], events[..., core.F_Y]
    click = valid & (etype == core.EV_LEFT_CLICK)
    inside = _inside(x[..., None], y[..., None], RECTS)  # [N, E, T]
    # The tab each event opens (-1 none): an F-key, or a click on a tab button.
    opens = np.full((n, e), -1, np.int64)
    f_key = valid & (etype == core.EV_KEY_DOWN) & (key >= core.KEY_F1) & (key < core.KEY_F1 + core.NUM_TABS)
    opens[f_key] = key[f_key] - core.KEY_F1
    on_tab = inside[..., FIRST_TAB:FIRST_TAB + core.NUM_TABS]
    tab_click = click & on_tab.any(-1)
    opens[tab_click] = on_tab[tab_click].argmax(-1)
    # The tab open just before each event: the last earlier opener's tab, or the tick's first.
    last = np.maximum.accumulate(np.where(opens >= 0, np.arange(e)[None], -1), axis=1)
    before = np.concatenate([np.full((n, 1), -1), last[:, :-1]], 1)
    tab = np.where(before >= 0, np.take_along_axis(opens, np.maximum(before, 0), 1), np.asarray(open_tab)[:, None])
    usable = inside & ((NEEDS_TAB[None, None] < 0) | (NEEDS_TAB[None, None] == tab[..., None]))
    usable[..., ELSEWHERE] = False
    # Elements never overlap once the tab is known, except through the side panel's own bounds: first match wins.
    target = np.where(usable.any(-1), usable.argmax(-1), ELSEWHERE)
    return np.where(click, target, ELSEWHERE)


def offsets(events: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Where inside its target each event lies: float32 [..., 2] in [0, 1) of the width and height (0 off target)."""
    r = RECTS[target]
    off = np.stack([(events[..., core.F_X] - r[..., 0]) / np.maximum(r[..., 2], 1.0),
                    (events[..., core.F_Y] - r[..., 1]) / np.maximum(r[..., 3], 1.0)], -1)
    return np.where((target > ELSEWHERE)[..., None], np.clip(off, 0.0, 1.0), 0.0).astype(np.float32)


def position(target: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Screen pixels [..., 2] of (target, offset), kept a pixel inside the element so it is clicked."""
    r = RECTS[target]
    x = np.clip(r[..., 0] + offset[..., 0] * r[..., 2], r[..., 0] + 1.0, r[..., 0] + r[..., 2] - 1.0)
    y = np.clip(r[..., 1] + offset[..., 1] * r[..., 3], r[..., 1] + 1.0, r[..., 1] + r[..., 3] - 1.0)
    return np.stack([x, y], -1)


def _inside(x: np.ndarray, y: np.ndarray, rects: np.ndarray) -> np.ndarray:
    return (rects[:, 0] <= x) & (x < rects[:, 0] + rects[:, 2]) & (rects[:, 1] <= y) & (y < rects[:, 1] + rects[:, 3])


__all__ = ["ELSEWHERE", "NEEDS_TAB", "NUM_TARGETS", "RECTS", "label_clicks", "offsets", "position"]
