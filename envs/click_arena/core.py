"""ClickArena rules: state arrays and ``@njit`` kernels (NumPy + Numba only; no gymnasium, no pygame).

ClickArena is a DarkOrbit-style top-down space arena played with the mouse at 60 frames per second. Every
rule lives here; the observation writers (``observe``), the Gymnasium env, the PettingZoo env, the scripted
bots and the renderer are views on these arrays. The observation layout (``ObjectColumn``, ``StateColumn``)
is defined here too, so that every view sizes its buffers from one place.

The game in one paragraph
-------------------------
Each env holds a ``MAP_W x MAP_H`` continuous map with up to ``MAX_SHIPS`` player ships, ``MAX_ALIENS``
aliens of three kinds and ``MAX_BOXES`` bonus boxes. A player sees the map through a ``VIEW_W x VIEW_H``
screen centred on its ship and acts only through a mouse cursor on that screen and an attack key. The
cursor moves toward the commanded screen point at a bounded speed (``CURSOR_SPEED``; ``inf`` lifts it). A
click (the rising edge of the button) acts where the cursor is that frame: inside an alien (or another
ship) it locks it; inside a box it sends the ship to collect it; on empty space it flies the ship there.
While the attack key is held the laser fires at the locked target once per ``LASER_COOLDOWN`` if it is in
``LASER_RANGE``. Aliens wander, turn aggressive when a ship comes within their aggro range or shoots them,
orbit it and shoot; dead aliens respawn away from the ships. Boxes give credits or repair and reappear.
A ship's shield absorbs most damage and regenerates only out of combat; its hull is repaired slowly by a
repair robot out of combat. A ship dies when its hull reaches 0.

State (``ArenaState``, every array batch-first; N envs, S = ``MAX_SHIPS``, A = ``MAX_ALIENS``, B = ``MAX_BOXES``)
---------------------------------------------------------------------------------------------------------------
=====================  ================  ============================================================
array                  dtype / shape     meaning
=====================  ================  ============================================================
params                 float64 [N, NP]   per-env difficulty parameters (``P_*`` indices, below)
num_ships              int64 [N]         ships in play (1..S); seats beyond are unused
ship_x, ship_y         float64 [N, S]    ship position, world units (origin top-left, y down)
ship_vx, ship_vy       float64 [N, S]    ship velocity, units/s
ship_tx, ship_ty       float64 [N, S]    fly target (world); the ship flies there at ``SHIP_SPEED``
ship_moving            uint8 [N, S]      1 while flying toward the fly target
ship_hull, ship_shield float64 [N, S]    hit points
ship_alive             uint8 [N, S]      1 while hull > 0
ship_lock_kind         int8 [N, S]       ``LOCK_NONE``, ``LOCK_ALIEN`` or ``LOCK_SHIP``
ship_lock_idx          int64 [N, S]      index of the locked alien / ship (-1 none)
ship_collect           int64 [N, S]      box the ship is sent to collect (-1 none)
ship_cooldown          float64 [N, S]    seconds until the laser may fire again
ship_attack            uint8 [N, S]      attack key held this frame
ship_click_prev        uint8 [N, S]      click button held last frame (a press is a rising edge)
ship_cursor_x/_y       float64 [N, S]    cursor position on the ship's screen, pixels [0, VIEW_W] x [0, VIEW_H]
ship_cmd_x/_y          float64 [N, S]    the commanded cursor point of the last action, pixels
ship_since_combat      float64 [N, S]    seconds since the ship last fired or was hit
ship_beam              float64 [N, S]    seconds left of the drawn laser beam (render only)
ship_beam_x/_y         float64 [N, S]    where the last beam went (render only)
ship_credits           float64 [N, S]    credits earned this episode (kills + boxes)
ship_kills             int64 [N, S]      aliens destroyed this episode
ship_damage            float64 [N, S]    damage dealt this episode
step_damage            float64 [N, S]    damage dealt in the last step (reward input)
step_credits           float64 [N, S]    credits earned in the last step
step_hull_lost         float64 [N, S]    hull lost in the last step
step_died              uint8 [N, S]      1 if the ship died in the last step
step_kills             int64 [N, S]      aliens destroyed in the last step
al_x, al_y             float64 [N, A]    alien position
al_vx, al_vy           float64 [N, A]    alien velocity (units/s)
al_kind                int8 [N, A]       ``KIND_FAST``, ``KIND_MEDIUM``, ``KIND_TANK``
al_hp                  float64 [N, A]    hit points (hull + shield pooled)
al_alive               uint8 [N, A]      1 while alive; slots >= ``params[P_ALIENS]`` stay empty
al_target              int64 [N, A]      ship the alien is aggressive toward (-1 none)
al_cooldown            float64 [N, A]    seconds until it may fire again
al_respawn             float64 [N, A]    seconds until a dead alien respawns
al_wx, al_wy           float64 [N, A]    wander waypoint
al_orbit               float64 [N, A]    orbit direction, +1 or -1
al_last_hit            int64 [N, A]      ship that damaged it last (kill credit; -1 none)
al_beam                float64 [N, A]    seconds left of its drawn shot (render only)
box_x, box_y           float64 [N, B]    box position
box_kind               int8 [N, B]       ``BOX_CREDITS`` or ``BOX_REPAIR``
box_alive              uint8 [N, B]      1 while it can be collected
box_respawn            float64 [N, B]    seconds until it reappears
tick                   int64 [N]         frames since reset
rng_state              uint64 [N]        SplitMix64 word (``botarena.envs.common.rng``); all randomness
obs_score, obs_code    float64, int64    scratch of the observation writer (``observe``): object relevance
                       [N, OBS_SCRATCH]  and codes, minimap counts (kept in the state so that observing
                       / [N, A + B + S]  allocates nothing)
=====================  ================  ============================================================

Constants and where they come from
----------------------------------
DarkOrbit (Bigpoint, 2006-) publishes its numbers only in the client and in player wikis; the values below
are the wiki's early-game ones (a Liberator-class ship with four LF-2 lasers against the first aliens of the
1-1 map), scaled so that a three-minute episode holds a few dozen fights. "ours" marks values we chose.

* ``FPS`` = 60, ``DT`` = 1/60 s (ours); DarkOrbit's HTML5 client draws at 60 FPS.
* ``MAP_W`` x ``MAP_H`` = 2000 x 2000 units (our default; a DarkOrbit map is 10,000 x 6,250, ours is a
  corner of one so that aliens are met within seconds).
* ``VIEW_W`` x ``VIEW_H`` = 800 x 600 screen pixels, one pixel per unit (the DarkOrbit client's original
  800 x 600 window).
* Ship: ``SHIP_SPEED`` = 330 units/s (Liberator base speed 330), ``SHIP_HULL`` = 16,000 (Liberator hull
  16,000), ``SHIP_SHIELD`` = 8,000 (four SG3N-A01 generators of ~2,000), ``SHIP_RADIUS`` = 28 (click area).
* ``SHIELD_ABSORB`` = 0.8: a shield takes 80 % of incoming damage while it lasts (DarkOrbit's SG3N
  absorption); the rest hits the hull.
* ``OUT_OF_COMBAT_S`` = 5 s without firing or being hit before the shield regenerates at
  ``SHIELD_REGEN`` = 5 % of its maximum per second (ours: shields regenerate out of combat);
  ``REPAIR_DELAY_S`` = 8 s out of combat before the repair robot restores ``HULL_REPAIR`` = 1 % of the
  hull per second (DarkOrbit's REP-1 repair bot: ~1 %/s, only out of combat).
* Laser: ``LASER_DAMAGE`` = 600 per shot (four LF-2 lasers of ~150 with x1 ammunition), ``LASER_COOLDOWN`` =
  1.0 s (DarkOrbit fires once per second), ``LASER_RANGE`` = 550 units (DarkOrbit's laser range, ~550-600).
* Aliens (kind: hit points = hull + shield, damage per shot, speed, aggro range, orbit radius, shot range,
  radius, credits), from DarkOrbit's 1-x aliens:
  fast-weak "Streuner" 1,200 (800 + 400), 30, 280, 320, 200, 450, 18, 400;
  medium "Saimon" 4,800 (3,200 + 1,600), 90, 200, 240, 260, 500, 26, 1,600;
  slow-tanky "Mordon" 12,000 (8,000 + 4,000), 210, 125, 180, 300, 550, 36, 3,200.
  Aliens fire once per ``ALIEN_FIRE_S`` = 1.0 s like ships; damage per shot is lowered from DarkOrbit's so
  that a new player survives two or three aliens at once; hit points are DarkOrbit's. Kind mix
  ``KIND_PROB`` = 50 / 35 / 15 % (fewer tanks, as on 1-x maps). Aggro ends beyond ``LEASH`` = 1.4 x the
  larger of the aggro range and the laser range (an alien shot from afar gives chase). ``WANDER_SPEED`` =
  40 % and ``ORBIT_SPEED`` = 60 % of their speed (DarkOrbit aliens circle slowly). Dead aliens respawn
  after ``ALIEN_RESPAWN_S`` = 6 s at least ``SPAWN_CLEAR`` = 600 units from every ship (ours).
* Boxes: ``BOX_CREDITS_VALUE`` = 300 credits (a DarkOrbit bonus box gives 100-1,000 credits or ammo) or
  ``BOX_REPAIR_VALUE`` = 25 % of the hull (ours: repair boxes; 25 % of boxes,
  ``REPAIR_BOX_PROB``), ``BOX_RADIUS`` = 14, collected when the ship is within ``COLLECT_DIST`` = 25 units
  of the box it was sent to (DarkOrbit collects only clicked boxes), reappearing after ``BOX_RESPAWN_S`` =
  10 s.
* Cursor: ``CURSOR_SPEED`` = 3,000 px/s (a fast human flick; peak hand speed of aimed mouse movements is
  1-3 m/s at ordinary gain, Fitts' law studies), ``inf`` with ``cursor="teleport"``.

Difficulty presets (``params``): ``easy`` 10 aliens, alien damage x0.5, hit points x0.75, 6 boxes;
``standard`` 16 aliens, x1, x1, 6 boxes; ``hard`` 24 aliens, damage x1.5, hit points x1.25, aggro range x1.3,
4 boxes (ours).
"""

