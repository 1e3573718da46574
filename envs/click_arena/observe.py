"""ClickArena observations: what one ship sees, written by ``@njit`` kernels into preallocated buffers.

Two views of the screen of ship ``seats[n]``, for every env ``n`` asked for:

* ``write_observations``: ``objects`` float32 [N, NUM_OBJECTS, OBJECT_FEATURES], the most relevant objects on
  the screen, one row each (columns ``core.ObjectColumn``); ``object_mask`` int8 [N, NUM_OBJECTS], 1 for a real
  row; ``state`` float32 [N, STATE_FEATURES], the ship itself and a summary of its surroundings (columns
  ``core.StateColumn``).
* ``write_pixels``: the screen drawn small, uint8 [N, 3, PIXELS, PIXELS].

Both only read ``core.ArenaState`` (``write_observations`` uses its scratch arrays ``obs_score`` and
``obs_code``), and neither allocates (``NO_NRT``), so the envs call them after every step.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from botarena.envs.common.jit import NO_NRT, kernel_helper

from .core import (
    ALIEN_RADIUS,
    ALIEN_RANGE,
    BEAM_S,
    BOX_RADIUS,
    BOX_REPAIR,
    LASER_COOLDOWN,
    LASER_DAMAGE,
    LASER_RANGE,
    LOCK_ALIEN,
    LOCK_NONE,
    LOCK_SHIP,
    MAP_H,
    MAP_W,
    MAX_ALIENS,
    MAX_BOXES,
    MAX_SHIPS,
    NUM_OBJECTS,
    OBJECT_FEATURES,
    OUT_OF_COMBAT_S,
    P_CURSOR_SPEED,
    P_DIFFICULTY,
    P_MAX_TICKS,
    PIXELS,
    REPAIR_DELAY_S,
    SHIP_HULL,
    SHIP_RADIUS,
    SHIP_SHIELD,
    SHIP_SPEED,
    STATE_FEATURES,
    VIEW_H,
    VIEW_W,
    ArenaState,
    ObjectColumn,
    StateColumn,
    alien_max_hp,
    hypot,
    lock_is_valid,
    lock_position,
    screen_to_world,
    world_to_screen,
)

# ---------------------------------------------------------------------- objects and state vector
# A candidate object is coded ``group * CODE_STRIDE + index`` in ``obs_code``; its relevance score (lower is
# more relevant) goes to ``obs_score``.
CODE_STRIDE = 64
GROUP_ALIEN, GROUP_BOX, GROUP_SHIP = 0, 1, 2
SCORE_TARGETED = -1e9  # our locked target, or the box we are sent to, comes first
AGGRESSOR_BONUS = 1e6  # then objects aggressive toward us (by distance), then the rest by distance
# The minimap counts follow the scores in ``obs_score``: living aliens per map quadrant (4), then boxes (4).
MINIMAP_OFFSET = MAX_ALIENS + MAX_BOXES + MAX_SHIPS


@njit(**NO_NRT)
def write_observations(s: ArenaState, seats: np.ndarray, objects: np.ndarray, object_mask: np.ndarray,
                       state_buf: np.ndarray, which: np.ndarray) -> None:
    """Write the observation of ship ``seats[n]`` for every env ``n`` with ``which[n]``.

    ``objects`` float32 [N, 16, 20], ``object_mask`` int8 [N, 16], ``state_buf`` float32 [N, 64] (columns in
    ``ObjectColumn`` / ``StateColumn``). The 16 objects are those visible on the ship's screen (centre
    within the screen widened by the object's radius), most relevant first: the locked target (or the box we
    are sent to), then objects aggressive toward us by distance, then the rest by distance.
    """
    for n in range(s.tick.shape[0]):
        if which[n]:
            _write_obs_one(s, n, seats[n], objects[n], object_mask[n], state_buf[n], s.obs_score[n], s.obs_code[n])


@kernel_helper
def _visible(s: ArenaState, n: int, j: int, x: float, y: float, r: float) -> bool:
    """Whether an object of click radius ``r`` at world (x, y) shows on ship ``j``'s screen."""
    sx, sy = world_to_screen(s, n, j, x, y)
    return -r <= sx <= VIEW_W + r and -r <= sy <= VIEW_H + r


