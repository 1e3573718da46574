"""Territory rules: state arrays and ``@njit`` kernels (NumPy + Numba only; no gymnasium, no pygame).

Territory is an OpenFront.io / territorial.io style free-for-all on a grid. Every rule lives here; the
Gymnasium env, the PettingZoo env, the scripted bots and the renderer are views on these arrays.

The game in one paragraph
-------------------------
Each env holds an ``H x W`` map of plains, hills and cities (passable) and water and mountains
(impassable). ``P`` players start on equal spawns. Every tick each player's troop pool grows by
OpenFront's rule. A player launches an *attack* by committing a share of its troops toward one target
owner (neutral land or one enemy) with a *focus point*. Every tick each attack conquers the target's tiles
that touch the attacker's land, nearest the focus first (with OpenFront's pull toward tiles the attacker
already surrounds: see *Conquest order*), paying a per-tile troop cost; the defender loses
troops too. An attack ends when it cannot pay for its next tile or has no reachable tile; unspent troops
return home. A player with no tiles is eliminated. The game ends when one player is left or one holds
``WIN_PERCENT`` of the passable land.

State (``TerritoryState``, every array batch-first; N envs, P players, A = ``MAX_ATTACKS``, HW = H*W)
-----------------------------------------------------------------------------------------------------
======================  ===============  ===========================================================
array                   dtype / shape    meaning
======================  ===============  ===========================================================
terrain                 uint8 [N,H,W]    ``PLAINS``, ``HILLS``, ``CITY`` (passable), ``WATER``, ``MOUNTAIN``
owner                   int8  [N,H,W]    player index 0..P-1, ``NEUTRAL`` (-1) or ``IMPASSABLE`` (-2)
conq_tick               int32 [N,H,W]    tick at which the tile last changed owner (-1 never); drawn as fronts
land                    int32 [N]        passable tiles on the map (denominator of land shares)
tile_scale              float64 [N]      OpenFront tiles one of our tiles stands for (``REFERENCE_LAND / land``)
troops                  int64 [N,P]      troop pool at home (not counting troops inside attacks)
tiles                   int32 [N,P]      tiles owned
cities                  int32 [N,P]      city tiles owned
alive                   uint8 [N,P]      1 while the player owns at least one tile
elim_tick               int32 [N,P]      tick of elimination (-1 while alive); orders the losers' placements
sum_y, sum_x            int64 [N,P]      sums of owned tile coordinates (centroid = sum // tiles), kept exact
att_target              int8  [N,P,A]    target owner of attack slot (``NEUTRAL`` or a player), ``NO_ATTACK`` free
att_troops              int64 [N,P,A]    troops inside the attack
att_fy, att_fx          int32 [N,P,A]    focus point: candidate tiles nearest it are conquered first
att_cand                int32 [N,P,A,C]  the attack's candidate tiles (C = ``cand_capacity(H, W)``), kept
                                         between the ticks of one decision
att_ncand               int32 [N,P,A]    entries in ``att_cand``; -1 = rebuild from the border list
b_end, b_count          int32 [N,P]      per-player ordered list of border tiles (own tiles touching foreign
b_list                  int32 [N,P,HW]     passable land), so fronts are found without scanning the map:
b_pos                   int32 [N,HW]       ``b_list[n, p, :b_end]`` holds tile indices in insertion order with
                                           -1 holes (removals), read newest first; ``b_pos`` is a tile's slot
in_border               int8  [N,HW]     owner+1 of the border list a tile is in, 0 when in none
mark                    uint8 [N,HW]     scratch: visit stamps for de-duplicating candidates; during a reset,
                                         1 on the main land component (2: visited by a spawn search)
stamp                   int32 [N]        scratch: current stamp value
cand                    int64 [N,HW]     scratch: candidate keys / flood-fill queue
elev                    float32 [N,H,W]  scratch: elevation during map generation, then land component labels
tick                    int64 [N]        game ticks since reset
done                    uint8 [N]        1 once the game has ended (one player left or the land share won)
winner                  int8  [N]        winning player when ``done`` (-1 otherwise)
rng_state               uint64 [N]       SplitMix64 word (``botarena.envs.common.rng``); all randomness
======================  ===============  ===========================================================

Constants and where they come from
----------------------------------
* Growth: ``rate = (10 + troops**0.73 / 4) * (1 - troops / max)`` and
  ``max = 2 * (tiles**0.6 * 1000 + 50000)``: OpenFront ``DefaultConfig.troopIncreaseRate`` / ``maxTroops``
  (human players), ``troops = min(troops + rate, max)``, rates truncated to whole troops.
* Scaling to our maps: an OpenFront map has hundreds of thousands to millions of land tiles; ours has ~10k
  at 128x128. One of our tiles counts as ``tile_scale = REFERENCE_LAND / land`` OpenFront tiles in ``max``
  and in every per-tile troop cost, so a map of any size plays like an OpenFront map of
  ``REFERENCE_LAND`` tiles (200,000: chosen so that neutral land fills in ~150-250 decisions at 4 ticks per
  decision). Troop counts are therefore in OpenFront's internal units.
* Cities: each owned city adds ``CITY_MAX_TROOPS`` = 250,000 to ``max`` (OpenFront ``CITY_TROOP_INCREASE``)
  and ``CITY_GROWTH_BONUS`` = 5 % to the growth rate (ours: OpenFront cities raise only the cap).
* Terrain magnitudes ``TERRAIN_MAG``: plains 80, hills 100 (OpenFront plains / highland); cities use 120
  (OpenFront's mountain value) because a city is fortified. Water and mountains are impassable here.
* Neutral tile cost: ``tile_scale * mag / 5`` (OpenFront ``attackLogic`` for terra nullius, human attacker).
* Enemy tile cost: ``tile_scale * 0.7 * clip(def_troops / attack_troops, 0.6, 2) * mag * 0.8
  + 0.3 * 1.3 * (def_troops / def_tiles) * mag / 100`` (OpenFront ``attackLogic``'s blend of current and
  alternative attacker loss, scaled); the defender loses ``def_troops // def_tiles`` (its troop density)
  per tile lost, as in OpenFront.
* Front speed (ours; OpenFront conquers up to twice its border per tick on neutral land, but our tiles are
  ``tile_scale`` times larger): an attack with ``c`` candidate tiles takes up to
  ``1 + int(c * NEUTRAL_FRONT_SHARE)`` neutral tiles per tick, or
  ``1 + int(c * ENEMY_FRONT_SHARE * clip(5 * attack_troops / def_troops, 0.04, 1))`` enemy tiles
  (OpenFront's ``attackTilesPerTick`` also speeds up with the attacker/defender troop ratio).
* ``WIN_PERCENT`` = 80: OpenFront ``percentageTilesOwnedToWin`` for free-for-all.
* ``START_TROOPS`` = 25,000 and ``SPAWN_TILES`` = 13 (a radius-2 diamond) are ours; every spawn gets the same.
* ``MAX_ATTACKS`` = 4 attacks at once per player (ours; "a few attacks may run at once").

Actions (per player, ``int64 [N, P, 3]`` = (mode, code, intensity))
-------------------------------------------------------------------
* mode ``MODE_DIRECTION``: ``code`` 0..7 is a compass direction (N, NE, E, SE, S, SW, W, NW), 8 is WAIT.
  The target is the owner of the first passable tile not owned by the player on the ray cast from the
  territory's centroid in that direction; the focus point is ``centroid + direction * (H + W)``.
* mode ``MODE_CELL``: ``code`` is a frontier cell index ``y * W + x`` (a passable tile not owned by the player
  with a 4-neighbour the player owns); ``H * W`` is the no-op. The target is the cell's owner; the focus is
  the cell.
* ``intensity`` 0..4 commits ``INTENSITY_PERCENT`` = 15/30/45/60/75 % of the home troops (integer floor).

A launch is *valid* (it changes the state) iff the player is alive, commits at least one troop, the target
has a tile 4-adjacent to the player's land, and one of: the player already attacks that target (the troops
merge and the focus moves), the target is attacking the player (opposing troops cancel one for one first),
or a free attack slot exists and the committed troops can pay for the first tile the attack would take.
Invalid launches are no-ops. The action masks are exactly this test on the state they are computed from.

Conquest order
--------------
An attack takes its candidates in ``front_key`` order, smallest first: the focus tile itself (cell mode), then
by ``along + ENCLOSURE_PULL * (4 - owned)``, where ``owned`` counts the candidate's 4-neighbours the attacker
holds and ``along`` is its distance toward the focus (cell mode: Manhattan distance to the focus cell;
direction mode: how far the tile lies behind the territory's leading edge in that direction). Ties go to the
tile nearest the focus in Euclidean distance, then the lower index. The ``owned`` term is OpenFront's
(``AttackExecution.addNeighbors`` ranks tiles by ``numOwnedByMe`` first): pockets and corners fill before a
front pushes on, so a small attack widens the border instead of drawing one-tile lines toward its focus.

Order of one env step
---------------------
1. Launches, players in the rotated order ``(tick + k) % P`` so no seat always moves first.
2. ``ticks_per_step`` ticks, each: every alive player's attacks advance (same rotated order), then every
   alive player grows; the game-end test runs after each tick and stops the step once the game is over.

An attack's candidates (the target's tiles 4-adjacent to the attacker's land) are rebuilt from the border
lists at the first tick of every decision; on the later ticks of that decision the attack keeps its list,
drops tiles that stopped being the target's or stopped touching the attacker's land, and adds the target's
tiles beside the tiles it took. (Tiles that became adjacent in other ways mid-decision wait for the next
rebuild; this saves three border walks in four.) If the land cannot fit every spawn (tiny PNG maps), the
players left without a spawn start eliminated.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from botarena.envs.common.jit import NO_NRT

# ---------------------------------------------------------------------------------------------------------
# Constants (one place; see the module docstring for sources)
# ---------------------------------------------------------------------------------------------------------
# The kernels of the step path (rules, bots, observations, masks) are ``NO_NRT`` (``envs/common/jit.py``):
# they allocate nothing, and NRT reference counting was 27 % of a step under perf. ``reset_envs`` and the
# wrappers that allocate keep NRT.

PLAINS = 0
HILLS = 1
CITY = 2
WATER = 3
MOUNTAIN = 4
NUM_TERRAIN = 5

NEUTRAL = -1
IMPASSABLE = -2
NO_ATTACK = -3

MIN_PLAYERS = 2
MAX_PLAYERS = 8
MAX_ATTACKS = 4

MODE_DIRECTION = 0
MODE_CELL = 1
NUM_DIRECTIONS = 8
WAIT = 8
NUM_INTENSITIES = 5
INTENSITY_PERCENT = np.array([15, 30, 45, 60, 75], dtype=np.int64)
# Compass order N, NE, E, SE, S, SW, W, NW (row y grows southwards).
DIR_DY = np.array([-1, -1, 0, 1, 1, 1, 0, -1], dtype=np.int64)
DIR_DX = np.array([0, 1, 1, 1, 0, -1, -1, -1], dtype=np.int64)

# OpenFront terrain magnitudes (plains, highland) and its mountain value for our fortified cities.
TERRAIN_MAG = np.array([80.0, 100.0, 120.0], dtype=np.float64)
REFERENCE_LAND = 200_000.0
CITY_MAX_TROOPS = 250_000
CITY_GROWTH_BONUS = 0.05
START_TROOPS = 25_000
SPAWN_TILES = 13
WIN_PERCENT = 80
NEUTRAL_FRONT_SHARE = 0.25
ENEMY_FRONT_SHARE = 0.25
# A candidate with one more of its 4 neighbours already ours counts as this many tiles nearer the focus
# (ours, after OpenFront's numOwnedByMe term). At 2, small attacks still drew one-tile lines (a line longer
# than 2 keeps its tip ahead of the corners at its base); at 8 borders grow as blobs, as in OpenFront.
ENCLOSURE_PULL = 8



class TerritoryState(NamedTuple):
    """The batch of games as typed arrays (see the module docstring for every array and shape).

    A ``NamedTuple`` so that the whole state is one argument to every ``@njit`` kernel and caches.
    """

    terrain: np.ndarray
    owner: np.ndarray
    conq_tick: np.ndarray
    land: np.ndarray
    tile_scale: np.ndarray
    troops: np.ndarray
    tiles: np.ndarray
    cities: np.ndarray
    alive: np.ndarray
    elim_tick: np.ndarray
    sum_y: np.ndarray
    sum_x: np.ndarray
    att_target: np.ndarray
    att_troops: np.ndarray
    att_fy: np.ndarray
    att_fx: np.ndarray
    att_cand: np.ndarray
    att_ncand: np.ndarray
    b_end: np.ndarray
    b_count: np.ndarray
    b_list: np.ndarray
    b_pos: np.ndarray
    in_border: np.ndarray
    mark: np.ndarray
    stamp: np.ndarray
    cand: np.ndarray
    elev: np.ndarray
    tick: np.ndarray
    done: np.ndarray
    winner: np.ndarray
    rng_state: np.ndarray

    @classmethod
    def allocate(cls, num_envs: int, height: int, width: int, num_players: int) -> TerritoryState:
        """Zeroed arrays for ``num_envs`` games; call ``reset_envs`` before stepping."""
        check_dims(num_envs, height, width, num_players)
        n, h, w, p, a = num_envs, height, width, num_players, MAX_ATTACKS
        hw = h * w
        return cls(
            terrain=np.zeros((n, h, w), np.uint8),
            owner=np.full((n, h, w), NEUTRAL, np.int8),
            conq_tick=np.full((n, h, w), -1, np.int32),
            land=np.zeros(n, np.int32),
            tile_scale=np.ones(n, np.float64),
            troops=np.zeros((n, p), np.int64),
            tiles=np.zeros((n, p), np.int32),
            cities=np.zeros((n, p), np.int32),
            alive=np.zeros((n, p), np.uint8),
            elim_tick=np.full((n, p), -1, np.int32),
            sum_y=np.zeros((n, p), np.int64),
            sum_x=np.zeros((n, p), np.int64),
            att_target=np.full((n, p, a), NO_ATTACK, np.int8),
            att_troops=np.zeros((n, p, a), np.int64),
            att_fy=np.zeros((n, p, a), np.int32),
            att_fx=np.zeros((n, p, a), np.int32),
            att_cand=np.zeros((n, p, a, cand_capacity(h, w)), np.int32),
            att_ncand=np.full((n, p, a), -1, np.int32),
            b_end=np.zeros((n, p), np.int32),
            b_count=np.zeros((n, p), np.int32),
            b_list=np.full((n, p, hw), -1, np.int32),
            b_pos=np.full((n, hw), -1, np.int32),
            in_border=np.zeros((n, hw), np.int8),
            mark=np.zeros((n, hw), np.uint8),
            stamp=np.zeros(n, np.int32),
            cand=np.zeros((n, hw), np.int64),
            elev=np.zeros((n, h, w), np.float32),
            tick=np.zeros(n, np.int64),
            done=np.zeros(n, np.uint8),
            winner=np.full(n, -1, np.int8),
            rng_state=np.zeros(n, np.uint64),
        )

    @property
    def num_envs(self) -> int:
        return self.owner.shape[0]

    @property
    def height(self) -> int:
        return self.owner.shape[1]

    @property
    def width(self) -> int:
        return self.owner.shape[2]

    @property
    def num_players(self) -> int:
        return self.troops.shape[1]

    def game_arrays(self) -> dict[str, np.ndarray]:
        """The arrays that define the game (everything but scratch), for hashing and comparison."""
        skip = {"mark", "stamp", "cand", "elev"}
        return {k: v for k, v in self._asdict().items() if k not in skip}

    def state_hash(self) -> str:
        """SHA-256 over every game array (scratch excluded): equal hashes mean equal games."""
        import hashlib

        digest = hashlib.sha256()
        for name, arr in self.game_arrays().items():
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(arr).tobytes())
        return digest.hexdigest()


def check_dims(num_envs: int, height: int, width: int, num_players: int) -> None:
    """Raise ``ValueError`` naming the argument when a dimension is outside its range."""
    if not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
        raise ValueError(f"num_envs must be an int >= 1, got {num_envs!r}")
    for name, value in (("height", height), ("width", width)):
        if not isinstance(value, (int, np.integer)) or not 12 <= value <= 1024:
            raise ValueError(f"{name} must be an int in [12, 1024], got {value!r}")
    if not isinstance(num_players, (int, np.integer)) or not MIN_PLAYERS <= num_players <= MAX_PLAYERS:
        raise ValueError(f"num_players must be an int in [{MIN_PLAYERS}, {MAX_PLAYERS}], got {num_players!r}")


def cand_capacity(height: int, width: int) -> int:
    """Room for one attack's cached candidates; an attack whose front outgrows it walks its border each tick."""
    return max(64, 2 * (height + width))


