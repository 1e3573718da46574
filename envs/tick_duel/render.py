"""TickDuel frames drawn with NumPy: the fixed-mode client (765 x 503), as the seat's player sees it.

``render_rgb(state, index, seat, events, count)`` returns uint8 ``[503, 765, 3]``. The regions are the layout
table of ``core``: the viewport with the arena tiles, both players (own blue, opponent red; a square on the body
in the colour of the wielded weapon's style; a pale ring when frozen; seat 1 sees the arena turned 180 degrees,
see ``core``), overhead protection-prayer icons, health bars and hitsplats (red with the damage, blue for a 0);
the chatbox with both players' hitpoints; the special orb (filled by energy, green ring when armed); the tab
buttons (the open one lit); the side panel of the open tab (inventory items coloured by kind, the prayer book
with active prayers lit, the spellbook, the combat tab's special bar, the worn equipment); and the cursor with
this tick's event trail (moves as dots, left clicks as yellow crosses, right clicks as red crosses, key presses
as marks along the bottom of the viewport). ``render_mode="human"`` shows the same frames through
``botarena.envs.common.window`` (pygame, lazily).
"""

from __future__ import annotations

import numpy as np

from botarena.envs.common.draw import draw_text, fill_disc, fill_rect, outline_rect
from botarena.envs.common.validation import check_int

from . import core

FRAME_BG = (62, 53, 41)
VIEWPORT_BG = (20, 24, 18)
TILE_A, TILE_B = (74, 112, 52), (66, 102, 46)
CHAT_BG = (196, 180, 136)
PANEL_BG = (86, 76, 60)
TAB_OFF, TAB_ON = (74, 64, 50), (140, 46, 32)
OWN, OPPONENT = (60, 120, 230), (210, 60, 50)
STYLE_COLOURS = ((200, 40, 40), (60, 180, 70), (70, 110, 240))  # melee, ranged, magic
PRAYER_ON = (250, 240, 150)
PRAYER_ICON = ((70, 110, 240), (60, 180, 70), (200, 40, 40), (230, 170, 60), (120, 200, 120), (140, 150, 255))
SPELL_COLOURS = ((150, 220, 255), (170, 20, 30))
HIT_RED, HIT_BLUE = (180, 20, 20), (40, 80, 200)
HP_GREEN, HP_RED = (40, 200, 40), (200, 30, 30)
SPEC_FILL, SPEC_ARMED = (220, 190, 60), (60, 230, 60)
FROZEN_RING = (200, 240, 255)
CURSOR = (255, 255, 0)
TRAIL_MOVE, TRAIL_LEFT, TRAIL_RIGHT, TRAIL_KEY = (255, 255, 255), (255, 255, 0), (255, 40, 40), (255, 160, 0)
FOOD_COLOURS = {core.ITEM_SHARK: (150, 160, 180), core.ITEM_KARAMBWAN: (130, 80, 40),
                core.ITEM_ANGLERFISH: (200, 120, 150)}
# Potions (v1) by kind, POT_* order: brew, super restore, super combat, ranging; a vial filled by its doses.
POTION_COLOURS = ((230, 200, 90), (220, 110, 170), (60, 170, 70), (60, 140, 220))
VIAL_GLASS = (200, 210, 220)
TEXT = (255, 255, 255)

def item_colour(item: int) -> tuple:
    if item in FOOD_COLOURS:
        return FOOD_COLOURS[item]
    style = core.ITEM_STYLE[item]
    if style >= 0:
        return STYLE_COLOURS[style]
    # Armour: tinted by the style its attack bonus favours.
    best = int(np.argmax(core.ITEM_ATT[item]))
    base = np.array(STYLE_COLOURS[best], float) * 0.55 + 60
    return tuple(int(v) for v in base)


def draw_item(img: np.ndarray, rect: tuple, item: int) -> None:
    x, y, w, h = rect
    if item == core.ITEM_EMPTY:
        return
    colour = item_colour(item)
    slot = core.ITEM_SLOT[item]
    kind = core.ITEM_POTION[item]
    if kind >= 0:  # a vial, filled from the bottom by the doses left
        outline_rect(img, x + w / 2 - 7, y + 6, 14, h - 12, VIAL_GLASS)
        full = (h - 14) * core.ITEM_DOSES[item] / core.POTION_DOSES
        fill_rect(img, x + w / 2 - 6, y + h - 7 - full, 12, full, POTION_COLOURS[kind])
    elif slot == core.SLOT_WEAPON:  # a diagonal blade
        for k in range(int(min(w, h)) - 12):
            fill_rect(img, x + 8 + k, y + h - 8 - k, 3, 3, colour)
    elif core.ITEM_FOOD[item]:
        fill_disc(img, x + w / 2, y + h / 2, min(w, h) / 3, colour)
    else:
        fill_rect(img, x + 10, y + 7, w - 20, h - 14, colour)
        if core.ITEM_SPEC_COST[item] == 0 and slot == core.SLOT_SHIELD:
            outline_rect(img, x + 10, y + 7, w - 20, h - 14, (30, 30, 30))