@njit(inline="always", **NO_NRT)
def _quadrant(x: float, y: float) -> int:
    """The map quadrant of (x, y) for the minimap: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right."""
    return (1 if x >= MAP_W * 0.5 else 0) + (2 if y >= MAP_H * 0.5 else 0)


@kernel_helper
def _write_obs_one(s: ArenaState, n: int, j: int, obj: np.ndarray, mask: np.ndarray, st: np.ndarray,
                   cand_score: np.ndarray, cand_code: np.ndarray) -> None:
    """Ship ``j``'s observation in env ``n``: gather the candidate objects, sort, write the rows and the state."""
    curx, cury = screen_to_world(s, n, j, s.ship_cursor_x[n, j], s.ship_cursor_y[n, j])
    minimap = cand_score[MINIMAP_OFFSET:]
    for q in range(8):
        minimap[q] = 0.0
    m, aliens_visible, aliens_aggressive, aliens_in_range_of_us, nearest_alien, cursor_on_alien = (
        _alien_candidates(s, n, j, curx, cury, cand_score, cand_code, minimap))
    m, boxes_visible, nearest_box, cursor_on_box = _box_candidates(s, n, j, curx, cury, cand_score, cand_code,
                                                                   minimap, m)
    m, other_ships = _ship_candidates(s, n, j, cand_score, cand_code, m)
    count = _most_relevant_first(cand_score, cand_code, m)
    _write_object_rows(s, n, j, obj, mask, cand_code, count, curx, cury)
    _write_own_state(s, n, j, st)
    ox, oy = s.ship_x[n, j], s.ship_y[n, j]
    st[StateColumn.ALIENS_VISIBLE] = min(aliens_visible / 16.0, 1.0)
    st[StateColumn.ALIENS_AGGRESSIVE] = min(aliens_aggressive / 8.0, 1.0)
    st[StateColumn.BOXES_VISIBLE] = min(boxes_visible / 8.0, 1.0)
    if nearest_alien >= 0:
        st[StateColumn.NEAREST_ALIEN_REL_X] = (s.al_x[n, nearest_alien] - ox) / VIEW_W
        st[StateColumn.NEAREST_ALIEN_REL_Y] = (s.al_y[n, nearest_alien] - oy) / VIEW_H
    if nearest_box >= 0:
        st[StateColumn.NEAREST_BOX_REL_X] = (s.box_x[n, nearest_box] - ox) / VIEW_W
        st[StateColumn.NEAREST_BOX_REL_Y] = (s.box_y[n, nearest_box] - oy) / VIEW_H
    st[StateColumn.ALIENS_IN_RANGE_OF_US] = min(aliens_in_range_of_us / 8.0, 1.0)
    st[StateColumn.OTHER_SHIPS_ALIVE] = other_ships / 3.0
    for q in range(4):
        st[StateColumn.ALIENS_Q0 + q] = minimap[q] / 16.0
        st[StateColumn.BOXES_Q0 + q] = minimap[4 + q] / 8.0
    st[StateColumn.CURSOR_ON_ALIEN] = cursor_on_alien
    st[StateColumn.CURSOR_ON_BOX] = cursor_on_box