# ---------------------------------------------------------------------------------------------------------
# Rules as scalar helpers (the rule tests call these directly)
# ---------------------------------------------------------------------------------------------------------
@njit(**NO_NRT)
def max_troops(tiles: int, cities: int, tile_scale: float) -> int:
    """Troop cap: OpenFront ``maxTroops`` on ``tiles * tile_scale`` OpenFront tiles plus the city bonus."""
    if tiles <= 0:
        return 0
    eff = tiles * tile_scale
    return int(2.0 * (eff**0.6 * 1000.0 + 50000.0)) + cities * CITY_MAX_TROOPS


@njit(**NO_NRT)
def troop_growth(troops: int, cap: int, cities: int) -> int:
    """Troops after one tick of growth: OpenFront ``troopIncreaseRate`` plus the city bonus.

    ``min(troops + rate, cap)``; above the cap the rate is negative, as in OpenFront.
    """
    if cap <= 0:
        return troops
    rate = (10.0 + troops**0.73 / 4.0) * (1.0 - troops / cap) * (1.0 + CITY_GROWTH_BONUS * cities)
    new = troops + int(rate)
    if new > cap:
        new = cap
    if new < 0:
        new = 0
    return new


@njit(**NO_NRT)
def neutral_tile_cost(terrain_code: int, tile_scale: float) -> int:
    """Troops an attack pays for one neutral tile (OpenFront terra nullius loss ``mag / 5``, scaled)."""
    return max(1, int(tile_scale * TERRAIN_MAG[terrain_code] / 5.0))


