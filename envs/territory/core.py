"""Territory rules: state arrays and ``@njit`` kernels (NumPy + Numba only; no gymnasium, no pygame).

Territory is an OpenFront.io / territorial.io style free-for-all on a grid. Every rule of play lives here;
``mapgen`` starts games (terrain, cities, spawns), ``observe`` writes what one seat sees and its action masks,
and the Gymnasium env, the PettingZoo env, the scripted bots and the renderer are views on these arrays.

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
att_ncand               int32 [N,P,A]    entries in ``att_cand``; ``STALE_CANDIDATES`` (-1): rebuild them from
                                         the border list
b_end, b_count          int32 [N,P]      per-player ordered list of border tiles (own tiles touching foreign
b_list                  int32 [N,P,HW]     passable land), so fronts are found without scanning the map:
b_pos                   int32 [N,HW]       ``b_list[n, p, :b_end]`` holds tile indices in insertion order with
                                           ``NO_TILE`` holes (removals), read newest first; ``b_pos`` is a
                                           tile's slot
in_border               int8  [N,HW]     owner+1 of the border list a tile is in, ``NOT_ON_BORDER`` (0) when
                                         in none
mark                    uint8 [N,HW]     scratch: visit stamps for de-duplicating candidates; during a reset,
                                         ``mapgen.MAIN_LAND`` on the main land component
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
rebuild; this saves three border walks in four.)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from botarena.envs.common.jit import NO_NRT
from botarena.envs.common.validation import check_int

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

# ``owner`` codes besides the players 0..P-1; ``att_target`` holds an owner or ``NO_ATTACK``.
NEUTRAL = -1
IMPASSABLE = -2
NO_ATTACK = -3
# ``att_ncand`` of an attack whose candidates must be rebuilt from the border list.
STALE_CANDIDATES = -1
# A hole in ``b_list``; in ``b_pos``: the tile is in no border list.
NO_TILE = -1
# ``in_border`` of a tile in no border list (otherwise the list owner + 1).
NOT_ON_BORDER = 0

MIN_PLAYERS = 2
MAX_PLAYERS = 8
MIN_MAP_SIDE = 12  # map height and width; the row trick of ``row_magic`` holds up to 1024
MAX_MAP_SIDE = 1024
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
        """Zeroed arrays for ``num_envs`` games; call ``mapgen.reset_envs`` before stepping.

        Raises ``ValueError`` naming the argument when a dimension is outside its range.
        """
        n = check_int("num_envs", num_envs, 1)
        h = check_int("height", height, MIN_MAP_SIDE, MAX_MAP_SIDE)
        w = check_int("width", width, MIN_MAP_SIDE, MAX_MAP_SIDE)
        p = check_int("num_players", num_players, MIN_PLAYERS, MAX_PLAYERS)
        a = MAX_ATTACKS
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
            att_ncand=np.full((n, p, a), STALE_CANDIDATES, np.int32),
            b_end=np.zeros((n, p), np.int32),
            b_count=np.zeros((n, p), np.int32),
            b_list=np.full((n, p, hw), NO_TILE, np.int32),
            b_pos=np.full((n, hw), NO_TILE, np.int32),
            in_border=np.full((n, hw), NOT_ON_BORDER, np.int8),
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
# Hot helpers take one env's rows of the state arrays, named after the field with ``_n`` (``owner_n`` is
# ``s.owner[n]``, ``b_list_n`` is ``s.b_list[n]``), never the whole state tuple: a call that is not inlined
# passes all 31 arrays of the tuple (with NRT on, a reference-count pair each: ~260 ns measured; see ``NO_NRT``).
#
# A border list is an array in insertion order read backwards (newest first, like a linked list grown at
# its head) with ``NO_TILE`` holes where tiles left it; walking it is a sequential read, where following
# ``next`` links cost a cache miss per tile (~55 ns measured). Holes are squeezed out (order kept) when they
# outnumber the live entries by ``COMPACT_SLACK``, and trailing holes are trimmed at once.
COMPACT_SLACK = 32


@njit(**NO_NRT)
def _compact_border_list(b_list_n, b_pos_n, b_end_n, p):
    """Squeeze the holes out of ``p``'s border list, keeping the order of its tiles."""
    end = 0
    for j in range(b_end_n[p]):
        tile = b_list_n[p, j]
        if tile != NO_TILE:
            b_list_n[p, end] = tile
            b_pos_n[tile] = end
            end += 1
    for j in range(end, b_end_n[p]):
        b_list_n[p, j] = NO_TILE
    b_end_n[p] = end