@njit(inline="always", **NO_NRT)
def _alien_candidates(s: ArenaState, n: int, j: int, curx: float, cury: float, cand_score: np.ndarray,
                      cand_code: np.ndarray, minimap: np.ndarray) -> tuple[int, int, int, int, int, float]:
    """Score the aliens on ship ``j``'s screen into the candidates (from slot 0) and count them on the minimap.

    Returns (candidates written, aliens visible, aliens aggressive toward us anywhere, those of them within
    their shot range of us, the nearest visible alien or -1, 1.0 if the cursor is on an alien else 0.0).
    """
    ox, oy = s.ship_x[n, j], s.ship_y[n, j]
    m = 0
    visible_count, aggressive, in_their_range = 0, 0, 0
    nearest, nearest_d = -1, 1e18
    on_cursor = 0.0
    for a in range(MAX_ALIENS):
        if not s.al_alive[n, a]:
            continue
        kind = s.al_kind[n, a]
        r = ALIEN_RADIUS[kind]
        ax, ay = s.al_x[n, a], s.al_y[n, a]
        minimap[_quadrant(ax, ay)] += 1.0
        aggr = s.al_target[n, a] == j
        visible = _visible(s, n, j, ax, ay, r)
        if not (aggr or visible):
            continue  # the cursor is on the screen, so an alien off it cannot be under the cursor
        d = hypot(ax - ox, ay - oy)
        if aggr:
            aggressive += 1
            if d <= ALIEN_RANGE[kind]:
                in_their_range += 1
        if (ax - curx) ** 2 + (ay - cury) ** 2 <= r * r:
            on_cursor = 1.0
        if not visible:
            continue
        visible_count += 1
        if d < nearest_d:
            nearest, nearest_d = a, d
        score = d
        if s.ship_lock_kind[n, j] == LOCK_ALIEN and s.ship_lock_idx[n, j] == a:
            score = SCORE_TARGETED
        elif aggr:
            score = d - AGGRESSOR_BONUS
        cand_score[m] = score
        cand_code[m] = GROUP_ALIEN * CODE_STRIDE + a
        m += 1
    return m, visible_count, aggressive, in_their_range, nearest, on_cursor


@njit(inline="always", **NO_NRT)
def _box_candidates(s: ArenaState, n: int, j: int, curx: float, cury: float, cand_score: np.ndarray,
                    cand_code: np.ndarray, minimap: np.ndarray, m: int) -> tuple[int, int, int, float]:
    """Score the boxes on ship ``j``'s screen into the candidates from slot ``m``; count them on the minimap.

    Returns (candidates written so far, boxes visible, the nearest visible box or -1, 1.0 if the cursor is
    on a box else 0.0).
    """
    ox, oy = s.ship_x[n, j], s.ship_y[n, j]
    visible_count = 0
    nearest, nearest_d = -1, 1e18
    on_cursor = 0.0
    for b in range(MAX_BOXES):
        if not s.box_alive[n, b]:
            continue
        minimap[4 + _quadrant(s.box_x[n, b], s.box_y[n, b])] += 1.0
        if not _visible(s, n, j, s.box_x[n, b], s.box_y[n, b], BOX_RADIUS):
            continue
        if (s.box_x[n, b] - curx) ** 2 + (s.box_y[n, b] - cury) ** 2 <= BOX_RADIUS * BOX_RADIUS:
            on_cursor = 1.0
        visible_count += 1
        d = hypot(s.box_x[n, b] - ox, s.box_y[n, b] - oy)
        if d < nearest_d:
            nearest, nearest_d = b, d
        cand_score[m] = SCORE_TARGETED if s.ship_collect[n, j] == b else d
        cand_code[m] = GROUP_BOX * CODE_STRIDE + b
        m += 1
    return m, visible_count, nearest, on_cursor


@njit(inline="always", **NO_NRT)
def _ship_candidates(s: ArenaState, n: int, j: int, cand_score: np.ndarray, cand_code: np.ndarray,
                     m: int) -> tuple[int, int]:
    """Score the other ships on ship ``j``'s screen into the candidates from slot ``m``.

    Returns (candidates written so far, other ships alive anywhere).
    """
    ox, oy = s.ship_x[n, j], s.ship_y[n, j]
    others = 0
    for k in range(s.num_ships[n]):
        if k == j or not s.ship_alive[n, k]:
            continue
        others += 1
        if not _visible(s, n, j, s.ship_x[n, k], s.ship_y[n, k], SHIP_RADIUS):
            continue
        d = hypot(s.ship_x[n, k] - ox, s.ship_y[n, k] - oy)
        score = d
        if s.ship_lock_kind[n, j] == LOCK_SHIP and s.ship_lock_idx[n, j] == k:
            score = SCORE_TARGETED
        elif s.ship_lock_kind[n, k] == LOCK_SHIP and s.ship_lock_idx[n, k] == j:
            score = d - AGGRESSOR_BONUS  # it has us locked
        cand_score[m] = score
        cand_code[m] = GROUP_SHIP * CODE_STRIDE + k
        m += 1
    return m, others


