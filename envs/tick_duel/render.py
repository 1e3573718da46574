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
FOOD_COLOURS = {core.ITEM_SHARK: (150, 160, 180), core.ITEM_KARAMBWAN: (130, 80, 40)}
TEXT = (255, 255, 255)

_DIGITS = {
    "0": ("111", "101", "101", "101", "111"), "1": ("010", "110", "010", "010", "111"),
    "2": ("111", "001", "111", "100", "111"), "3": ("111", "001", "111", "001", "111"),
    "4": ("101", "101", "111", "001", "001"), "5": ("111", "100", "111", "001", "111"),
    "6": ("111", "100", "111", "101", "111"), "7": ("111", "001", "001", "001", "001"),
    "8": ("111", "101", "111", "101", "111"), "9": ("111", "101", "111", "001", "111"),
}


def fill(img: np.ndarray, x: float, y: float, w: float, h: float, colour: tuple) -> None:
    """Fill a rectangle, clipped to the frame."""
    x0, y0 = max(int(x), 0), max(int(y), 0)
    x1, y1 = min(int(x + w), img.shape[1]), min(int(y + h), img.shape[0])
    if x1 > x0 and y1 > y0:
        img[y0:y1, x0:x1] = colour


def outline(img: np.ndarray, x: float, y: float, w: float, h: float, colour: tuple, t: int = 1) -> None:
    fill(img, x, y, w, t, colour)
    fill(img, x, y + h - t, w, t, colour)
    fill(img, x, y, t, h, colour)
    fill(img, x + w - t, y, t, h, colour)


def disc(img: np.ndarray, cx: float, cy: float, r: float, colour: tuple, ring: float = 0.0) -> None:
    """A filled disc (or a ring of width ``ring``) centred at (cx, cy)."""
    x0, y0 = max(int(cx - r), 0), max(int(cy - r), 0)
    x1, y1 = min(int(cx + r) + 1, img.shape[1]), min(int(cy + r) + 1, img.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1]
    d2 = (xx + 0.5 - cx) ** 2 + (yy + 0.5 - cy) ** 2
    mask = d2 <= r * r
    if ring > 0:
        mask &= d2 >= (r - ring) ** 2
    img[y0:y1, x0:x1][mask] = colour


def text(img: np.ndarray, x: int, y: int, digits: str, colour: tuple = TEXT, scale: int = 2) -> None:
    """Digits in a 3x5 pixel font."""
    for k, ch in enumerate(digits):
        glyph = _DIGITS.get(ch)
        if glyph is None:
            continue
        for r, row in enumerate(glyph):
            for c, bit in enumerate(row):
                if bit == "1":
                    fill(img, x + (4 * k + c) * scale, y + r * scale, scale, scale, colour)


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
    if slot == core.SLOT_WEAPON:  # a diagonal blade
        for k in range(int(min(w, h)) - 12):
            fill(img, x + 8 + k, y + h - 8 - k, 3, 3, colour)
    elif core.ITEM_FOOD[item]:
        disc(img, x + w / 2, y + h / 2, min(w, h) / 3, colour)
    else:
        fill(img, x + 10, y + 7, w - 20, h - 14, colour)
        if core.ITEM_SPEC_COST[item] == 0 and slot == core.SLOT_SHIELD:
            outline(img, x + 10, y + 7, w - 20, h - 14, (30, 30, 30))