def render_rgb(state: core.DuelState, index: int, seat: int = 0, events: np.ndarray | None = None,
               count: int = 0) -> np.ndarray:
    """The client of player ``seat`` of env ``index`` after the last tick, with that tick's event trail."""
    check_int("index", index, 0, state.hp.shape[0] - 1)
    check_int("seat", seat, 0, 1)
    img = np.empty((core.SCREEN_H, core.SCREEN_W, 3), np.uint8)
    img[:] = FRAME_BG
    _draw_arena(img)
    for player, colour in ((seat, OWN), (1 - seat, OPPONENT)):
        _draw_player(img, state, index, seat, player, colour)
    _draw_projectiles(img, state, index, seat)
    _draw_chatbox(img, state, index, seat)
    _draw_special_orb(img, state, index, seat)
    _draw_tabs(img, state, index, seat)
    if events is not None:
        _draw_event_trail(img, events, min(count, events.shape[0]))
    cx, cy = float(state.cursor_x[index, seat]), float(state.cursor_y[index, seat])
    fill_rect(img, cx - 7, cy, 15, 1, CURSOR)
    fill_rect(img, cx, cy - 7, 1, 15, CURSOR)
    return img


def _draw_arena(img: np.ndarray) -> None:
    """The viewport and the chequered arena tiles."""
    fill_rect(img, *core.VIEWPORT, VIEWPORT_BG)
    for ty in range(core.ARENA_H):
        for tx in range(core.ARENA_W):
            fill_rect(img, *core.tile_rect(tx, ty), TILE_A if (tx + ty) % 2 == 0 else TILE_B)


def _draw_player(img: np.ndarray, s: core.DuelState, i: int, seat: int, q: int, colour: tuple) -> None:
    """Player ``q`` as ``seat`` sees it: body, weapon style, frozen ring, overhead prayer, health bar, hitsplat."""
    x, y, w, h = core.tile_rect(core.view_x(seat, int(s.pos_x[i, q])), core.view_y(seat, int(s.pos_y[i, q])))
    cx, cy = x + w / 2, y + h / 2
    if s.frozen[i, q] > 0:
        fill_disc(img, cx, cy, 21, FROZEN_RING, ring=3)
    fill_disc(img, cx, cy, 16, colour)
    style = core.ITEM_STYLE[s.equipment[i, q, core.SLOT_WEAPON]]
    fill_rect(img, cx - 5, cy - 5, 10, 10, STYLE_COLOURS[max(style, 0)])
    if s.protect[i, q] >= 0:
        fill_disc(img, cx, y - 2, 7, PRAYER_ICON[core.protect_cell(int(s.protect[i, q]))])
    frac = s.hp[i, q] / max(float(s.stats[i, q, core.S_HP]), 1.0)
    fill_rect(img, x + 4, y + 3, w - 8, 5, HP_RED)
    fill_rect(img, x + 4, y + 3, round((w - 8) * frac), 5, HP_GREEN)
    if s.hitsplat[i, q] >= 0:
        dmg = int(s.hitsplat[i, q])
        fill_rect(img, cx - 11, cy + 4, 22, 14, HIT_RED if dmg > 0 else HIT_BLUE)
        digits = str(dmg)
        draw_text(img, int(cx - 4 * len(digits) + 1), int(cy + 6), digits, TEXT)


def _draw_projectiles(img: np.ndarray, s: core.DuelState, i: int, seat: int) -> None:
    """Rules v1: every bolt or spell in flight as a dot in its style's colour on the line from its caster to its
    target, a tile's length nearer the target for each tick it has left to fly (what a player sees of it)."""
    for q in range(core.NUM_PLAYERS):
        tx, ty, tw, th = core.tile_rect(core.view_x(seat, int(s.pos_x[i, q])), core.view_y(seat, int(s.pos_y[i, q])))
        ox, oy, _, _ = core.tile_rect(core.view_x(seat, int(s.pos_x[i, 1 - q])),
                                      core.view_y(seat, int(s.pos_y[i, 1 - q])))
        dx, dy = ox - tx, oy - ty
        length = max(float(np.hypot(dx, dy)), 1.0)
        for k in range(core.MAX_PENDING_HITS):
            land = int(s.hit_tick[i, q, k])
            if land == core.NO_LANDING or s.hit_style[i, q, k] == core.MELEE:
                continue
            along = min((land - int(s.tick[i]) + 1) * core.TILE_PX, length - core.TILE_PX / 2)
            fill_disc(img, tx + tw / 2 + dx / length * along, ty + th / 2 + dy / length * along, 6,
                      STYLE_COLOURS[int(s.hit_style[i, q, k])])


