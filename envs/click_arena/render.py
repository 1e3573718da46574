"""ClickArena frames drawn by numba kernels from the state (headless ``rgb_array``); ``render_mode="human"``
shows the same frames through ``botarena.envs.common.window`` (pygame, imported only when a window opens).

The frame is one ship's 800 x 600 screen in DarkOrbit's look: black space with a parallax star field and
faint nebula tint, the map edge as a dashed red line, aliens as coloured hulls (green Streuners, orange
Saimons, purple Mordons) with a hull bar above them, bonus boxes as yellow (credits) or green (repair)
crates, ships as blue (ours) or white (others) arrowheads pointing where they fly, a red lock ring with
corner brackets around the locked target, laser beams (red from ships, green from aliens), the fly target
as a small cross, the cursor as a white arrow, and the HUD: hull (green) and shield (blue) bars top-left,
the laser cooldown bar, credits / kills / time in a 3x5 pixel font top-right, and a minimap bottom-right
(aliens red, boxes yellow, ships blue / white, the screen as a rectangle).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from . import core

FRAME_H = int(core.VIEW_H)
FRAME_W = int(core.VIEW_W)
MINIMAP = 150
MINIMAP_MARGIN = 10

ALIEN_COLOURS = np.array([(90, 220, 110), (245, 150, 40), (175, 90, 235)], np.int64)
OWN_SHIP = np.array((70, 150, 255), np.int64)
OTHER_SHIP = np.array((235, 235, 235), np.int64)
BOX_COLOURS = np.array([(250, 215, 50), (60, 235, 90)], np.int64)
LOCK_RED = np.array((255, 40, 40), np.int64)
HULL_GREEN = np.array((60, 210, 80), np.int64)
SHIELD_BLUE = np.array((70, 140, 255), np.int64)

# 3x5 digits plus ':' for the HUD
_DIGITS = np.array([[int(c) for c in g] for g in (
    "111101101101111", "010110010010111", "111001111100111", "111001111001111", "101101111001001",
    "111100111001111", "111100111101111", "111001001001001", "111101111101111", "111101111001111",
    "000010000010000")], np.uint8).reshape(11, 5, 3)


@njit(cache=True, nogil=True, inline="always")
def _put(img: np.ndarray, y: int, x: int, r: int, g: int, b: int) -> None:
    if 0 <= y < img.shape[0] and 0 <= x < img.shape[1]:
        img[y, x, 0] = r
        img[y, x, 1] = g
        img[y, x, 2] = b


@njit(cache=True, nogil=True)
def _blend(img: np.ndarray, y: int, x: int, r: int, g: int, b: int, a: float) -> None:
    if 0 <= y < img.shape[0] and 0 <= x < img.shape[1]:
        img[y, x, 0] = int(img[y, x, 0] * (1 - a) + r * a)
        img[y, x, 1] = int(img[y, x, 1] * (1 - a) + g * a)
        img[y, x, 2] = int(img[y, x, 2] * (1 - a) + b * a)


@njit(cache=True, nogil=True)
def _disc(img: np.ndarray, cx: float, cy: float, rad: float, r: int, g: int, b: int) -> None:
    for y in range(int(cy - rad) - 1, int(cy + rad) + 2):
        for x in range(int(cx - rad) - 1, int(cx + rad) + 2):
            if (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= rad * rad:
                _put(img, y, x, r, g, b)


@njit(cache=True, nogil=True)
def _ring(img: np.ndarray, cx: float, cy: float, rad: float, width: float, r: int, g: int, b: int) -> None:
    for y in range(int(cy - rad) - 2, int(cy + rad) + 3):
        for x in range(int(cx - rad) - 2, int(cx + rad) + 3):
            d = math.sqrt((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2)
            if abs(d - rad) <= width * 0.5:
                _put(img, y, x, r, g, b)


@njit(cache=True, nogil=True)
def _line(img: np.ndarray, x0: float, y0: float, x1: float, y1: float, r: int, g: int, b: int,
          width: int) -> None:
    n = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
    for i in range(n + 1):
        t = i / n
        x = int(x0 + (x1 - x0) * t)
        y = int(y0 + (y1 - y0) * t)
        for dy in range(-(width // 2), width - width // 2):
            for dx in range(-(width // 2), width - width // 2):
                _put(img, y + dy, x + dx, r, g, b)


@njit(cache=True, nogil=True)
def _rect(img: np.ndarray, x0: int, y0: int, w: int, h: int, r: int, g: int, b: int) -> None:
    for y in range(y0, y0 + h):
        for x in range(x0, x0 + w):
            _put(img, y, x, r, g, b)


@njit(cache=True, nogil=True)
def _bar(img: np.ndarray, x0: int, y0: int, w: int, h: int, frac: float, col: np.ndarray) -> None:
    _rect(img, x0 - 1, y0 - 1, w + 2, h + 2, 20, 20, 20)
    _rect(img, x0, y0, w, h, 55, 55, 55)
    _rect(img, x0, y0, int(w * min(max(frac, 0.0), 1.0)), h, col[0], col[1], col[2])


@njit(cache=True, nogil=True)
def _number(img: np.ndarray, value: int, x: int, y: int, scale: int, r: int, g: int, b: int) -> int:
    digits = np.zeros(12, np.int64)
    k = 0
    v = max(value, 0)
    while True:
        digits[k] = v % 10
        k += 1
        v //= 10
        if v == 0 or k == 12:
            break
    for i in range(k - 1, -1, -1):
        _glyph(img, digits[i], x, y, scale, r, g, b)
        x += 4 * scale
    return x


@njit(cache=True, nogil=True)
def _glyph(img: np.ndarray, d: int, x: int, y: int, scale: int, r: int, g: int, b: int) -> None:
    for gy in range(5):
        for gx in range(3):
            if _DIGITS[d, gy, gx]:
                _rect(img, x + gx * scale, y + gy * scale, scale, scale, r, g, b)


@njit(cache=True, nogil=True)
def _hash(ix: int, iy: int) -> int:
    # kept to 32 bits after every step, so Python's unbounded ints (NUMBA_DISABLE_JIT=1) give the same stars
    h = ((ix * 73856093) ^ (iy * 19349663)) & 0xFFFFFFFF
    h = ((h ^ (h >> 13)) * 12741261) & 0xFFFFFFFF
    return (h ^ (h >> 16)) & 0xFFFF


@njit(cache=True, nogil=True)
def _ship_shape(img: np.ndarray, cx: float, cy: float, vx: float, vy: float, col: np.ndarray) -> None:
    sp = core.hypot(vx, vy)
    ux, uy = (vx / sp, vy / sp) if sp > 1e-6 else (0.0, -1.0)
    px, py = -uy, ux
    for y in range(int(cy) - 30, int(cy) + 31):
        for x in range(int(cx) - 30, int(cx) + 31):
            dx = x + 0.5 - cx
            dy = y + 0.5 - cy
            a = dx * ux + dy * uy  # along the heading
            c = dx * px + dy * py  # across
            if -16.0 <= a <= 24.0 and abs(c) <= (24.0 - a) * 0.45:
                shade = 0.6 + 0.4 * (1.0 - abs(c) / 18.0)
                _put(img, y, x, int(col[0] * shade), int(col[1] * shade), int(col[2] * shade))
    # engine glow behind the ship while it moves
    if sp > 1e-6:
        _disc(img, cx - ux * 20.0, cy - uy * 20.0, 5.0, 255, 200, 90)
    _disc(img, cx + ux * 6.0, cy + uy * 6.0, 4.0, 200, 240, 255)


@njit(cache=True, nogil=True)
def _alien_shape(img: np.ndarray, cx: float, cy: float, rad: float, kind: int, col: np.ndarray,
                 phase: float) -> None:
    for y in range(int(cy - rad) - 1, int(cy + rad) + 2):
        for x in range(int(cx - rad) - 1, int(cx + rad) + 2):
            dx = x + 0.5 - cx
            dy = y + 0.5 - cy
            d = math.sqrt(dx * dx + dy * dy)
            if d > rad:
                continue
            ang = math.atan2(dy, dx)
            # spiky outline for Streuners, a ring of pods for Saimons, a heavy disc for Mordons
            edge = rad * (0.75 + 0.25 * math.cos((5 + kind * 2) * ang + phase))
            if kind == core.KIND_TANK:
                edge = rad * (0.9 + 0.1 * math.cos(8.0 * ang + phase))
            if d <= edge:
                shade = 0.45 + 0.55 * (1.0 - d / rad)
                _put(img, y, x, int(col[0] * shade), int(col[1] * shade), int(col[2] * shade))
    _disc(img, cx, cy, rad * 0.25, 255, 255, 220)


@njit(cache=True, nogil=True)
def draw_frame(s: core.ArenaState, n: int, seat: int, img: np.ndarray) -> None:
    """Draw env ``n`` as seen by ship ``seat`` into ``img`` uint8 [600, 800, 3]."""
    ox, oy = s.ship_x[n, seat], s.ship_y[n, seat]
    left = ox - core.VIEW_W * 0.5
    top = oy - core.VIEW_H * 0.5
    h, w = img.shape[0], img.shape[1]
    # background: space with two parallax star layers and a faint nebula
    for y in range(h):
        wy = top + y
        for x in range(w):
            wx = left + x
            r = 2
            g = 3
            b = 10
            neb = math.sin(wx * 0.0021) * math.cos(wy * 0.0017) + math.sin((wx + wy) * 0.0011)
            if neb > 0.9:
                r += int((neb - 0.9) * 18)
                b += int((neb - 0.9) * 30)
            if wx < 0.0 or wy < 0.0 or wx > core.MAP_W or wy > core.MAP_H:
                r, g, b = 14, 6, 8
            img[y, x, 0] = r
            img[y, x, 1] = g
            img[y, x, 2] = b
    for layer in range(2):
        par = 0.5 if layer == 0 else 1.0
        cell = 40 if layer == 0 else 64
        sx0 = left * par
        sy0 = top * par
        for cy in range(int(sy0 // cell) - 1, int((sy0 + h) // cell) + 2):
            for cx in range(int(sx0 // cell) - 1, int((sx0 + w) // cell) + 2):
                hv = _hash(cx * 2 + layer, cy)
                if hv % 3 != 0:
                    continue
                px = int(cx * cell + (hv % cell) - sx0)
                py = int(cy * cell + ((hv >> 6) % cell) - sy0)
                lum = 90 + (hv % 120) if layer == 1 else 50 + (hv % 60)
                _put(img, py, px, lum, lum, min(lum + 30, 255))
    # map edge, dashed red
    for t in range(0, int(core.MAP_W), 8):
        if (t // 16) % 2 == 0:
            for (ex, ey) in ((float(t), 0.0), (float(t), core.MAP_H), (0.0, float(t)), (core.MAP_W, float(t))):
                _put(img, int(ey - top), int(ex - left), 200, 40, 40)
    phase = s.tick[n] * 0.05
    # boxes
    for bb in range(core.MAX_BOXES):
        if s.box_alive[n, bb]:
            px, py = core.world_to_screen(s, n, seat, s.box_x[n, bb], s.box_y[n, bb])
            col = BOX_COLOURS[s.box_kind[n, bb]]
            _rect(img, int(px) - 9, int(py) - 9, 18, 18, col[0] // 2, col[1] // 2, col[2] // 2)
            _rect(img, int(px) - 7, int(py) - 7, 14, 14, col[0], col[1], col[2])
            _rect(img, int(px) - 7, int(py) - 1, 14, 2, col[0] // 2, col[1] // 2, col[2] // 2)
            if s.ship_collect[n, seat] == bb:
                _ring(img, px, py, 16.0, 2.0, 255, 255, 255)
    # alien shots (green beams)
    for a in range(core.MAX_ALIENS):
        if s.al_alive[n, a] and s.al_beam[n, a] > 0.0 and s.al_target[n, a] >= 0:
            t = s.al_target[n, a]
            x0, y0 = core.world_to_screen(s, n, seat, s.al_x[n, a], s.al_y[n, a])
            x1, y1 = core.world_to_screen(s, n, seat, s.ship_x[n, t], s.ship_y[n, t])
            _line(img, x0, y0, x1, y1, 80, 255, 120, 2)
    # aliens with hull bars
    for a in range(core.MAX_ALIENS):
        if not s.al_alive[n, a]:
            continue
        kind = s.al_kind[n, a]
        px, py = core.world_to_screen(s, n, seat, s.al_x[n, a], s.al_y[n, a])
        rad = core.ALIEN_RADIUS[kind]
        if px < -rad - 10 or py < -rad - 10 or px > w + rad + 10 or py > h + rad + 10:
            continue
        _alien_shape(img, px, py, rad, kind, ALIEN_COLOURS[kind], phase + a)
        frac = s.al_hp[n, a] / core.alien_max_hp(s, n, a)
        _bar(img, int(px - rad), int(py - rad) - 9, int(2 * rad), 3, frac, HULL_GREEN)
        if s.al_target[n, a] == seat:
            _ring(img, px, py, rad + 3.0, 1.0, 255, 120, 60)
    # ships
    for k in range(s.num_ships[n]):
        if not s.ship_alive[n, k]:
            continue
        px, py = core.world_to_screen(s, n, seat, s.ship_x[n, k], s.ship_y[n, k])
        col = OWN_SHIP if k == seat else OTHER_SHIP
        if s.ship_since_combat[n, k] < 0.2 and s.ship_shield[n, k] > 0.0:
            _ring(img, px, py, 30.0, 2.0, 90, 160, 255)
        _ship_shape(img, px, py, s.ship_vx[n, k], s.ship_vy[n, k], col)
        if k != seat:
            _bar(img, int(px) - 25, int(py) - 38, 50, 3, s.ship_hull[n, k] / core.SHIP_HULL, HULL_GREEN)
            _bar(img, int(px) - 25, int(py) - 33, 50, 3, s.ship_shield[n, k] / core.SHIP_SHIELD, SHIELD_BLUE)
        if s.ship_beam[n, k] > 0.0:
            x1, y1 = core.world_to_screen(s, n, seat, s.ship_beam_x[n, k], s.ship_beam_y[n, k])
            _line(img, px, py, x1, y1, 255, 60, 60, 3)
            _line(img, px, py, x1, y1, 255, 220, 220, 1)
    # fly target and lock ring of our ship
    if s.ship_alive[n, seat] and s.ship_moving[n, seat] and s.ship_collect[n, seat] < 0:
        tx, ty = core.world_to_screen(s, n, seat, s.ship_tx[n, seat], s.ship_ty[n, seat])
        _line(img, tx - 6, ty, tx + 6, ty, 120, 200, 255, 1)
        _line(img, tx, ty - 6, tx, ty + 6, 120, 200, 255, 1)
    kind = s.ship_lock_kind[n, seat]
    if kind != core.LOCK_NONE:
        idx = s.ship_lock_idx[n, seat]
        ok = s.al_alive[n, idx] == 1 if kind == core.LOCK_ALIEN else s.ship_alive[n, idx] == 1
        if ok:
            lx, ly = core.lock_position(s, n, seat)
            px, py = core.world_to_screen(s, n, seat, lx, ly)
            rad = (core.ALIEN_RADIUS[s.al_kind[n, idx]] if kind == core.LOCK_ALIEN else core.SHIP_RADIUS) + 8.0
            _ring(img, px, py, rad, 2.0, LOCK_RED[0], LOCK_RED[1], LOCK_RED[2])
            for sx in (-1.0, 1.0):
                for sy in (-1.0, 1.0):
                    cx = px + sx * (rad + 4.0)
                    cy = py + sy * (rad + 4.0)
                    _line(img, cx, cy, cx - sx * 8.0, cy, 255, 40, 40, 2)
                    _line(img, cx, cy, cx, cy - sy * 8.0, 255, 40, 40, 2)
    # HUD: hull, shield, laser cooldown
    _rect(img, 8, 8, 224, 46, 12, 16, 28)
    _bar(img, 14, 14, 212, 10, s.ship_hull[n, seat] / core.SHIP_HULL, HULL_GREEN)
    _bar(img, 14, 29, 212, 10, s.ship_shield[n, seat] / core.SHIP_SHIELD, SHIELD_BLUE)
    ready = 1.0 - s.ship_cooldown[n, seat] / core.LASER_COOLDOWN
    _bar(img, 14, 44, 212, 4, ready, LOCK_RED)
    # credits, kills, time (mm:ss) top right
    _rect(img, w - 200, 8, 192, 46, 12, 16, 28)
    _rect(img, w - 194, 15, 10, 10, 250, 215, 50)  # credits icon
    _number(img, int(s.ship_credits[n, seat]), w - 178, 15, 2, 250, 215, 50)
    _disc(img, w - 189, 38, 5.0, ALIEN_COLOURS[0, 0], ALIEN_COLOURS[0, 1], ALIEN_COLOURS[0, 2])  # kills icon
    _number(img, int(s.ship_kills[n, seat]), w - 178, 33, 2, 230, 230, 230)
    secs = int(s.tick[n] // core.FPS)
    x = _number(img, secs // 60, w - 80, 33, 2, 180, 200, 230)
    _glyph(img, 10, x, 33, 2, 180, 200, 230)
    m = (secs % 60)
    _glyph(img, m // 10, x + 8, 33, 2, 180, 200, 230)
    _glyph(img, m % 10, x + 16, 33, 2, 180, 200, 230)
    # minimap bottom right
    mx0 = w - MINIMAP - MINIMAP_MARGIN
    my0 = h - MINIMAP - MINIMAP_MARGIN
    for y in range(my0, my0 + MINIMAP):
        for x in range(mx0, mx0 + MINIMAP):
            _blend(img, y, x, 10, 20, 40, 0.8)
    for t in range(MINIMAP):
        _put(img, my0, mx0 + t, 90, 110, 150)
        _put(img, my0 + MINIMAP - 1, mx0 + t, 90, 110, 150)
        _put(img, my0 + t, mx0, 90, 110, 150)
        _put(img, my0 + t, mx0 + MINIMAP - 1, 90, 110, 150)
    sc = MINIMAP / core.MAP_W
    for a in range(core.MAX_ALIENS):
        if s.al_alive[n, a]:
            _rect(img, mx0 + int(s.al_x[n, a] * sc) - 1, my0 + int(s.al_y[n, a] * sc) - 1, 2, 2, 230, 60, 60)
    for bb in range(core.MAX_BOXES):
        if s.box_alive[n, bb]:
            _rect(img, mx0 + int(s.box_x[n, bb] * sc) - 1, my0 + int(s.box_y[n, bb] * sc) - 1, 2, 2, 250, 215, 50)
    for k in range(s.num_ships[n]):
        if s.ship_alive[n, k]:
            col = OWN_SHIP if k == seat else OTHER_SHIP
            _rect(img, mx0 + int(s.ship_x[n, k] * sc) - 2, my0 + int(s.ship_y[n, k] * sc) - 2, 4, 4,
                  col[0], col[1], col[2])
    vx0 = mx0 + int(left * sc)
    vy0 = my0 + int(top * sc)
    vw = int(core.VIEW_W * sc)
    vh = int(core.VIEW_H * sc)
    for t in range(vw):
        for yy in (vy0, vy0 + vh):
            if my0 <= yy < my0 + MINIMAP and mx0 <= vx0 + t < mx0 + MINIMAP:
                _put(img, yy, vx0 + t, 200, 200, 200)
    for t in range(vh):
        for xx in (vx0, vx0 + vw):
            if mx0 <= xx < mx0 + MINIMAP and my0 <= vy0 + t < my0 + MINIMAP:
                _put(img, vy0 + t, xx, 200, 200, 200)
    # cursor: a white arrow with a dark outline, tip at the cursor point
    cx = int(s.ship_cursor_x[n, seat])
    cy = int(s.ship_cursor_y[n, seat])
    for dy in range(0, 17):
        for dx in range(0, dy // 2 + 2):
            if dx <= dy * 0.6:
                edge = dx == 0 or dx >= dy * 0.6 - 1 or dy == 16
                if edge:
                    _put(img, cy + dy, cx + dx, 10, 10, 10)
                else:
                    _put(img, cy + dy, cx + dx, 255, 255, 255)
    _put(img, cy, cx, 255, 255, 255)


def render_frame(state: core.ArenaState, index: int = 0, seat: int = 0) -> np.ndarray:
    """uint8 [600, 800, 3]: env ``index`` as ship ``seat`` sees it (see the module docstring)."""
    img = np.zeros((FRAME_H, FRAME_W, 3), np.uint8)
    draw_frame(state, int(index), int(seat), img)
    return img