@njit(**NO_NRT)
def enemy_tile_cost(terrain_code: int, tile_scale: float, attack_troops: int, def_troops: int,
                    def_tiles: int) -> int:
    """Troops an attack pays for one enemy tile (OpenFront ``attackLogic`` attacker loss, scaled)."""
    mag = TERRAIN_MAG[terrain_code]
    ratio = def_troops / max(attack_troops, 1)
    if ratio < 0.6:
        ratio = 0.6
    elif ratio > 2.0:
        ratio = 2.0
    density = def_troops / max(def_tiles, 1)
    loss = tile_scale * 0.7 * ratio * mag * 0.8 + 0.3 * 1.3 * density * mag / 100.0
    return max(1, int(loss))


@njit(**NO_NRT)
def defender_tile_loss(def_troops: int, def_tiles: int) -> int:
    """Troops the defender loses per tile taken: its troop density (OpenFront ``defenderTroopLoss``)."""
    if def_tiles <= 0:
        return def_troops
    return def_troops // def_tiles


@njit(**NO_NRT)
def front_size(num_candidates: int, target: int, attack_troops: int, def_troops: int) -> int:
    """How many candidate tiles an attack may take this tick (see the module docstring)."""
    if num_candidates <= 0:
        return 0
    if target == NEUTRAL:
        k = 1 + int(num_candidates * NEUTRAL_FRONT_SHARE)
    else:
        speed = 5.0 * attack_troops / max(def_troops, 1)
        if speed < 0.04:
            speed = 0.04
        elif speed > 1.0:
            speed = 1.0
        k = 1 + int(num_candidates * ENEMY_FRONT_SHARE * speed)
    return min(k, num_candidates)