from __future__ import annotations

import math
from enum import IntEnum
from typing import NamedTuple

import numpy as np
from numba import njit

from botarena.envs.common.jit import NO_NRT, kernel_helper
from botarena.envs.common.rng import uniform
from botarena.envs.common.validation import check_int

# ---------------------------------------------------------------------- sizes and constants
FPS = 60
DT = 1.0 / FPS
MAP_W = 2000.0
MAP_H = 2000.0
VIEW_W = 800.0
VIEW_H = 600.0

MAX_SHIPS = 4
MAX_ALIENS = 32
MAX_BOXES = 8

SHIP_SPEED = 330.0
SHIP_HULL = 16000.0
SHIP_SHIELD = 8000.0
SHIP_RADIUS = 28.0
SHIELD_ABSORB = 0.8
OUT_OF_COMBAT_S = 5.0
SHIELD_REGEN = 0.05
REPAIR_DELAY_S = 8.0
HULL_REPAIR = 0.01
LASER_DAMAGE = 600.0
LASER_COOLDOWN = 1.0
LASER_RANGE = 550.0
BEAM_S = 0.15

KIND_FAST, KIND_MEDIUM, KIND_TANK = 0, 1, 2  # DarkOrbit's Streuner, Saimon and Mordon
ALIEN_HP = np.array([1200.0, 4800.0, 12000.0])
ALIEN_DAMAGE = np.array([30.0, 90.0, 210.0])
ALIEN_SPEED = np.array([280.0, 200.0, 125.0])
ALIEN_AGGRO = np.array([320.0, 240.0, 180.0])
ALIEN_ORBIT = np.array([200.0, 260.0, 300.0])
ALIEN_RANGE = np.array([450.0, 500.0, 550.0])
ALIEN_RADIUS = np.array([18.0, 26.0, 36.0])
ALIEN_CREDITS = np.array([400.0, 1600.0, 3200.0])
KIND_PROB = np.array([0.50, 0.35, 0.15])
ALIEN_FIRE_S = 1.0
LEASH = 1.4
WANDER_SPEED = 0.4
ORBIT_SPEED = 0.6
WANDER_STEP = 400.0
ALIEN_RESPAWN_S = 6.0
SPAWN_CLEAR = 600.0

BOX_CREDITS, BOX_REPAIR = 0, 1
BOX_CREDITS_VALUE = 300.0
BOX_REPAIR_VALUE = 0.25
REPAIR_BOX_PROB = 0.25
BOX_RADIUS = 14.0
COLLECT_DIST = 25.0
BOX_RESPAWN_S = 10.0

CURSOR_SPEED = 3000.0

LOCK_NONE, LOCK_ALIEN, LOCK_SHIP = 0, 1, 2

# What a click hits (``hit_test``). An alien's and a ship's code equal their lock kinds: a click locks them as hit.
HIT_NOTHING, HIT_ALIEN, HIT_SHIP, HIT_BOX = LOCK_NONE, LOCK_ALIEN, LOCK_SHIP, 3