@njit(cache=True, nogil=True, inline="always")
def _border_insert(in_border_n, b_list_n, b_pos_n, b_end_n, b_count_n, p, tile):
    """Append ``tile`` to ``p``'s border list (compacting the list first when it is full)."""
    if b_end_n[p] >= b_list_n.shape[1]:
        _compact_border_list(b_list_n, b_pos_n, b_end_n, p)
    j = b_end_n[p]
    b_list_n[p, j] = tile
    b_pos_n[tile] = j
    b_end_n[p] = j + 1
    in_border_n[tile] = p + 1
    b_count_n[p] += 1


@njit(cache=True, nogil=True, inline="always")
def _border_remove(in_border_n, b_list_n, b_pos_n, b_end_n, b_count_n, list_owner, tile):
    """Take ``tile`` out of ``list_owner``'s border list, leaving a hole."""
    j = b_pos_n[tile]
    b_list_n[list_owner, j] = NO_TILE
    b_pos_n[tile] = NO_TILE
    in_border_n[tile] = NOT_ON_BORDER
    b_count_n[list_owner] -= 1
    end = b_end_n[list_owner]
    if j == end - 1:
        while end > 0 and b_list_n[list_owner, end - 1] == NO_TILE:
            end -= 1
        b_end_n[list_owner] = end
    elif end - b_count_n[list_owner] > b_count_n[list_owner] + COMPACT_SLACK:
        _compact_border_list(b_list_n, b_pos_n, b_end_n, list_owner)


@njit(cache=True, nogil=True, inline="always")
def _is_border(owner_n, y, x, tile_owner):
    """True iff tile (y, x) of ``tile_owner`` has a 4-neighbour that is passable and not ``tile_owner``'s."""
    h = owner_n.shape[0]
    w = owner_n.shape[1]
    for d in range(4):
        ny = y + (-1 if d == 0 else (1 if d == 1 else 0))
        nx = x + (-1 if d == 2 else (1 if d == 3 else 0))
        if 0 <= ny < h and 0 <= nx < w:
            q = owner_n[ny, nx]
            if q != tile_owner and q != IMPASSABLE:
                return True
    return False


@njit(cache=True, nogil=True, inline="always")
def _refresh_borders_around(owner_n, in_border_n, b_list_n, b_pos_n, b_end_n, b_count_n, y, x):
    """Re-derive border-list membership of tile (y, x) and its 4 neighbours after (y, x) changed owner.

    Written without helper calls (``_is_border`` inlined by hand): it runs for every conquered tile, and a
    non-inlined call per neighbour cost more than the work itself.
    """
    h = owner_n.shape[0]
    w = owner_n.shape[1]
    for k in range(5):  # the tile itself, then its neighbours above, below, left and right
        ty = y + (-1 if k == 1 else (1 if k == 2 else 0))
        tx = x + (-1 if k == 3 else (1 if k == 4 else 0))
        if ty < 0 or ty >= h or tx < 0 or tx >= w:
            continue
        tile_owner = owner_n[ty, tx]
        on_border = False
        if tile_owner >= 0:
            if ty > 0:
                q = owner_n[ty - 1, tx]
                on_border = on_border or (q != tile_owner and q != IMPASSABLE)
            if ty < h - 1:
                q = owner_n[ty + 1, tx]
                on_border = on_border or (q != tile_owner and q != IMPASSABLE)
            if tx > 0:
                q = owner_n[ty, tx - 1]
                on_border = on_border or (q != tile_owner and q != IMPASSABLE)
            if tx < w - 1:
                q = owner_n[ty, tx + 1]
                on_border = on_border or (q != tile_owner and q != IMPASSABLE)
        tile = ty * w + tx
        listed = in_border_n[tile]  # owner + 1 of the list the tile is in
        if listed != NOT_ON_BORDER and (not on_border or listed - 1 != tile_owner):
            _border_remove(in_border_n, b_list_n, b_pos_n, b_end_n, b_count_n, listed - 1, tile)
            listed = NOT_ON_BORDER
        if on_border and listed == NOT_ON_BORDER:
            _border_insert(in_border_n, b_list_n, b_pos_n, b_end_n, b_count_n, tile_owner, tile)


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
            s.b_list[n, p, i] = NO_TILE
    land = 0
    for y in range(h):
        for x in range(w):
            tile = y * w + x
            s.in_border[n, tile] = NOT_ON_BORDER
            s.b_pos[n, tile] = NO_TILE
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
    owner_n = s.owner[n]
    in_border_n = s.in_border[n]
    b_list_n = s.b_list[n]
    b_pos_n = s.b_pos[n]
    b_end_n = s.b_end[n]
    b_count_n = s.b_count[n]
    # Insert in reverse scan order so each list reads in row-major order.
    for y in range(h - 1, -1, -1):
        for x in range(w - 1, -1, -1):
            o = owner_n[y, x]
            if o >= 0 and _is_border(owner_n, y, x, o):
                _border_insert(in_border_n, b_list_n, b_pos_n, b_end_n, b_count_n, o, y * w + x)
    for p in range(num_p):
        s.alive[n, p] = 1 if s.tiles[n, p] > 0 else 0


