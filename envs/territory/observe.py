"""Territory observations and action masks: what one seat sees of a ``TerritoryState`` (``core``).

The writers fill caller-owned buffers (``map`` uint8 [N, 5, H, W], ``global`` float32 [N, 16], masks int8) for
the seat ``seats[n]`` of every env; the tables are in ``env.py``'s docstring. They run on the step path:
``NO_NRT``, no allocation.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from botarena.envs.common.jit import NO_NRT

from .core import (
    CITY,
    DIR_DX,
    DIR_DY,
    HILLS,
    IMPASSABLE,
    INTENSITY_PERCENT,
    MAX_ATTACKS,
    MOUNTAIN,
    NEUTRAL,
    NO_ATTACK,
    NUM_DIRECTIONS,
    NUM_INTENSITIES,
    ROW_SHIFT,
    WAIT,
    WATER,
    _collect_frontier_v,
    _direction_primary,
    _front_key,
    _launch_ok_v,
    _next_stamp,
    _owned_around,
    _ray_target_v,
    _row_magic,
    max_troops,
)

# Observation encodings (documented in env.py's observation table).
OBS_CHANNELS = 5
GLOBAL_FEATURES = 16
TERRAIN_OBS = np.array([0, 64, 128, 192, 255], dtype=np.uint8)
LOG_TROOP_NORM = 16.0


# ---------------------------------------------------------------------------------------------------------
# Observations and action masks for one seat per env
# ---------------------------------------------------------------------------------------------------------
@njit(**NO_NRT)
def _write_static_plane(te, c3):
    """Channel 3 (terrain and cities): it only changes when a game is reset."""
    h = te.shape[0]
    w = te.shape[1]
    t_hill = np.uint8(HILLS)
    t_city = np.uint8(CITY)
    t_water = np.uint8(WATER)
    t_mount = np.uint8(MOUNTAIN)
    v_hill = TERRAIN_OBS[HILLS]
    v_city = TERRAIN_OBS[CITY]
    v_water = TERRAIN_OBS[WATER]
    full = np.uint8(255)
    zero = np.uint8(0)
    for y in range(h):
        for x in range(w):
            # TERRAIN_OBS as a select chain on uint8 (codes 0..4 -> 0, 64, 128, 192, 255).
            tv = te[y, x]
            c3[y, x] = full if tv == t_mount else (v_water if tv == t_water else (
                v_city if tv == t_city else (v_hill if tv == t_hill else zero)))


@njit(**NO_NRT, inline="always")
def _enemy_value(troops_n, me, q):
    """Channel 1's value on player ``q``'s land as seen by ``me``: ``q``'s strength against us (0 for us and
    for seats the game does not have)."""
    if q == me or q >= troops_n.shape[0]:
        return np.uint8(0)
    tot = troops_n[q] + troops_n[me]
    return np.uint8(1 + (254 * troops_n[q]) // tot if tot > 0 else 128)


@njit(**NO_NRT)
def _write_owner_planes(ow, c0, c1, c2, me, troops_n):
    """Channels 0-2 (own, enemy strength, neutral) in one vectorised pass over the owner map."""
    h = ow.shape[0]
    w = ow.shape[1]
    e0 = _enemy_value(troops_n, me, 0)
    e1 = _enemy_value(troops_n, me, 1)
    e2 = _enemy_value(troops_n, me, 2)
    e3 = _enemy_value(troops_n, me, 3)
    e4 = _enemy_value(troops_n, me, 4)
    e5 = _enemy_value(troops_n, me, 5)
    e6 = _enemy_value(troops_n, me, 6)
    e7 = _enemy_value(troops_n, me, 7)
    me8 = np.int8(me)
    neu = np.int8(NEUTRAL)
    full = np.uint8(255)
    zero = np.uint8(0)
    # Row loops over int8 values with selects only, so LLVM vectorises them (measured ~10x over gathers).
    for y in range(h):
        for x in range(w):
            o = ow[y, x]
            c0[y, x] = full if o == me8 else zero
            # Select chain over the eight possible seats (e_q = 0 for us and absent seats): a gather from a
            # table or a per-player pass did not vectorise and cost 10x more.
            c1[y, x] = e0 if o == 0 else (e1 if o == 1 else (e2 if o == 2 else (e3 if o == 3 else (
                e4 if o == 4 else (e5 if o == 5 else (e6 if o == 6 else (e7 if o == 7 else zero)))))))
            c2[y, x] = full if o == neu else zero


@njit(**NO_NRT)
def _write_border_plane(ow, bh, bn, c4, me):
    """Channel 4 from ``me``'s border list; returns the players touching ``me`` (bit ``q`` set iff ``q`` owns a
    tile 4-adjacent to ``me``'s land).

    255 on own tiles with a foreign passable 4-neighbour (exactly the border list), 128 on passable foreign
    tiles with an own 4-neighbour (each has an own neighbour, which is then on the border list), 0 elsewhere:
    a clear and a walk of the border instead of a stencil over the whole map.
    """
    h = ow.shape[0]
    w = ow.shape[1]
    m = _row_magic(w)
    c4[:, :] = 0
    bits = 0
    full = np.uint8(255)
    half = np.uint8(128)
    for j in range(bh[me] - 1, -1, -1):
        b = bn[me, j]
        if b < 0:
            continue
        by = (b * m) >> ROW_SHIFT
        bx = b - by * w
        c4[by, bx] = full
        for d in range(4):
            ny = by + (-1 if d == 0 else (1 if d == 1 else 0))
            nx = bx + (-1 if d == 2 else (1 if d == 3 else 0))
            if ny < 0 or ny >= h or nx < 0 or nx >= w:
                continue
            o = ow[ny, nx]
            if o == me or o == IMPASSABLE:
                continue
            c4[ny, nx] = half
            if o >= 0:
                bits |= 1 << int(o)
    return bits


@njit(**NO_NRT)
def write_observations_for(s, seats, map_out, global_out, max_ticks, envs, static):
    """``write_observations`` for the envs with ``envs[n]`` only (uint8/bool [N]); the terrain channel 3 only
    where ``static[n]`` too (it changes only at a reset: the envs keep their buffers between steps).
    """
    num_envs = s.owner.shape[0]
    for n in range(num_envs):
        if not envs[n]:
            continue
        me = seats[n]
        ow = s.owner[n]
        # One 2-D view per plane and env, not one per row (with NRT on, a view per row cost an incref/decref
        # pair each: ~30 % of the kernel time then).
        _write_owner_planes(ow, map_out[n, 0], map_out[n, 1], map_out[n, 2], me, s.troops[n])
        if static[n]:
            _write_static_plane(s.terrain[n], map_out[n, 3])
        touching = _write_border_plane(ow, s.b_end[n], s.b_list[n], map_out[n, 4], me)
        _write_global(s, n, me, global_out, max_ticks, touching)


@njit(cache=True, nogil=True)
def write_observations(s, seats, map_out, global_out, max_ticks):
    """Fill ``map_out`` uint8 [N, 5, H, W] and ``global_out`` float32 [N, 16] for seat ``seats[n]``.

    Map channels: 0 own land (255/0); 1 enemy land, ``1 + 254 * enemy_troops // (enemy + own troops)``
    (how strong the tile's owner is against us), 0 elsewhere; 2 neutral passable land (255/0); 3 terrain
    ``TERRAIN_OBS`` (plains 0, hills 64, city 128, water 192, mountain 255); 4 own border tiles 255 and the
    frontier tiles we may attack 128. Global features are listed in ``_write_global``.
    """
    every = np.ones(s.owner.shape[0], np.bool_)  # bool, as the env passes: one compiled signature
    write_observations_for(s, seats, map_out, global_out, max_ticks, every, every)


@njit(**NO_NRT)
def _write_global(s, n, me, out, max_ticks, touching):
    """Global features (float32 [16]) for seat ``me``:

    0 home troops / troop cap; 1 log1p(home troops) / 16; 2 log1p(troop cap) / 16; 3 own land share;
    4 own rank by tiles among alive players, (rank - 1) / (P - 1) (0 = largest); 5 alive players / P;
    6 time, tick / max_ticks; 7 own active attacks / MAX_ATTACKS; 8 troops in own attacks / (home + attack
    troops); 9 neutral share of the land; 10 strongest bordering enemy's troops / own troops, clipped to 4,
    / 4; 11 that enemy's land share; 12 weakest bordering enemy's troops / own, clipped to 4, / 4; 13 number
    of bordering enemies / (P - 1); 14 troops in enemy attacks aimed at us / own troops, clipped to 4, / 4;
    15 largest land share among the other players. ``touching``: bit q set iff player q borders ``me``
    (``_write_border_plane`` finds it on its walk of the border).
    """
    num_p = s.troops.shape[1]
    for k in range(GLOBAL_FEATURES):
        out[n, k] = 0.0
    troops = s.troops[n, me]
    land = max(s.land[n], 1)
    cap = max_troops(s.tiles[n, me], s.cities[n, me], s.tile_scale[n])
    out[n, 0] = min(troops / cap, 2.0) if cap > 0 else 0.0
    out[n, 1] = np.log1p(troops) / LOG_TROOP_NORM
    out[n, 2] = np.log1p(cap) / LOG_TROOP_NORM
    out[n, 3] = s.tiles[n, me] / land
    alive = 0
    bigger = 0
    owned = 0
    largest_other = 0
    for q in range(num_p):
        if s.alive[n, q]:
            alive += 1
            owned += s.tiles[n, q]
            if q != me:
                if s.tiles[n, q] > s.tiles[n, me]:
                    bigger += 1
                if s.tiles[n, q] > largest_other:
                    largest_other = s.tiles[n, q]
    out[n, 4] = bigger / max(num_p - 1, 1)
    out[n, 5] = alive / num_p
    out[n, 6] = min(s.tick[n] / max(max_ticks, 1), 1.0)
    active = 0
    in_att = 0
    for a in range(MAX_ATTACKS):
        if s.att_target[n, me, a] != NO_ATTACK:
            active += 1
            in_att += s.att_troops[n, me, a]
    out[n, 7] = active / MAX_ATTACKS
    out[n, 8] = in_att / (troops + in_att) if troops + in_att > 0 else 0.0
    out[n, 9] = (s.land[n] - owned) / land
    if not s.alive[n, me]:
        return
    strongest = -1
    weakest = -1
    count = 0
    for q in range(num_p):
        if q == me or not (touching >> q) & 1:
            continue
        count += 1
        if strongest < 0 or s.troops[n, q] > s.troops[n, strongest]:
            strongest = q
        if weakest < 0 or s.troops[n, q] < s.troops[n, weakest]:
            weakest = q
    denom = max(troops, 1)
    if strongest >= 0:
        out[n, 10] = min(s.troops[n, strongest] / denom, 4.0) / 4.0
        out[n, 11] = s.tiles[n, strongest] / land
        out[n, 12] = min(s.troops[n, weakest] / denom, 4.0) / 4.0
    out[n, 13] = count / max(num_p - 1, 1)
    incoming = 0
    for q in range(num_p):
        if q == me:
            continue
        for a in range(MAX_ATTACKS):
            if s.att_target[n, q, a] == me:
                incoming += s.att_troops[n, q, a]
    out[n, 14] = min(incoming / denom, 4.0) / 4.0
    out[n, 15] = largest_other / land


@njit(**NO_NRT)
def _direction_mask_v(ow, te, bh, bn, mark_n, cand_n, st, att_n, troops_n, tiles_n, sy_n, sx_n, scale, p,
                      out_row):
    h = ow.shape[0]
    w = ow.shape[1]
    hw = h * w
    m = _row_magic(w)
    count = _collect_frontier_v(ow, bh, bn, mark_n, cand_n, st, p, True)
    if count == 0:
        return
    t = max(tiles_n[p], 1)
    cy = sy_n[p] // t
    cx = sx_n[p] // t
    reach = h + w
    # Pack each frontier tile once as ``(idx * 16 + owner + 2) * 8 + owned`` so that the per-direction passes
    # below read one array and never the map.
    for i in range(count):
        v = cand_n[i]
        idx = v >> 4
        yy = (idx * m) >> ROW_SHIFT
        cand_n[i] = v * 8 + _owned_around(ow, yy, idx - yy * w, p)
    for d in range(NUM_DIRECTIONS):
        target = _ray_target_v(ow, cy, cx, p, d)
        if target == NO_ATTACK:
            continue
        tag = target + 2
        sy = DIR_DY[d]
        sx = DIR_DX[d]
        fy = cy + sy * reach
        fx = cx + sx * reach
        # The nearest target tile in ``_front_key`` order. Keys order by the primary term first, so a tile
        # whose primary exceeds the best one so far cannot win and its full key is never computed.
        best_key = np.int64(-1)
        best_primary = np.int64(0)
        for i in range(count):
            v = cand_n[i]
            if (v >> 3) & 15 != tag:
                continue
            owned = v & 7
            idx = v >> 7
            yy = (idx * m) >> ROW_SHIFT
            xx = idx - yy * w
            primary = _direction_primary(yy, xx, owned, sy, sx, h, w)
            if best_key >= 0 and primary > best_primary:
                continue
            key = _front_key(yy, xx, idx, owned, fy, fx, h, w)
            if best_key < 0 or key < best_key:
                best_key = key
                best_primary = primary
        if best_key < 0:
            continue
        first = best_key % hw
        for k in range(NUM_INTENSITIES):
            commit = troops_n[p] * INTENSITY_PERCENT[k] // 100
            if _launch_ok_v(att_n, troops_n, tiles_n, te, scale, p, target, first, commit):
                out_row[d * NUM_INTENSITIES + k] = 1


@njit(**NO_NRT)
def direction_mask_one(s, n, p, out_row):
    """Exact mask of the 45 direction actions (``direction * 5 + intensity``) for player ``p`` of env ``n``.

    WAIT (index 40) is always valid; the other WAIT indices (41-44) are masked as duplicates.
    """
    for i in range(out_row.shape[0]):
        out_row[i] = 0
    out_row[WAIT * NUM_INTENSITIES] = 1
    if s.done[n] or not s.alive[n, p]:
        return
    st = _next_stamp(s.mark[n], s.stamp, n)
    _direction_mask_v(s.owner[n], s.terrain[n], s.b_end[n], s.b_list[n], s.mark[n], s.cand[n], st,
                      s.att_target[n], s.troops[n], s.tiles[n], s.sum_y[n], s.sum_x[n], s.tile_scale[n], p,
                      out_row)


@njit(**NO_NRT)
def write_direction_masks(s, seats, out):
    """``out`` int8 [N, 45]: the exact direction-mode mask of seat ``seats[n]`` in every env."""
    for n in range(s.owner.shape[0]):
        direction_mask_one(s, n, seats[n], out[n])


@njit(**NO_NRT)
def write_direction_masks_for(s, seats, out, envs):
    """``write_direction_masks`` for the envs with ``envs[n]`` only (the others' rows are left as they are)."""
    for n in range(s.owner.shape[0]):
        if envs[n]:
            direction_mask_one(s, n, seats[n], out[n])


@njit(**NO_NRT)
def cell_mask_one(s, n, p, out_row):
    """Per-factor mask for ``MultiDiscrete([H*W + 1, 5])``: ``out_row`` int8 [H*W + 1 + 5].

    Cell ``c`` is valid iff some intensity makes the launch at ``c`` valid; intensity ``k`` is valid iff some
    cell is valid with it. The no-op cell ``H*W`` and intensity 0 are always valid so that a legal pair exists.
    A pair whose parts are valid alone but not together is a no-op (the launch rule decides).
    """
    w = s.owner.shape[2]
    hw = s.owner.shape[1] * w
    for i in range(out_row.shape[0]):
        out_row[i] = 0
    out_row[hw] = 1
    out_row[hw + 1] = 1
    if s.done[n] or not s.alive[n, p]:
        return
    ow = s.owner[n]
    te = s.terrain[n]
    att_n = s.att_target[n]
    troops_n = s.troops[n]
    tiles_n = s.tiles[n]
    cand_n = s.cand[n]
    scale = s.tile_scale[n]
    st = _next_stamp(s.mark[n], s.stamp, n)
    count = _collect_frontier_v(ow, s.b_end[n], s.b_list[n], s.mark[n], cand_n, st, p)
    for i in range(count):
        idx = cand_n[i]
        yy = idx // w
        target = ow[yy, idx - yy * w]
        for k in range(NUM_INTENSITIES):
            commit = troops_n[p] * INTENSITY_PERCENT[k] // 100
            if _launch_ok_v(att_n, troops_n, tiles_n, te, scale, p, target, idx, commit):
                out_row[idx] = 1
                out_row[hw + 1 + k] = 1


@njit(**NO_NRT)
def write_cell_masks(s, seats, out):
    """``out`` int8 [N, H*W + 6]: the per-factor cell-mode mask of seat ``seats[n]`` in every env."""
    for n in range(s.owner.shape[0]):
        cell_mask_one(s, n, seats[n], out[n])


@njit(**NO_NRT)
def write_cell_masks_for(s, seats, out, envs):
    """``write_cell_masks`` for the envs with ``envs[n]`` only (the others' rows are left as they are)."""
    for n in range(s.owner.shape[0]):
        if envs[n]:
            cell_mask_one(s, n, seats[n], out[n])
