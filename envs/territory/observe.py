"""Territory observations and action masks: what one seat sees of a ``TerritoryState`` (``core``).

The writers fill caller-owned buffers (``map`` uint8 [N, 5, H, W], ``global`` float32 [N, 16], masks int8) for
the seat ``seats[n]`` of every env; the tables are in ``env.py``'s docstring. They run on the step path:
``NO_NRT``, no allocation. Per-env rows of the state arrays are named after the field with ``_n``
(``owner_n = s.owner[n]``), as in ``core``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from botarena.envs.common.jit import NO_NRT, kernel_helper

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
    NO_TILE,
    NUM_DIRECTIONS,
    NUM_INTENSITIES,
    OWNER_BIAS,
    OWNER_BITS,
    OWNER_MASK,
    ROW_SHIFT,
    RULES_V2,
    TERRAIN_MAG,
    WAIT,
    WATER,
    can_retreat,
    collect_frontier,
    direction_primary,
    front_key,
    launch_ok,
    max_troops,
    next_stamp,
    owned_around,
    ray_target,
    row_magic,
)

# ---------------------------------------------------------------------------------------------------------
# Observation encodings (documented in env.py's observation table)
# ---------------------------------------------------------------------------------------------------------
# ``map`` channels, uint8 [N, OBS_CHANNELS, H, W].
CHANNEL_OWN = 0  # PLANE_ON on own land
CHANNEL_ENEMY = 1  # on enemy land its owner's strength against us, 1 + 254 * enemy // (enemy + own troops)
CHANNEL_NEUTRAL = 2  # PLANE_ON on neutral passable land
CHANNEL_TERRAIN = 3  # TERRAIN_OBS of the terrain code
CHANNEL_BORDER = 4  # PLANE_ON on own tiles beside foreign passable land, FRONTIER_VALUE on the tiles we may attack
OBS_CHANNELS = 5
# Territory-v2 adds four channels (rules v2 only; v1's observation is unchanged):
CHANNEL_SEAT = 5  # on every player's land SEAT_STEP * (1 + (owner - learner) mod P): us 32, the next seat 64, ...
CHANNEL_DENSITY = 6  # on enemy tiles beside our land: 1 + 254 * d_enemy // (d_enemy + d_us), d = troops per tile
CHANNEL_OUR_FRONT = 7  # on the target's tiles beside our land, per attack of ours: 1 + 254 * a // (a + defender)
CHANNEL_THEIR_FRONT = 8  # on our tiles beside an attacker's land: 1 + 254 * a // (a + our troops), a its attack
OBS_CHANNELS_V2 = 9
SEAT_STEP = 32
PLANE_ON = 255
FRONTIER_VALUE = 128
EVEN_STRENGTH = 128  # CHANNEL_ENEMY when neither side has troops
TERRAIN_OBS = np.array([0, 64, 128, 192, 255], dtype=np.uint8)  # plains, hills, city, water, mountain

# ``global`` features, float32 [N, GLOBAL_FEATURES].
GLOBAL_TROOP_FILL = 0  # home troops / troop cap, clipped to TROOP_FILL_CLIP
GLOBAL_LOG_TROOPS = 1  # log1p(home troops) / LOG_TROOP_NORM
GLOBAL_LOG_CAP = 2  # log1p(troop cap) / LOG_TROOP_NORM
GLOBAL_LAND_SHARE = 3  # own land share
GLOBAL_RANK = 4  # alive players with more land / (P - 1): 0 = largest
GLOBAL_ALIVE = 5  # alive players / P
GLOBAL_TIME = 6  # tick / max_ticks, clipped to 1
GLOBAL_ATTACKS = 7  # own running attacks / MAX_ATTACKS
GLOBAL_TROOPS_OUT = 8  # troops inside own attacks / (home + attack troops)
GLOBAL_NEUTRAL_SHARE = 9  # neutral share of the land
GLOBAL_STRONGEST = 10  # strongest bordering enemy's troops / own troops, clipped to RATIO_CLIP, / RATIO_CLIP
GLOBAL_STRONGEST_LAND = 11  # that enemy's land share
GLOBAL_WEAKEST = 12  # weakest bordering enemy's troops / own troops, clipped to RATIO_CLIP, / RATIO_CLIP
GLOBAL_NEIGHBOURS = 13  # bordering enemies / (P - 1)
GLOBAL_INCOMING = 14  # troops in enemy attacks aimed at us / own troops, clipped to RATIO_CLIP, / RATIO_CLIP
GLOBAL_LARGEST_OTHER = 15  # largest land share among the other players
GLOBAL_FEATURES = 16
# Territory-v2 adds, per attack slot a of ours (slot-major, SLOT_FEATURES each from GLOBAL_SLOTS + a * SLOT_FEATURES):
GLOBAL_SLOTS = 16
SLOT_TARGET = 0  # 0 empty; neutral land 1 / P; player q (1 + (q - learner) mod P) / P
SLOT_TROOPS = 1  # the attack's troops / (home troops + the attack's troops)
SLOT_AGAINST = 2  # the attack's troops / the defender's home troops, clipped to RATIO_CLIP, / RATIO_CLIP (0 neutral)
SLOT_RETREATING = 3  # 1 while the attack is being called back
SLOT_FEATURES = 4
GLOBAL_FEATURES_V2 = GLOBAL_SLOTS + MAX_ATTACKS * SLOT_FEATURES
LOG_TROOP_NORM = 16.0
TROOP_FILL_CLIP = 2.0
RATIO_CLIP = 4.0

# The direction mask appends a frontier tile's owned-neighbour count (0..4) to ``collect_frontier``'s packing.
OWNED_BITS = 3
OWNED_MASK = (1 << OWNED_BITS) - 1


def obs_channels(rules: int) -> int:
    """Map channels of the observation under rule set ``rules``."""
    return OBS_CHANNELS_V2 if rules >= RULES_V2 else OBS_CHANNELS


def global_features(rules: int) -> int:
    """Global features of the observation under rule set ``rules``."""
    return GLOBAL_FEATURES_V2 if rules >= RULES_V2 else GLOBAL_FEATURES


# ---------------------------------------------------------------------------------------------------------
# Observations for one seat per env
# ---------------------------------------------------------------------------------------------------------
@kernel_helper
def _write_terrain_plane(terrain_n, terrain_plane):
    """``CHANNEL_TERRAIN`` (terrain and cities): it only changes when a game is reset."""
    h = terrain_n.shape[0]
    w = terrain_n.shape[1]
    t_hill = np.uint8(HILLS)
    t_city = np.uint8(CITY)
    t_water = np.uint8(WATER)
    t_mount = np.uint8(MOUNTAIN)
    v_hill = TERRAIN_OBS[HILLS]
    v_city = TERRAIN_OBS[CITY]
    v_water = TERRAIN_OBS[WATER]
    full = np.uint8(PLANE_ON)
    zero = np.uint8(0)
    for y in range(h):
        for x in range(w):
            # TERRAIN_OBS as a select chain on uint8 (codes 0..4 -> 0, 64, 128, 192, 255).
            tv = terrain_n[y, x]
            terrain_plane[y, x] = full if tv == t_mount else (v_water if tv == t_water else (
                v_city if tv == t_city else (v_hill if tv == t_hill else zero)))


@njit(**NO_NRT, inline="always")
def _enemy_value(troops_n, me, q):
    """``CHANNEL_ENEMY``'s value on player ``q``'s land as seen by ``me``: ``q``'s strength against us (0 for us
    and for seats the game does not have)."""
    if q == me or q >= troops_n.shape[0]:
        return np.uint8(0)
    tot = troops_n[q] + troops_n[me]
    return np.uint8(1 + (254 * troops_n[q]) // tot if tot > 0 else EVEN_STRENGTH)


@kernel_helper
def _write_owner_planes(owner_n, own_plane, enemy_plane, neutral_plane, me, troops_n):
    """``CHANNEL_OWN``, ``CHANNEL_ENEMY`` and ``CHANNEL_NEUTRAL`` in one vectorised pass over the owner map."""
    h = owner_n.shape[0]
    w = owner_n.shape[1]
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
    full = np.uint8(PLANE_ON)
    zero = np.uint8(0)
    # Row loops over int8 values with selects only, so LLVM vectorises them (measured ~10x over gathers).
    for y in range(h):
        for x in range(w):
            o = owner_n[y, x]
            own_plane[y, x] = full if o == me8 else zero
            # Select chain over the eight possible seats (e_q = 0 for us and absent seats): a gather from a
            # table or a per-player pass did not vectorise and cost 10x more.
            enemy_plane[y, x] = e0 if o == 0 else (e1 if o == 1 else (e2 if o == 2 else (e3 if o == 3 else (
                e4 if o == 4 else (e5 if o == 5 else (e6 if o == 6 else (e7 if o == 7 else zero)))))))
            neutral_plane[y, x] = full if o == neu else zero


@kernel_helper
def _write_border_plane(owner_n, b_end_n, b_list_n, border_plane, me):
    """``CHANNEL_BORDER`` from ``me``'s border list; returns the players touching ``me`` (bit ``q`` set iff ``q``
    owns a tile 4-adjacent to ``me``'s land).

    PLANE_ON on own tiles with a foreign passable 4-neighbour (exactly the border list), FRONTIER_VALUE on
    passable foreign tiles with an own 4-neighbour (each has an own neighbour, which is then on the border
    list), 0 elsewhere: a clear and a walk of the border instead of a stencil over the whole map.
    """
    h = owner_n.shape[0]
    w = owner_n.shape[1]
    m = row_magic(w)
    border_plane[:, :] = 0
    bits = 0
    full = np.uint8(PLANE_ON)
    half = np.uint8(FRONTIER_VALUE)
    for j in range(b_end_n[me] - 1, -1, -1):
        tile = b_list_n[me, j]
        if tile == NO_TILE:
            continue
        y = (tile * m) >> ROW_SHIFT
        x = tile - y * w
        border_plane[y, x] = full
        for d in range(4):
            ny = y + (-1 if d == 0 else (1 if d == 1 else 0))
            nx = x + (-1 if d == 2 else (1 if d == 3 else 0))
            if ny < 0 or ny >= h or nx < 0 or nx >= w:
                continue
            o = owner_n[ny, nx]
            if o == me or o == IMPASSABLE:
                continue
            border_plane[ny, nx] = half
            if o >= 0:
                bits |= 1 << int(o)
    return bits


@kernel_helper
def _strength(a, b):
    """``1 + 254 * a // (a + b)`` as uint8 (how strong ``a`` is against ``b``; ``EVEN_STRENGTH`` when both are 0)."""
    tot = a + b
    return np.uint8(1 + (254 * a) // tot if tot > 0 else EVEN_STRENGTH)


@kernel_helper
def _write_v2_planes(s, n, me, map_n):
    """Territory-v2's ``CHANNEL_SEAT``, ``CHANNEL_DENSITY``, ``CHANNEL_OUR_FRONT`` and ``CHANNEL_THEIR_FRONT``.

    The seat plane is a select chain over the owner map (it vectorises, as ``_write_owner_planes``); the other
    three are written on a walk of our border list, the only tiles they mark.
    """
    owner_n = s.owner[n]
    h = owner_n.shape[0]
    w = owner_n.shape[1]
    num_p = s.troops.shape[1]
    seat_plane = map_n[CHANNEL_SEAT]
    s0 = _seat_value(num_p, me, 0)
    s1 = _seat_value(num_p, me, 1)
    s2 = _seat_value(num_p, me, 2)
    s3 = _seat_value(num_p, me, 3)
    s4 = _seat_value(num_p, me, 4)
    s5 = _seat_value(num_p, me, 5)
    s6 = _seat_value(num_p, me, 6)
    s7 = _seat_value(num_p, me, 7)
    zero = np.uint8(0)
    for y in range(h):
        for x in range(w):
            o = owner_n[y, x]
            seat_plane[y, x] = s0 if o == 0 else (s1 if o == 1 else (s2 if o == 2 else (s3 if o == 3 else (
                s4 if o == 4 else (s5 if o == 5 else (s6 if o == 6 else (s7 if o == 7 else zero)))))))
    density = map_n[CHANNEL_DENSITY]
    ours = map_n[CHANNEL_OUR_FRONT]
    theirs = map_n[CHANNEL_THEIR_FRONT]
    density[:, :] = 0
    ours[:, :] = 0
    theirs[:, :] = 0
    if not s.alive[n, me]:
        return
    # Densities in troops per tile, compared as integers (x 1000) like the other strength values.
    my_density = np.int64(1000.0 * s.troops[n, me] / max(s.tiles[n, me], 1))
    m = row_magic(w)
    for j in range(s.b_end[n, me] - 1, -1, -1):
        tile = s.b_list[n, me, j]
        if tile == NO_TILE:
            continue
        y = (tile * m) >> ROW_SHIFT
        x = tile - y * w
        for d in range(4):
            ny = y + (-1 if d == 0 else (1 if d == 1 else 0))
            nx = x + (-1 if d == 2 else (1 if d == 3 else 0))
            if ny < 0 or ny >= h or nx < 0 or nx >= w:
                continue
            o = owner_n[ny, nx]
            if o == me or o == IMPASSABLE:
                continue
            defender = 0
            if o >= 0:
                defender = s.troops[n, o]
                density[ny, nx] = _strength(np.int64(1000.0 * defender / max(s.tiles[n, o], 1)), my_density)
            for a in range(MAX_ATTACKS):
                if s.att_target[n, me, a] == o:
                    ours[ny, nx] = _strength(s.att_troops[n, me, a], defender)
                if o >= 0 and s.att_target[n, o, a] == me:
                    theirs[y, x] = max(theirs[y, x], _strength(s.att_troops[n, o, a], s.troops[n, me]))


@njit(**NO_NRT, inline="always")
def _seat_value(num_p, me, q):
    """``CHANNEL_SEAT``'s value on player ``q``'s land (0 for seats the game does not have); 255 caps seat 8."""
    if q >= num_p:
        return np.uint8(0)
    return np.uint8(min(SEAT_STEP * (1 + (q - me + num_p) % num_p), 255))


@kernel_helper
def _write_slots(s, n, me, out):
    """Territory-v2's per-slot global features (``SLOT_*``) of seat ``me``'s attacks."""
    num_p = s.troops.shape[1]
    home = s.troops[n, me]
    for a in range(MAX_ATTACKS):
        base = GLOBAL_SLOTS + a * SLOT_FEATURES
        for k in range(SLOT_FEATURES):
            out[n, base + k] = 0.0
        target = s.att_target[n, me, a]
        if target == NO_ATTACK:
            continue
        troops = s.att_troops[n, me, a]
        if target == NEUTRAL:
            out[n, base + SLOT_TARGET] = 1.0 / num_p
        else:
            out[n, base + SLOT_TARGET] = (1 + (target - me + num_p) % num_p) / num_p
            out[n, base + SLOT_AGAINST] = min(troops / max(s.troops[n, target], 1), RATIO_CLIP) / RATIO_CLIP
        out[n, base + SLOT_TROOPS] = troops / (home + troops) if home + troops > 0 else 0.0
        out[n, base + SLOT_RETREATING] = 1.0 if s.att_retreat[n, me, a] >= 0 else 0.0


@njit(**NO_NRT)
def write_observations_for(s, seats, map_out, global_out, max_ticks, envs, static):
    """``write_observations`` for the envs with ``envs[n]`` only (uint8/bool [N]); ``CHANNEL_TERRAIN`` only
    where ``static[n]`` too (it changes only at a reset: the envs keep their buffers between steps).
    """
    num_envs = s.owner.shape[0]
    for n in range(num_envs):
        if not envs[n]:
            continue
        me = seats[n]
        owner_n = s.owner[n]
        # One 2-D view per plane and env, not one per row (with NRT on, a view per row cost an incref/decref
        # pair each: ~30 % of the kernel time then).
        _write_owner_planes(owner_n, map_out[n, CHANNEL_OWN], map_out[n, CHANNEL_ENEMY], map_out[n, CHANNEL_NEUTRAL],
                            me, s.troops[n])
        if static[n]:
            _write_terrain_plane(s.terrain[n], map_out[n, CHANNEL_TERRAIN])
        touching = _write_border_plane(owner_n, s.b_end[n], s.b_list[n], map_out[n, CHANNEL_BORDER], me)
        _write_global(s, n, me, global_out, max_ticks, touching)
        # Territory-v2's extra channels and slots, when the caller's buffers have room for them.
        if map_out.shape[1] >= OBS_CHANNELS_V2:
            _write_v2_planes(s, n, me, map_out[n])
        if global_out.shape[1] >= GLOBAL_FEATURES_V2:
            _write_slots(s, n, me, global_out)


@njit(cache=True, nogil=True)
def write_observations(s, seats, map_out, global_out, max_ticks):
    """Fill ``map_out`` uint8 [N, 5, H, W] and ``global_out`` float32 [N, 16] for seat ``seats[n]``.

    Map channels: 0 own land (255/0); 1 enemy land, ``1 + 254 * enemy_troops // (enemy + own troops)``
    (how strong the tile's owner is against us), 0 elsewhere; 2 neutral passable land (255/0); 3 terrain
    ``TERRAIN_OBS`` (plains 0, hills 64, city 128, water 192, mountain 255); 4 own border tiles 255 and the
    frontier tiles we may attack 128. Global features are listed at ``GLOBAL_TROOP_FILL`` and below.
    """
    every = np.ones(s.owner.shape[0], np.bool_)  # bool, as the env passes: one compiled signature
    write_observations_for(s, seats, map_out, global_out, max_ticks, every, every)


@kernel_helper
def _write_global(s, n, me, out, max_ticks, touching):
    """The ``GLOBAL_*`` features (float32 [16]) for seat ``me``.

    ``touching``: bit q set iff player q borders ``me`` (``_write_border_plane`` finds it on its walk of the
    border).
    """
    num_p = s.troops.shape[1]
    for k in range(GLOBAL_FEATURES):
        out[n, k] = 0.0
    troops = s.troops[n, me]
    land = max(s.land[n], 1)
    cap = max_troops(s.tiles[n, me], s.cities[n, me], s.tile_scale[n])
    out[n, GLOBAL_TROOP_FILL] = min(troops / cap, TROOP_FILL_CLIP) if cap > 0 else 0.0
    out[n, GLOBAL_LOG_TROOPS] = np.log1p(troops) / LOG_TROOP_NORM
    out[n, GLOBAL_LOG_CAP] = np.log1p(cap) / LOG_TROOP_NORM
    out[n, GLOBAL_LAND_SHARE] = s.tiles[n, me] / land
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
    out[n, GLOBAL_RANK] = bigger / max(num_p - 1, 1)
    out[n, GLOBAL_ALIVE] = alive / num_p
    out[n, GLOBAL_TIME] = min(s.tick[n] / max(max_ticks, 1), 1.0)
    active = 0
    in_attacks = 0
    for a in range(MAX_ATTACKS):
        if s.att_target[n, me, a] != NO_ATTACK:
            active += 1
            in_attacks += s.att_troops[n, me, a]
    out[n, GLOBAL_ATTACKS] = active / MAX_ATTACKS
    out[n, GLOBAL_TROOPS_OUT] = in_attacks / (troops + in_attacks) if troops + in_attacks > 0 else 0.0
    out[n, GLOBAL_NEUTRAL_SHARE] = (s.land[n] - owned) / land
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
        out[n, GLOBAL_STRONGEST] = min(s.troops[n, strongest] / denom, RATIO_CLIP) / RATIO_CLIP
        out[n, GLOBAL_STRONGEST_LAND] = s.tiles[n, strongest] / land
        out[n, GLOBAL_WEAKEST] = min(s.troops[n, weakest] / denom, RATIO_CLIP) / RATIO_CLIP
    out[n, GLOBAL_NEIGHBOURS] = count / max(num_p - 1, 1)
    incoming = 0
    for q in range(num_p):
        if q == me:
            continue
        for a in range(MAX_ATTACKS):
            if s.att_target[n, q, a] == me:
                incoming += s.att_troops[n, q, a]
    out[n, GLOBAL_INCOMING] = min(incoming / denom, RATIO_CLIP) / RATIO_CLIP
    out[n, GLOBAL_LARGEST_OTHER] = largest_other / land


# ---------------------------------------------------------------------------------------------------------
# Action masks: exactly the launch rule (``core.launch_ok``) on the state they are computed from
# ---------------------------------------------------------------------------------------------------------
@kernel_helper
def _cheapest_packed(cand_n, count, terrain_n, tag):
    """v2's first tile (``core.cheapest_candidate``) from packed frontier tiles: the lowest-magnitude tile whose
    owner tag is ``tag``, or -1."""
    w = terrain_n.shape[1]
    m = row_magic(w)
    best = -1
    best_mag = 1e9
    for i in range(count):
        packed = cand_n[i]
        if packed & OWNER_MASK != tag:
            continue
        tile = packed >> OWNER_BITS
        y = (tile * m) >> ROW_SHIFT
        mag = TERRAIN_MAG[terrain_n[y, tile - y * w]]
        if mag < best_mag:
            best_mag = mag
            best = tile
    return best


@kernel_helper
def _direction_mask(owner_n, terrain_n, b_end_n, b_list_n, mark_n, cand_n, visit, att_target_n, troops_n, tiles_n,
                    sum_y_n, sum_x_n, tile_scale, p, out_row, rules, tick):
    h = owner_n.shape[0]
    w = owner_n.shape[1]
    hw = h * w
    m = row_magic(w)
    count = collect_frontier(owner_n, b_end_n, b_list_n, mark_n, cand_n, visit, p, True)
    if count == 0:
        return
    tiles = max(tiles_n[p], 1)
    cy = sum_y_n[p] // tiles
    cx = sum_x_n[p] // tiles
    if rules >= RULES_V2:
        for d in range(NUM_DIRECTIONS):
            target = ray_target(owner_n, cy, cx, p, d)
            if target == NO_ATTACK:
                continue
            first = _cheapest_packed(cand_n, count, terrain_n, target + OWNER_BIAS)
            for k in range(NUM_INTENSITIES):
                commit = troops_n[p] * INTENSITY_PERCENT[k] // 100
                if launch_ok(att_target_n, troops_n, tiles_n, terrain_n, tile_scale, p, target, first, commit, rules,
                             tick):
                    out_row[d * NUM_INTENSITIES + k] = 1
        return
    reach = h + w
    # Append each frontier tile's owned-neighbour count to its packing once, so that the per-direction passes
    # below read one array and never the map.
    for i in range(count):
        packed = cand_n[i]
        tile = packed >> OWNER_BITS
        y = (tile * m) >> ROW_SHIFT
        cand_n[i] = (packed << OWNED_BITS) | owned_around(owner_n, y, tile - y * w, p)
    for d in range(NUM_DIRECTIONS):
        target = ray_target(owner_n, cy, cx, p, d)
        if target == NO_ATTACK:
            continue
        tag = target + OWNER_BIAS
        side_y = DIR_DY[d]
        side_x = DIR_DX[d]
        fy = cy + side_y * reach
        fx = cx + side_x * reach
        # The nearest target tile in ``front_key`` order. Keys order by the primary term first, so a tile
        # whose primary exceeds the best one so far cannot win and its full key is never computed.
        best_key = np.int64(-1)
        best_primary = np.int64(0)
        for i in range(count):
            packed = cand_n[i]
            if (packed >> OWNED_BITS) & OWNER_MASK != tag:
                continue
            owned = packed & OWNED_MASK
            tile = packed >> (OWNED_BITS + OWNER_BITS)
            y = (tile * m) >> ROW_SHIFT
            x = tile - y * w
            primary = direction_primary(y, x, owned, side_y, side_x, h, w)
            if best_key >= 0 and primary > best_primary:
                continue
            key = front_key(y, x, tile, owned, fy, fx, h, w)
            if best_key < 0 or key < best_key:
                best_key = key
                best_primary = primary
        if best_key < 0:
            continue
        first = best_key % hw  # a key ends in its tile index (``front_key``)
        for k in range(NUM_INTENSITIES):
            commit = troops_n[p] * INTENSITY_PERCENT[k] // 100
            if launch_ok(att_target_n, troops_n, tiles_n, terrain_n, tile_scale, p, target, first, commit, rules,
                         tick):
                out_row[d * NUM_INTENSITIES + k] = 1


@njit(**NO_NRT)
def direction_mask_one(s, n, p, out_row):
    """Exact mask of the 45 direction actions (``direction * 5 + intensity``) for player ``p`` of env ``n``.

    WAIT (index 40) is always valid. Indices 41-44 call back attack slots 0-3 (v2; valid iff
    ``core.can_retreat``); under v1 they are masked duplicates of WAIT.
    """
    for i in range(out_row.shape[0]):
        out_row[i] = 0
    out_row[WAIT * NUM_INTENSITIES] = 1
    if s.done[n] or not s.alive[n, p]:
        return
    for a in range(MAX_ATTACKS):
        if can_retreat(s, n, p, a):
            out_row[WAIT * NUM_INTENSITIES + 1 + a] = 1
    visit = next_stamp(s.mark[n], s.stamp, n)
    _direction_mask(s.owner[n], s.terrain[n], s.b_end[n], s.b_list[n], s.mark[n], s.cand[n], visit,
                    s.att_target[n], s.troops[n], s.tiles[n], s.sum_y[n], s.sum_x[n], s.tile_scale[n], p, out_row,
                    s.rules[n], s.tick[n])


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


@kernel_helper
def cell_mask_one(s, n, p, out_row):
    """Per-factor mask for ``MultiDiscrete([H*W + 1, 5])``: ``out_row`` int8 [H*W + 1 + 5].

    Cell ``c`` is valid iff some intensity makes the launch at ``c`` valid; intensity ``k`` is valid iff some
    cell is valid with it. The no-op cell ``H*W`` and intensity 0 are always valid so that a legal pair exists.
    A pair whose parts are valid alone but not together is a no-op (the launch rule decides). Under v2 the pair
    (no-op cell, ``k`` >= 1) calls back attack slot ``k - 1``, so intensity ``k`` is also valid when
    ``core.can_retreat`` holds for that slot.
    """
    w = s.owner.shape[2]
    hw = s.owner.shape[1] * w
    for i in range(out_row.shape[0]):
        out_row[i] = 0
    out_row[hw] = 1
    out_row[hw + 1] = 1
    if s.done[n] or not s.alive[n, p]:
        return
    owner_n = s.owner[n]
    terrain_n = s.terrain[n]
    att_target_n = s.att_target[n]
    troops_n = s.troops[n]
    tiles_n = s.tiles[n]
    cand_n = s.cand[n]
    tile_scale = s.tile_scale[n]
    rules = s.rules[n]
    tick = s.tick[n]
    for a in range(MAX_ATTACKS):
        if can_retreat(s, n, p, a):
            out_row[hw + 2 + a] = 1
    visit = next_stamp(s.mark[n], s.stamp, n)
    if rules >= RULES_V2:
        # The launch test reads the target's cheapest front tile, the same for every cell of one target: decide
        # each target once (a bit per target and intensity), then mark its cells.
        count = collect_frontier(owner_n, s.b_end[n], s.b_list[n], s.mark[n], cand_n, visit, p, True)
        valid = np.int64(0)
        for target in range(NEUTRAL, s.troops.shape[1]):
            if target == p:
                continue
            first = _cheapest_packed(cand_n, count, terrain_n, target + OWNER_BIAS)
            for k in range(NUM_INTENSITIES):
                commit = troops_n[p] * INTENSITY_PERCENT[k] // 100
                if launch_ok(att_target_n, troops_n, tiles_n, terrain_n, tile_scale, p, target, first, commit, rules,
                             tick):
                    valid |= np.int64(1) << ((target + OWNER_BIAS) * NUM_INTENSITIES + k)
                    out_row[hw + 1 + k] = 1
        for i in range(count):
            packed = cand_n[i]
            if (valid >> ((packed & OWNER_MASK) * NUM_INTENSITIES)) & ((1 << NUM_INTENSITIES) - 1):
                out_row[packed >> OWNER_BITS] = 1
        return
    count = collect_frontier(owner_n, s.b_end[n], s.b_list[n], s.mark[n], cand_n, visit, p)
    for i in range(count):
        tile = cand_n[i]
        y = tile // w
        target = owner_n[y, tile - y * w]
        for k in range(NUM_INTENSITIES):
            commit = troops_n[p] * INTENSITY_PERCENT[k] // 100
            if launch_ok(att_target_n, troops_n, tiles_n, terrain_n, tile_scale, p, target, tile, commit, rules,
                         tick):
                out_row[tile] = 1
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
