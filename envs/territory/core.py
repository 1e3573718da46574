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
att_tick                int32 [N,P,A]    v2: tick the attack was launched or last merged (priorities, the bias)
att_budget              float64 [N,P,A]  v2: front budget the last tick overspent (<= 0), paid first this tick
att_retreat             int32 [N,P,A]    v2: tick the attack was called back, -1 while it advances
att_cand                int64 [N,P,A,C]  the attack's candidates (C = ``cand_capacity(H, W)``): v1 their tiles, kept
                                         between the ticks of one decision; v2 their keys, fixed when queued
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
rules                   uint8 [N]        rule set: ``RULES_V1`` (Territory-v1) or ``RULES_V2`` (below)
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

Rules v2 (``rules[n] == RULES_V2``)
-----------------------------------
Everything above holds except where this section says otherwise. Sources: OpenFront upstream main at commit
1ebac8e8 (2026-04-16; its package.json carries no version): ``DefaultConfig.ts`` (``attackLogic``,
``attackTilesPerTick``), ``AttackExecution.ts``, ``RetreatExecution.ts``, ``PlayerExecution.ts``
(``removeClusters``). OpenFront's numbers are per OpenFront tile; ours are scaled as in v1 (an area, a troop
cost, a tile count: times ``tile_scale``; a border length: times ``sqrt(tile_scale)``).

* Mountains are land (OpenFront's are): passable, magnitude 120, the slowest terrain. Spawns avoid them.
* Front speed: each tick an attack gets a budget, ``2 x border`` on neutral land or
  ``clip(10 * attack / defender, 0.01, 0.5) * 3 x border`` against a player (``attackTilesPerTick``; the border is
  the attack's candidate count in OpenFront tiles). Each tile taken uses ``clip(2000 * max(10, speed) / attack,
  5, 100)`` (neutral) or ``clip(defender / (5 * attack), 0.2, 1.5) * speed`` (player) of it, speed 16.5 / 20 / 25
  on plains / hills and cities / mountains (``tilesPerTickUsed``). Tiles are taken while budget is left, so the
  last may overspend; the overspend is carried as debt (OpenFront drops it, but one of our tiles is
  ``tile_scale`` of theirs, so dropping it would speed small fronts up). So neutral land goes at most at
  0.4 x border per tick, and an enemy front needs about the defender's troops for full speed.
* Tempo: with the border counted in OpenFront tiles, land per tick relative to troop growth is OpenFront's
  (v1 conquered about 2.6x faster relative to growth). We keep OpenFront's: it is what the agent should learn.
* Costs against a player: ``0.7 * clip(def / atk, 0.6, 2) * mag * 0.8 * D * L + 0.3 * 1.3 * density * mag / 100``
  with the size terms ``D = 0.7 + 0.3 * (1 - sigmoid(def_tiles; ln 2 / 50,000, 150,000))`` (a large defender is
  cheaper and faster to take) and, for attackers over 100,000 tiles, ``L = (100,000 / tiles)**0.35`` on the loss
  and ``(100,000 / tiles)**0.6`` on the tile's budget use. Computed once per attack and tick.
* Which tiles: as in OpenFront, each attack keeps a queue of the target's tiles beside our land, and takes the
  smallest key first; a tile's key is fixed when it is queued (at the launch, a merge, or beside a tile the attack
  takes), as OpenFront's priority ``(10 + r) * (1 - owned / 2 + m / 2) + enqueue tick``: ``r`` in 0..6 a hash of
  tile and attack (OpenFront draws it from a per-attack PRNG), ``owned`` the tile's 4-neighbours we hold then,
  ``m`` 1 / 1.5 / 2 for plains / hills and cities / mountains. Plus the click-direction bias of OpenFront's
  directed-attack branch (PR #2262, unmerged): ``(1 - cos) * 2.5 * exp(-age / 20)``, ``cos`` between the
  direction (or the clicked cell) and the candidate, both seen from our centroid. The whole border advances; the
  direction and the cell choose the target and tilt the first ~20 ticks. Each tick the queue drops tiles no
  longer the target's or no longer beside our land (a tile queued twice keeps its newest key), and what is left
  is the border the budget counts; tiles queued this tick wait for the next. Land that joins the front another
  way (another attack's conquest) is queued at the next launch or merge, as in OpenFront.
* An attack whose troops fall below one dies; nothing returns (OpenFront deletes it). One with no candidate
  left ends and its troops return.
* Spawn immunity: no attack on a player before tick ``SPAWN_IMMUNITY_TICKS`` = 50.
* Retreat (``MODE_RETREAT``, ``code`` = attack slot): the attack stands still ``RETREAT_TICKS`` = 20 ticks, then
  its troops come home, less 25 % when its target is a player. Merging a new launch into it calls it off.
* The dead defender: when a player falls under 100 OpenFront tiles during an attack on it, up to 10 sweeps
  give each of its tiles to the attacker if it touches the attacker's land, else to another player it touches.
* Enclaves: every ``CLUSTER_TICKS`` = 20 ticks each player's border tiles (those with a 4-neighbour not its own,
  water included) are split into 8-connected clusters, as OpenFront does. A cluster none of whose tiles is on the
  map edge or the shore, whose foreign neighbours' bounding box contains its own, is surrounded, and the land it
  sits on (4-connected) is captured; the largest cluster also needs no neutral neighbour and exactly one foreign
  neighbour. The taker is the neighbour attacking that player with the most troops, else the one with the most
  contact.
* The launch test prices the target's cheapest front tile (lowest magnitude), for both action modes.
* ``START_TROOPS`` = 25,000 is OpenFront's ``startManpower`` for a human player (the table above calls it
  ours: it is theirs), and OpenFront's "up to twice its border per tick" is a budget, not a speed (above).

Order of one env step
---------------------
1. Launches, players in the rotated order ``(tick + k) % P`` so no seat always moves first.
2. ``ticks_per_step`` ticks, each: every alive player's attacks advance (same rotated order), then every
   alive player grows (v2: then, every ``CLUSTER_TICKS``, enclaves are captured); the game-end test runs
   after each tick and stops the step once the game is over.