# params columns (per env)
P_ALIENS = 0  # aliens in play (<= MAX_ALIENS)
P_BOXES = 1  # boxes in play (<= MAX_BOXES)
P_ALIEN_DMG = 2  # alien damage multiplier
P_ALIEN_HP = 3  # alien hit-point multiplier
P_AGGRO = 4  # alien aggro-range multiplier
P_CURSOR_SPEED = 5  # cursor speed, px/s (inf = teleport)
P_MAX_TICKS = 6  # episode length in frames (observation time features)
P_DIFFICULTY = 7  # 0 easy, 1 standard, 2 hard (observation feature)
NUM_PARAMS = 8

DIFFICULTIES = ("easy", "standard", "hard")
# aliens, boxes, damage x, hit points x, aggro x
DIFFICULTY_PRESETS = {
    "easy": (10, 6, 0.5, 0.75, 1.0),
    "standard": (16, 6, 1.0, 1.0, 1.0),
    "hard": (24, 4, 1.5, 1.25, 1.3),
}
# ---------------------------------------------------------------------- observation layout
# The observation writers live in ``observe``; the layout lives here, beside the state, so that the envs size
# their buffers and spaces without importing the writers.
NUM_OBJECTS = 16
OBJECT_FEATURES = 20
STATE_FEATURES = 64
PIXELS = 96
# Scratch of the observation writer, per env: one relevance score per alien, box and ship, then the minimap's
# living aliens per map quadrant (4) and boxes per quadrant (4).
OBS_SCRATCH = MAX_ALIENS + MAX_BOXES + MAX_SHIPS + 8


class ObjectColumn(IntEnum):
    """Columns of an ``objects`` row (one object on our screen); the kernels index rows by these names."""

    PRESENT = 0  # 1 for a real object (mirrors object_mask)
    IS_ALIEN_FAST = 1  # one-hot kind, 1-6: alien kinds in KIND_* order (IS_ALIEN_FAST + kind), boxes, ships
    IS_ALIEN_MEDIUM = 2
    IS_ALIEN_TANK = 3
    IS_BOX_CREDITS = 4
    IS_BOX_REPAIR = 5
    IS_SHIP = 6
    SCREEN_X = 7  # x on our screen / VIEW_W (0..1 when on screen)
    SCREEN_Y = 8  # y on our screen / VIEW_H
    REL_X = 9  # (x - own x) / VIEW_W
    REL_Y = 10  # (y - own y) / VIEW_H
    VEL_X = 11  # velocity x / SHIP_SPEED
    VEL_Y = 12  # velocity y / SHIP_SPEED
    RADIUS = 13  # click radius / 50
    HEALTH = 14  # hit points / maximum (boxes 1; ships hull fraction)
    TARGETED = 15  # 1 if we have it locked (alien, ship) or are sent to collect it (box)
    AGGRESSIVE = 16  # 1 if it is aggressive toward us (alien) / has us locked (ship)
    DISTANCE = 17  # distance / LASER_RANGE, clipped to 4
    IN_RANGE = 18  # 1 if within LASER_RANGE
    UNDER_CURSOR = 19  # 1 if the cursor is inside its click radius now


class StateColumn(IntEnum):
    """Columns of the ``state`` vector (our own ship and its surroundings)."""

    HULL = 0  # fraction of maximum
    SHIELD = 1  # fraction of maximum
    POS_X = 2  # position / map size
    POS_Y = 3
    VEL_X = 4  # velocity / SHIP_SPEED
    VEL_Y = 5
    CURSOR_X = 6  # cursor / screen size
    CURSOR_Y = 7
    CMD_X = 8  # commanded cursor point of the last action / screen size
    CMD_Y = 9
    CLICK_HELD = 10  # buttons held in the last action
    ATTACK_HELD = 11
    HAS_LOCK = 12
    LOCK_IS_ALIEN = 13
    LOCK_IS_SHIP = 14
    LOCK_REL_X = 15  # locked target - own position, / screen size
    LOCK_REL_Y = 16
    LOCK_SCREEN_X = 17  # locked target on screen / screen size
    LOCK_SCREEN_Y = 18
    LOCK_HEALTH = 19  # its health fraction
    LOCK_DISTANCE = 20  # distance / LASER_RANGE (clip 4)
    LOCK_IN_RANGE = 21  # 1 if within LASER_RANGE
    COOLDOWN = 22  # laser cooldown / LASER_COOLDOWN
    LASER_READY = 23  # 1 if the cooldown is 0
    FIRING = 24  # 1 if the laser fired this frame
    IN_COMBAT = 25  # 1 if fired or hit within OUT_OF_COMBAT_S
    SINCE_COMBAT = 26  # seconds since then / 10 (clip 1)
    SHIELD_REGEN = 27  # 1 while the shield regenerates
    HULL_REPAIR = 28  # 1 while the repair robot works
    MOVING = 29  # 1 while flying to the fly target
    FLY_REL_X = 30  # fly target - own position / screen size (0 when not flying)
    FLY_REL_Y = 31
    COLLECTING = 32  # 1 while sent to a box
    CREDITS = 33  # log1p(credits) / 12
    KILLS = 34  # kills / 20 (clip 1)
    TIME = 35  # tick / max ticks
    TIME_LEFT = 36  # 1 - that
    ALIENS_VISIBLE = 37  # aliens on screen / 16 (clip 1)
    ALIENS_AGGRESSIVE = 38  # aliens aggressive toward us / 8 (clip 1)
    BOXES_VISIBLE = 39  # boxes on screen / 8 (clip 1)
    NEAREST_ALIEN_REL_X = 40  # nearest alien on screen - own position / screen size (0 if none)
    NEAREST_ALIEN_REL_Y = 41
    NEAREST_BOX_REL_X = 42  # nearest box on screen, the same way
    NEAREST_BOX_REL_Y = 43
    WALL_LEFT = 44  # distance to the map edge / screen size, clip 1
    WALL_RIGHT = 45
    WALL_TOP = 46
    WALL_BOTTOM = 47
    STEP_DAMAGE = 48  # damage dealt in the last step / LASER_DAMAGE
    STEP_HULL_LOST = 49  # hull lost in the last step / 1000
    ALIENS_IN_RANGE_OF_US = 50  # aggressive aliens within their shot range / 8 (clip 1)
    OTHER_SHIPS_ALIVE = 51  # / 3
    ALIENS_Q0 = 52  # 52-55: living aliens per map quadrant / 16 (the minimap); quadrant = right + 2 * bottom
    ALIENS_Q1 = 53
    ALIENS_Q2 = 54
    ALIENS_Q3 = 55
    BOXES_Q0 = 56  # 56-59: boxes per map quadrant / 8
    BOXES_Q1 = 57
    BOXES_Q2 = 58
    BOXES_Q3 = 59
    CURSOR_ON_ALIEN = 60  # 1 if the cursor is inside an alien's click radius
    CURSOR_ON_BOX = 61  # 1 if it is inside a box's
    CURSOR_LIMITED = 62  # 1 with the human cursor speed limit, 0 with teleport
    DIFFICULTY = 63  # 0 easy, 0.5 standard, 1 hard