# ---------------------------------------------------------------------------------------------------------
# Candidates, targets and launches
# ---------------------------------------------------------------------------------------------------------
# Walks of a border list visit a neighbour tile once: ``mark`` holds a stamp per tile and a walk first takes a
# fresh stamp value, so "visited" is ``mark_n[tile] == visit``, with nothing to clear between walks.
MAX_STAMP = 255  # ``mark`` is uint8


@njit(cache=True, nogil=True, inline="always")
def next_stamp(mark_n, stamp, n):
    """A fresh visit stamp for env ``n`` (``stamp`` is the whole ``s.stamp`` array)."""
    # uint8 stamps: a row of ``mark`` is two cache lines, like ``owner``'s (int32 stamps made it eight, and
    # the walks are bound by cache misses). Wrapping clears the array, once per 255 walks.
    visit = stamp[n] + 1
    if visit > MAX_STAMP:
        for i in range(mark_n.shape[0]):
            mark_n[i] = 0
        visit = 1
    stamp[n] = visit
    return visit


@njit(cache=True, nogil=True, inline="always")
def owned_around(owner_n, y, x, p):
    """How many of tile (y, x)'s 4-neighbours ``p`` owns."""
    h = owner_n.shape[0]
    w = owner_n.shape[1]
    c = 0
    if y > 0 and owner_n[y - 1, x] == p:
        c += 1
    if y < h - 1 and owner_n[y + 1, x] == p:
        c += 1
    if x > 0 and owner_n[y, x - 1] == p:
        c += 1
    if x < w - 1 and owner_n[y, x + 1] == p:
        c += 1
    return c


@njit(cache=True, nogil=True, inline="always")
def direction_primary(y, x, owned, side_y, side_x, h, w):
    """``front_key``'s primary term for a direction focus, which lies ``H + W`` tiles off the map on side
    (side_y, side_x) (each -1, 0 or 1): ``1 + along + ENCLOSURE_PULL * (4 - owned)`` with ``along`` how far the
    tile lies behind the leading edge in that direction."""
    along = np.int64(h + w) - (side_y * y + side_x * x)
    return 1 + along + ENCLOSURE_PULL * (4 - owned)


@njit(cache=True, nogil=True, inline="always")
def front_key(y, x, tile, owned, fy, fx, h, w):
    """Conquest priority of candidate (y, x) = ``tile`` (smaller first), unique per tile; see *Conquest order*.

    ``owned``: its 4-neighbours the attacker owns; (fy, fx): the attack's focus. A focus on the map is a
    cell-mode focus; a direction's focus lies ``H + W`` tiles off the map, and the direction is recovered from
    where it lies. int64 throughout, so NumPy scalars under NUMBA_DISABLE_JIT cannot overflow. The key orders
    by the primary term first (``spread`` exceeds every tie-break term).
    """
    dy = np.int64(y) - fy
    dx = np.int64(x) - fx
    if 0 <= fy < h and 0 <= fx < w:
        primary = np.int64(0) if (dy == 0 and dx == 0) else 1 + abs(dy) + abs(dx) + ENCLOSURE_PULL * (4 - owned)
    else:
        side_y = 0 if 0 <= fy < h else (1 if fy >= h else -1)
        side_x = 0 if 0 <= fx < w else (1 if fx >= w else -1)
        primary = direction_primary(y, x, owned, side_y, side_x, h, w)
    spread = np.int64(8) * (h + w) * (h + w) + 1  # > any squared distance to a focus H + W off the map
    return (primary * spread + dy * dy + dx * dx) * (h * w) + tile