(v2: a ``MODE_RETREAT`` action calls its attack back in step 1.)

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

from botarena.envs.common.jit import NO_NRT, kernel_helper
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
TERRAIN_MAG = np.array([80.0, 100.0, 120.0, 0.0, 120.0], dtype=np.float64)  # by terrain code; water unused
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

# Rule sets: ``rules[n]`` of a game. v1 keeps Territory-v1 exactly (old recordings and scores replay);
# v2 follows OpenFront (see *Rules v2* in the module docstring).
RULES_V1 = 1
RULES_V2 = 2
LATEST_RULES = RULES_V2
MODE_RETREAT = 2  # v2: ``code`` is the attack slot to call back

# v2 constants: OpenFront upstream main 1ebac8e8 (2026-04-16), src/core/configuration/DefaultConfig.ts
# (``attackLogic``, ``attackTilesPerTick``), src/core/execution/AttackExecution.ts (priorities, retreat, the
# dead defender), PlayerExecution.ts (``removeClusters``). Indexed by terrain code; WATER's entries are unused.
# (``TERRAIN_MAG`` above already holds OpenFront's mountain magnitude, 120, for v2's passable mountains.)
TERRAIN_SPEED_V2 = np.array([16.5, 20.0, 20.0, 0.0, 25.0], dtype=np.float64)  # budget a tile uses (slower = more)
# Twice OpenFront's ``addNeighbors`` terrain term (plains 1, highland 1.5, mountain 2), so the key is integer.
TERRAIN_PRIORITY_V2 = np.array([2, 3, 3, 0, 4], dtype=np.int64)
SPAWN_IMMUNITY_TICKS = 50  # ``spawnImmunityDuration`` 5 * 10 ticks: no attack on a player before this tick
RETREAT_TICKS = 20  # RetreatExecution ``cancelDelay``: a recalled attack stands still this long, then goes home
RETREAT_MALUS_PERCENT = 25  # ``malusForRetreat``: troops lost coming home from an attack on a player
CLUSTER_TICKS = 20  # ``ticksPerClusterCalc``: enclaves are captured every 20 ticks
ANNEX_TILES = 100.0  # ``handleDeadDefender``: a player under 100 OpenFront tiles is annexed
ANNEX_SWEEPS = 10
# Passed to ``_enclave_taker`` as np.bool_, not the literal True: numba compiles one copy of a kernel per literal
# argument, and even a variable first set to a literal can make it compile a literal copy before the variable's
# final type is known. Kernel-to-kernel arguments are therefore given plain numpy types (np.int64(0), not 0).
STRICT_RULE = np.bool_(True)
LARGE_ATTACKER_TILES = 100_000.0  # ``attackLogic``: attackers above this many tiles lose and slow less
LARGE_DEFENDER_MID = 150_000.0  # ``attackLogic``: the defender discount's sigmoid midpoint ...
LARGE_DEFENDER_SLOPE = np.log(2.0) / 50_000.0  # ... and slope
# The click-direction bias of OpenFront's unmerged directed-attack branch (PR #2262): ``(1 - cos) * 2.5``,
# fading as ``exp(-ticks / 20)``. Upstream main has no bias; ours keeps it small so the direction still steers.
DIRECTION_BIAS = 2.5
DIRECTION_BIAS_TICKS = 20.0
# v2 conquest-order keys are fixed point: ``PRIORITY_ONE`` units per OpenFront priority point.
PRIORITY_ONE = 64



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
    att_tick: np.ndarray
    att_budget: np.ndarray
    att_retreat: np.ndarray
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
    rules: np.ndarray

    @classmethod
    def allocate(cls, num_envs: int, height: int, width: int, num_players: int,
                 rules: int = LATEST_RULES) -> TerritoryState:
        """Zeroed arrays for ``num_envs`` games under rule set ``rules`` (``RULES_V1`` or ``RULES_V2``); call
        ``mapgen.reset_envs`` before stepping.

        Raises ``ValueError`` naming the argument when a dimension or the rule set is outside its range.
        """
        check_int("rules", rules, RULES_V1, LATEST_RULES)
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
            att_tick=np.zeros((n, p, a), np.int32),
            att_budget=np.zeros((n, p, a), np.float64),
            att_retreat=np.full((n, p, a), -1, np.int32),
            att_cand=np.zeros((n, p, a, cand_capacity(h, w)), np.int64),
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
            rules=np.full(n, rules, np.uint8),
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


@njit(cache=True, nogil=True, inline="always")
def passable(terrain_code, rules):
    """Whether land of ``terrain_code`` can be owned: water never; mountains from v2 on (OpenFront's are land)."""
    return terrain_code < WATER or (terrain_code == MOUNTAIN and rules >= RULES_V2)


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


@kernel_helper
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


@njit(**NO_NRT)
def size_modifiers(att_tiles, def_tiles, tile_scale):
    """v2 ``attackLogic`` size terms on OpenFront tiles (ours times ``tile_scale``): (large-defender discount on
    both the attacker's loss and its speed cost, large-attacker loss bonus, large-attacker speed bonus)."""
    defender = def_tiles * tile_scale
    sig = 1.0 / (1.0 + np.exp(-LARGE_DEFENDER_SLOPE * (defender - LARGE_DEFENDER_MID)))
    def_debuff = 0.7 + 0.3 * (1.0 - sig)
    attacker = att_tiles * tile_scale
    if attacker > LARGE_ATTACKER_TILES:
        return def_debuff, (LARGE_ATTACKER_TILES / attacker) ** 0.35, (LARGE_ATTACKER_TILES / attacker) ** 0.6
    return def_debuff, 1.0, 1.0