# The column names as strings, in order (for tables, plots and feature-importance read-outs).
OBJECT_COLUMNS = tuple(column.name.lower() for column in ObjectColumn)
STATE_COLUMNS = tuple(column.name.lower() for column in StateColumn)

assert len(OBJECT_COLUMNS) == OBJECT_FEATURES
assert len(STATE_COLUMNS) == STATE_FEATURES


def make_params(difficulty: str = "standard", cursor: str = "human", max_ticks: int = 10800) -> np.ndarray:
    """The ``params`` row of one env for a difficulty preset and cursor mode."""
    if difficulty not in DIFFICULTY_PRESETS:
        raise ValueError(f"difficulty must be one of {list(DIFFICULTIES)}, got {difficulty!r}")
    if cursor not in ("human", "teleport"):
        raise ValueError(f"cursor must be 'human' or 'teleport', got {cursor!r}")
    aliens, boxes, dmg, hp, aggro = DIFFICULTY_PRESETS[difficulty]
    p = np.zeros(NUM_PARAMS, np.float64)
    p[P_ALIENS] = aliens
    p[P_BOXES] = boxes
    p[P_ALIEN_DMG] = dmg
    p[P_ALIEN_HP] = hp
    p[P_AGGRO] = aggro
    p[P_CURSOR_SPEED] = CURSOR_SPEED if cursor == "human" else np.inf
    p[P_MAX_TICKS] = max_ticks
    p[P_DIFFICULTY] = DIFFICULTIES.index(difficulty)
    return p


class ArenaState(NamedTuple):
    """The batch of arenas as typed arrays (see the module docstring for every array and shape).

    A ``NamedTuple`` so that the whole state is one argument to every ``@njit`` kernel and caches.
    """

    params: np.ndarray
    num_ships: np.ndarray
    ship_x: np.ndarray
    ship_y: np.ndarray
    ship_vx: np.ndarray
    ship_vy: np.ndarray
    ship_tx: np.ndarray
    ship_ty: np.ndarray
    ship_moving: np.ndarray
    ship_hull: np.ndarray
    ship_shield: np.ndarray
    ship_alive: np.ndarray
    ship_lock_kind: np.ndarray
    ship_lock_idx: np.ndarray
    ship_collect: np.ndarray
    ship_cooldown: np.ndarray
    ship_attack: np.ndarray
    ship_click_prev: np.ndarray
    ship_cursor_x: np.ndarray
    ship_cursor_y: np.ndarray
    ship_cmd_x: np.ndarray
    ship_cmd_y: np.ndarray
    ship_since_combat: np.ndarray
    ship_beam: np.ndarray
    ship_beam_x: np.ndarray
    ship_beam_y: np.ndarray
    ship_credits: np.ndarray
    ship_kills: np.ndarray
    ship_damage: np.ndarray
    step_damage: np.ndarray
    step_credits: np.ndarray
    step_hull_lost: np.ndarray
    step_died: np.ndarray
    step_kills: np.ndarray
    al_x: np.ndarray
    al_y: np.ndarray
    al_vx: np.ndarray
    al_vy: np.ndarray
    al_kind: np.ndarray
    al_hp: np.ndarray
    al_alive: np.ndarray
    al_target: np.ndarray
    al_cooldown: np.ndarray
    al_respawn: np.ndarray
    al_wx: np.ndarray
    al_wy: np.ndarray
    al_orbit: np.ndarray
    al_last_hit: np.ndarray
    al_beam: np.ndarray
    box_x: np.ndarray
    box_y: np.ndarray
    box_kind: np.ndarray
    box_alive: np.ndarray
    box_respawn: np.ndarray
    tick: np.ndarray
    rng_state: np.ndarray
    obs_score: np.ndarray
    obs_code: np.ndarray

    @classmethod
    def allocate(cls, num_envs: int, params: np.ndarray | None = None, num_ships: int = 1) -> ArenaState:
        """Zeroed arrays for ``num_envs`` arenas with ``num_ships`` ships; call ``reset_envs`` before stepping."""
        num_ships = check_int("num_ships", num_ships, 1, MAX_SHIPS)
        n, s, a, b = check_int("num_envs", num_envs, 1), MAX_SHIPS, MAX_ALIENS, MAX_BOXES
        if params is None:
            params = make_params()
        fields = {}
        for name in cls._fields:
            if name.startswith(("ship_", "step_")):
                shape: tuple[int, ...] = (n, s)
            elif name.startswith("al_"):
                shape = (n, a)
            elif name.startswith("box_"):
                shape = (n, b)
            elif name == "obs_score":
                shape = (n, OBS_SCRATCH)
            elif name == "obs_code":
                shape = (n, a + b + s)
            else:
                shape = (n,)
            fields[name] = np.zeros(shape, _DTYPES.get(name, np.float64))
        fields["params"] = np.tile(np.asarray(params, np.float64), (n, 1))
        fields["num_ships"][:] = num_ships
        return cls(**fields)

    def copy(self) -> ArenaState:
        return ArenaState(*(np.array(a, copy=True) for a in self))

    def env(self, index: int) -> ArenaState:
        """Env ``index`` as a batch of one (copies)."""
        return ArenaState(*(np.array(a[index:index + 1], copy=True) for a in self))


_DTYPES = {
    "num_ships": np.int64, "ship_moving": np.uint8, "ship_alive": np.uint8, "ship_lock_kind": np.int8,
    "ship_lock_idx": np.int64, "ship_collect": np.int64, "ship_attack": np.uint8, "ship_click_prev": np.uint8,
    "ship_kills": np.int64, "step_died": np.uint8, "step_kills": np.int64, "al_kind": np.int8,
    "al_alive": np.uint8, "al_target": np.int64, "al_last_hit": np.int64, "box_kind": np.int8,
    "box_alive": np.uint8, "tick": np.int64, "rng_state": np.uint64, "obs_code": np.int64,
}


# ---------------------------------------------------------------------- helpers
@njit(cache=True, nogil=True, inline="always")
def hypot(dx: float, dy: float) -> float:
    """sqrt(dx^2 + dy^2) with IEEE-exact operations only, so jitted and pure-Python runs agree to the bit
    (``math.hypot`` is CPython's own algorithm in Python but the C library's under numba)."""
    return math.sqrt(dx * dx + dy * dy)


@njit(cache=True, nogil=True, inline="always")
def _clip(v: float, lo: float, hi: float) -> float:
    return lo if v < lo else (hi if v > hi else v)


