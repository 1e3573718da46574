"""Territory maps: generated terrain, PNG maps and the start of a game (map, cities, spawns, troops).

``reset_envs`` starts new games on a ``TerritoryState`` (``core``): it draws or copies the terrain, drowns the
islands of a generated map, places cities and the players' equal spawns, and sets the starting troops.
If the land cannot fit every spawn (tiny PNG maps), the players left without a spawn start eliminated.
Everything here runs at a reset, never on the step path, and may allocate.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from botarena.envs.common import rng

from .core import (
    CITY,
    HILLS,
    IMPASSABLE,
    MAX_ATTACKS,
    MAX_MAP_SIDE,
    MAX_PLAYERS,
    MIN_MAP_SIDE,
    MOUNTAIN,
    NEUTRAL,
    NO_ATTACK,
    PLAINS,
    SPAWN_TILES,
    STALE_CANDIDATES,
    START_TROOPS,
    WATER,
    passable,
    rebuild_derived,
)

# Map generation (ours): value-noise elevation with three octaves and a coastal fall-off; quantiles set the
# terrain mix so every seed has the same proportions.
WATER_QUANTILE = 0.22
HILL_QUANTILE = 0.72
MOUNTAIN_QUANTILE = 0.93
LAND_PER_CITY = 1200
MIN_CITIES = 2
SPAWN_CLEAR_RADIUS = 3
SPAWN_MIN_PASSABLE = 0.85

# ``mark`` during a reset (between games it holds visit stamps, ``core.next_stamp``).
OFF_MAIN_LAND = 0
MAIN_LAND = 1  # on the largest passable component
SPAWN_VISITED = 2  # visited by the current spawn search (set back to MAIN_LAND after it)


# ---------------------------------------------------------------------------------------------------------
# Map generation
# ---------------------------------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def _hash01(seed, i, j, octave):
    # A SplitMix64 finaliser over the lattice coordinates: value noise with no stored lattice.
    z = seed ^ (np.uint64(i) * np.uint64(0x9E3779B97F4A7C15)) ^ (np.uint64(j) * np.uint64(0xC2B2AE3D27D4EB4F))
    z = z ^ (np.uint64(octave) * np.uint64(0x165667B19E3779F9))
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return float(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, nogil=True, inline="always")
def _value_noise(seed, y, x, cell, octave, ciy, cix, a, b, c, d):
    """Value noise at (y, x) on a lattice of ``cell`` tiles: the four corner hashes blended by smoothstep weights.

    The corners of the last lattice cell (``ciy``, ``cix``; hashes ``a`` to ``d``) are passed in and out: along a
    row they change once every ``cell`` tiles, so most tiles hash nothing. Returns (value, iy, ix, a, b, c, d).
    """
    fy = y / cell
    fx = x / cell
    iy = int(np.floor(fy))
    ix = int(np.floor(fx))
    if iy != ciy or ix != cix:
        a = _hash01(seed, iy, ix, octave)
        b = _hash01(seed, iy, ix + 1, octave)
        c = _hash01(seed, iy + 1, ix, octave)
        d = _hash01(seed, iy + 1, ix + 1, octave)
    ty = fy - iy
    tx = fx - ix
    # Smoothstep weights hide the lattice.
    ty = ty * ty * (3.0 - 2.0 * ty)
    tx = tx * tx * (3.0 - 2.0 * tx)
    top = a + (b - a) * tx
    bot = c + (d - c) * tx
    return top + (bot - top) * ty, iy, ix, a, b, c, d


@njit(cache=True, nogil=True)
def _quantile_thresholds(s, n, q_water, q_hill, q_mount):
    # 1024-bin histogram quantiles of the elevation in [0, 1]: cheap and allocation-light.
    h = s.elev.shape[1]
    w = s.elev.shape[2]
    bins = 1024
    hist = np.zeros(bins, np.int64)
    for y in range(h):
        for x in range(w):
            b = int(s.elev[n, y, x] * bins)
            if b < 0:
                b = 0
            elif b >= bins:
                b = bins - 1
            hist[b] += 1
    total = h * w
    out = np.zeros(3, np.float64)
    qs = (q_water, q_hill, q_mount)
    for k in range(3):
        target = qs[k] * total
        acc = 0
        for b in range(bins):
            acc += hist[b]
            if acc >= target:
                out[k] = (b + 1) / bins
                break
    return out[0], out[1], out[2]


@njit(cache=True, nogil=True)
def _flood_largest(s, n, write_water):
    """Label passable components; ``mark`` is ``MAIN_LAND`` on the largest (``OFF_MAIN_LAND`` elsewhere).
    Optionally drown the others.

    The labels live in ``elev`` (float32, exact for every label up to 2**24 > 1024 * 1024), which is free once
    the terrain is drawn: ``mark`` is uint8 so that its stamps stay small in the cache during play.
    """
    h = s.owner.shape[1]
    w = s.owner.shape[2]
    hw = h * w
    rules = s.rules[n]
    lab = s.elev[n].reshape(hw)
    for i in range(hw):
        lab[i] = 0
    best_label = 0
    best_size = 0
    label = 1
    queue = s.cand[n]
    for start in range(hw):
        sy = start // w
        sx = start - sy * w
        if lab[start] != 0 or not passable(s.terrain[n, sy, sx], rules):
            continue
        label += 1
        head = 0
        tail = 0
        queue[tail] = start
        tail += 1
        lab[start] = label
        while head < tail:
            cur = queue[head]
            head += 1
            cy = cur // w
            cx = cur - cy * w
            for d in range(4):
                ny = cy + (-1 if d == 0 else (1 if d == 1 else 0))
                nx = cx + (-1 if d == 2 else (1 if d == 3 else 0))
                if ny < 0 or ny >= h or nx < 0 or nx >= w:
                    continue
                ni = ny * w + nx
                if lab[ni] == 0 and passable(s.terrain[n, ny, nx], rules):
                    lab[ni] = label
                    queue[tail] = ni
                    tail += 1
        if tail > best_size:
            best_size = tail
            best_label = label
    for i in range(hw):
        s.mark[n, i] = OFF_MAIN_LAND
        if lab[i] == best_label:
            s.mark[n, i] = MAIN_LAND
        elif lab[i] != 0 and write_water:
            y = i // w
            s.terrain[n, y, i - y * w] = WATER
    return best_size


@njit(cache=True, nogil=True)
def generate_terrain(s, n):
    """Fill ``terrain[n]`` from the env's RNG: value-noise elevation, coastal fall-off, quantile thresholds."""
    h = s.owner.shape[1]
    w = s.owner.shape[2]
    seed = rng.next_u64(s.rng_state, n)
    size = max(h, w)
    base = max(4.0, size / 4.0)
    edge = max(2.0, 0.12 * min(h, w))
    for y in range(h):
        # Cached lattice corners per octave (see _value_noise); -1 marks "none yet" (iy, ix >= 0).
        i0 = j0 = i1 = j1 = i2 = j2 = -1
        a0 = b0 = c0 = d0 = a1 = b1 = c1 = d1 = a2 = b2 = c2 = d2 = 0.0
        for x in range(w):
            v0, i0, j0, a0, b0, c0, d0 = _value_noise(seed, y, x, base, 0, i0, j0, a0, b0, c0, d0)
            v1, i1, j1, a1, b1, c1, d1 = _value_noise(seed, y, x, base / 2.0, 1, i1, j1, a1, b1, c1, d1)
            v2, i2, j2, a2, b2, c2, d2 = _value_noise(seed, y, x, base / 4.0, 2, i2, j2, a2, b2, c2, d2)
            e = 0.55 * v0
            e += 0.30 * v1
            e += 0.15 * v2
            # Coasts: pull the rim down so maps read as islands/continents, like territorial.io's.
            dist = min(min(y, h - 1 - y), min(x, w - 1 - x))
            if dist < edge:
                t = 1.0 - dist / edge
                e -= 0.35 * t * t
            s.elev[n, y, x] = e
    q_water, q_hill, q_mount = _quantile_thresholds(s, n, WATER_QUANTILE, HILL_QUANTILE, MOUNTAIN_QUANTILE)
    for y in range(h):
        for x in range(w):
            e = s.elev[n, y, x]
            if e < q_water:
                s.terrain[n, y, x] = WATER
            elif e >= q_mount:
                s.terrain[n, y, x] = MOUNTAIN
            elif e >= q_hill:
                s.terrain[n, y, x] = HILLS
            else:
                s.terrain[n, y, x] = PLAINS