# Row of a tile index without a division: ``(tile * row_magic(w)) >> ROW_SHIFT == tile // w`` exactly for every
# 0 <= tile < 2**20 and 1 <= w <= 1024 (the error tile * (m - 2**30 / w) / 2**30 stays below 2**-10 <= 1 / w),
# which covers every map (at most 1024 x 1024). A 64-bit division by a run-time width cost ~2 ns in the walks.
ROW_SHIFT = 30


@njit(cache=True, nogil=True, inline="always")
def row_magic(w):
    # int64, so that an int32 index times it widens under NUMBA_DISABLE_JIT too (NumPy keeps int32 * int int32).
    return np.int64(((1 << ROW_SHIFT) + w - 1) // w)


@njit(cache=True, nogil=True, inline="always")
def _collect_candidates(owner_n, b_end_n, b_list_n, mark_n, cand_n, visit, p, target, fy, fx):
    """Write the ``front_key`` of every ``target`` tile 4-adjacent to ``p``'s land into ``cand_n[:count]``."""
    h = owner_n.shape[0]
    w = owner_n.shape[1]
    m = row_magic(w)
    count = 0
    for j in range(b_end_n[p] - 1, -1, -1):
        tile = b_list_n[p, j]
        if tile == NO_TILE:
            continue
        y = (tile * m) >> ROW_SHIFT
        x = tile - y * w
        for d in range(4):
            ny = y + (-1 if d == 0 else (1 if d == 1 else 0))
            nx = x + (-1 if d == 2 else (1 if d == 3 else 0))
            if ny < 0 or ny >= h or nx < 0 or nx >= w:
                continue
            if owner_n[ny, nx] != target:
                continue
            near = ny * w + nx
            if mark_n[near] == visit:
                continue
            mark_n[near] = visit
            cand_n[count] = front_key(ny, nx, near, owned_around(owner_n, ny, nx, p), fy, fx, h, w)
            count += 1
    return count


# ``collect_frontier(..., pack_owner=True)`` packs a frontier tile with its owner into one int64,
# ``tile << OWNER_BITS | (owner + OWNER_BIAS)``, so the mask writers and the bots read one array, not the map.
OWNER_BITS = 4
OWNER_MASK = (1 << OWNER_BITS) - 1
OWNER_BIAS = 2  # makes every owner code non-negative (NEUTRAL -1 -> 1, players 0..7 -> 2..9)


@njit(cache=True, nogil=True, inline="always")
def collect_frontier(owner_n, b_end_n, b_list_n, mark_n, cand_n, visit, p, pack_owner=False):
    """Write every passable tile not ``p``'s and 4-adjacent to ``p``'s land into ``cand_n[:count]`` (packed
    with its owner when ``pack_owner``); returns ``count``."""
    h = owner_n.shape[0]
    w = owner_n.shape[1]
    m = row_magic(w)
    count = 0
    for j in range(b_end_n[p] - 1, -1, -1):
        tile = b_list_n[p, j]
        if tile == NO_TILE:
            continue
        y = (tile * m) >> ROW_SHIFT
        x = tile - y * w
        for d in range(4):
            ny = y + (-1 if d == 0 else (1 if d == 1 else 0))
            nx = x + (-1 if d == 2 else (1 if d == 3 else 0))
            if ny < 0 or ny >= h or nx < 0 or nx >= w:
                continue
            near_owner = owner_n[ny, nx]
            if near_owner == p or near_owner == IMPASSABLE:
                continue
            near = ny * w + nx
            if mark_n[near] == visit:
                continue
            mark_n[near] = visit
            cand_n[count] = (near << OWNER_BITS) | (near_owner + OWNER_BIAS) if pack_owner else near
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


@njit(cache=True, nogil=True, inline="always")
def ray_target(owner_n, cy, cx, p, direction):
    """Owner of the first passable tile not ``p``'s on the ray from (cy, cx) in ``direction`` (or NO_ATTACK)."""
    h = owner_n.shape[0]
    w = owner_n.shape[1]
    y = cy
    x = cx
    dy = DIR_DY[direction]
    dx = DIR_DX[direction]
    while 0 <= y < h and 0 <= x < w:
        o = owner_n[y, x]
        if o != p and o != IMPASSABLE:
            return o
        y += dy
        x += dx
    return NO_ATTACK


@njit(cache=True, nogil=True, inline="always")
def launch_ok(att_target_n, troops_n, tiles_n, terrain_n, tile_scale, p, target, first_tile, commit):
    """The launch rule once the target and its first tile are known (see the module docstring)."""
    if commit < 1 or first_tile < 0:
        return False
    for a in range(MAX_ATTACKS):
        if att_target_n[p, a] == target:
            return True  # merge: the attack gains troops and a new focus
    if target >= 0:
        for a in range(MAX_ATTACKS):
            if att_target_n[target, a] == p:
                return True  # opposing attacks cancel troops
    free = False
    for a in range(MAX_ATTACKS):
        if att_target_n[p, a] == NO_ATTACK:
            free = True
            break
    if not free:
        return False
    w = terrain_n.shape[1]
    y = first_tile // w
    t = terrain_n[y, first_tile - y * w]
    if target == NEUTRAL:
        cost = neutral_tile_cost(t, tile_scale)
    else:
        cost = enemy_tile_cost(t, tile_scale, commit, troops_n[target], tiles_n[target])
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
    owner_n = s.owner[n]
    if mode == MODE_DIRECTION:
        if code < 0 or code >= NUM_DIRECTIONS:
            return False, NO_ATTACK, 0, 0, 0
        tiles = max(s.tiles[n, p], 1)
        cy = s.sum_y[n, p] // tiles
        cx = s.sum_x[n, p] // tiles
        target = ray_target(owner_n, cy, cx, p, code)
        if target == NO_ATTACK:
            return False, NO_ATTACK, 0, 0, 0
        fy = cy + DIR_DY[code] * (h + w)
        fx = cx + DIR_DX[code] * (h + w)
        visit = next_stamp(s.mark[n], s.stamp, n)
        count = _collect_candidates(owner_n, s.b_end[n], s.b_list[n], s.mark[n], s.cand[n], visit, p, target,
                                    fy, fx)
        if count == 0:
            return False, NO_ATTACK, 0, 0, 0
        best = s.cand[n, 0]
        for i in range(1, count):
            if s.cand[n, i] < best:
                best = s.cand[n, i]
        first = best % hw  # a key ends in its tile index (``front_key``)
    elif mode == MODE_CELL:
        if code < 0 or code >= hw:
            return False, NO_ATTACK, 0, 0, 0
        y = code // w
        x = code - y * w
        target = owner_n[y, x]
        if target == p or target == IMPASSABLE:
            return False, NO_ATTACK, 0, 0, 0
        if not ((y > 0 and owner_n[y - 1, x] == p) or (y < h - 1 and owner_n[y + 1, x] == p)
                or (x > 0 and owner_n[y, x - 1] == p) or (x < w - 1 and owner_n[y, x + 1] == p)):
            return False, NO_ATTACK, 0, 0, 0
        fy = y
        fx = x
        first = code  # the focus cell itself is the nearest candidate
    else:
        return False, NO_ATTACK, 0, 0, 0
    if not launch_ok(s.att_target[n], s.troops[n], s.tiles[n], s.terrain[n], s.tile_scale[n], p, target, first,
                     commit):
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
            s.att_ncand[n, p, a] = STALE_CANDIDATES
            s.att_troops[n, p, a] = commit
            s.att_fy[n, p, a] = fy
            s.att_fx[n, p, a] = fx
            return
    # Unreachable for a launch that passed ``launch_ok`` (cancellation only frees slots); refund defensively.
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
        s.att_ncand[n, p, a] = STALE_CANDIDATES


@njit(cache=True, nogil=True, inline="always")
def _take_tile(owner_n, terrain_n, conq_tick_n, tiles_n, sum_y_n, sum_x_n, cities_n, in_border_n, b_list_n, b_pos_n,
               b_end_n, b_count_n, tick, y, x, p):
    """Give tile (y, x) to ``p``, keeping counts, centroid sums and border lists exact; returns the old owner."""
    old = owner_n[y, x]
    city = terrain_n[y, x] == CITY
    if old >= 0:
        tiles_n[old] -= 1
        sum_y_n[old] -= y
        sum_x_n[old] -= x
        if city:
            cities_n[old] -= 1
    owner_n[y, x] = p
    tiles_n[p] += 1
    sum_y_n[p] += y
    sum_x_n[p] += x
    if city:
        cities_n[p] += 1
    conq_tick_n[y, x] = tick
    _refresh_borders_around(owner_n, in_border_n, b_list_n, b_pos_n, b_end_n, b_count_n, y, x)
    return old


@njit(cache=True, nogil=True, inline="always")
def _gather_candidates(owner_n, b_end_n, b_list_n, mark_n, cand_n, cached, num_cached, visit, p, target, fy, fx,
                       rebuild):
    """Phase 1 of ``advance_attack``: the ``front_key`` of every candidate into ``cand_n[:count]``.

    ``cached`` is the attack's ``att_cand`` row holding ``num_cached`` tiles (its ``att_ncand``). Returns
    (count, the new ``att_ncand``).
    """
    h = owner_n.shape[0]
    w = owner_n.shape[1]
    hw = h * w
    if rebuild or num_cached == STALE_CANDIDATES:
        count = _collect_candidates(owner_n, b_end_n, b_list_n, mark_n, cand_n, visit, p, target, fy, fx)
        if count <= cached.shape[0]:
            for i in range(count):
                cached[i] = cand_n[i] % hw  # a key ends in its tile index (``front_key``)
            return count, count
        return count, STALE_CANDIDATES
    # Filter the cached list: drop tiles no longer the target's or no longer beside our land, and repeats.
    m = row_magic(w)
    count = 0
    for i in range(num_cached):
        tile = cached[i]
        y = (tile * m) >> ROW_SHIFT
        x = tile - y * w
        if owner_n[y, x] != target or mark_n[tile] == visit:
            continue
        owned = owned_around(owner_n, y, x, p)
        if owned == 0:
            continue
        mark_n[tile] = visit
        cached[count] = tile
        cand_n[count] = front_key(y, x, tile, owned, fy, fx, h, w)
        count += 1
    return count, count


@njit(cache=True, nogil=True, inline="always")
def _conquer_front(views, cached, num_cached, count, tile_scale, tick, p, target, troops):
    """Phase 2 of ``advance_attack``: take the ``front_size`` best of the ``count`` candidates in ``cand_n`` while
    the attack's ``troops`` pay for them, and cache the target's tiles beside each tile taken.

    Returns (count, troops, num_cached); ``count`` is 0 when the attack could not pay for its next tile.
    """
    (owner_n, terrain_n, conq_tick_n, troops_n, tiles_n, sum_y_n, sum_x_n, cities_n, in_border_n, b_list_n, b_pos_n,
     b_end_n, b_count_n, cand_n, mark_n) = views
    h = owner_n.shape[0]
    w = owner_n.shape[1]
    hw = h * w
    m = row_magic(w)
    def_troops = troops_n[target] if target >= 0 else 0
    k = front_size(count, target, troops, def_troops)
    _select_smallest(cand_n, count, k)
    for j in range(k):
        tile = cand_n[j] % hw
        y = (tile * m) >> ROW_SHIFT
        x = tile - y * w
        if owner_n[y, x] != target:
            continue  # the target was eliminated earlier in this loop
        if target == NEUTRAL:
            cost = neutral_tile_cost(terrain_n[y, x], tile_scale)
        else:
            cost = enemy_tile_cost(terrain_n[y, x], tile_scale, troops, troops_n[target], tiles_n[target])
        if troops < cost:
            count = 0  # cannot pay for the next tile: the attack ends
            break
        troops -= cost
        if target >= 0:
            loss = defender_tile_loss(troops_n[target], tiles_n[target])
            troops_n[target] -= min(loss, troops_n[target])
        _take_tile(owner_n, terrain_n, conq_tick_n, tiles_n, sum_y_n, sum_x_n, cities_n, in_border_n, b_list_n,
                   b_pos_n, b_end_n, b_count_n, tick, y, x, p)
        # The target's tiles beside the new tile join the cached candidates (repeats are dropped later).
        for d in range(4):
            ny = y + (-1 if d == 0 else (1 if d == 1 else 0))
            nx = x + (-1 if d == 2 else (1 if d == 3 else 0))
            if ny < 0 or ny >= h or nx < 0 or nx >= w or owner_n[ny, nx] != target:
                continue
            if num_cached == STALE_CANDIDATES or num_cached >= cached.shape[0]:
                num_cached = STALE_CANDIDATES  # overflow: walk the border next tick
            else:
                cached[num_cached] = ny * w + nx
                num_cached += 1
    return count, troops, num_cached


@njit(cache=True, nogil=True, inline="always")
def _settle_attack(s, n, p, a, target, count, troops, num_cached, troops_n, tiles_n):
    """Phase 3 of ``advance_attack``: end the attack or keep its troops, and eliminate a target left landless."""
    s.att_ncand[n, p, a] = num_cached
    if count == 0 or troops <= 0:
        # Ends: no reachable tile, unaffordable next tile, or spent. Unspent troops return home.
        troops_n[p] += troops
        s.att_troops[n, p, a] = 0
        s.att_target[n, p, a] = NO_ATTACK
        s.att_ncand[n, p, a] = STALE_CANDIDATES
    else:
        s.att_troops[n, p, a] = troops
    if target >= 0 and tiles_n[target] == 0 and s.alive[n, target]:
        eliminate(s, n, target)


@njit(cache=True, nogil=True, inline="always")
def advance_attack(s, n, p, a, rebuild, views):
    """One tick of attack slot ``a`` of player ``p``: conquer the nearest affordable candidates.

    Candidates are rebuilt from ``p``'s border list when ``rebuild`` (the first tick of every decision) or
    when the cached list is invalid; on the other ticks the cached list is filtered (still the target's,
    still beside ``p``'s land) and extended with the target's tiles next to the tiles this attack takes.
    The env's array views come in ``views`` (``_env_views``), made once per env and step rather than
    seventeen times per attack-tick (each view was also a reference-count pair before ``NO_NRT``).
    """
    (owner_n, terrain_n, conq_tick_n, troops_n, tiles_n, sum_y_n, sum_x_n, cities_n, in_border_n, b_list_n, b_pos_n,
     b_end_n, b_count_n, cand_n, mark_n) = views
    target = s.att_target[n, p, a]
    cached = s.att_cand[n, p, a]
    visit = next_stamp(mark_n, s.stamp, n)
    count, num_cached = _gather_candidates(owner_n, b_end_n, b_list_n, mark_n, cand_n, cached, s.att_ncand[n, p, a],
                                           visit, p, target, s.att_fy[n, p, a], s.att_fx[n, p, a], rebuild)
    troops = s.att_troops[n, p, a]
    if count > 0:
        count, troops, num_cached = _conquer_front(views, cached, num_cached, count, s.tile_scale[n], s.tick[n], p,
                                                   target, troops)
    _settle_attack(s, n, p, a, target, count, troops, num_cached, troops_n, tiles_n)


@njit(cache=True, nogil=True, inline="always")
def _env_views(s, n):
    """The per-env array views ``advance_attack`` works on, as one tuple."""
    return (s.owner[n], s.terrain[n], s.conq_tick[n], s.troops[n], s.tiles[n], s.sum_y[n], s.sum_x[n],
            s.cities[n], s.in_border[n], s.b_list[n], s.b_pos[n], s.b_end[n], s.b_count[n], s.cand[n], s.mark[n])


@njit(cache=True, nogil=True, inline="always")
def run_tick(s, n, rebuild, views):
    """One game tick of env ``n``: attacks advance in rotated seat order, then every alive player grows.

    ``rebuild``: rebuild every attack's candidates from the border lists (the first tick of a decision);
    ``views``: ``_env_views(s, n)``.
    """
    num_p = s.troops.shape[1]
    start = s.tick[n] % num_p
    for k in range(num_p):
        p = (start + k) % num_p
        for a in range(MAX_ATTACKS):
            if s.alive[n, p] and s.att_target[n, p, a] != NO_ATTACK:
                advance_attack(s, n, p, a, rebuild, views)
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
        views = _env_views(s, n)
        for t in range(ticks_per_step):
            run_tick(s, n, t == 0, views)
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