@njit(inline="always", **NO_NRT)
def _most_relevant_first(cand_score: np.ndarray, cand_code: np.ndarray, m: int) -> int:
    """Partial selection sort of the ``m`` candidates: the ``NUM_OBJECTS`` best (lowest score, ties by code)
    first. Returns how many rows they fill."""
    count = min(m, NUM_OBJECTS)
    for i in range(count):
        best = i
        for k in range(i + 1, m):
            if cand_score[k] < cand_score[best] or (cand_score[k] == cand_score[best]
                                                     and cand_code[k] < cand_code[best]):
                best = k
        if best != i:
            ts, tc = cand_score[i], cand_code[i]
            cand_score[i], cand_code[i] = cand_score[best], cand_code[best]
            cand_score[best], cand_code[best] = ts, tc
    return count


@njit(inline="always", **NO_NRT)
def _write_object_rows(s: ArenaState, n: int, j: int, obj: np.ndarray, mask: np.ndarray, cand_code: np.ndarray,
                       count: int, curx: float, cury: float) -> None:
    """The ``objects`` rows and ``object_mask`` of the ``count`` sorted candidates; zero rows after them."""
    ox, oy = s.ship_x[n, j], s.ship_y[n, j]
    for i in range(NUM_OBJECTS):
        if i >= count or mask[i]:  # rows written last time may hold another kind's one-hot
            for c in range(OBJECT_FEATURES):
                obj[i, c] = 0.0
        mask[i] = 0
    for i in range(count):
        group = cand_code[i] // CODE_STRIDE
        idx = cand_code[i] % CODE_STRIDE
        if group == GROUP_ALIEN:
            x, y, vx, vy = s.al_x[n, idx], s.al_y[n, idx], s.al_vx[n, idx], s.al_vy[n, idx]
            r = ALIEN_RADIUS[s.al_kind[n, idx]]
            onehot = ObjectColumn.IS_ALIEN_FAST + s.al_kind[n, idx]  # the alien one-hots follow the KIND_* order
            health = s.al_hp[n, idx] / alien_max_hp(s, n, idx)
            targeted = 1.0 if (s.ship_lock_kind[n, j] == LOCK_ALIEN and s.ship_lock_idx[n, j] == idx) else 0.0
            aggressive = 1.0 if s.al_target[n, idx] == j else 0.0
        elif group == GROUP_BOX:
            x, y, vx, vy = s.box_x[n, idx], s.box_y[n, idx], 0.0, 0.0
            r = BOX_RADIUS
            onehot = ObjectColumn.IS_BOX_REPAIR if s.box_kind[n, idx] == BOX_REPAIR else ObjectColumn.IS_BOX_CREDITS
            health = 1.0
            targeted = 1.0 if s.ship_collect[n, j] == idx else 0.0
            aggressive = 0.0
        else:
            x, y, vx, vy = s.ship_x[n, idx], s.ship_y[n, idx], s.ship_vx[n, idx], s.ship_vy[n, idx]
            r = SHIP_RADIUS
            onehot = ObjectColumn.IS_SHIP
            health = s.ship_hull[n, idx] / SHIP_HULL
            targeted = 1.0 if (s.ship_lock_kind[n, j] == LOCK_SHIP and s.ship_lock_idx[n, j] == idx) else 0.0
            aggressive = 1.0 if (s.ship_lock_kind[n, idx] == LOCK_SHIP and s.ship_lock_idx[n, idx] == j) else 0.0
        d = hypot(x - ox, y - oy)
        sx, sy = world_to_screen(s, n, j, x, y)
        row = obj[i]
        row[ObjectColumn.PRESENT] = 1.0
        row[onehot] = 1.0
        row[ObjectColumn.SCREEN_X] = sx / VIEW_W
        row[ObjectColumn.SCREEN_Y] = sy / VIEW_H
        row[ObjectColumn.REL_X] = (x - ox) / VIEW_W
        row[ObjectColumn.REL_Y] = (y - oy) / VIEW_H
        row[ObjectColumn.VEL_X] = vx / SHIP_SPEED
        row[ObjectColumn.VEL_Y] = vy / SHIP_SPEED
        row[ObjectColumn.RADIUS] = r / 50.0
        row[ObjectColumn.HEALTH] = health
        row[ObjectColumn.TARGETED] = targeted
        row[ObjectColumn.AGGRESSIVE] = aggressive
        row[ObjectColumn.DISTANCE] = min(d / LASER_RANGE, 4.0)
        row[ObjectColumn.IN_RANGE] = 1.0 if d <= LASER_RANGE else 0.0
        row[ObjectColumn.UNDER_CURSOR] = 1.0 if hypot(x - curx, y - cury) <= r else 0.0
        mask[i] = 1