@njit(**NO_NRT)
def screen_to_world(s: ArenaState, n: int, ship: int, sx: float, sy: float) -> tuple[float, float]:
    """The world point under screen pixel (sx, sy) of ``ship``'s screen (centred on the ship)."""
    return s.ship_x[n, ship] + sx - VIEW_W * 0.5, s.ship_y[n, ship] + sy - VIEW_H * 0.5


@njit(**NO_NRT)
def world_to_screen(s: ArenaState, n: int, ship: int, wx: float, wy: float) -> tuple[float, float]:
    """Screen pixel of world point (wx, wy) on ``ship``'s screen."""
    return wx - s.ship_x[n, ship] + VIEW_W * 0.5, wy - s.ship_y[n, ship] + VIEW_H * 0.5


@njit(**NO_NRT)
def alien_max_hp(s: ArenaState, n: int, a: int) -> float:
    """Full hit points of alien ``a``: its kind's, times the difficulty's multiplier."""
    return ALIEN_HP[s.al_kind[n, a]] * s.params[n, P_ALIEN_HP]


@kernel_helper
def _spawn_alien(s: ArenaState, n: int, a: int) -> None:
    best_x, best_y, best_d = 0.0, 0.0, -1.0
    for _ in range(8):
        x = uniform(s.rng_state, n) * (MAP_W - 100.0) + 50.0
        y = uniform(s.rng_state, n) * (MAP_H - 100.0) + 50.0
        d = 1e18
        for j in range(s.num_ships[n]):
            if s.ship_alive[n, j]:
                dd = hypot(x - s.ship_x[n, j], y - s.ship_y[n, j])
                if dd < d:
                    d = dd
        if d > best_d:
            best_x, best_y, best_d = x, y, d
        if d >= SPAWN_CLEAR:
            break
    u = uniform(s.rng_state, n)
    kind = KIND_TANK
    if u < KIND_PROB[0]:
        kind = KIND_FAST
    elif u < KIND_PROB[0] + KIND_PROB[1]:
        kind = KIND_MEDIUM
    s.al_kind[n, a] = kind
    s.al_x[n, a] = best_x
    s.al_y[n, a] = best_y
    s.al_vx[n, a] = 0.0
    s.al_vy[n, a] = 0.0
    s.al_hp[n, a] = ALIEN_HP[kind] * s.params[n, P_ALIEN_HP]
    s.al_alive[n, a] = 1
    s.al_target[n, a] = -1
    s.al_cooldown[n, a] = 0.0
    s.al_respawn[n, a] = 0.0
    s.al_wx[n, a] = best_x
    s.al_wy[n, a] = best_y
    s.al_orbit[n, a] = 1.0 if uniform(s.rng_state, n) < 0.5 else -1.0
    s.al_last_hit[n, a] = -1
    s.al_beam[n, a] = 0.0


@kernel_helper
def _spawn_box(s: ArenaState, n: int, b: int) -> None:
    s.box_x[n, b] = uniform(s.rng_state, n) * (MAP_W - 200.0) + 100.0
    s.box_y[n, b] = uniform(s.rng_state, n) * (MAP_H - 200.0) + 100.0
    s.box_kind[n, b] = BOX_REPAIR if uniform(s.rng_state, n) < REPAIR_BOX_PROB else BOX_CREDITS
    s.box_alive[n, b] = 1
    s.box_respawn[n, b] = 0.0


@njit(**NO_NRT)
def reset_envs(s: ArenaState, mask: np.ndarray) -> None:
    """Start a new episode in every env ``n`` with ``mask[n]``: ships spread around the centre, aliens and boxes."""
    for n in range(s.tick.shape[0]):
        if not mask[n]:
            continue
        s.tick[n] = 0
        ns = s.num_ships[n]
        phase = uniform(s.rng_state, n) * 2.0 * math.pi
        for j in range(MAX_SHIPS):
            if j < ns:
                ang = phase + 2.0 * math.pi * j / ns
                rad = 0.0 if ns == 1 else 450.0
                s.ship_x[n, j] = MAP_W * 0.5 + rad * math.cos(ang) + (uniform(s.rng_state, n) - 0.5) * 200.0
                s.ship_y[n, j] = MAP_H * 0.5 + rad * math.sin(ang) + (uniform(s.rng_state, n) - 0.5) * 200.0
                s.ship_alive[n, j] = 1
            else:
                s.ship_x[n, j] = 0.0
                s.ship_y[n, j] = 0.0
                s.ship_alive[n, j] = 0
            s.ship_vx[n, j] = 0.0
            s.ship_vy[n, j] = 0.0
            s.ship_tx[n, j] = s.ship_x[n, j]
            s.ship_ty[n, j] = s.ship_y[n, j]
            s.ship_moving[n, j] = 0
            s.ship_hull[n, j] = SHIP_HULL if j < ns else 0.0
            s.ship_shield[n, j] = SHIP_SHIELD if j < ns else 0.0
            s.ship_lock_kind[n, j] = LOCK_NONE
            s.ship_lock_idx[n, j] = -1
            s.ship_collect[n, j] = -1
            s.ship_cooldown[n, j] = 0.0
            s.ship_attack[n, j] = 0
            s.ship_click_prev[n, j] = 0
            s.ship_cursor_x[n, j] = VIEW_W * 0.5
            s.ship_cursor_y[n, j] = VIEW_H * 0.5
            s.ship_cmd_x[n, j] = VIEW_W * 0.5
            s.ship_cmd_y[n, j] = VIEW_H * 0.5
            s.ship_since_combat[n, j] = 100.0
            s.ship_beam[n, j] = 0.0
            s.ship_beam_x[n, j] = 0.0
            s.ship_beam_y[n, j] = 0.0
            s.ship_credits[n, j] = 0.0
            s.ship_kills[n, j] = 0
            s.ship_damage[n, j] = 0.0
            s.step_damage[n, j] = 0.0
            s.step_credits[n, j] = 0.0
            s.step_hull_lost[n, j] = 0.0
            s.step_died[n, j] = 0
            s.step_kills[n, j] = 0
        na = int(s.params[n, P_ALIENS])
        for a in range(MAX_ALIENS):
            if a < na:
                _spawn_alien(s, n, a)
            else:
                s.al_alive[n, a] = 0
                s.al_respawn[n, a] = 0.0
                s.al_target[n, a] = -1
                s.al_beam[n, a] = 0.0
                s.al_hp[n, a] = 0.0
        nb = int(s.params[n, P_BOXES])
        for b in range(MAX_BOXES):
            if b < nb:
                _spawn_box(s, n, b)
            else:
                s.box_alive[n, b] = 0
                s.box_respawn[n, b] = 0.0