def _draw_chatbox(img: np.ndarray, s: core.DuelState, i: int, p: int) -> None:
    """The chatbox: both players' hitpoints (own first) and the tick."""
    fill_rect(img, *core.CHATBOX, CHAT_BG)
    fill_rect(img, 12, 350, 14, 14, OWN)
    draw_text(img, 32, 352, str(int(s.hp[i, p])), (0, 0, 0))
    fill_rect(img, 12, 372, 14, 14, OPPONENT)
    draw_text(img, 32, 374, str(int(s.hp[i, 1 - p])), (0, 0, 0))
    draw_text(img, 12, 480, str(int(s.tick[i])), (60, 50, 30))


def _draw_special_orb(img: np.ndarray, s: core.DuelState, i: int, p: int) -> None:
    """The special orb: filled by energy (by area), a green ring while the special attack is armed."""
    ox, oy, ow, oh = core.SPEC_ORB
    fill_disc(img, ox + ow / 2, oy + oh / 2, ow / 2, (40, 40, 40))
    fill_disc(img, ox + ow / 2, oy + oh / 2, ow / 2 * np.sqrt(s.spec[i, p] / core.SPEC_MAX), SPEC_FILL)
    if s.spec_armed[i, p]:
        fill_disc(img, ox + ow / 2, oy + oh / 2, ow / 2 + 3, SPEC_ARMED, ring=3)


def _draw_tabs(img: np.ndarray, s: core.DuelState, i: int, p: int) -> None:
    """The tab buttons (the open one lit) and the side panel of the open tab."""
    tab = int(s.open_tab[i, p])
    for k in range(core.NUM_TABS):
        rect = core.tab_button_rect(k)
        fill_rect(img, *rect, TAB_ON if k == tab else TAB_OFF)
        outline_rect(img, *rect, (30, 26, 20))
        draw_text(img, int(rect[0] + 16), int(rect[1] + 13), str(k + 1), (230, 220, 190))
    fill_rect(img, *core.SIDE_PANEL, PANEL_BG)
    if tab == core.TAB_INVENTORY:
        for slot in range(core.INVENTORY_SLOTS):
            draw_item(img, core.inventory_slot_rect(slot), int(s.inventory[i, p, slot]))
    elif tab == core.TAB_PRAYER:
        for cell in range(core.NUM_PRAYERS):
            rect = core.prayer_rect(cell)
            style = core.PRAYER_STYLE[cell]
            on = (s.protect[i, p] == style) if core.PRAYER_IS_PROTECT[cell] else (s.boost[i, p] == style)
            if on:
                fill_rect(img, rect[0] + 3, rect[1] + 3, rect[2] - 6, rect[3] - 6, PRAYER_ON)
            fill_disc(img, rect[0] + rect[2] / 2, rect[1] + rect[3] / 2, 14, PRAYER_ICON[cell])
    elif tab == core.TAB_MAGIC:
        for spell in range(core.NUM_SPELLS):
            rect = core.spell_rect(spell)
            fill_disc(img, rect[0] + rect[2] / 2, rect[1] + rect[3] / 2, 18, SPELL_COLOURS[spell])
            if s.selected_spell[i, p] == spell:
                outline_rect(img, *rect, TEXT, 2)
    elif tab == core.TAB_COMBAT:
        bx, by, bw, bh = core.SPEC_BAR
        fill_rect(img, bx, by, bw, bh, (40, 40, 40))
        fill_rect(img, bx, by, bw * s.spec[i, p] / core.SPEC_MAX, bh, SPEC_ARMED if s.spec_armed[i, p] else SPEC_FILL)
    else:  # equipment: the worn items in a column
        for k in range(core.EQUIP_SLOTS):
            rect = (core.INV_X0 + 63.0, core.INV_Y0 + 10.0 + 50 * k, 42.0, 36.0)
            outline_rect(img, *rect, (40, 34, 26))
            draw_item(img, rect, int(s.equipment[i, p, k]))


def _draw_event_trail(img: np.ndarray, events: np.ndarray, count: int) -> None:
    """This tick's events: moves as dots, clicks as crosses, key presses as marks along the viewport's bottom."""
    for k in range(count):
        etype = int(np.rint(events[k, core.F_TYPE]))
        x, y = float(events[k, core.F_X]), float(events[k, core.F_Y])
        if etype == core.EV_MOVE or etype == core.EV_SCROLL:
            fill_rect(img, x - 1, y - 1, 3, 3, TRAIL_MOVE)
        elif etype in (core.EV_LEFT_CLICK, core.EV_RIGHT_CLICK):
            colour = TRAIL_LEFT if etype == core.EV_LEFT_CLICK else TRAIL_RIGHT
            for d in range(-5, 6):
                fill_rect(img, x + d, y + d, 2, 2, colour)
                fill_rect(img, x + d, y - d, 2, 2, colour)
        elif etype == core.EV_KEY_DOWN:
            t = float(events[k, core.F_TIME])
            fill_rect(img, 4 + 512 * t / core.TICK_MS, 330, 4, 6, TRAIL_KEY)


__all__ = ["render_rgb"]