def render_rgb(state: core.DuelState, index: int, seat: int = 0, events: np.ndarray | None = None,
               count: int = 0) -> np.ndarray:
    """The client of player ``seat`` of env ``index`` after the last tick, with that tick's event trail."""
    s, i, p = state, index, seat
    o = 1 - p
    img = np.empty((core.SCREEN_H, core.SCREEN_W, 3), np.uint8)
    img[:] = FRAME_BG
    fill(img, *core.VIEWPORT, VIEWPORT_BG)
    # Arena tiles.
    for ty in range(core.ARENA_H):
        for tx in range(core.ARENA_W):
            fill(img, *core.tile_rect(tx, ty), TILE_A if (tx + ty) % 2 == 0 else TILE_B)
    # Players, overheads, health bars, hitsplats.
    for q, colour in ((p, OWN), (o, OPPONENT)):
        x, y, w, h = core.tile_rect(core.view_x(p, int(s.pos_x[i, q])), core.view_y(p, int(s.pos_y[i, q])))
        cx, cy = x + w / 2, y + h / 2
        if s.frozen[i, q] > 0:
            disc(img, cx, cy, 21, FROZEN_RING, ring=3)
        disc(img, cx, cy, 16, colour)
        style = core.ITEM_STYLE[s.equipment[i, q, core.SLOT_WEAPON]]
        fill(img, cx - 5, cy - 5, 10, 10, STYLE_COLOURS[max(style, 0)])
        if s.protect[i, q] >= 0:
            disc(img, cx, y - 2, 7, PRAYER_ICON[core.protect_cell(int(s.protect[i, q]))])
        frac = s.hp[i, q] / max(float(s.stats[i, q, core.S_HP]), 1.0)
        fill(img, x + 4, y + 3, w - 8, 5, HP_RED)
        fill(img, x + 4, y + 3, round((w - 8) * frac), 5, HP_GREEN)
        if s.hitsplat[i, q] >= 0:
            dmg = int(s.hitsplat[i, q])
            fill(img, cx - 11, cy + 4, 22, 14, HIT_RED if dmg > 0 else HIT_BLUE)
            digits = str(dmg)
            text(img, int(cx - 4 * len(digits) + 1), int(cy + 6), digits)
    # Chatbox: both players' hitpoints.
    fill(img, *core.CHATBOX, CHAT_BG)
    fill(img, 12, 350, 14, 14, OWN)
    text(img, 32, 352, str(int(s.hp[i, p])), (0, 0, 0))
    fill(img, 12, 372, 14, 14, OPPONENT)
    text(img, 32, 374, str(int(s.hp[i, o])), (0, 0, 0))
    text(img, 12, 480, str(int(s.tick[i])), (60, 50, 30))
    # Special orb.
    ox, oy, ow, oh = core.SPEC_ORB
    disc(img, ox + ow / 2, oy + oh / 2, ow / 2, (40, 40, 40))
    disc(img, ox + ow / 2, oy + oh / 2, ow / 2 * np.sqrt(s.spec[i, p] / core.SPEC_MAX), SPEC_FILL)
    if s.spec_armed[i, p]:
        disc(img, ox + ow / 2, oy + oh / 2, ow / 2 + 3, SPEC_ARMED, ring=3)
    # Tabs and side panel.
    tab = int(s.open_tab[i, p])
    for k in range(core.NUM_TABS):
        rect = core.tab_button_rect(k)
        fill(img, *rect, TAB_ON if k == tab else TAB_OFF)
        outline(img, *rect, (30, 26, 20))
        text(img, int(rect[0] + 16), int(rect[1] + 13), str(k + 1), (230, 220, 190))
    fill(img, *core.SIDE_PANEL, PANEL_BG)
    if tab == core.TAB_INVENTORY:
        for slot in range(core.INVENTORY_SLOTS):
            draw_item(img, core.inventory_slot_rect(slot), int(s.inventory[i, p, slot]))
    elif tab == core.TAB_PRAYER:
        for cell in range(core.NUM_PRAYERS):
            rect = core.prayer_rect(cell)
            style = core.PRAYER_STYLE[cell]
            on = (s.protect[i, p] == style) if core.PRAYER_IS_PROTECT[cell] else (s.boost[i, p] == style)
            if on:
                fill(img, rect[0] + 3, rect[1] + 3, rect[2] - 6, rect[3] - 6, PRAYER_ON)
            disc(img, rect[0] + rect[2] / 2, rect[1] + rect[3] / 2, 14, PRAYER_ICON[cell])
    elif tab == core.TAB_MAGIC:
        for spell in range(core.NUM_SPELLS):
            rect = core.spell_rect(spell)
            disc(img, rect[0] + rect[2] / 2, rect[1] + rect[3] / 2, 18, SPELL_COLOURS[spell])
            if s.selected_spell[i, p] == spell:
                outline(img, *rect, TEXT, 2)
    elif tab == core.TAB_COMBAT:
        bx, by, bw, bh = core.SPEC_BAR
        fill(img, bx, by, bw, bh, (40, 40, 40))
        fill(img, bx, by, bw * s.spec[i, p] / core.SPEC_MAX, bh, SPEC_ARMED if s.spec_armed[i, p] else SPEC_FILL)
    else:  # equipment: the worn items in a column
        for k in range(core.EQUIP_SLOTS):
            rect = (core.INV_X0 + 63.0, core.INV_Y0 + 10.0 + 50 * k, 42.0, 36.0)
            outline(img, *rect, (40, 34, 26))
            draw_item(img, rect, int(s.equipment[i, p, k]))
    # This tick's event trail and the cursor.
    if events is not None:
        for k in range(min(count, events.shape[0])):
            etype = int(np.rint(events[k, core.F_TYPE]))
            x, y = float(events[k, core.F_X]), float(events[k, core.F_Y])
            if etype == core.EV_MOVE or etype == core.EV_SCROLL:
                fill(img, x - 1, y - 1, 3, 3, TRAIL_MOVE)
            elif etype in (core.EV_LEFT_CLICK, core.EV_RIGHT_CLICK):
                colour = TRAIL_LEFT if etype == core.EV_LEFT_CLICK else TRAIL_RIGHT
                for d in range(-5, 6):
                    fill(img, x + d, y + d, 2, 2, colour)
                    fill(img, x + d, y - d, 2, 2, colour)
            elif etype == core.EV_KEY_DOWN:
                t = float(events[k, core.F_TIME])
                fill(img, 4 + 512 * t / core.TICK_MS, 330, 4, 6, TRAIL_KEY)
    cx, cy = float(s.cursor_x[i, p]), float(s.cursor_y[i, p])
    fill(img, cx - 7, cy, 15, 1, CURSOR)
    fill(img, cx, cy - 7, 1, 15, CURSOR)
    return img


__all__ = ["render_rgb"]