@kernel_helper
def enemy_tile_cost_v2(terrain_code, tile_scale, attack_troops, def_troops, def_tiles, def_debuff, att_loss_bonus):
    """Troops a v2 attack pays for one enemy tile: OpenFront ``attackLogic``'s 0.7 / 0.3 blend of the current and the
    alternative attacker loss, with the size terms, scaled to ``tile_scale`` OpenFront tiles."""
    mag = TERRAIN_MAG[terrain_code]
    ratio = min(max(def_troops / max(attack_troops, 1), 0.6), 2.0)
    density = def_troops / max(def_tiles, 1)
    current = tile_scale * ratio * mag * 0.8 * def_debuff * att_loss_bonus
    alternative = 1.3 * density * mag / 100.0  # density is per tile of ours, so this is already scaled
    return max(1, int(0.7 * current + 0.3 * alternative))


@njit(**NO_NRT)
def tick_budget_v2(front, target, attack_troops, def_troops, tile_scale):
    """v2 ``attackTilesPerTick`` for a front of ``front`` of our tiles: ``2 x border`` on neutral land,
    ``clip(10 * attack / defender, 0.01, 0.5) * 3 x border`` against a player, the border counted in OpenFront
    tiles (``front * sqrt(tile_scale)``: our tile is ``sqrt(tile_scale)`` OpenFront tiles wide)."""
    border = front * np.sqrt(tile_scale)
    if target == NEUTRAL:
        return 2.0 * border
    speed = min(max(10.0 * attack_troops / max(def_troops, 1), 0.01), 0.5)
    return speed * 3.0 * border


@njit(**NO_NRT)
def tile_budget_v2(terrain_code, target, attack_troops, def_troops, def_debuff, att_speed_bonus, tile_scale):
    """Budget one of our tiles uses (OpenFront ``tilesPerTickUsed`` times ``tile_scale``): on neutral land
    ``clip(2000 * max(10, speed) / attack, 5, 100)``, against a player
    ``clip(defender / (5 * attack), 0.2, 1.5) * speed`` with the size terms."""
    speed = TERRAIN_SPEED_V2[terrain_code]
    if target == NEUTRAL:
        return min(max(2000.0 * max(10.0, speed) / max(attack_troops, 1), 5.0), 100.0) * tile_scale
    ratio = min(max(def_troops / (5.0 * max(attack_troops, 1)), 0.2), 1.5)
    return ratio * speed * def_debuff * att_speed_bonus * tile_scale


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


@kernel_helper
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
        _compact_border_list(b_list_n, b_pos_n, b_end_n, np.int64(p))
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
        _compact_border_list(b_list_n, b_pos_n, b_end_n, np.int64(list_owner))


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
            if not passable(t, s.rules[n]):
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


@njit(cache=True, nogil=True, inline="always")
def tile_noise(tile, seed):
    """OpenFront's random priority term (``random.nextInt(0, 7)``, a per-attack PRNG) as a hash of the tile and the
    attack: 0..6, the same in every replay, and no draw from the game's RNG. Every product stays below 2**60."""
    x = (np.int64(tile) * 0x2545F491 + np.int64(seed) * 0x9E3779B) & 0xFFFFFFFF
    x = (((x >> 16) ^ x) * 0x45D9F3B) & 0xFFFFFFFF
    x = (((x >> 16) ^ x) * 0x45D9F3B) & 0xFFFFFFFF
    return ((x >> 16) ^ x) % 7


# v2 keys are non-negative: the priority is at least PRIORITY_ONE / 4 * 16 * -2 = -512 before the offset.
PRIORITY_OFFSET = 1024