@njit(inline="always", **NO_NRT)
def _write_own_state(s: ArenaState, n: int, j: int, st: np.ndarray) -> None:
    """The ``state`` columns that describe ship ``j`` itself (every other column is left 0)."""
    ox, oy = s.ship_x[n, j], s.ship_y[n, j]
    for c in range(STATE_FEATURES):
        st[c] = 0.0
    st[StateColumn.HULL] = s.ship_hull[n, j] / SHIP_HULL
    st[StateColumn.SHIELD] = s.ship_shield[n, j] / SHIP_SHIELD
    st[StateColumn.POS_X] = ox / MAP_W
    st[StateColumn.POS_Y] = oy / MAP_H
    st[StateColumn.VEL_X] = s.ship_vx[n, j] / SHIP_SPEED
    st[StateColumn.VEL_Y] = s.ship_vy[n, j] / SHIP_SPEED
    st[StateColumn.CURSOR_X] = s.ship_cursor_x[n, j] / VIEW_W
    st[StateColumn.CURSOR_Y] = s.ship_cursor_y[n, j] / VIEW_H
    st[StateColumn.CMD_X] = s.ship_cmd_x[n, j] / VIEW_W
    st[StateColumn.CMD_Y] = s.ship_cmd_y[n, j] / VIEW_H
    st[StateColumn.CLICK_HELD] = s.ship_click_prev[n, j]
    st[StateColumn.ATTACK_HELD] = s.ship_attack[n, j]
    if s.ship_lock_kind[n, j] != LOCK_NONE and lock_is_valid(s, n, j):
        _write_lock_state(s, n, j, st)
    st[StateColumn.COOLDOWN] = s.ship_cooldown[n, j] / LASER_COOLDOWN
    st[StateColumn.LASER_READY] = 1.0 if s.ship_cooldown[n, j] <= 0.0 else 0.0
    st[StateColumn.FIRING] = 1.0 if s.ship_beam[n, j] >= BEAM_S - 1e-9 else 0.0  # the beam was drawn this frame
    since_combat = s.ship_since_combat[n, j]
    st[StateColumn.IN_COMBAT] = 1.0 if since_combat < OUT_OF_COMBAT_S else 0.0
    st[StateColumn.SINCE_COMBAT] = min(since_combat / 10.0, 1.0)
    st[StateColumn.SHIELD_REGEN] = 1.0 if (since_combat >= OUT_OF_COMBAT_S
                                           and s.ship_shield[n, j] < SHIP_SHIELD) else 0.0
    st[StateColumn.HULL_REPAIR] = 1.0 if (since_combat >= REPAIR_DELAY_S and s.ship_hull[n, j] < SHIP_HULL) else 0.0
    st[StateColumn.MOVING] = s.ship_moving[n, j]
    if s.ship_moving[n, j]:
        st[StateColumn.FLY_REL_X] = (s.ship_tx[n, j] - ox) / VIEW_W
        st[StateColumn.FLY_REL_Y] = (s.ship_ty[n, j] - oy) / VIEW_H
    st[StateColumn.COLLECTING] = 1.0 if s.ship_collect[n, j] >= 0 else 0.0
    st[StateColumn.CREDITS] = math.log1p(s.ship_credits[n, j]) / 12.0
    st[StateColumn.KILLS] = min(s.ship_kills[n, j] / 20.0, 1.0)
    max_ticks = max(s.params[n, P_MAX_TICKS], 1.0)
    st[StateColumn.TIME] = min(s.tick[n] / max_ticks, 1.0)
    st[StateColumn.TIME_LEFT] = 1.0 - st[StateColumn.TIME]
    st[StateColumn.WALL_LEFT] = min(ox / VIEW_W, 1.0)
    st[StateColumn.WALL_RIGHT] = min((MAP_W - ox) / VIEW_W, 1.0)
    st[StateColumn.WALL_TOP] = min(oy / VIEW_H, 1.0)
    st[StateColumn.WALL_BOTTOM] = min((MAP_H - oy) / VIEW_H, 1.0)
    st[StateColumn.STEP_DAMAGE] = s.step_damage[n, j] / LASER_DAMAGE
    st[StateColumn.STEP_HULL_LOST] = s.step_hull_lost[n, j] / 1000.0
    st[StateColumn.CURSOR_LIMITED] = 1.0 if math.isfinite(s.params[n, P_CURSOR_SPEED]) else 0.0
    st[StateColumn.DIFFICULTY] = s.params[n, P_DIFFICULTY] * 0.5


