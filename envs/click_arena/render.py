"""ClickArena frames drawn by numba kernels from the state (headless ``rgb_array``); ``render_mode="human"``
shows the same frames through ``botarena.envs.common.window`` (pygame, imported only when a window opens).

The frame is one ship's 800 x 600 screen in DarkOrbit's look: black space with a parallax star field and
faint nebula tint, the map edge as a dashed red line, aliens as coloured hulls (green Streuners, orange
Saimons, purple Mordons) with a hull bar above them, bonus boxes as yellow (credits) or green (repair)
crates, ships as blue (ours) or white (others) arrowheads pointing where they fly, a red lock ring with
corner brackets around the locked target, laser beams (red from ships, green from aliens), the fly target
as a small cross, the cursor as a white arrow, and the HUD: hull (green) and shield (blue) bars top-left,
the laser cooldown bar, credits / kills / time in the shared 3x5 pixel font top-right, and a minimap bottom-right
(aliens red, boxes yellow, ships blue / white, the screen as a rectangle).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from botarena.envs.common import draw
from botarena.envs.common.validation import check_int

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
                draw.put_pixel(img, y, x, int(col[0] * shade), int(col[1] * shade), int(col[2] * shade))
    # engine glow behind the ship while it moves
    if sp > 1e-6:
        draw.fill_circle(img, cx - ux * 20.0, cy - uy * 20.0, 5.0, 255, 200, 90)
    draw.fill_circle(img, cx + ux * 6.0, cy + uy * 6.0, 4.0, 200, 240, 255)


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
                draw.put_pixel(img, y, x, int(col[0] * shade), int(col[1] * shade), int(col[2] * shade))
    draw.fill_circle(img, cx, cy, rad * 0.25, 255, 255, 220)


# ---------------------------------------------------------------------- the phases of a frame, back to front
@njit(cache=True, nogil=True)
def _draw_space(img: np.ndarray, left: float, top: float) -> None:
    """Background: space with a faint nebula, outside the map a dull red, then two parallax star layers."""
    h, w = img.shape[0], img.shape[1]
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
                draw.put_pixel(img, py, px, lum, lum, min(lum + 30, 255))


@njit(cache=True, nogil=True)
def _draw_map_edge(img: np.ndarray, left: float, top: float) -> None:
    """The map edge, dashed red."""
    for t in range(0, int(core.MAP_W), 8):
        if (t // 16) % 2 == 0:
            for (ex, ey) in ((float(t), 0.0), (float(t), core.MAP_H), (0.0, float(t)), (core.MAP_W, float(t))):
                draw.put_pixel(img, int(ey - top), int(ex - left), 200, 40, 40)


@njit(cache=True, nogil=True)
def _draw_boxes(s: core.ArenaState, n: int, seat: int, img: np.ndarray) -> None:
    """Bonus boxes: crates with a dark rim and band; a white ring around the one we fly to collect."""
    for bb in range(core.MAX_BOXES):
        if s.box_alive[n, bb]:
            px, py = core.world_to_screen(s, n, seat, s.box_x[n, bb], s.box_y[n, bb])
            col = BOX_COLOURS[s.box_kind[n, bb]]
            draw.fill_box(img, int(px) - 9, int(py) - 9, 18, 18, col[0] // 2, col[1] // 2, col[2] // 2)
            draw.fill_box(img, int(px) - 7, int(py) - 7, 14, 14, col[0], col[1], col[2])
            draw.fill_box(img, int(px) - 7, int(py) - 1, 14, 2, col[0] // 2, col[1] // 2, col[2] // 2)
            if s.ship_collect[n, seat] == bb:
                draw.stroke_circle(img, px, py, 16.0, 2.0, 255, 255, 255)


@njit(cache=True, nogil=True)
def _draw_alien_shots(s: core.ArenaState, n: int, seat: int, img: np.ndarray) -> None:
    """Alien shots: green beams to their targets."""
    for a in range(core.MAX_ALIENS):
        if s.al_alive[n, a] and s.al_beam[n, a] > 0.0 and s.al_target[n, a] >= 0:
            t = s.al_target[n, a]
            x0, y0 = core.world_to_screen(s, n, seat, s.al_x[n, a], s.al_y[n, a])
            x1, y1 = core.world_to_screen(s, n, seat, s.ship_x[n, t], s.ship_y[n, t])
            draw.stroke_line(img, x0, y0, x1, y1, 80, 255, 120, 2)


@njit(cache=True, nogil=True)
def _draw_aliens(s: core.ArenaState, n: int, seat: int, img: np.ndarray, phase: float) -> None:
    """Aliens on screen with hull bars; an orange ring around those attacking us."""
    h, w = img.shape[0], img.shape[1]
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
        draw.draw_bar(img, int(px - rad), int(py - rad) - 9, int(2 * rad), 3, frac, HULL_GREEN)
        if s.al_target[n, a] == seat:
            draw.stroke_circle(img, px, py, rad + 3.0, 1.0, 255, 120, 60)


@njit(cache=True, nogil=True)
def _draw_ships(s: core.ArenaState, n: int, seat: int, img: np.ndarray) -> None:
    """Ships: shield flash, hull, other ships' hull and shield bars, laser beams."""
    for k in range(s.num_ships[n]):
        if not s.ship_alive[n, k]:
            continue
        px, py = core.world_to_screen(s, n, seat, s.ship_x[n, k], s.ship_y[n, k])
        col = OWN_SHIP if k == seat else OTHER_SHIP
        if s.ship_since_combat[n, k] < 0.2 and s.ship_shield[n, k] > 0.0:
            draw.stroke_circle(img, px, py, 30.0, 2.0, 90, 160, 255)
        _ship_shape(img, px, py, s.ship_vx[n, k], s.ship_vy[n, k], col)
        if k != seat:
            draw.draw_bar(img, int(px) - 25, int(py) - 38, 50, 3, s.ship_hull[n, k] / core.SHIP_HULL, HULL_GREEN)
            draw.draw_bar(img, int(px) - 25, int(py) - 33, 50, 3, s.ship_shield[n, k] / core.SHIP_SHIELD, SHIELD_BLUE)
        if s.ship_beam[n, k] > 0.0:
            x1, y1 = core.world_to_screen(s, n, seat, s.ship_beam_x[n, k], s.ship_beam_y[n, k])
            draw.stroke_line(img, px, py, x1, y1, 255, 60, 60, 3)
            draw.stroke_line(img, px, py, x1, y1, 255, 220, 220, 1)