@njit(cache=True, nogil=True, inline="always")
def front_key_v2(y, x, tile, owned, terrain_code, kp, hw):
    """v2 conquest priority of candidate (y, x) = ``tile`` (smaller first), unique per tile; see *Rules v2*.

    OpenFront ``AttackExecution.addNeighbors``: ``(10 + rand(0..6)) * (1 - owned / 2 + mag / 2) + enqueue tick``,
    plus the fading click-direction bias, in fixed point (``PRIORITY_ONE`` per point), computed once when the
    tile is queued (now: ``kp[10]``). ``kp``: ``attack_key_params``.
    """
    t0 = kp[3]
    r = 10 + tile_noise(tile, kp[4])
    f = 4 - 2 * owned + TERRAIN_PRIORITY_V2[terrain_code]  # 4 x (1 - owned / 2 + mag / 2)
    prio = r * f * (PRIORITY_ONE // 4) + (kp[10] - t0) * PRIORITY_ONE
    bias_w = kp[9]
    if bias_w > 0.0:
        vy = y - kp[5]
        vx = x - kp[6]
        norm = np.sqrt(vy * vy + vx * vx)
        cos = (vy * kp[7] + vx * kp[8]) / norm if norm > 0.0 else 1.0
        prio += np.int64(bias_w * (1.0 - cos) * PRIORITY_ONE)
    return (prio + PRIORITY_OFFSET) * hw + tile


@njit(cache=True, nogil=True, inline="always")
def candidate_key(owner_n, terrain_n, y, x, tile, p, kp, h, w):
    """(owned 4-neighbours, conquest key) of candidate (y, x) under the attack's rules: ``front_key`` (v1) or
    ``front_key_v2``. ``kp``: ``attack_key_params`` (or ``v1_key_params``)."""
    owned = owned_around(owner_n, y, x, p)
    if kp[0] >= RULES_V2:
        return owned, front_key_v2(y, x, tile, owned, terrain_n[y, x], kp, np.int64(h * w))
    return owned, front_key(y, x, tile, owned, kp[1], kp[2], h, w)


@njit(cache=True, nogil=True, inline="always")
def v1_key_params(rules, fy, fx):
    """``kp`` for ``candidate_key`` when only v1's focus matters (v2 fields zero)."""
    return (np.int64(rules), np.int64(fy), np.int64(fx), np.int64(0), np.int64(0), 0.0, 0.0, 0.0, 0.0, 0.0,
            np.int64(0))


@njit(cache=True, nogil=True, inline="always")
def attack_key_params(s, n, p, a):
    """``kp`` of attack slot ``a``: (rules, focus y, focus x, start tick, noise seed, centroid y, centroid x, unit
    click direction y, x, bias weight now, tick now)."""
    rules = s.rules[n]
    fy = s.att_fy[n, p, a]
    fx = s.att_fx[n, p, a]
    if rules < RULES_V2:
        return v1_key_params(rules, fy, fx)
    t0 = np.int64(s.att_tick[n, p, a])
    tiles = max(s.tiles[n, p], 1)
    cy = s.sum_y[n, p] / tiles
    cx = s.sum_x[n, p] / tiles
    dy = fy - cy
    dx = fx - cx
    norm = np.sqrt(dy * dy + dx * dx)
    bias_w = DIRECTION_BIAS * np.exp(-(s.tick[n] - t0) / DIRECTION_BIAS_TICKS)
    if norm == 0.0 or bias_w * PRIORITY_ONE < 1.0:
        bias_w = 0.0
        norm = 1.0
    seed = t0 * 32 + p * MAX_ATTACKS + a
    return (np.int64(rules), np.int64(fy), np.int64(fx), t0, np.int64(seed), cy, cx, dy / norm, dx / norm, bias_w,
            np.int64(s.tick[n]))


# Row of a tile index without a division: ``(tile * row_magic(w)) >> ROW_SHIFT == tile // w`` exactly for every
# 0 <= tile < 2**20 and 1 <= w <= 1024 (the error tile * (m - 2**30 / w) / 2**30 stays below 2**-10 <= 1 / w),
# which covers every map (at most 1024 x 1024). A 64-bit division by a run-time width cost ~2 ns in the walks.
ROW_SHIFT = 30


@njit(cache=True, nogil=True, inline="always")
def row_magic(w):
    # int64, so that an int32 index times it widens under NUMBA_DISABLE_JIT too (NumPy keeps int32 * int int32).
    return np.int64(((1 << ROW_SHIFT) + w - 1) // w)


@kernel_helper
def _collect_candidates(owner_n, terrain_n, b_end_n, b_list_n, mark_n, cand_n, visit, p, target, kp):
    """Write the conquest key (``candidate_key``) of every ``target`` tile 4-adjacent to ``p``'s land into
    ``cand_n[:count]``."""
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
            cand_n[count] = candidate_key(owner_n, terrain_n, ny, nx, near, p, kp, h, w)[1]
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


@kernel_helper
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


@kernel_helper
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
def launch_ok(att_target_n, troops_n, tiles_n, terrain_n, tile_scale, p, target, first_tile, commit, rules, tick):
    """The launch rule once the target and its first tile are known (see the module docstring).

    v2 adds spawn immunity (no attack on a player before ``SPAWN_IMMUNITY_TICKS``) and prices the first tile with
    v2's costs; ``first_tile`` is then the target's cheapest front tile (``cheapest_candidate``).
    """
    if commit < 1 or first_tile < 0:
        return False
    if rules >= RULES_V2 and target >= 0 and tick < SPAWN_IMMUNITY_TICKS:
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
    elif rules >= RULES_V2:
        def_debuff, loss_bonus, _speed_bonus = size_modifiers(tiles_n[p], tiles_n[target], tile_scale)
        cost = enemy_tile_cost_v2(t, tile_scale, commit, troops_n[target], tiles_n[target], def_debuff, loss_bonus)
    else:
        cost = enemy_tile_cost(t, tile_scale, commit, troops_n[target], tiles_n[target])
    return commit >= cost


@kernel_helper
def cheapest_candidate(owner_n, terrain_n, b_end_n, b_list_n, p, target):
    """v2's first tile for the launch test: a ``target`` tile beside ``p``'s land of the lowest terrain
    magnitude (every tile of one magnitude costs the same), or -1 when there is none."""
    h = owner_n.shape[0]
    w = owner_n.shape[1]
    m = row_magic(w)
    best = -1
    best_mag = 1e9
    for j in range(b_end_n[p] - 1, -1, -1):
        tile = b_list_n[p, j]
        if tile == NO_TILE:
            continue
        y = (tile * m) >> ROW_SHIFT
        x = tile - y * w
        for d in range(4):
            ny = y + (-1 if d == 0 else (1 if d == 1 else 0))
            nx = x + (-1 if d == 2 else (1 if d == 3 else 0))
            if 0 <= ny < h and 0 <= nx < w and owner_n[ny, nx] == target:
                mag = TERRAIN_MAG[terrain_n[ny, nx]]
                if mag < best_mag:
                    best_mag = mag
                    best = ny * w + nx
                    if mag <= TERRAIN_MAG[PLAINS]:
                        return best
    return best


@njit(**NO_NRT)
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
        if s.rules[n] >= RULES_V2:
            first = cheapest_candidate(owner_n, s.terrain[n], s.b_end[n], s.b_list[n], p, target)
        else:
            visit = next_stamp(s.mark[n], s.stamp, n)
            count = _collect_candidates(owner_n, s.terrain[n], s.b_end[n], s.b_list[n], s.mark[n], s.cand[n], visit,
                                        p, target, v1_key_params(s.rules[n], fy, fx))
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
        target = np.int64(owner_n[y, x])
        if target == p or target == IMPASSABLE:
            return False, NO_ATTACK, 0, 0, 0
        if not ((y > 0 and owner_n[y - 1, x] == p) or (y < h - 1 and owner_n[y + 1, x] == p)
                or (x > 0 and owner_n[y, x - 1] == p) or (x < w - 1 and owner_n[y, x + 1] == p)):
            return False, NO_ATTACK, 0, 0, 0
        fy = y
        fx = x
        if s.rules[n] >= RULES_V2:
            first = cheapest_candidate(owner_n, s.terrain[n], s.b_end[n], s.b_list[n], p, target)
        else:
            first = code  # the focus cell itself is the nearest candidate
    else:
        return False, NO_ATTACK, 0, 0, 0
    if not launch_ok(s.att_target[n], s.troops[n], s.tiles[n], s.terrain[n], s.tile_scale[n], p, target, first,
                     commit, s.rules[n], s.tick[n]):
        return False, NO_ATTACK, 0, 0, 0
    return True, target, fy, fx, commit


@njit(cache=True, nogil=True, inline="always")
def can_retreat(s, n, p, a):
    """v2: attack slot ``a`` of player ``p`` is running and not already called back."""
    return (s.rules[n] >= RULES_V2 and not s.done[n] and s.alive[n, p] and 0 <= a < MAX_ATTACKS
            and s.att_target[n, p, a] != NO_ATTACK and s.att_retreat[n, p, a] < 0)


@njit(cache=True, nogil=True, inline="always")
def order_retreat(s, n, p, a):
    """Call attack slot ``a`` back (OpenFront ``orderRetreat``): it stands still for ``RETREAT_TICKS`` ticks (the
    ``cancelDelay``) and its troops are home on the next, less ``RETREAT_MALUS_PERCENT`` if it attacked a
    player. A no-op unless ``can_retreat``."""
    if can_retreat(s, n, p, a):
        s.att_retreat[n, p, a] = s.tick[n]


@njit(cache=True, nogil=True, inline="always")
def free_slot(s, n, p, a):
    """Empty attack slot ``a`` of player ``p`` (its troops already accounted for)."""
    s.att_target[n, p, a] = NO_ATTACK
    s.att_troops[n, p, a] = 0
    s.att_ncand[n, p, a] = STALE_CANDIDATES
    s.att_budget[n, p, a] = 0.0
    s.att_retreat[n, p, a] = -1


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
                    free_slot(s, n, target, a)
                break
    if commit <= 0:
        return
    for a in range(MAX_ATTACKS):
        if s.att_target[n, p, a] == target:
            # Merging restarts the attack (OpenFront: the new attack absorbs the running one): a new focus, the
            # front re-enqueued now, and a retreat in progress called off.
            s.att_troops[n, p, a] += commit
            s.att_fy[n, p, a] = fy
            s.att_fx[n, p, a] = fx
            s.att_tick[n, p, a] = s.tick[n]
            s.att_retreat[n, p, a] = -1
            s.att_ncand[n, p, a] = STALE_CANDIDATES
            return
    for a in range(MAX_ATTACKS):
        if s.att_target[n, p, a] == NO_ATTACK:
            s.att_target[n, p, a] = target
            s.att_ncand[n, p, a] = STALE_CANDIDATES
            s.att_troops[n, p, a] = commit
            s.att_fy[n, p, a] = fy
            s.att_fx[n, p, a] = fx
            s.att_tick[n, p, a] = s.tick[n]
            s.att_budget[n, p, a] = 0.0
            s.att_retreat[n, p, a] = -1
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
        free_slot(s, n, p, a)


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


@kernel_helper
def _gather_candidates(owner_n, terrain_n, b_end_n, b_list_n, mark_n, cand_n, cached, num_cached, visit, p, target, kp,
                       rebuild):
    """Phase 1 of ``advance_attack``: the key (``candidate_key``) of every candidate into ``cand_n[:count]``.

    ``cached`` is the attack's ``att_cand`` row holding ``num_cached`` entries (its ``att_ncand``): tiles under v1,
    whose keys are recomputed every tick, and under v2 the keys themselves, fixed when the tile was queued (as in
    OpenFront's priority queue). v1 rebuilds the list every decision (``rebuild``); v2 only when it is stale (a
    launch, a merge, an overflow), as OpenFront refills its queue only when the attack starts. Returns (count,
    the new ``att_ncand``).
    """
    h = owner_n.shape[0]
    w = owner_n.shape[1]
    hw = h * w
    v2 = kp[0] >= RULES_V2
    if (rebuild and not v2) or num_cached == STALE_CANDIDATES:
        count = _collect_candidates(owner_n, terrain_n, b_end_n, b_list_n, mark_n, cand_n, visit, p, target, kp)
        if count <= cached.shape[0]:
            for i in range(count):
                cached[i] = cand_n[i] if v2 else cand_n[i] % hw  # a key ends in its tile index
            return count, count
        return count, STALE_CANDIDATES
    # Filter the cached list: drop tiles no longer the target's or no longer beside our land, and repeats (v2
    # walks newest first, so a tile queued twice keeps its newest key).
    m = row_magic(w)
    count = 0
    for k in range(num_cached):
        entry = cached[num_cached - 1 - k] if v2 else cached[k]
        tile = entry % hw
        y = (tile * m) >> ROW_SHIFT
        x = tile - y * w
        if owner_n[y, x] != target or mark_n[tile] == visit:
            continue
        if v2:
            owned = owned_around(owner_n, y, x, p)
            key = entry
        else:
            owned, key = candidate_key(owner_n, terrain_n, y, x, tile, p, kp, h, w)
        if owned == 0:
            continue
        mark_n[tile] = visit
        cand_n[count] = key
        if not v2:
            cached[count] = tile
        count += 1
    if v2:
        for i in range(count):
            cached[count - 1 - i] = cand_n[i]  # oldest first again
    return count, count


@kernel_helper
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
        num_cached = _take_and_extend(views, cached, num_cached, tick, y, x, p, target)
    return count, troops, num_cached


@njit(cache=True, nogil=True, inline="always")
def _take_and_extend(views, cached, num_cached, tick, y, x, p, target):
    """Give tile (y, x) to ``p`` and add the target's tiles beside it to the attack's cached candidates (repeats
    are dropped when the cache is next filtered); returns the new ``att_ncand``."""
    (owner_n, terrain_n, conq_tick_n, troops_n, tiles_n, sum_y_n, sum_x_n, cities_n, in_border_n, b_list_n, b_pos_n,
     b_end_n, b_count_n, cand_n, mark_n) = views
    h = owner_n.shape[0]
    w = owner_n.shape[1]
    _take_tile(owner_n, terrain_n, conq_tick_n, tiles_n, sum_y_n, sum_x_n, cities_n, in_border_n, b_list_n,
               b_pos_n, b_end_n, b_count_n, tick, y, x, p)
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
    return num_cached


@kernel_helper
def _take_and_queue_v2(views, cached, num_cached, y, x, p, target, kp):
    """v2's ``_take_and_extend``: queue the target's tiles beside (y, x) with their keys (``front_key_v2``, the
    owned neighbours counted before (y, x) is taken, as OpenFront's ``addNeighbors`` runs before ``conquer``), then
    give (y, x) to ``p``; returns the new ``att_ncand``."""
    (owner_n, terrain_n, conq_tick_n, troops_n, tiles_n, sum_y_n, sum_x_n, cities_n, in_border_n, b_list_n, b_pos_n,
     b_end_n, b_count_n, cand_n, mark_n) = views
    h = owner_n.shape[0]
    w = owner_n.shape[1]
    for d in range(4):
        ny = y + (-1 if d == 0 else (1 if d == 1 else 0))
        nx = x + (-1 if d == 2 else (1 if d == 3 else 0))
        if ny < 0 or ny >= h or nx < 0 or nx >= w or owner_n[ny, nx] != target:
            continue
        if num_cached == STALE_CANDIDATES or num_cached >= cached.shape[0]:
            num_cached = STALE_CANDIDATES  # overflow: walk the border next tick
        else:
            cached[num_cached] = candidate_key(owner_n, terrain_n, ny, nx, ny * w + nx, p, kp, h, w)[1]
            num_cached += 1
    _take_tile(owner_n, terrain_n, conq_tick_n, tiles_n, sum_y_n, sum_x_n, cities_n, in_border_n, b_list_n,
               b_pos_n, b_end_n, b_count_n, kp[10], y, x, p)
    return num_cached


@kernel_helper
def _conquer_front_v2(s, n, p, a, views, cached, num_cached, count, target, troops, kp):
    """v2's phase 2 of ``advance_attack`` (OpenFront ``AttackExecution.tick``): this tick's budget
    (``tick_budget_v2``, plus the debt the last tick overspent) is spent on the best candidates, each using
    ``tile_budget_v2`` of it and costing troops; while budget is left a tile is taken, so the last one may
    overspend (carried as debt). An attack whose troops fall below one dies (nothing returns home).

    Returns (count, troops, num_cached) like ``_conquer_front``.
    """
    (owner_n, terrain_n, conq_tick_n, troops_n, tiles_n, sum_y_n, sum_x_n, cities_n, in_border_n, b_list_n, b_pos_n,
     b_end_n, b_count_n, cand_n, mark_n) = views
    w = owner_n.shape[1]
    hw = owner_n.shape[0] * w
    m = row_magic(w)
    scale = s.tile_scale[n]
    def_troops = troops_n[target] if target >= 0 else 0
    acc = s.att_budget[n, p, a] + tick_budget_v2(count, target, troops, def_troops, scale)
    if target >= 0:
        def_debuff, loss_bonus, speed_bonus = size_modifiers(tiles_n[p], tiles_n[target], scale)
        min_use = 0.2 * TERRAIN_SPEED_V2[PLAINS] * 0.7 * speed_bonus * scale  # no tile uses less
    else:
        def_debuff, loss_bonus, speed_bonus = 1.0, 1.0, 1.0
        min_use = 5.0 * scale
    k = 0
    if acc > 0.0:
        k = min(count, 1 + int(acc / min_use))
        _select_smallest(cand_n, count, k)
    for j in range(k):
        if acc <= 0.0:
            break
        tile = cand_n[j] % hw
        y = (tile * m) >> ROW_SHIFT
        x = tile - y * w
        if owner_n[y, x] != target:
            continue  # taken earlier in this loop (an annexed remnant)
        if troops < 1:
            break
        terr = terrain_n[y, x]
        if target == NEUTRAL:
            cost = neutral_tile_cost(terr, scale)
            acc -= tile_budget_v2(terr, target, troops, np.int64(0), 1.0, 1.0, scale)
        else:
            cost = enemy_tile_cost_v2(terr, scale, troops, troops_n[target], tiles_n[target], def_debuff, loss_bonus)
            acc -= tile_budget_v2(terr, target, troops, troops_n[target], def_debuff, speed_bonus, scale)
            troops_n[target] -= min(defender_tile_loss(troops_n[target], tiles_n[target]), troops_n[target])
        troops -= cost
        num_cached = _take_and_queue_v2(views, cached, num_cached, y, x, p, target, kp)
        if target >= 0 and 0 < tiles_n[target] and tiles_n[target] * scale < ANNEX_TILES:
            annex_remnant(s, n, p, target, views)
    s.att_budget[n, p, a] = min(acc, 0.0)
    if troops < 1:
        return 0, 0, num_cached  # spent: the attack ends and nothing returns (OpenFront deletes it)
    return count, troops, num_cached


@kernel_helper
def annex_remnant(s, n, p, target, views):
    """OpenFront ``handleDeadDefender``: ``target`` fell under ``ANNEX_TILES`` OpenFront tiles, so ``ANNEX_SWEEPS``
    sweeps give each of its tiles to ``p`` if it touches ``p``'s land, else to another player it touches; a
    tile touching neither survives. ``_settle_attack`` eliminates a target left with no tiles."""
    (owner_n, terrain_n, conq_tick_n, troops_n, tiles_n, sum_y_n, sum_x_n, cities_n, in_border_n, b_list_n, b_pos_n,
     b_end_n, b_count_n, cand_n, mark_n) = views
    h = owner_n.shape[0]
    w = owner_n.shape[1]
    tick = s.tick[n]
    for _sweep in range(ANNEX_SWEEPS):
        before = tiles_n[target]
        for y in range(h):
            for x in range(w):
                if owner_n[y, x] != target:
                    continue
                taker = -1
                for d in range(4):
                    ny = y + (-1 if d == 0 else (1 if d == 1 else 0))
                    nx = x + (-1 if d == 2 else (1 if d == 3 else 0))
                    if 0 <= ny < h and 0 <= nx < w:
                        o = owner_n[ny, nx]
                        if o == p:
                            taker = p
                            break
                        if o >= 0 and o != target and taker < 0:
                            taker = o
                if taker >= 0:
                    _take_tile(owner_n, terrain_n, conq_tick_n, tiles_n, sum_y_n, sum_x_n, cities_n, in_border_n,
                               b_list_n, b_pos_n, b_end_n, b_count_n, tick, y, x, taker)
        if tiles_n[target] == 0 or tiles_n[target] == before:
            return  # gone, or what is left touches nobody (a later sweep would take nothing more)


@njit(cache=True, nogil=True, inline="always")
def _settle_attack(s, n, p, a, target, count, troops, num_cached, troops_n, tiles_n):
    """Phase 3 of ``advance_attack``: end the attack or keep its troops, and eliminate a target left landless."""
    s.att_ncand[n, p, a] = num_cached
    if count == 0 or troops <= 0:
        # Ends: no reachable tile, unaffordable next tile, or spent. Unspent troops return home.
        troops_n[p] += max(troops, 0)
        free_slot(s, n, p, a)
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
    target = np.int64(s.att_target[n, p, a])  # int64 as in ``resolve_action``: one compiled copy of the callees
    if s.att_retreat[n, p, a] >= 0:  # v2: called back, standing still until its troops are home
        if s.tick[n] - s.att_retreat[n, p, a] >= RETREAT_TICKS:
            troops = s.att_troops[n, p, a]
            if target >= 0:
                troops = troops * (100 - RETREAT_MALUS_PERCENT) // 100
            troops_n[p] += troops
            free_slot(s, n, p, a)
        return
    cached = s.att_cand[n, p, a]
    visit = next_stamp(mark_n, s.stamp, n)
    kp = attack_key_params(s, n, p, a)
    count, num_cached = _gather_candidates(owner_n, terrain_n, b_end_n, b_list_n, mark_n, cand_n, cached,
                                           s.att_ncand[n, p, a], visit, p, target, kp, rebuild)
    troops = s.att_troops[n, p, a]
    if count > 0:
        if s.rules[n] >= RULES_V2:
            count, troops, num_cached = _conquer_front_v2(s, n, p, a, views, cached, num_cached, count, target,
                                                          troops, kp)
        else:
            count, troops, num_cached = _conquer_front(views, cached, num_cached, count, s.tile_scale[n], s.tick[n],
                                                       p, target, troops)
    _settle_attack(s, n, p, a, target, count, troops, num_cached, troops_n, tiles_n)


@njit(cache=True, nogil=True, inline="always")
def _env_views(s, n):
    """The per-env array views ``advance_attack`` works on, as one tuple."""
    return (s.owner[n], s.terrain[n], s.conq_tick[n], s.troops[n], s.tiles[n], s.sum_y[n], s.sum_x[n],
            s.cities[n], s.in_border[n], s.b_list[n], s.b_pos[n], s.b_end[n], s.b_count[n], s.cand[n], s.mark[n])


@njit(cache=True, nogil=True, inline="always")
def _touches_water(owner_n, y, x):
    h = owner_n.shape[0]
    w = owner_n.shape[1]
    return ((y > 0 and owner_n[y - 1, x] == IMPASSABLE) or (y < h - 1 and owner_n[y + 1, x] == IMPASSABLE)
            or (x > 0 and owner_n[y, x - 1] == IMPASSABLE) or (x < w - 1 and owner_n[y, x + 1] == IMPASSABLE))


@kernel_helper
def _flood_border_cluster(owner_n, in_border_n, mark_n, queue, visit, p, seed):
    """Flood the 8-connected cluster of ``p``'s border tiles from ``seed`` into ``queue[:size]`` (marking it
    ``visit``); returns size. OpenFront ``calculateClusters``: a border tile has a 4-neighbour that is not ``p``'s,
    water included (our border lists leave out tiles beside water alone, so those are tested here)."""
    h = owner_n.shape[0]
    w = owner_n.shape[1]
    m = row_magic(w)
    mark_n[seed] = visit
    queue[0] = seed
    head = 0
    tail = 1
    member = p + 1  # ``in_border`` holds the list owner + 1
    while head < tail:
        tile = queue[head]
        head += 1
        y = (tile * m) >> ROW_SHIFT
        x = tile - y * w
        for dy in range(-1, 2):
            for dx in range(-1, 2):
                ny = y + dy
                nx = x + dx
                if 0 <= ny < h and 0 <= nx < w and owner_n[ny, nx] == p:
                    near = ny * w + nx
                    if mark_n[near] != visit and (in_border_n[near] == member or _touches_water(owner_n, ny, nx)):
                        mark_n[near] = visit
                        queue[tail] = near
                        tail += 1
    return tail


@kernel_helper
def _flood_land(owner_n, mark_n, queue, visit, p, seed):
    """Flood ``p``'s 4-connected land from tile ``seed`` into ``queue[:size]`` (marking it ``visit``); returns size."""
    h = owner_n.shape[0]
    w = owner_n.shape[1]
    m = row_magic(w)
    mark_n[seed] = visit
    queue[0] = seed
    head = 0
    tail = 1
    while head < tail:
        tile = queue[head]
        head += 1
        y = (tile * m) >> ROW_SHIFT
        x = tile - y * w
        for d in range(4):
            ny = y + (-1 if d == 0 else (1 if d == 1 else 0))
            nx = x + (-1 if d == 2 else (1 if d == 3 else 0))
            if 0 <= ny < h and 0 <= nx < w and owner_n[ny, nx] == p:
                near = ny * w + nx
                if mark_n[near] != visit:
                    mark_n[near] = visit
                    queue[tail] = near
                    tail += 1
    return tail


@kernel_helper
def _enclave_taker(s, n, p, queue, size, largest):
    """The player that captures the land under the cluster ``queue[:size]`` of ``p``'s border tiles, or -1.

    OpenFront ``removeClusters``: a cluster is surrounded when none of its tiles is on the map edge or the
    shore and the bounding box of the foreign players' tiles beside it contains its own; the largest cluster
    must moreover touch no neutral land and exactly one other player. The taker is the neighbour attacking ``p``
    with the most troops, else the one with the most tiles of contact.
    """
    owner_n = s.owner[n]
    h = owner_n.shape[0]
    w = owner_n.shape[1]
    m = row_magic(w)
    num_p = s.troops.shape[1]
    miny = h
    maxy = -1
    minx = w
    maxx = -1
    fminy = h
    fmaxy = -1
    fminx = w
    fmaxx = -1
    foreign = 0
    neutral = False
    for i in range(size):
        tile = queue[i]
        y = (tile * m) >> ROW_SHIFT
        x = tile - y * w
        if y == 0 or y == h - 1 or x == 0 or x == w - 1:
            return -1  # on the map edge
        miny = min(miny, y)
        maxy = max(maxy, y)
        minx = min(minx, x)
        maxx = max(maxx, x)
        for d in range(4):
            ny = y + (-1 if d == 0 else (1 if d == 1 else 0))
            nx = x + (-1 if d == 2 else (1 if d == 3 else 0))
            o = owner_n[ny, nx]
            if o == IMPASSABLE:
                return -1  # on the shore
            if o == NEUTRAL:
                neutral = True
            elif o != p:
                foreign |= 1 << o
                fminy = min(fminy, ny)
                fmaxy = max(fmaxy, ny)
                fminx = min(fminx, nx)
                fmaxx = max(fmaxx, nx)
    if foreign == 0 or not (fminy <= miny and fmaxy >= maxy and fminx <= minx and fmaxx >= maxx):
        return -1
    if largest and (neutral or (foreign & (foreign - 1)) != 0):
        return -1
    taker = -1
    most = 0
    for q in range(num_p):
        if (foreign >> q) & 1:
            for a in range(MAX_ATTACKS):
                if s.att_target[n, q, a] == p and s.att_troops[n, q, a] > most:
                    most = s.att_troops[n, q, a]
                    taker = q
    if taker >= 0:
        return taker
    for q in range(num_p):
        if (foreign >> q) & 1:
            contact = 0
            for i in range(size):
                tile = queue[i]
                y = (tile * m) >> ROW_SHIFT
                x = tile - y * w
                for d in range(4):
                    ny = y + (-1 if d == 0 else (1 if d == 1 else 0))
                    nx = x + (-1 if d == 2 else (1 if d == 3 else 0))
                    if owner_n[ny, nx] == q:
                        contact += 1
            if contact > most:
                most = contact
                taker = q
    return taker


@kernel_helper
def _capture_land(s, n, views, p, seed, taker):
    """Give ``p``'s land 4-connected to tile ``seed`` to ``taker`` (OpenFront ``removeCluster`` floods the land the
    cluster sits on)."""
    (owner_n, terrain_n, conq_tick_n, troops_n, tiles_n, sum_y_n, sum_x_n, cities_n, in_border_n, b_list_n, b_pos_n,
     b_end_n, b_count_n, cand_n, mark_n) = views
    w = owner_n.shape[1]
    m = row_magic(w)
    size = _flood_land(owner_n, mark_n, cand_n, next_stamp(mark_n, s.stamp, n), p, seed)
    for i in range(size):
        tile = cand_n[i]
        y = (tile * m) >> ROW_SHIFT
        _take_tile(owner_n, terrain_n, conq_tick_n, tiles_n, sum_y_n, sum_x_n, cities_n, in_border_n, b_list_n,
                   b_pos_n, b_end_n, b_count_n, s.tick[n], y, tile - y * w, taker)


@kernel_helper
def capture_enclaves(s, n, views):
    """v2, every ``CLUSTER_TICKS``: each player's surrounded land goes to a neighbour (OpenFront ``removeClusters``).

    A player's border tiles are split into 8-connected clusters (``_flood_border_cluster``); each cluster is judged
    (``_enclave_taker``, the largest by the strict rule) and a surrounded one hands over the land it sits on
    (``_capture_land``). Clusters are seeded from the border list; capturing edits the list being walked, and a
    seed skipped that way waits for the next check.
    """
    (owner_n, terrain_n, conq_tick_n, troops_n, tiles_n, sum_y_n, sum_x_n, cities_n, in_border_n, b_list_n, b_pos_n,
     b_end_n, b_count_n, cand_n, mark_n) = views
    w = owner_n.shape[1]
    m = row_magic(w)
    num_p = s.troops.shape[1]
    for p in range(num_p):
        if not s.alive[n, p]:
            continue
        # Pass 1: the largest cluster (by border tiles), named by its first seed.
        visit = next_stamp(mark_n, s.stamp, n)
        largest_seed = np.int64(NO_TILE)  # np.int64 and not literals here: see ``STRICT_RULE``
        largest = np.int64(0)
        clusters = 0
        for j in range(b_end_n[p] - 1, -1, -1):
            seed = np.int64(b_list_n[p, j])
            if seed != NO_TILE and mark_n[seed] != visit:
                size = _flood_border_cluster(owner_n, in_border_n, mark_n, cand_n, visit, p, seed)
                clusters += 1
                if size > largest:
                    largest = size
                    largest_seed = seed
        if clusters == 1:
            # One cluster (the only flood of pass 1, still in ``cand_n``): the strict rule alone.
            taker = _enclave_taker(s, n, p, cand_n, largest, STRICT_RULE)
            if taker >= 0:
                _capture_land(s, n, views, p, largest_seed, taker)
        elif clusters > 1:
            # Pass 2: judge every cluster.
            visit = next_stamp(mark_n, s.stamp, n)
            j = b_end_n[p] - 1
            while j >= 0:
                if j < b_end_n[p]:
                    seed = np.int64(b_list_n[p, j])
                    if (seed != NO_TILE and mark_n[seed] != visit
                            and owner_n[(seed * m) >> ROW_SHIFT, seed % w] == p):
                        size = _flood_border_cluster(owner_n, in_border_n, mark_n, cand_n, visit, p, seed)
                        taker = _enclave_taker(s, n, p, cand_n, size, seed == largest_seed)
                        if taker >= 0:
                            _capture_land(s, n, views, p, seed, taker)
                            visit = next_stamp(mark_n, s.stamp, n)  # the capture's flood used the marks
                j -= 1
        if tiles_n[p] == 0:
            eliminate(s, n, p)


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
    if s.rules[n] >= RULES_V2 and s.tick[n] % CLUSTER_TICKS == 0:
        capture_enclaves(s, n, views)


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
            if mode == MODE_RETREAT:
                order_retreat(s, n, p, code)
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