@njit(cache=True, nogil=True)
def _claim_spawn(s, n, p, cy, cx, commit):
    """BFS from (cy, cx) over neutral passable tiles; claim ``SPAWN_TILES`` if that many are reachable."""
    h = s.owner.shape[1]
    w = s.owner.shape[2]
    queue = s.cand[n]
    head = 0
    tail = 0
    start = cy * w + cx
    queue[tail] = start
    tail += 1
    s.mark[n, start] = SPAWN_VISITED
    while head < tail and head < SPAWN_TILES:
        cur = queue[head]
        head += 1
        yy = cur // w
        xx = cur - yy * w
        for d in range(4):
            ny = yy + (-1 if d == 0 else (1 if d == 1 else 0))
            nx = xx + (-1 if d == 2 else (1 if d == 3 else 0))
            if ny < 0 or ny >= h or nx < 0 or nx >= w:
                continue
            ni = ny * w + nx
            if (s.mark[n, ni] != SPAWN_VISITED and s.owner[n, ny, nx] == NEUTRAL and s.terrain[n, ny, nx] != CITY
                    and s.terrain[n, ny, nx] != MOUNTAIN):
                s.mark[n, ni] = SPAWN_VISITED
                queue[tail] = ni
                tail += 1
    # Restore component labels of visited tiles (all were on the main component).
    for i in range(tail):
        s.mark[n, queue[i]] = MAIN_LAND
    if tail < SPAWN_TILES:
        return False
    if commit:
        for i in range(SPAWN_TILES):
            yy = queue[i] // w
            s.owner[n, yy, queue[i] - yy * w] = p
    return True