@njit(inline="always", **NO_NRT)
def _write_lock_state(s: ArenaState, n: int, j: int, st: np.ndarray) -> None:
    """The ``state`` columns of ship ``j``'s (valid) lock: its kind, position, health, distance."""
    ox, oy = s.ship_x[n, j], s.ship_y[n, j]
    lx, ly = lock_position(s, n, j)
    idx = s.ship_lock_idx[n, j]
    st[StateColumn.HAS_LOCK] = 1.0
    if s.ship_lock_kind[n, j] == LOCK_ALIEN:
        st[StateColumn.LOCK_IS_ALIEN] = 1.0
        st[StateColumn.LOCK_HEALTH] = s.al_hp[n, idx] / alien_max_hp(s, n, idx)
    else:
        st[StateColumn.LOCK_IS_SHIP] = 1.0
        st[StateColumn.LOCK_HEALTH] = s.ship_hull[n, idx] / SHIP_HULL
    st[StateColumn.LOCK_REL_X] = (lx - ox) / VIEW_W
    st[StateColumn.LOCK_REL_Y] = (ly - oy) / VIEW_H
    lsx, lsy = world_to_screen(s, n, j, lx, ly)
    st[StateColumn.LOCK_SCREEN_X] = lsx / VIEW_W
    st[StateColumn.LOCK_SCREEN_Y] = lsy / VIEW_H
    ld = hypot(lx - ox, ly - oy)
    st[StateColumn.LOCK_DISTANCE] = min(ld / LASER_RANGE, 4.0)
    st[StateColumn.LOCK_IN_RANGE] = 1.0 if ld <= LASER_RANGE else 0.0


# ---------------------------------------------------------------------- pixels observation
# Colours (R, G, B) of the small picture.
PIXEL_SPACE = (4, 8, 28)  # dark blue
PIXEL_OFF_MAP = (40, 40, 48)  # grey beyond the map edges
PIXEL_BOX_CREDITS = (240, 220, 40)  # yellow
PIXEL_BOX_REPAIR = (40, 230, 60)  # green
PIXEL_ALIEN = ((255, 40, 40), (255, 140, 20), (170, 60, 230))  # by kind: red, orange, purple; times brightness
PIXEL_OWN_SHIP = (40, 230, 255)  # cyan
PIXEL_OTHER_SHIP = (245, 245, 245)  # white
PIXEL_WHITE = (255, 255, 255)  # the lock dot and the cursor cross