@njit(**NO_NRT)
def damage_ship(s: ArenaState, n: int, j: int, dmg: float) -> None:
    """Apply ``dmg`` to ship ``j``: the shield takes ``SHIELD_ABSORB`` of it while it lasts, the hull the rest."""
    if not s.ship_alive[n, j]:
        return
    to_shield = dmg * SHIELD_ABSORB
    if to_shield > s.ship_shield[n, j]:
        to_shield = s.ship_shield[n, j]
    s.ship_shield[n, j] -= to_shield
    to_hull = dmg - to_shield
    if to_hull > s.ship_hull[n, j]:
        to_hull = s.ship_hull[n, j]
    s.ship_hull[n, j] -= to_hull
    s.step_hull_lost[n, j] += to_hull
    s.ship_since_combat[n, j] = 0.0
    if s.ship_hull[n, j] <= 0.0:
        s.ship_hull[n, j] = 0.0
        s.ship_alive[n, j] = 0
        s.step_died[n, j] = 1
        s.ship_moving[n, j] = 0
        s.ship_vx[n, j] = 0.0
        s.ship_vy[n, j] = 0.0
        s.ship_lock_kind[n, j] = LOCK_NONE
        s.ship_lock_idx[n, j] = -1
        s.ship_collect[n, j] = -1
        s.ship_attack[n, j] = 0


@njit(**NO_NRT)
def hit_test(s: ArenaState, n: int, j: int, wx: float, wy: float) -> tuple[int, int]:
    """What a click of ship ``j`` at world point (wx, wy) hits: (HIT_ALIEN, alien), (HIT_SHIP, ship),
    (HIT_BOX, box) or (HIT_NOTHING, -1).

    Inside means distance <= the object's click radius; the nearest centre wins among overlapping objects;
    aliens and ships come before boxes (DarkOrbit selects a ship under a box).
    """
    best_kind, best_idx, best_d = HIT_NOTHING, -1, 1e18
    for a in range(MAX_ALIENS):
        if s.al_alive[n, a]:
            d = hypot(wx - s.al_x[n, a], wy - s.al_y[n, a])
            if d <= ALIEN_RADIUS[s.al_kind[n, a]] and d < best_d:
                best_kind, best_idx, best_d = HIT_ALIEN, a, d
    for k in range(s.num_ships[n]):
        if k != j and s.ship_alive[n, k]:
            d = hypot(wx - s.ship_x[n, k], wy - s.ship_y[n, k])
            if d <= SHIP_RADIUS and d < best_d:
                best_kind, best_idx, best_d = HIT_SHIP, k, d
    if best_idx >= 0:
        return best_kind, best_idx
    for b in range(MAX_BOXES):
        if s.box_alive[n, b]:
            d = hypot(wx - s.box_x[n, b], wy - s.box_y[n, b])
            if d <= BOX_RADIUS and d < best_d:
                best_kind, best_idx, best_d = HIT_BOX, b, d
    return best_kind, best_idx


@kernel_helper
def lock_is_valid(s: ArenaState, n: int, j: int) -> bool:
    """Whether ship ``j`` has a lock on a living alien or ship (a lock outlives its target by up to a frame)."""
    kind = s.ship_lock_kind[n, j]
    idx = s.ship_lock_idx[n, j]
    if kind == LOCK_ALIEN:
        return s.al_alive[n, idx] == 1
    if kind == LOCK_SHIP:
        return s.ship_alive[n, idx] == 1
    return False


@njit(**NO_NRT)
def lock_position(s: ArenaState, n: int, j: int) -> tuple[float, float]:
    """World position of ship ``j``'s locked alien or ship."""
    idx = s.ship_lock_idx[n, j]
    if s.ship_lock_kind[n, j] == LOCK_ALIEN:
        return s.al_x[n, idx], s.al_y[n, idx]
    return s.ship_x[n, idx], s.ship_y[n, idx]


@njit(**NO_NRT)
def step_envs(s: ArenaState, actions: np.ndarray, active: np.ndarray) -> None:
    """Advance every env ``n`` with ``active[n]`` by one frame.

    ``actions``: float32 [N, S, 4] = (cursor x, cursor y in [0, 1] of the screen, click > 0.5, attack > 0.5)
    for every ship seat (seats of dead or unused ships are ignored).
    """
    for n in range(s.tick.shape[0]):
        if active[n]:
            _step_one(s, actions, n)


@kernel_helper
def _step_one(s: ArenaState, actions: np.ndarray, n: int) -> None:
    """One frame of env ``n``: the phases below, in this order, each over every ship or alien."""
    _clear_step_outputs(s, n)
    num_ships = s.num_ships[n]
    for j in range(num_ships):  # 1. input: cursor, click, attack key
        if s.ship_alive[n, j]:
            _apply_input(s, actions, n, j)
    for j in range(num_ships):  # 2. ship movement and box collection
        if s.ship_alive[n, j]:
            _fly_ship(s, n, j)
            _collect_box(s, n, j)
    for j in range(num_ships):  # 3. ship lasers
        if s.ship_alive[n, j]:
            _fire_ship_laser(s, n, j)
    for a in range(int(s.params[n, P_ALIENS])):  # 4. aliens: respawn, aggro, movement, shots
        _update_alien(s, n, a)
    for b in range(int(s.params[n, P_BOXES])):  # 5. boxes respawn
        if not s.box_alive[n, b]:
            s.box_respawn[n, b] -= DT
            if s.box_respawn[n, b] <= 0.0:
                _spawn_box(s, n, b)
    for j in range(num_ships):  # 6. regeneration out of combat, combat clocks
        if s.ship_alive[n, j]:
            _regenerate(s, n, j)
    s.tick[n] += 1


@njit(inline="always", **NO_NRT)
def _clear_step_outputs(s: ArenaState, n: int) -> None:
    """Zero the last step's outputs (rewards read them) and fade the drawn laser beams."""
    for j in range(MAX_SHIPS):
        s.step_damage[n, j] = 0.0
        s.step_credits[n, j] = 0.0
        s.step_hull_lost[n, j] = 0.0
        s.step_died[n, j] = 0
        s.step_kills[n, j] = 0
        if s.ship_beam[n, j] > 0.0:
            s.ship_beam[n, j] = max(0.0, s.ship_beam[n, j] - DT)