@njit(cache=True, nogil=True)
def _place_spawns(s, n):
    h = s.owner.shape[1]
    w = s.owner.shape[2]
    num_p = s.troops.shape[1]
    land = 0
    for i in range(h * w):
        if s.mark[n, i] == MAIN_LAND:
            land += 1
    # Spread spawns as far as the land allows: start at ~0.9 of the spacing of a hexagonal packing and
    # relax when sampling keeps failing.
    min_dist = 0.9 * np.sqrt(land / num_p)
    r = SPAWN_CLEAR_RADIUS
    box = (2 * r + 1) * (2 * r + 1)
    sy = np.zeros(MAX_PLAYERS, np.int64)
    sx = np.zeros(MAX_PLAYERS, np.int64)
    placed = np.int64(0)
    attempts = 0
    while placed < num_p:
        attempts += 1
        if attempts % 60 == 0:
            min_dist *= 0.85
        strict = attempts < 2000
        cy = rng.randint(s.rng_state, n, h)
        cx = rng.randint(s.rng_state, n, w)
        if s.mark[n, cy * w + cx] != MAIN_LAND or s.owner[n, cy, cx] != NEUTRAL or s.terrain[n, cy, cx] == CITY:
            continue
        ok = True
        for q in range(placed):
            dy = sy[q] - cy
            dx = sx[q] - cx
            if dy * dy + dx * dx < min_dist * min_dist:
                ok = False
                break
        if not ok:
            continue
        if strict:
            good = 0
            for yy in range(cy - r, cy + r + 1):
                for xx in range(cx - r, cx + r + 1):
                    if 0 <= yy < h and 0 <= xx < w and s.terrain[n, yy, xx] < WATER:
                        good += 1
            if good < SPAWN_MIN_PASSABLE * box:
                continue
        if not _claim_spawn(s, n, placed, cy, cx, True):
            continue
        sy[placed] = cy
        sx[placed] = cx
        placed += 1
        if attempts > 100000:
            break
    return placed