@njit(cache=True, nogil=True)
def _draw_fly_target(s: core.ArenaState, n: int, seat: int, img: np.ndarray) -> None:
    """Our fly target, a small cross, while we fly somewhere other than to a box."""
    if s.ship_alive[n, seat] and s.ship_moving[n, seat] and s.ship_collect[n, seat] < 0:
        tx, ty = core.world_to_screen(s, n, seat, s.ship_tx[n, seat], s.ship_ty[n, seat])
        draw.stroke_line(img, tx - 6, ty, tx + 6, ty, 120, 200, 255, 1)
        draw.stroke_line(img, tx, ty - 6, tx, ty + 6, 120, 200, 255, 1)


@njit(cache=True, nogil=True)
def _draw_lock_ring(s: core.ArenaState, n: int, seat: int, img: np.ndarray) -> None:
    """Our lock: a red ring with corner brackets around the locked target while it lives."""
    kind = s.ship_lock_kind[n, seat]
    if kind == core.LOCK_NONE:
        return
    idx = s.ship_lock_idx[n, seat]
    ok = s.al_alive[n, idx] == 1 if kind == core.LOCK_ALIEN else s.ship_alive[n, idx] == 1
    if not ok:
        return
    lx, ly = core.lock_position(s, n, seat)
    px, py = core.world_to_screen(s, n, seat, lx, ly)
    rad = (core.ALIEN_RADIUS[s.al_kind[n, idx]] if kind == core.LOCK_ALIEN else core.SHIP_RADIUS) + 8.0
    draw.stroke_circle(img, px, py, rad, 2.0, LOCK_RED[0], LOCK_RED[1], LOCK_RED[2])
    for sx in (-1.0, 1.0):
        for sy in (-1.0, 1.0):
            cx = px + sx * (rad + 4.0)
            cy = py + sy * (rad + 4.0)
            draw.stroke_line(img, cx, cy, cx - sx * 8.0, cy, 255, 40, 40, 2)
            draw.stroke_line(img, cx, cy, cx, cy - sy * 8.0, 255, 40, 40, 2)