# ---------------------------------------------------------------------------------------------------------
# Border lists: every player keeps an ordered list of its tiles that touch foreign passable land
# ---------------------------------------------------------------------------------------------------------
# Hot helpers take per-env array views, never the whole state tuple: a call that is not inlined passes all 31
# arrays of the tuple (with NRT on, a reference-count pair each: ~260 ns measured; see ``NO_NRT``).
#
# A border list is an array in insertion order read backwards (newest first, like a linked list grown at
# its head) with -1 holes where tiles left it; walking it is a sequential read, where following ``next``
# links cost a cache miss per tile (~55 ns measured). Holes are squeezed out (order kept) when they outnumber
# the live entries, and trailing holes are trimmed at once.
@njit(**NO_NRT)
def _list_compact(bn, bp, bh, p):
    k = 0
    for j in range(bh[p]):
        v = bn[p, j]
        if v >= 0:
            bn[p, k] = v
            bp[v] = k
            k += 1
    for j in range(k, bh[p]):
        bn[p, j] = -1
    bh[p] = k


@njit(cache=True, nogil=True, inline="always")
def _list_insert(inb, bn, bp, bh, bc, p, idx):
    if bh[p] >= bn.shape[1]:
        _list_compact(bn, bp, bh, p)
    j = bh[p]
    bn[p, j] = idx
    bp[idx] = j
    bh[p] = j + 1
    inb[idx] = p + 1
    bc[p] += 1


@njit(cache=True, nogil=True, inline="always")
def _list_remove(inb, bn, bp, bh, bc, lp, idx):
    j = bp[idx]
    bn[lp, j] = -1
    bp[idx] = -1
    inb[idx] = 0
    bc[lp] -= 1
    end = bh[lp]
    if j == end - 1:
        while end > 0 and bn[lp, end - 1] < 0:
            end -= 1
        bh[lp] = end
    elif end - bc[lp] > bc[lp] + 32:
        _list_compact(bn, bp, bh, lp)


@njit(cache=True, nogil=True, inline="always")
def _is_border(ow, y, x, o):
    """True iff tile (y, x) of owner ``o`` has a 4-neighbour that is passable and not ``o``'s."""
    h = ow.shape[0]
    w = ow.shape[1]
    if y > 0:
        q = ow[y - 1, x]
        if q != o and q != IMPASSABLE:
            return True
    if y < h - 1:
        q = ow[y + 1, x]
        if q != o and q != IMPASSABLE:
            return True
    if x > 0:
        q = ow[y, x - 1]
        if q != o and q != IMPASSABLE:
            return True
    if x < w - 1:
        q = ow[y, x + 1]
        if q != o and q != IMPASSABLE:
            return True
    return False


@njit(cache=True, nogil=True, inline="always")
def _refresh_around(ow, inb, bn, bp, bh, bc, y, x):
    """Re-derive border-list membership of tile (y, x) and its 4 neighbours after (y, x) changed owner.

    Written without helper calls: it runs for every conquered tile, and a non-inlined call per neighbour
    cost more than the work itself.
    """
    h = ow.shape[0]
    w = ow.shape[1]
    for k in range(5):
        ty = y + (-1 if k == 1 else (1 if k == 2 else 0))
        tx = x + (-1 if k == 3 else (1 if k == 4 else 0))
        if ty < 0 or ty >= h or tx < 0 or tx >= w:
            continue
        o = ow[ty, tx]
        want = False
        if o >= 0:
            if ty > 0:
                q = ow[ty - 1, tx]
                want = want or (q != o and q != IMPASSABLE)
            if ty < h - 1:
                q = ow[ty + 1, tx]
                want = want or (q != o and q != IMPASSABLE)
            if tx > 0:
                q = ow[ty, tx - 1]
                want = want or (q != o and q != IMPASSABLE)
            if tx < w - 1:
                q = ow[ty, tx + 1]
                want = want or (q != o and q != IMPASSABLE)
        idx = ty * w + tx
        cur = inb[idx]
        if cur != 0 and (not want or cur - 1 != o):
            _list_remove(inb, bn, bp, bh, bc, cur - 1, idx)
            cur = 0
        if want and cur == 0:
            _list_insert(inb, bn, bp, bh, bc, o, idx)