@kernel_helper
def _disc(img: np.ndarray, cx: float, cy: float, r: float, c0: int, c1: int, c2: int) -> None:
    """Fill the pixels of ``img`` [3, H, W] whose centres lie within ``r`` of (cx, cy) with colour (c0, c1, c2)."""
    h, w = img.shape[1], img.shape[2]
    y0 = max(int(cy - r), 0)
    y1 = min(int(cy + r) + 1, h)
    x0 = max(int(cx - r), 0)
    x1 = min(int(cx + r) + 1, w)
    r2 = r * r
    for y in range(y0, y1):
        for x in range(x0, x1):
            if (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r2:
                img[0, y, x] = c0
                img[1, y, x] = c1
                img[2, y, x] = c2


@njit(**NO_NRT)
def write_pixels(s: ArenaState, seats: np.ndarray, pixels: np.ndarray, which: np.ndarray) -> None:
    """A ``PIXELS x PIXELS`` uint8 [3, H, W] picture of ship ``seats[n]``'s screen for every env with ``which[n]``.

    The 800 x 600 screen is scaled to 96 x 96 (x by 0.12, y by 0.16). Dark-blue space, map edges grey;
    aliens red (fast), orange (medium), purple (tank) with brightness = health; boxes yellow (credits) or
    green (repair); our ship cyan, other ships white; the locked target has a white dot at its centre; the
    cursor is a 3-pixel white cross.
    """
    sxs = PIXELS / VIEW_W
    sys_ = PIXELS / VIEW_H
    for n in range(s.tick.shape[0]):
        if not which[n]:
            continue
        j = seats[n]
        img = pixels[n]
        _draw_space(img, s.ship_x[n, j], s.ship_y[n, j])
        for b in range(MAX_BOXES):
            if s.box_alive[n, b]:
                px, py = world_to_screen(s, n, j, s.box_x[n, b], s.box_y[n, b])
                c0, c1, c2 = PIXEL_BOX_REPAIR if s.box_kind[n, b] == BOX_REPAIR else PIXEL_BOX_CREDITS
                _disc(img, px * sxs, py * sys_, 2.0, c0, c1, c2)
        for a in range(MAX_ALIENS):
            if s.al_alive[n, a]:
                kind = s.al_kind[n, a]
                px, py = world_to_screen(s, n, j, s.al_x[n, a], s.al_y[n, a])
                f = 0.4 + 0.6 * s.al_hp[n, a] / alien_max_hp(s, n, a)
                r = max(ALIEN_RADIUS[kind] * sxs, 1.5)
                c0, c1, c2 = PIXEL_ALIEN[kind]
                _disc(img, px * sxs, py * sys_, r, int(c0 * f), int(c1 * f), int(c2 * f))
        for k in range(s.num_ships[n]):
            if s.ship_alive[n, k]:
                px, py = world_to_screen(s, n, j, s.ship_x[n, k], s.ship_y[n, k])
                c0, c1, c2 = PIXEL_OWN_SHIP if k == j else PIXEL_OTHER_SHIP
                _disc(img, px * sxs, py * sys_, 2.6, c0, c1, c2)
        if s.ship_lock_kind[n, j] != LOCK_NONE and lock_is_valid(s, n, j):
            lx, ly = lock_position(s, n, j)
            px, py = world_to_screen(s, n, j, lx, ly)
            _disc(img, px * sxs, py * sys_, 0.8, PIXEL_WHITE[0], PIXEL_WHITE[1], PIXEL_WHITE[2])
        _draw_cursor(img, int(s.ship_cursor_x[n, j] * sxs), int(s.ship_cursor_y[n, j] * sys_))


@njit(inline="always", **NO_NRT)
def _draw_space(img: np.ndarray, ox: float, oy: float) -> None:
    """The background of the screen centred on world (ox, oy): space inside the map, grey beyond its edges."""
    sxs = PIXELS / VIEW_W
    sys_ = PIXELS / VIEW_H
    for y in range(PIXELS):
        wy = oy + (y + 0.5) / sys_ - VIEW_H * 0.5
        for x in range(PIXELS):
            wx = ox + (x + 0.5) / sxs - VIEW_W * 0.5
            c0, c1, c2 = PIXEL_OFF_MAP if wx < 0.0 or wy < 0.0 or wx > MAP_W or wy > MAP_H else PIXEL_SPACE
            img[0, y, x] = c0
            img[1, y, x] = c1
            img[2, y, x] = c2


@njit(inline="always", **NO_NRT)
def _draw_cursor(img: np.ndarray, cx: int, cy: int) -> None:
    """A 3-pixel white cross at pixel (cx, cy), clipped to the picture."""
    for d in range(-1, 2):
        for (x, y) in ((cx + d, cy), (cx, cy + d)):
            if 0 <= x < PIXELS and 0 <= y < PIXELS:
                img[0, y, x] = PIXEL_WHITE[0]
                img[1, y, x] = PIXEL_WHITE[1]
                img[2, y, x] = PIXEL_WHITE[2]


__all__ = ["write_observations", "write_pixels"]