@njit(cache=True, nogil=True)
def _draw_hud(s: core.ArenaState, n: int, seat: int, img: np.ndarray) -> None:
    """HUD: hull, shield and laser cooldown bars top left; credits, kills and time (mm:ss) top right."""
    w = img.shape[1]
    draw.fill_box(img, 8, 8, 224, 46, 12, 16, 28)
    draw.draw_bar(img, 14, 14, 212, 10, s.ship_hull[n, seat] / core.SHIP_HULL, HULL_GREEN)
    draw.draw_bar(img, 14, 29, 212, 10, s.ship_shield[n, seat] / core.SHIP_SHIELD, SHIELD_BLUE)
    ready = 1.0 - s.ship_cooldown[n, seat] / core.LASER_COOLDOWN
    draw.draw_bar(img, 14, 44, 212, 4, ready, LOCK_RED)
    draw.fill_box(img, w - 200, 8, 192, 46, 12, 16, 28)
    draw.fill_box(img, w - 194, 15, 10, 10, 250, 215, 50)  # credits icon
    draw.draw_number(img, int(s.ship_credits[n, seat]), w - 178, 15, 2, 250, 215, 50)
    draw.fill_circle(img, w - 189, 38, 5.0, ALIEN_COLOURS[0, 0], ALIEN_COLOURS[0, 1], ALIEN_COLOURS[0, 2])  # kills icon
    draw.draw_number(img, int(s.ship_kills[n, seat]), w - 178, 33, 2, 230, 230, 230)
    secs = int(s.tick[n] // core.FPS)
    x = draw.draw_number(img, secs // 60, w - 80, 33, 2, 180, 200, 230)
    draw.draw_glyph(img, draw.COLON, x, 33, 2, 180, 200, 230)
    m = (secs % 60)
    draw.draw_glyph(img, m // 10, x + 8, 33, 2, 180, 200, 230)
    draw.draw_glyph(img, m % 10, x + 16, 33, 2, 180, 200, 230)


@njit(cache=True, nogil=True)
def _draw_minimap(s: core.ArenaState, n: int, seat: int, img: np.ndarray, left: float, top: float) -> None:
    """Minimap bottom right: aliens red, boxes yellow, ships blue / white, the screen as a rectangle."""
    h, w = img.shape[0], img.shape[1]
    mx0 = w - MINIMAP - MINIMAP_MARGIN
    my0 = h - MINIMAP - MINIMAP_MARGIN
    for y in range(my0, my0 + MINIMAP):
        for x in range(mx0, mx0 + MINIMAP):
            draw.blend_pixel(img, y, x, 10, 20, 40, 0.8)
    for t in range(MINIMAP):
        draw.put_pixel(img, my0, mx0 + t, 90, 110, 150)
        draw.put_pixel(img, my0 + MINIMAP - 1, mx0 + t, 90, 110, 150)
        draw.put_pixel(img, my0 + t, mx0, 90, 110, 150)
        draw.put_pixel(img, my0 + t, mx0 + MINIMAP - 1, 90, 110, 150)
    sc = MINIMAP / core.MAP_W
    for a in range(core.MAX_ALIENS):
        if s.al_alive[n, a]:
            draw.fill_box(img, mx0 + int(s.al_x[n, a] * sc) - 1, my0 + int(s.al_y[n, a] * sc) - 1, 2, 2, 230, 60, 60)
    for bb in range(core.MAX_BOXES):
        if s.box_alive[n, bb]:
            draw.fill_box(img, mx0 + int(s.box_x[n, bb] * sc) - 1, my0 + int(s.box_y[n, bb] * sc) - 1, 2, 2,
                     250, 215, 50)
    for k in range(s.num_ships[n]):
        if s.ship_alive[n, k]:
            col = OWN_SHIP if k == seat else OTHER_SHIP
            draw.fill_box(img, mx0 + int(s.ship_x[n, k] * sc) - 2, my0 + int(s.ship_y[n, k] * sc) - 2, 4, 4,
                     col[0], col[1], col[2])
    vx0 = mx0 + int(left * sc)
    vy0 = my0 + int(top * sc)
    vw = int(core.VIEW_W * sc)
    vh = int(core.VIEW_H * sc)
    for t in range(vw):
        for yy in (vy0, vy0 + vh):
            if my0 <= yy < my0 + MINIMAP and mx0 <= vx0 + t < mx0 + MINIMAP:
                draw.put_pixel(img, yy, vx0 + t, 200, 200, 200)
    for t in range(vh):
        for xx in (vx0, vx0 + vw):
            if mx0 <= xx < mx0 + MINIMAP and my0 <= vy0 + t < my0 + MINIMAP:
                draw.put_pixel(img, vy0 + t, xx, 200, 200, 200)


@njit(cache=True, nogil=True)
def _draw_cursor(s: core.ArenaState, n: int, seat: int, img: np.ndarray) -> None:
    """The cursor: a white arrow with a dark outline, tip at the cursor point."""
    cx = int(s.ship_cursor_x[n, seat])
    cy = int(s.ship_cursor_y[n, seat])
    for dy in range(0, 17):
        for dx in range(0, dy // 2 + 2):
            if dx <= dy * 0.6:
                edge = dx == 0 or dx >= dy * 0.6 - 1 or dy == 16
                if edge:
                    draw.put_pixel(img, cy + dy, cx + dx, 10, 10, 10)
                else:
                    draw.put_pixel(img, cy + dy, cx + dx, 255, 255, 255)
    draw.put_pixel(img, cy, cx, 255, 255, 255)


@njit(cache=True, nogil=True)
def draw_frame(s: core.ArenaState, n: int, seat: int, img: np.ndarray) -> None:
    """Draw env ``n`` as seen by ship ``seat`` into ``img`` uint8 [600, 800, 3], back to front."""
    left = s.ship_x[n, seat] - core.VIEW_W * 0.5
    top = s.ship_y[n, seat] - core.VIEW_H * 0.5
    _draw_space(img, left, top)
    _draw_map_edge(img, left, top)
    _draw_boxes(s, n, seat, img)
    _draw_alien_shots(s, n, seat, img)
    _draw_aliens(s, n, seat, img, s.tick[n] * 0.05)
    _draw_ships(s, n, seat, img)
    _draw_fly_target(s, n, seat, img)
    _draw_lock_ring(s, n, seat, img)
    _draw_hud(s, n, seat, img)
    _draw_minimap(s, n, seat, img, left, top)
    _draw_cursor(s, n, seat, img)


def render_frame(state: core.ArenaState, index: int = 0, seat: int = 0) -> np.ndarray:
    """uint8 [600, 800, 3]: env ``index`` as ship ``seat`` sees it (see the module docstring)."""
    # The kernel does not check its indices: a bad one would read past the state's arrays.
    num_envs, num_seats = state.ship_x.shape
    check_int("index", index, 0, num_envs - 1)
    check_int("seat", seat, 0, num_seats - 1)
    img = np.zeros((FRAME_H, FRAME_W, 3), np.uint8)
    draw_frame(state, int(index), int(seat), img)
    return img