@njit(inline="always", **NO_NRT)
def _apply_input(s: ArenaState, actions: np.ndarray, n: int, j: int) -> None:
    """Phase 1 for ship ``j``: the cursor moves toward the commanded point at the cursor speed; a press of the
    button (its rising edge) acts where the cursor is now; the attack key is held or not."""
    cx = _clip(float(actions[n, j, 0]), 0.0, 1.0) * VIEW_W
    cy = _clip(float(actions[n, j, 1]), 0.0, 1.0) * VIEW_H
    s.ship_cmd_x[n, j] = cx
    s.ship_cmd_y[n, j] = cy
    dx = cx - s.ship_cursor_x[n, j]
    dy = cy - s.ship_cursor_y[n, j]
    d = hypot(dx, dy)
    step = s.params[n, P_CURSOR_SPEED] * DT
    if d <= step:
        s.ship_cursor_x[n, j] = cx
        s.ship_cursor_y[n, j] = cy
    else:
        s.ship_cursor_x[n, j] += dx / d * step
        s.ship_cursor_y[n, j] += dy / d * step
    click = actions[n, j, 2] > 0.5
    if click and not s.ship_click_prev[n, j]:
        _click(s, n, j)
    s.ship_click_prev[n, j] = 1 if click else 0
    s.ship_attack[n, j] = 1 if actions[n, j, 3] > 0.5 else 0


@njit(inline="always", **NO_NRT)
def _click(s: ArenaState, n: int, j: int) -> None:
    """A click of ship ``j`` at its cursor: lock an alien or ship, send the ship to a box, or fly it there."""
    wx, wy = screen_to_world(s, n, j, s.ship_cursor_x[n, j], s.ship_cursor_y[n, j])
    hit, idx = hit_test(s, n, j, wx, wy)
    if hit == HIT_ALIEN or hit == HIT_SHIP:
        s.ship_lock_kind[n, j] = hit  # the hit codes of aliens and ships are their lock kinds
        s.ship_lock_idx[n, j] = idx
    elif hit == HIT_BOX:
        s.ship_collect[n, j] = idx
        s.ship_tx[n, j] = s.box_x[n, idx]
        s.ship_ty[n, j] = s.box_y[n, idx]
        s.ship_moving[n, j] = 1
    else:
        s.ship_collect[n, j] = -1
        s.ship_tx[n, j] = _clip(wx, 0.0, MAP_W)
        s.ship_ty[n, j] = _clip(wy, 0.0, MAP_H)
        s.ship_moving[n, j] = 1


@njit(inline="always", **NO_NRT)
def _fly_ship(s: ArenaState, n: int, j: int) -> None:
    """Phase 2: ship ``j`` flies toward its fly target at ``SHIP_SPEED`` and stops on it."""
    if s.ship_moving[n, j]:
        dx = s.ship_tx[n, j] - s.ship_x[n, j]
        dy = s.ship_ty[n, j] - s.ship_y[n, j]
        d = hypot(dx, dy)
        step = SHIP_SPEED * DT
        if d <= step:
            s.ship_vx[n, j] = dx / DT
            s.ship_vy[n, j] = dy / DT
            s.ship_x[n, j] = s.ship_tx[n, j]
            s.ship_y[n, j] = s.ship_ty[n, j]
            s.ship_moving[n, j] = 0
        else:
            s.ship_vx[n, j] = dx / d * SHIP_SPEED
            s.ship_vy[n, j] = dy / d * SHIP_SPEED
            s.ship_x[n, j] += dx / d * step
            s.ship_y[n, j] += dy / d * step
    else:
        s.ship_vx[n, j] = 0.0
        s.ship_vy[n, j] = 0.0


@njit(inline="always", **NO_NRT)
def _collect_box(s: ArenaState, n: int, j: int) -> None:
    """Phase 2: ship ``j`` collects the box it was sent to once within ``COLLECT_DIST`` (clicked boxes only)."""
    b = s.ship_collect[n, j]
    if b < 0:
        return
    if not s.box_alive[n, b]:
        s.ship_collect[n, j] = -1
    elif hypot(s.ship_x[n, j] - s.box_x[n, b], s.ship_y[n, j] - s.box_y[n, b]) <= COLLECT_DIST:
        if s.box_kind[n, b] == BOX_REPAIR:
            s.ship_hull[n, j] = min(SHIP_HULL, s.ship_hull[n, j] + BOX_REPAIR_VALUE * SHIP_HULL)
        else:
            s.ship_credits[n, j] += BOX_CREDITS_VALUE
            s.step_credits[n, j] += BOX_CREDITS_VALUE
        s.box_alive[n, b] = 0
        s.box_respawn[n, b] = BOX_RESPAWN_S
        s.ship_collect[n, j] = -1


@njit(inline="always", **NO_NRT)
def _fire_ship_laser(s: ArenaState, n: int, j: int) -> None:
    """Phase 3: ship ``j``'s laser cools down, drops a dead lock, and fires while the attack key is held, the
    cooldown is over and the locked target is within ``LASER_RANGE``."""
    if s.ship_cooldown[n, j] > 0.0:
        s.ship_cooldown[n, j] = max(0.0, s.ship_cooldown[n, j] - DT)
    if s.ship_lock_kind[n, j] != LOCK_NONE and not lock_is_valid(s, n, j):
        s.ship_lock_kind[n, j] = LOCK_NONE
        s.ship_lock_idx[n, j] = -1
    if not s.ship_attack[n, j] or s.ship_lock_kind[n, j] == LOCK_NONE or s.ship_cooldown[n, j] > 0.0:
        return
    tx, ty = lock_position(s, n, j)
    if hypot(tx - s.ship_x[n, j], ty - s.ship_y[n, j]) > LASER_RANGE:
        return
    s.ship_cooldown[n, j] = LASER_COOLDOWN
    s.ship_since_combat[n, j] = 0.0
    s.ship_beam[n, j] = BEAM_S
    s.ship_beam_x[n, j] = tx
    s.ship_beam_y[n, j] = ty
    idx = s.ship_lock_idx[n, j]
    if s.ship_lock_kind[n, j] == LOCK_ALIEN:
        _laser_hits_alien(s, n, j, idx)
    else:
        before = s.ship_hull[n, idx] + s.ship_shield[n, idx]
        damage_ship(s, n, idx, LASER_DAMAGE)
        dealt = before - s.ship_hull[n, idx] - s.ship_shield[n, idx]
        s.step_damage[n, j] += dealt
        s.ship_damage[n, j] += dealt


@njit(inline="always", **NO_NRT)
def _laser_hits_alien(s: ArenaState, n: int, j: int, a: int) -> None:
    """Ship ``j``'s shot hits alien ``a``: damage, aggro on the shooter, and on a kill its credits."""
    dealt = min(LASER_DAMAGE, s.al_hp[n, a])
    s.al_hp[n, a] -= dealt
    s.al_last_hit[n, a] = j
    if s.al_target[n, a] < 0:
        s.al_target[n, a] = j  # shooting an alien makes it aggressive
    s.step_damage[n, j] += dealt
    s.ship_damage[n, j] += dealt
    if s.al_hp[n, a] <= 0.0:
        s.al_hp[n, a] = 0.0
        s.al_alive[n, a] = 0
        s.al_target[n, a] = -1
        s.al_respawn[n, a] = ALIEN_RESPAWN_S
        credits = ALIEN_CREDITS[s.al_kind[n, a]]
        s.ship_credits[n, j] += credits
        s.step_credits[n, j] += credits
        s.ship_kills[n, j] += 1
        s.step_kills[n, j] += 1
        s.ship_lock_kind[n, j] = LOCK_NONE
        s.ship_lock_idx[n, j] = -1