@njit(cache=True, nogil=True)
def _place_cities(s, n):
    h = s.owner.shape[1]
    w = s.owner.shape[2]
    land = s.land[n]
    count = max(MIN_CITIES, land // LAND_PER_CITY)
    min_dist = 0.6 * np.sqrt(land / count)
    cy_list = np.zeros(count, np.int64)
    cx_list = np.zeros(count, np.int64)
    placed = np.int64(0)
    attempts = 0
    while placed < count and attempts < 20000:
        attempts += 1
        if attempts % 200 == 0:
            min_dist *= 0.8
        y = rng.randint(s.rng_state, n, h)
        x = rng.randint(s.rng_state, n, w)
        if s.owner[n, y, x] != NEUTRAL or s.mark[n, y * w + x] != MAIN_LAND or s.terrain[n, y, x] >= WATER:
            continue
        ok = True
        for q in range(placed):
            dy = cy_list[q] - y
            dx = cx_list[q] - x
            if dy * dy + dx * dx < min_dist * min_dist:
                ok = False
                break
        if not ok:
            continue
        s.terrain[n, y, x] = CITY
        cy_list[placed] = y
        cx_list[placed] = x
        placed += 1


@njit(cache=True, nogil=True)
def reset_envs(s, mask, fixed_terrain, use_fixed):
    """Start a new game in every env ``n`` with ``mask[n]``; ``rng_state[n]`` must already be seeded.

    With ``use_fixed`` the terrain is copied from ``fixed_terrain`` (uint8 [H, W], e.g. a PNG map) and only
    the spawns are drawn; otherwise the terrain is generated from the RNG.
    """
    num_envs = s.owner.shape[0]
    h = s.owner.shape[1]
    w = s.owner.shape[2]
    num_p = s.troops.shape[1]
    for n in range(num_envs):
        if not mask[n]:
            continue
        if use_fixed:
            for y in range(h):
                for x in range(w):
                    s.terrain[n, y, x] = fixed_terrain[y, x]
        else:
            generate_terrain(s, n)
        rules = s.rules[n]
        for y in range(h):
            for x in range(w):
                s.owner[n, y, x] = NEUTRAL if passable(s.terrain[n, y, x], rules) else IMPASSABLE
                s.conq_tick[n, y, x] = -1
        s.stamp[n] = 0
        _flood_largest(s, n, not use_fixed)
        if not use_fixed:
            # Generated maps: drowned islands leave only the main continent, so every tile is reachable.
            for y in range(h):
                for x in range(w):
                    if not passable(s.terrain[n, y, x], rules):
                        s.owner[n, y, x] = IMPASSABLE
        land = 0
        for y in range(h):
            for x in range(w):
                if passable(s.terrain[n, y, x], rules):
                    land += 1
        s.land[n] = land
        if not use_fixed:
            _place_cities(s, n)
        _place_spawns(s, n)
        for i in range(h * w):
            s.mark[n, i] = 0
        s.stamp[n] = 0
        rebuild_derived(s, n)
        for p in range(num_p):
            s.troops[n, p] = START_TROOPS if s.alive[n, p] else 0
            s.elim_tick[n, p] = -1
            for a in range(MAX_ATTACKS):
                s.att_target[n, p, a] = NO_ATTACK
                s.att_troops[n, p, a] = 0
                s.att_fy[n, p, a] = 0
                s.att_fx[n, p, a] = 0
                s.att_tick[n, p, a] = 0
                s.att_budget[n, p, a] = 0.0
                s.att_retreat[n, p, a] = -1
                s.att_ncand[n, p, a] = STALE_CANDIDATES
        s.tick[n] = 0
        s.done[n] = 0
        s.winner[n] = -1


# ---------------------------------------------------------------------------------------------------------
# Maps from PNG files
# ---------------------------------------------------------------------------------------------------------
# Nearest-colour palette for PNG maps (RGB): the renderer's terrain colours plus common editor colours.
PNG_PALETTE = (
    ((0, 0, 255), WATER),
    ((40, 90, 160), WATER),
    ((70, 120, 190), WATER),
    ((120, 200, 90), PLAINS),
    ((0, 255, 0), PLAINS),
    ((150, 180, 90), HILLS),
    ((139, 115, 85), HILLS),
    ((128, 128, 128), MOUNTAIN),
    ((255, 255, 255), MOUNTAIN),
    ((0, 0, 0), MOUNTAIN),
    ((255, 0, 0), CITY),
    ((230, 200, 60), CITY),
)


def terrain_from_rgb(rgb: np.ndarray) -> np.ndarray:
    """Terrain codes uint8 [H, W] from an RGB image uint8 [H, W, 3] by nearest ``PNG_PALETTE`` colour.

    Blue is water, green plains, olive/brown hills, grey/white/black mountains, red/yellow cities.
    """
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] < 3:
        raise ValueError(f"map image must be H x W x 3 (RGB), got shape {rgb.shape}")
    colours = np.array([c for c, _ in PNG_PALETTE], dtype=np.int32)
    codes = np.array([t for _, t in PNG_PALETTE], dtype=np.uint8)
    pix = rgb[:, :, :3].astype(np.int32)
    dist = ((pix[:, :, None, :] - colours[None, None, :, :]) ** 2).sum(axis=3)
    return codes[dist.argmin(axis=2)]


def load_png_map(path: str) -> np.ndarray:
    """Terrain codes uint8 [H, W] from a PNG file (see ``terrain_from_rgb`` for the colours)."""
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - pillow is a dependency
        raise ImportError("loading a PNG map needs pillow: run `pip install pillow`") from exc
    try:
        with Image.open(path) as img:
            # The size is in the header: refuse a huge image before decoding it (memory stays bounded).
            w, h = img.size
            if not (MIN_MAP_SIDE <= h <= MAX_MAP_SIDE and MIN_MAP_SIDE <= w <= MAX_MAP_SIDE):
                raise ValueError(f"map PNG {path!r} must be between {MIN_MAP_SIDE}x{MIN_MAP_SIDE} and "
                                 f"{MAX_MAP_SIDE}x{MAX_MAP_SIDE} pixels, got {h}x{w}")
            rgb = np.asarray(img.convert("RGB"))
    except FileNotFoundError:
        raise
    except (OSError, SyntaxError, Image.DecompressionBombError) as err:  # PIL's errors for a bad or cut file
        raise ValueError(f"map PNG {path!r} could not be read as an image ({type(err).__name__}: {err})") from err
    terrain = terrain_from_rgb(rgb)
    if int((terrain < WATER).sum()) < 4 * SPAWN_TILES:
        raise ValueError(f"map PNG {path!r} has too little passable land for spawns")
    return terrain