@njit(cache=True, nogil=True)
def rebuild_derived(s, n):
    """Recompute tiles, cities, centroid sums and border lists of env ``n`` from ``owner``/``terrain``.

    Used after reset and by tests that build a state by hand.
    """
    h = s.owner.shape[1]
    w = s.owner.shape[2]
    num_p = s.troops.shape[1]
    for p in range(num_p):
        s.tiles[n, p] = 0
        s.cities[n, p] = 0
        s.sum_y[n, p] = 0
        s.sum_x[n, p] = 0
        s.b_end[n, p] = 0
        s.b_count[n, p] = 0
        for i in range(h * w):
            s.b_list[n, p, i] = -1
    land = 0
    for y in range(h):
        for x in range(w):
            idx = y * w + x
            s.in_border[n, idx] = 0
            s.b_pos[n, idx] = -1
            t = s.terrain[n, y, x]
            if t >= WATER:
                s.owner[n, y, x] = IMPASSABLE
                continue
            land += 1
            o = s.owner[n, y, x]
            if o == IMPASSABLE:
                s.owner[n, y, x] = NEUTRAL
                o = NEUTRAL
            if o >= 0:
                s.tiles[n, o] += 1
                s.sum_y[n, o] += y
                s.sum_x[n, o] += x
                if t == CITY:
                    s.cities[n, o] += 1
    s.land[n] = land
    s.tile_scale[n] = REFERENCE_LAND / max(land, 1)
    ow = s.owner[n]
    inb = s.in_border[n]
    bn = s.b_list[n]
    bp = s.b_pos[n]
    bh = s.b_end[n]
    bc = s.b_count[n]
    # Insert in reverse scan order so each list reads in row-major order.
    for y in range(h - 1, -1, -1):
        for x in range(w - 1, -1, -1):
            o = ow[y, x]
            if o >= 0 and _is_border(ow, y, x, o):
                _list_insert(inb, bn, bp, bh, bc, o, y * w + x)
    for p in range(num_p):
        s.alive[n, p] = 1 if s.tiles[n, p] > 0 else 0


# ---------------------------------------------------------------------------------------------------------
# Candidates, targets and launches
# ---------------------------------------------------------------------------------------------------------
@njit(cache=True, nogil=True, inline="always")
def _next_stamp(mark_n, stamp, n):
    # uint8 stamps: a row of ``mark`` is two cache lines, like ``owner``'s (int32 stamps made it eight, and
    # the walks are bound by cache misses). Wrapping clears the array, once per 255 walks.
    st = stamp[n] + 1
    if st > 255:
        for i in range(mark_n.shape[0]):
            mark_n[i] = 0
        st = 1
    stamp[n] = st
    return st


@njit(cache=True, nogil=True, inline="always")
def _owned_around(ow, y, x, p):
    """How many of tile (y, x)'s 4-neighbours ``p`` owns."""
    h = ow.shape[0]
    w = ow.shape[1]
    c = 0
    if y > 0 and ow[y - 1, x] == p:
        c += 1
    if y < h - 1 and ow[y + 1, x] == p:
        c += 1
    if x > 0 and ow[y, x - 1] == p:
        c += 1
    if x < w - 1 and ow[y, x + 1] == p:
        c += 1
    return c


@njit(cache=True, nogil=True, inline="always")
def _direction_primary(y, x, owned, sy, sx, h, w):
    """``_front_key``'s primary term for a direction focus, which lies ``H + W`` tiles off the map on side
    (sy, sx) (each -1, 0 or 1): ``1 + along + ENCLOSURE_PULL * (4 - owned)`` with ``along`` how far the tile
    lies behind the leading edge in that direction."""
    along = np.int64(h + w) - (sy * y + sx * x)
    return 1 + along + ENCLOSURE_PULL * (4 - owned)


@njit(cache=True, nogil=True, inline="always")
def _front_key(y, x, idx, owned, fy, fx, h, w):
    """Conquest priority of candidate (y, x) (smaller first), unique per tile; see *Conquest order*.

    A focus on the map is a cell-mode focus; a direction's focus lies ``H + W`` tiles off the map, and the
    direction is recovered from where it lies. int64 throughout, so NumPy scalars under NUMBA_DISABLE_JIT
    cannot overflow. The key orders by the primary term first (``spread`` exceeds every tie-break term).
    """
    dy = np.int64(y) - fy
    dx = np.int64(x) - fx
    if 0 <= fy < h and 0 <= fx < w:
        primary = np.int64(0) if (dy == 0 and dx == 0) else 1 + abs(dy) + abs(dx) + ENCLOSURE_PULL * (4 - owned)
    else:
        sy = 0 if 0 <= fy < h else (1 if fy >= h else -1)
        sx = 0 if 0 <= fx < w else (1 if fx >= w else -1)
        primary = _direction_primary(y, x, owned, sy, sx, h, w)
    spread = np.int64(8) * (h + w) * (h + w) + 1  # > any squared distance to a focus H + W off the map
    return (primary * spread + dy * dy + dx * dx) * (h * w) + idx


@njit(**NO_NRT)
def front_key(s, n, p, y, x, fy, fx):
    """``_front_key`` of tile (y, x) for an attack of ``p`` in env ``n`` with focus (fy, fx)."""
    h = s.owner.shape[1]
    w = s.owner.shape[2]
    return _front_key(y, x, y * w + x, _owned_around(s.owner[n], y, x, p), np.int64(fy), np.int64(fx), h, w)


# Row of a tile index without a division: ``(idx * _row_magic(w)) >> ROW_SHIFT == idx // w`` exactly for every
# 0 <= idx < 2**20 and 1 <= w <= 1024 (the error idx * (m - 2**30 / w) / 2**30 stays below 2**-10 <= 1 / w),
# which covers every map (at most 1024 x 1024). A 64-bit division by a run-time width cost ~2 ns in the walks.
ROW_SHIFT = 30