@njit(inline="always", **NO_NRT)
def _update_alien(s: ArenaState, n: int, a: int) -> None:
    """Phase 4 for alien slot ``a``: a dead alien counts down to its respawn; a living one picks its target,
    then orbits and shoots it, or wanders; then it moves."""
    if not s.al_alive[n, a]:
        s.al_respawn[n, a] -= DT
        if s.al_respawn[n, a] <= 0.0:
            _spawn_alien(s, n, a)
        return
    if s.al_beam[n, a] > 0.0:
        s.al_beam[n, a] = max(0.0, s.al_beam[n, a] - DT)
    if s.al_cooldown[n, a] > 0.0:
        s.al_cooldown[n, a] = max(0.0, s.al_cooldown[n, a] - DT)
    target = _alien_target(s, n, a)
    if target >= 0:
        _orbit_and_shoot(s, n, a, target)
    else:
        _wander(s, n, a)
    s.al_x[n, a] = _clip(s.al_x[n, a] + s.al_vx[n, a] * DT, 0.0, MAP_W)
    s.al_y[n, a] = _clip(s.al_y[n, a] + s.al_vy[n, a] * DT, 0.0, MAP_H)


@njit(inline="always", **NO_NRT)
def _alien_target(s: ArenaState, n: int, a: int) -> int:
    """Alien ``a``'s aggro: it keeps its target until that ship dies or gets beyond the leash, else takes the
    nearest living ship within its aggro range; returns the target (-1 none), also stored in ``al_target``."""
    aggro = ALIEN_AGGRO[s.al_kind[n, a]] * s.params[n, P_AGGRO]
    t = s.al_target[n, a]
    if t >= 0:
        leash = LEASH * max(aggro, LASER_RANGE)
        if not s.ship_alive[n, t] or ((s.ship_x[n, t] - s.al_x[n, a]) ** 2
                                      + (s.ship_y[n, t] - s.al_y[n, a]) ** 2) > leash * leash:
            s.al_target[n, a] = -1
            t = -1
    if t < 0:
        best = aggro * aggro  # squared distances: the nearest ship within the aggro range
        for j in range(s.num_ships[n]):
            if s.ship_alive[n, j]:
                d2 = (s.ship_x[n, j] - s.al_x[n, a]) ** 2 + (s.ship_y[n, j] - s.al_y[n, a]) ** 2
                if d2 <= best:
                    best = d2
                    t = j
        s.al_target[n, a] = t
    return t


@njit(inline="always", **NO_NRT)
def _orbit_and_shoot(s: ArenaState, n: int, a: int, t: int) -> None:
    """An aggressive alien circles ship ``t`` at its orbit radius (``ORBIT_SPEED`` of its speed) and fires
    whenever the ship is in its shot range and its cooldown is over."""
    kind = s.al_kind[n, a]
    speed = ALIEN_SPEED[kind]
    dx = s.al_x[n, a] - s.ship_x[n, t]
    dy = s.al_y[n, a] - s.ship_y[n, t]
    d = max(hypot(dx, dy), 1e-6)
    ux, uy = dx / d, dy / d
    # radial part: out when inside the orbit, in when outside (full strength 60 units off it); tangential part
    # 0.8 in the alien's orbit direction
    radial = _clip((ALIEN_ORBIT[kind] - d) / 60.0, -1.0, 1.0)
    orb = s.al_orbit[n, a]
    vx = ux * radial - uy * orb * 0.8
    vy = uy * radial + ux * orb * 0.8
    vn = max(hypot(vx, vy), 1e-6)
    s.al_vx[n, a] = vx / vn * speed * ORBIT_SPEED
    s.al_vy[n, a] = vy / vn * speed * ORBIT_SPEED
    if d <= ALIEN_RANGE[kind] and s.al_cooldown[n, a] <= 0.0:
        s.al_cooldown[n, a] = ALIEN_FIRE_S
        s.al_beam[n, a] = BEAM_S
        damage_ship(s, n, t, ALIEN_DAMAGE[kind] * s.params[n, P_ALIEN_DMG])


@njit(inline="always", **NO_NRT)
def _wander(s: ArenaState, n: int, a: int) -> None:
    """A passive alien drifts to its waypoint at ``WANDER_SPEED`` of its speed; there, it draws a new one
    within ``WANDER_STEP`` (and pauses for the frame)."""
    speed = ALIEN_SPEED[s.al_kind[n, a]]
    dx = s.al_wx[n, a] - s.al_x[n, a]
    dy = s.al_wy[n, a] - s.al_y[n, a]
    d = hypot(dx, dy)
    if d < 20.0:
        s.al_wx[n, a] = _clip(s.al_x[n, a] + (uniform(s.rng_state, n) - 0.5) * 2.0 * WANDER_STEP,
                              50.0, MAP_W - 50.0)
        s.al_wy[n, a] = _clip(s.al_y[n, a] + (uniform(s.rng_state, n) - 0.5) * 2.0 * WANDER_STEP,
                              50.0, MAP_H - 50.0)
        s.al_vx[n, a] = 0.0
        s.al_vy[n, a] = 0.0
    else:
        s.al_vx[n, a] = dx / d * speed * WANDER_SPEED
        s.al_vy[n, a] = dy / d * speed * WANDER_SPEED


@njit(inline="always", **NO_NRT)
def _regenerate(s: ArenaState, n: int, j: int) -> None:
    """Phase 6: out of combat the shield regenerates and, later, the repair robot mends the hull."""
    if s.ship_since_combat[n, j] >= OUT_OF_COMBAT_S:
        s.ship_shield[n, j] = min(SHIP_SHIELD, s.ship_shield[n, j] + SHIELD_REGEN * SHIP_SHIELD * DT)
    if s.ship_since_combat[n, j] >= REPAIR_DELAY_S:
        s.ship_hull[n, j] = min(SHIP_HULL, s.ship_hull[n, j] + HULL_REPAIR * SHIP_HULL * DT)
    s.ship_since_combat[n, j] = min(s.ship_since_combat[n, j] + DT, 100.0)


__all__ = ["ArenaState", "ObjectColumn", "StateColumn", "make_params", "reset_envs", "step_envs", "hit_test",
           "damage_ship", "screen_to_world", "world_to_screen", "lock_position", "lock_is_valid", "alien_max_hp"]