@njit(cache=True, nogil=True, inline="always")
def _row_magic(w):
    # int64, so that an int32 index times it widens under NUMBA_DISABLE_JIT too (NumPy keeps int32 * int int32).
    return np.int64(((1 << ROW_SHIFT) + w - 1) // w)


@njit(cache=True, nogil=True, inline="always")
def _collect_candidates_v(ow, bh, bn, mark_n, cand_n, st, p, target, fy, fx):
    h = ow.shape[0]
    w = ow.shape[1]
    m = _row_magic(w)
    count = 0
    for j in range(bh[p] - 1, -1, -1):
        b = bn[p, j]
        if b < 0:
            continue
        by = (b * m) >> ROW_SHIFT
        bx = b - by * w
        for d in range(4):
            ny = by + (-1 if d == 0 else (1 if d == 1 else 0))
            nx = bx + (-1 if d == 2 else (1 if d == 3 else 0))
            if ny < 0 or ny >= h or nx < 0 or nx >= w:
                continue
            if ow[ny, nx] != target:
                continue
            ni = ny * w + nx
            if mark_n[ni] == st:
                continue
            mark_n[ni] = st
            cand_n[count] = _front_key(ny, nx, ni, _owned_around(ow, ny, nx, p), fy, fx, h, w)
            count += 1
    return count


@njit(cache=True, nogil=True, inline="always")
def _collect_frontier_v(ow, bh, bn, mark_n, cand_n, st, p, pack_owner=False):
    h = ow.shape[0]
    w = ow.shape[1]
    m = _row_magic(w)
    count = 0
    for j in range(bh[p] - 1, -1, -1):
        b = bn[p, j]
        if b < 0:
            continue
        by = (b * m) >> ROW_SHIFT
        bx = b - by * w
        for d in range(4):
            ny = by + (-1 if d == 0 else (1 if d == 1 else 0))
            nx = bx + (-1 if d == 2 else (1 if d == 3 else 0))
            if ny < 0 or ny >= h or nx < 0 or nx >= w:
                continue
            o = ow[ny, nx]
            if o == p or o == IMPASSABLE:
                continue
            ni = ny * w + nx
            if mark_n[ni] == st:
                continue
            mark_n[ni] = st
            # pack_owner: ``idx * 16 + owner + 2``, so the mask passes read one array, not the map.
            cand_n[count] = ni * 16 + (o + 2) if pack_owner else ni
            count += 1
    return count


@njit(**NO_NRT)
def _select_smallest(arr, count, k):
    """Partially sort ``arr[:count]`` so that ``arr[:k]`` holds the k smallest values in ascending order."""
    if k <= 0:
        return
    lo = 0
    hi = count - 1
    # Quickselect (median-of-three pivot) on unique keys: deterministic, in place, no allocation.
    while hi > lo and k < count:
        mid = (lo + hi) // 2
        a = arr[lo]
        b = arr[mid]
        c = arr[hi]
        if a < b:
            pivot = b if b < c else (c if a < c else a)
        else:
            pivot = a if a < c else (c if b < c else b)
        i = lo
        j = hi
        while i <= j:
            while arr[i] < pivot:
                i += 1
            while arr[j] > pivot:
                j -= 1
            if i <= j:
                tmp = arr[i]
                arr[i] = arr[j]
                arr[j] = tmp
                i += 1
                j -= 1
        if k - 1 <= j:
            hi = j
        elif k - 1 >= i:
            lo = i
        else:
            break
    # Sort the k smallest in place (keys are unique, so any sort gives the same order). A heapsort by hand:
    # an insertion sort was quadratic in the front size, and NumPy's sort needs NRT (see ``NO_NRT``).
    _heapsort_prefix(arr, k)


@njit(**NO_NRT)
def _heapsort_prefix(arr, k):
    """Sort ``arr[:k]`` ascending in place."""
    for start in range(k // 2 - 1, -1, -1):
        _sift_down(arr, start, k)
    for end in range(k - 1, 0, -1):
        tmp = arr[0]
        arr[0] = arr[end]
        arr[end] = tmp
        _sift_down(arr, 0, end)


@njit(**NO_NRT, inline="always")
def _sift_down(arr, root, size):
    while True:
        child = 2 * root + 1
        if child >= size:
            return
        if child + 1 < size and arr[child + 1] > arr[child]:
            child += 1
        if arr[root] >= arr[child]:
            return
        tmp = arr[root]
        arr[root] = arr[child]
        arr[child] = tmp
        root = child


@njit(**NO_NRT)
def centroid(s, n, p):
    """Integer centroid (floor of the mean row and column) of ``p``'s tiles."""
    t = max(s.tiles[n, p], 1)
    return s.sum_y[n, p] // t, s.sum_x[n, p] // t


@njit(cache=True, nogil=True, inline="always")
def _ray_target_v(ow, cy, cx, p, direction):
    h = ow.shape[0]
    w = ow.shape[1]
    y = cy
    x = cx
    dy = DIR_DY[direction]
    dx = DIR_DX[direction]
    while 0 <= y < h and 0 <= x < w:
        o = ow[y, x]
        if o != p and o != IMPASSABLE:
            return o
        y += dy
        x += dx
    return NO_ATTACK


@njit(cache=True, nogil=True, inline="always")
def _launch_ok_v(att_n, troops_n, tiles_n, te, scale, p, target, first_idx, commit):
    """The launch rule once the target and its first tile are known (see the module docstring)."""
    if commit < 1 or first_idx < 0:
        return False
    for a in range(MAX_ATTACKS):
        if att_n[p, a] == target:
            return True  # merge: the attack gains troops and a new focus
    if target >= 0:
        for a in range(MAX_ATTACKS):
            if att_n[target, a] == p:
                return True  # opposing attacks cancel troops
    free = False
    for a in range(MAX_ATTACKS):
        if att_n[p, a] == NO_ATTACK:
            free = True
            break
    if not free:
        return False
    w = te.shape[1]
    y = first_idx // w
    t = te[y, first_idx - y * w]
    if target == NEUTRAL:
        cost = neutral_tile_cost(t, scale)
    else:
        cost = enemy_tile_cost(t, scale, commit, troops_n[target], tiles_n[target])
    return commit >= cost


@njit(cache=True, nogil=True, inline="always")
def resolve_action(s, n, p, mode, code, intensity):
    """Decode one player's action. Returns (valid, target, focus_y, focus_x, commit)."""
    h = s.owner.shape[1]
    w = s.owner.shape[2]
    hw = h * w
    if s.done[n] or not s.alive[n, p] or intensity < 0 or intensity >= NUM_INTENSITIES:
        return False, NO_ATTACK, 0, 0, 0
    commit = s.troops[n, p] * INTENSITY_PERCENT[intensity] // 100
    if commit < 1:
        return False, NO_ATTACK, 0, 0, 0
    ow = s.owner[n]
    if mode == MODE_DIRECTION:
        if code < 0 or code >= NUM_DIRECTIONS:
            return False, NO_ATTACK, 0, 0, 0
        t = max(s.tiles[n, p], 1)
        cy = s.sum_y[n, p] // t
        cx = s.sum_x[n, p] // t
        target = _ray_target_v(ow, cy, cx, p, code)
        if target == NO_ATTACK:
            return False, NO_ATTACK, 0, 0, 0
        fy = cy + DIR_DY[code] * (h + w)
        fx = cx + DIR_DX[code] * (h + w)
        st = _next_stamp(s.mark[n], s.stamp, n)
        count = _collect_candidates_v(ow, s.b_end[n], s.b_list[n], s.mark[n], s.cand[n], st, p, target, fy, fx)
        if count == 0:
            return False, NO_ATTACK, 0, 0, 0
        best = s.cand[n, 0]
        for i in range(1, count):
            if s.cand[n, i] < best:
                best = s.cand[n, i]
        first = best % hw
    elif mode == MODE_CELL:
        if code < 0 or code >= hw:
            return False, NO_ATTACK, 0, 0, 0
        y = code // w
        x = code - y * w
        target = ow[y, x]
        if target == p or target == IMPASSABLE:
            return False, NO_ATTACK, 0, 0, 0
        if not ((y > 0 and ow[y - 1, x] == p) or (y < h - 1 and ow[y + 1, x] == p)
                or (x > 0 and ow[y, x - 1] == p) or (x < w - 1 and ow[y, x + 1] == p)):
            return False, NO_ATTACK, 0, 0, 0
        fy = y
        fx = x
        first = code  # the focus cell itself is the nearest candidate
    else:
        return False, NO_ATTACK, 0, 0, 0
    if not _launch_ok_v(s.att_target[n], s.troops[n], s.tiles[n], s.terrain[n], s.tile_scale[n], p, target,
                        first, commit):
        return False, NO_ATTACK, 0, 0, 0
    return True, target, fy, fx, commit


@njit(cache=True, nogil=True, inline="always")
def launch(s, n, p, target, fy, fx, commit):
    """Apply a valid launch: cancel against an opposing attack, then merge or open a slot."""
    s.troops[n, p] -= commit
    if target >= 0:
        for a in range(MAX_ATTACKS):
            if s.att_target[n, target, a] == p:
                c = min(commit, s.att_troops[n, target, a])
                commit -= c
                s.att_troops[n, target, a] -= c
                if s.att_troops[n, target, a] == 0:
                    s.att_target[n, target, a] = NO_ATTACK
                break
    if commit <= 0:
        return
    for a in range(MAX_ATTACKS):
        if s.att_target[n, p, a] == target:
            s.att_troops[n, p, a] += commit
            s.att_fy[n, p, a] = fy
            s.att_fx[n, p, a] = fx
            return
    for a in range(MAX_ATTACKS):
        if s.att_target[n, p, a] == NO_ATTACK:
            s.att_target[n, p, a] = target
            s.att_ncand[n, p, a] = -1
            s.att_troops[n, p, a] = commit
            s.att_fy[n, p, a] = fy
            s.att_fx[n, p, a] = fx
            return
    # Unreachable for a launch that passed _launch_ok_v (cancellation only frees slots); refund defensively.
    s.troops[n, p] += commit


# ---------------------------------------------------------------------------------------------------------
# Conquest, elimination, growth, the game end
# ---------------------------------------------------------------------------------------------------------
@njit(cache=True, nogil=True, inline="always")
def eliminate(s, n, p):
    """Player ``p`` of env ``n`` has no tiles left: it leaves, with its home and attack troops."""
    s.alive[n, p] = 0
    s.elim_tick[n, p] = s.tick[n]
    s.troops[n, p] = 0
    for a in range(MAX_ATTACKS):
        s.att_target[n, p, a] = NO_ATTACK
        s.att_troops[n, p, a] = 0
        s.att_ncand[n, p, a] = -1


@njit(cache=True, nogil=True, inline="always")
def _conquer_v(ow, te, ct, tiles_n, sy_n, sx_n, cities_n, inb, bn, bp, bh, bc, tick, y, x, p):
    old = ow[y, x]
    city = te[y, x] == CITY
    if old >= 0:
        tiles_n[old] -= 1
        sy_n[old] -= y
        sx_n[old] -= x
        if city:
            cities_n[old] -= 1
    ow[y, x] = p
    tiles_n[p] += 1
    sy_n[p] += y
    sx_n[p] += x
    if city:
        cities_n[p] += 1
    ct[y, x] = tick
    _refresh_around(ow, inb, bn, bp, bh, bc, y, x)
    return old


@njit(cache=True, nogil=True, inline="always")
def advance_attack(s, n, p, a, rebuild, v):
    """One tick of attack slot ``a`` of player ``p``: conquer the nearest affordable candidates.

    Candidates are rebuilt from ``p``'s border list when ``rebuild`` (the first tick of every decision) or
    when the cached list is invalid; on the other ticks the cached list is filtered (still the target's,
    still beside ``p``'s land) and extended with the target's tiles next to the tiles this attack takes.
    """
    h = s.owner.shape[1]
    w = s.owner.shape[2]
    hw = h * w
    m = _row_magic(w)
    target = s.att_target[n, p, a]
    # The env's array views come in ``v`` (``_env_views``), made once per env and step rather than seventeen
    # times per attack-tick (each view was also a reference-count pair before ``NO_NRT``).
    ow, te, ct, troops_n, tiles_n, sy_n, sx_n, cities_n, inb, bn, bp, bh, bc, cand_n, mark_n = v
    lst = s.att_cand[n, p, a]
    cap = lst.shape[0]
    tick = s.tick[n]
    fy = s.att_fy[n, p, a]
    fx = s.att_fx[n, p, a]
    st = _next_stamp(mark_n, s.stamp, n)
    ncand = s.att_ncand[n, p, a]
    if rebuild or ncand < 0:
        count = _collect_candidates_v(ow, bh, bn, mark_n, cand_n, st, p, target, fy, fx)
        if count <= cap:
            for i in range(count):
                lst[i] = cand_n[i] % hw
            ncand = count
        else:
            ncand = -1
    else:
        # Filter the cached list: drop tiles no longer the target's or no longer beside our land, and repeats.
        count = 0
        for i in range(ncand):
            idx = lst[i]
            y = (idx * m) >> ROW_SHIFT
            x = idx - y * w
            if ow[y, x] != target or mark_n[idx] == st:
                continue
            owned = _owned_around(ow, y, x, p)
            if owned == 0:
                continue
            mark_n[idx] = st
            lst[count] = idx
            cand_n[count] = _front_key(y, x, idx, owned, fy, fx, h, w)
            count += 1
        ncand = count
    troops = s.att_troops[n, p, a]
    if count > 0:
        def_troops = troops_n[target] if target >= 0 else 0
        k = front_size(count, target, troops, def_troops)
        _select_smallest(cand_n, count, k)
        scale = s.tile_scale[n]
        for j in range(k):
            idx = cand_n[j] % hw
            y = (idx * m) >> ROW_SHIFT
            x = idx - y * w
            if ow[y, x] != target:
                continue  # the target was eliminated earlier in this loop
            if target == NEUTRAL:
                cost = neutral_tile_cost(te[y, x], scale)
            else:
                cost = enemy_tile_cost(te[y, x], scale, troops, troops_n[target], tiles_n[target])
            if troops < cost:
                count = 0  # cannot pay for the next tile: the attack ends
                break
            troops -= cost
            if target >= 0:
                loss = defender_tile_loss(troops_n[target], tiles_n[target])
                troops_n[target] -= min(loss, troops_n[target])
            _conquer_v(ow, te, ct, tiles_n, sy_n, sx_n, cities_n, inb, bn, bp, bh, bc, tick, y, x, p)
            # The target's tiles beside the new tile join the cached candidates (repeats are dropped later).
            for d in range(4):
                ny = y + (-1 if d == 0 else (1 if d == 1 else 0))
                nx = x + (-1 if d == 2 else (1 if d == 3 else 0))
                if ny < 0 or ny >= h or nx < 0 or nx >= w or ow[ny, nx] != target:
                    continue
                if ncand < 0 or ncand >= cap:
                    ncand = -1  # overflow: walk the border next tick
                else:
                    lst[ncand] = ny * w + nx
                    ncand += 1
    s.att_ncand[n, p, a] = ncand
    if count == 0 or troops <= 0:
        # Ends: no reachable tile, unaffordable next tile, or spent. Unspent troops return home.
        troops_n[p] += troops
        s.att_troops[n, p, a] = 0
        s.att_target[n, p, a] = NO_ATTACK
        s.att_ncand[n, p, a] = -1
    else:
        s.att_troops[n, p, a] = troops
    if target >= 0 and tiles_n[target] == 0 and s.alive[n, target]:
        eliminate(s, n, target)


@njit(cache=True, nogil=True, inline="always")
def _env_views(s, n):
    """The per-env array views ``advance_attack`` works on, as one tuple."""
    return (s.owner[n], s.terrain[n], s.conq_tick[n], s.troops[n], s.tiles[n], s.sum_y[n], s.sum_x[n],
            s.cities[n], s.in_border[n], s.b_list[n], s.b_pos[n], s.b_end[n], s.b_count[n], s.cand[n], s.mark[n])


@njit(cache=True, nogil=True, inline="always")
def run_tick(s, n, rebuild, v):
    """One game tick of env ``n``: attacks advance in rotated seat order, then every alive player grows.

    ``rebuild``: rebuild every attack's candidates from the border lists (the first tick of a decision);
    ``v``: ``_env_views(s, n)``.
    """
    num_p = s.troops.shape[1]
    start = s.tick[n] % num_p
    for k in range(num_p):
        p = (start + k) % num_p
        for a in range(MAX_ATTACKS):
            if s.alive[n, p] and s.att_target[n, p, a] != NO_ATTACK:
                advance_attack(s, n, p, a, rebuild, v)
    scale = s.tile_scale[n]
    for p in range(num_p):
        if s.alive[n, p]:
            cap = max_troops(s.tiles[n, p], s.cities[n, p], scale)
            s.troops[n, p] = troop_growth(s.troops[n, p], cap, s.cities[n, p])
    s.tick[n] += 1


@njit(cache=True, nogil=True, inline="always")
def check_end(s, n):
    """Set ``done``/``winner`` when one player is left or one holds ``WIN_PERCENT`` of the land."""
    num_p = s.troops.shape[1]
    alive = 0
    best = -1
    best_tiles = -1
    for p in range(num_p):
        if s.alive[n, p]:
            alive += 1
            if s.tiles[n, p] > best_tiles:
                best_tiles = s.tiles[n, p]
                best = p
    if alive <= 1 or best_tiles * 100 >= WIN_PERCENT * s.land[n]:
        s.done[n] = 1
        s.winner[n] = best
        return True
    return False


def step_envs(s: TerritoryState, actions: np.ndarray, ticks_per_step: int, active: np.ndarray | None = None) -> None:
    """Advance every active env that is not done by one decision: launches, then ``ticks_per_step`` ticks.

    ``actions``: int64 [N, P, 3] of (mode, code, intensity) per player (see the module docstring);
    ``active``: optional bool/uint8 [N], envs to leave untouched are 0 (default: all active).
    """
    if active is None:
        active = np.ones(s.owner.shape[0], np.uint8)
    step_kernel(s, actions, ticks_per_step, active)


@njit(**NO_NRT)
def step_kernel(s, actions, ticks_per_step, active):
    """The jitted body of ``step_envs``."""
    num_envs = s.owner.shape[0]
    num_p = s.troops.shape[1]
    for n in range(num_envs):
        if s.done[n] or not active[n]:
            continue
        start = s.tick[n] % num_p
        for k in range(num_p):
            p = (start + k) % num_p
            # WAIT and the no-op cell skip the decoder (most decisions of most players).
            mode = actions[n, p, 0]
            code = actions[n, p, 1]
            if (mode == MODE_DIRECTION and code == WAIT) or not s.alive[n, p]:
                continue
            ok, target, fy, fx, commit = resolve_action(s, n, p, mode, code, actions[n, p, 2])
            if ok:
                launch(s, n, p, target, fy, fx, commit)
        v = _env_views(s, n)
        for t in range(ticks_per_step):
            run_tick(s, n, t == 0, v)
            if check_end(s, n):
                break


@njit(**NO_NRT)
def placements(s, n, out):
    """Write each player's placement (1 = best) into ``out`` int [P].

    Alive players rank above eliminated ones, by tiles then home troops then seat; the eliminated rank by
    how late they fell (later is better), ties by seat.
    """
    num_p = s.troops.shape[1]
    for p in range(num_p):
        better = 0
        for q in range(num_p):
            if q == p:
                continue
            if s.alive[n, q] and not s.alive[n, p]:
                better += 1
            elif s.alive[n, q] and s.alive[n, p]:
                if (s.tiles[n, q] > s.tiles[n, p]
                        or (s.tiles[n, q] == s.tiles[n, p] and s.troops[n, q] > s.troops[n, p])
                        or (s.tiles[n, q] == s.tiles[n, p] and s.troops[n, q] == s.troops[n, p] and q < p)):
                    better += 1
            elif not s.alive[n, q] and not s.alive[n, p]:
                if s.elim_tick[n, q] > s.elim_tick[n, p] or (s.elim_tick[n, q] == s.elim_tick[n, p] and q < p):
                    better += 1
        out[p] = better + 1
