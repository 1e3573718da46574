"""Scripted ClickArena players as numba kernels over ``core.ArenaState``: random, expert, aimbot.

Every bot produces the same action a learner gives, ``(cursor x, cursor y, click, attack)`` in [0, 1], so
it plays through exactly the rules a human plays through (cursor speed limit, rising-edge clicks, clicks
that miss do nothing).

``expert`` is hierarchical in three levels, the strategist / tactician / executor split of the DarkOrbit
farming bot this game was designed around (each level's decision is exposed as a label for imitation):

* **Strategist** picks a *mode* each frame from the *threats* (aggressive aliens within their shot range plus
  ``THREAT_MARGIN``): ``FLEE`` (threats and the hull is below ``FLEE_HULL``, or their damage would end hull +
  shield within ``FLEE_TIME_S``, or the hull is below ``REPAIR_HULL`` while fleeing or repairing), ``FIGHT``
  (threats otherwise), ``REPAIR`` (no threat and the hull below ``REPAIR_HULL``, or below ``REPAIRED_HULL``
  after fleeing or repairing: fetch a visible repair box, else keep ``REPAIR_KEEP_AWAY`` from aliens and let
  the repair robot work), ``FIGHT`` (an alien on screen), ``LOOT`` (a box on screen), else ``EXPLORE`` (fly to
  a random waypoint of the map).
* **Tactician** picks the *target object* and the *operation*: lock an alien (the locked one while it
  lives, else aggressors first, then the cheapest kill by distance and hit points), close in when it is out
  of laser range (click empty space near it), click a box, click an escape point or a waypoint. Fleeing, it
  keeps the attack key down on its lock (run and shoot).
* **Executor** moves the cursor like a human hand (Meyer et al. 1988; Flash & Hogan 1985): a lognormal
  reaction delay (median ``REACTION_MEDIAN_S`` = 0.25 s, log-sd 0.25), a Fitts'-law movement time
  ``MT = FITTS_A + FITTS_B * log2(D / W + 1)`` (a = 0.1 s, b = 0.15 s/bit, W = the target's click diameter),
  a minimum-jerk path ``x(t) = x0 + (x1 - x0)(10 tau^3 - 15 tau^4 + 6 tau^5)``, an end point led by the
  target's screen velocity times ``MT`` and scattered by ``N(0, (W / 6)^2)``; if the cursor then lies
  outside the target, up to ``MAX_CORRECTIONS`` corrective submovements (Meyer et al.'s stochastic optimised
  submovements), then one click (a press and a release frame). The attack key is held while a locked target
  is fought. The motor model's pieces are the shared kernels of ``envs/common/motor.py``.

``aimbot`` uses the same strategist and tactician with no motor limits: no reaction time, the cursor
commanded straight at the target's next-frame position, a click as soon as the cursor is inside it. Its
score is a ceiling for what the motor model costs.

Each bot seat's executor state and the labels of its last decision live in ``BotState`` arrays
(``[N, S]``; see its docstring) — what a hierarchical agent imitates at each level.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from botarena.envs.common.jit import NO_NRT, kernel_helper
from botarena.envs.common.motor import click_scatter, fitts_time, minimum_jerk_position, needs_correction, reaction_time
from botarena.envs.common.rng import next_u64, uniform
from botarena.envs.common.validation import check_int

from . import core

BOT_NAMES = ("random", "expert", "aimbot")
BOT_NONE = -1
BOT_RANDOM, BOT_EXPERT, BOT_AIMBOT = 0, 1, 2

MODE_NAMES = ("fight", "loot", "flee", "explore", "repair")
MODE_FIGHT, MODE_LOOT, MODE_FLEE, MODE_EXPLORE, MODE_REPAIR = 0, 1, 2, 3, 4

TARGET_NAMES = ("none", "alien", "box", "ship", "point")
TARGET_NONE, TARGET_ALIEN, TARGET_BOX, TARGET_SHIP, TARGET_POINT = 0, 1, 2, 3, 4

# strategist
FLEE_HULL = 0.4
THREAT_MARGIN = 150.0  # an aggressor within its shot range + this is a threat
FLEE_TIME_S = 30.0  # flee when the aggressors would destroy hull + shield within this time
REPAIR_HULL = 0.6
REPAIRED_HULL = 0.8
# tactician
SEEN_MARGIN = 20.0  # the bots count an object as on screen when its centre is this far inside the edges
FLEE_STEP = 380.0  # how far ahead a flee click aims (clamped to the screen)
ESCAPE_HEADINGS = 16  # directions tried for an escape point
REPAIR_KEEP_AWAY = 500.0  # repairing, keep this far from the nearest alien on screen
EXPLORE_STEP = 250.0  # exploring, each fly click goes this far toward the waypoint
RANDOM_CLICK_P = 0.05  # the random bot presses about three times a second
# executor
NEW_POINT_PX = 100.0  # a fly point this far from the one in hand is a new operation (once the hand is idle)
POINT_WIDTH = 40.0  # an empty-space click target is "anywhere in a 40 px patch"
SETTLE_S = 0.1  # after a movement, wait at most this long for a lagging cursor before clicking
SETTLED_PX = 1.0  # the cursor has arrived when it is this close to the movement's end point
REFRACTORY_S = 0.08  # pause after a click before the next aimed movement
MAX_CORRECTIONS = 2  # corrective submovements before clicking anyway
# human motor model
REACTION_MEDIAN_S = 0.25
REACTION_SIGMA = 0.25
FITTS_A = 0.1
FITTS_B = 0.15
SCATTER_DIVISOR = 6.0  # click scatter sd = target width / 6: 99.7 % of clicks land inside the target

# executor phases: what the hand is doing
HAND_IDLE, HAND_REACTING, HAND_MOVING, HAND_CLICKING, HAND_RELEASING = 0, 1, 2, 3, 4


class BotState(NamedTuple):
    """Per-seat bot state and labels (N envs, S = ``core.MAX_SHIPS`` seats).

    =====================  ================  ============================================================
    array                  dtype / shape     meaning
    =====================  ================  ============================================================
    mode                   int64 [N, S]      strategist's mode (``MODE_*``; label)
    target_kind            int64 [N, S]      tactician's target object (``TARGET_*``; label)
    target_idx             int64 [N, S]      its alien / box index (-1 for none or a map point; label)
    goal_x, goal_y         float64 [N, S]    the world point the tactician works on (label)
    aim_x, aim_y           float64 [N, S]    the screen point the hand is moving to (label)
    action                 float32 [N, S, 4] the action of the last frame (label)
    explore_x, explore_y   float64 [N, S]    the exploring waypoint (world)
    hand_phase             int64 [N, S]      executor phase (``HAND_*``)
    hand_timer             float64 [N, S]    seconds left of the reaction delay, settle wait or release pause
    move_elapsed           float64 [N, S]    seconds since the aimed movement began
    move_duration          float64 [N, S]    its Fitts'-law duration, seconds
    move_start_x/_y        float64 [N, S]    where it began (screen pixels)
    move_end_x/_y          float64 [N, S]    its led and scattered end point (screen pixels)
    operation_kind         int64 [N, S]      the operation in hand: target kind (``TARGET_*``)
    operation_idx          int64 [N, S]      its alien / box index (-1 none)
    operation_x/_y         float64 [N, S]    its world point (fly clicks)
    cursor_cmd_x/_y        float64 [N, S]    the commanded cursor point (screen pixels)
    corrections            int64 [N, S]      corrective submovements made for this operation
    rng                    uint64 [N * S]    one SplitMix64 word per seat (index ``n * S + j``)
    =====================  ================  ============================================================
    """

    mode: np.ndarray
    target_kind: np.ndarray
    target_idx: np.ndarray
    goal_x: np.ndarray
    goal_y: np.ndarray
    aim_x: np.ndarray
    aim_y: np.ndarray
    action: np.ndarray
    explore_x: np.ndarray
    explore_y: np.ndarray
    hand_phase: np.ndarray
    hand_timer: np.ndarray
    move_elapsed: np.ndarray
    move_duration: np.ndarray
    move_start_x: np.ndarray
    move_start_y: np.ndarray
    move_end_x: np.ndarray
    move_end_y: np.ndarray
    operation_kind: np.ndarray
    operation_idx: np.ndarray
    operation_x: np.ndarray
    operation_y: np.ndarray
    cursor_cmd_x: np.ndarray
    cursor_cmd_y: np.ndarray
    corrections: np.ndarray
    rng: np.ndarray

    @classmethod
    def allocate(cls, num_envs: int) -> BotState:
        n, s = check_int("num_envs", num_envs, 1), core.MAX_SHIPS
        ints = {"mode", "target_kind", "target_idx", "hand_phase", "operation_kind", "operation_idx", "corrections"}
        fields = {}
        for name in cls._fields:
            if name == "action":
                fields[name] = np.zeros((n, s, 4), np.float32)
            elif name == "rng":
                fields[name] = np.zeros(n * s, np.uint64)
            else:
                fields[name] = np.zeros((n, s), np.int64 if name in ints else np.float64)
        return cls(**fields)

    def copy(self) -> BotState:
        return BotState(*(np.array(a, copy=True) for a in self))


def policy_ids(names: dict[int, str] | None, num_envs: int) -> np.ndarray:
    """int8 [num_envs, MAX_SHIPS] policy codes from ``{seat: bot name}`` (other seats ``BOT_NONE``)."""
    out = np.full((num_envs, core.MAX_SHIPS), BOT_NONE, np.int8)
    for seat, name in (names or {}).items():
        if name not in BOT_NAMES:
            raise ValueError(f"bot name must be one of {list(BOT_NAMES)}, got {name!r}")
        out[:, check_int("seat", seat, 0, core.MAX_SHIPS - 1)] = BOT_NAMES.index(name)
    return out


@njit(**NO_NRT)
def reset_bots(s: core.ArenaState, b: BotState, mask: np.ndarray) -> None:
    """Reset the bot state of every env with ``mask[n]``; each seat's RNG word is drawn from the env's RNG."""
    for n in range(s.tick.shape[0]):
        if not mask[n]:
            continue
        for j in range(core.MAX_SHIPS):
            b.rng[n * core.MAX_SHIPS + j] = next_u64(s.rng_state, n)
            b.mode[n, j] = MODE_EXPLORE
            b.target_kind[n, j] = TARGET_NONE
            b.target_idx[n, j] = -1
            b.goal_x[n, j] = s.ship_x[n, j]
            b.goal_y[n, j] = s.ship_y[n, j]
            b.aim_x[n, j] = core.VIEW_W * 0.5
            b.aim_y[n, j] = core.VIEW_H * 0.5
            for c in range(4):
                b.action[n, j, c] = 0.0
            b.action[n, j, 0] = 0.5
            b.action[n, j, 1] = 0.5
            b.explore_x[n, j] = s.ship_x[n, j]
            b.explore_y[n, j] = s.ship_y[n, j]
            b.hand_phase[n, j] = HAND_IDLE
            b.hand_timer[n, j] = 0.0
            b.move_elapsed[n, j] = 0.0
            b.move_duration[n, j] = 0.0
            b.move_start_x[n, j] = core.VIEW_W * 0.5
            b.move_start_y[n, j] = core.VIEW_H * 0.5
            b.move_end_x[n, j] = core.VIEW_W * 0.5
            b.move_end_y[n, j] = core.VIEW_H * 0.5
            b.operation_kind[n, j] = TARGET_NONE
            b.operation_idx[n, j] = -1
            b.operation_x[n, j] = 0.0
            b.operation_y[n, j] = 0.0
            b.cursor_cmd_x[n, j] = core.VIEW_W * 0.5
            b.cursor_cmd_y[n, j] = core.VIEW_H * 0.5
            b.corrections[n, j] = 0


@njit(**NO_NRT)
def bot_actions(s: core.ArenaState, b: BotState, policies: np.ndarray, actions: np.ndarray,
                active: np.ndarray) -> None:
    """Write the action of every bot seat (``policies[n, j] >= 0``) of every active env into ``actions``.

    ``actions`` float32 [N, S, 4]; seats without a bot are left untouched. Labels go to ``b``.
    """
    for n in range(s.tick.shape[0]):
        if not active[n]:
            continue
        for j in range(s.num_ships[n]):
            p = policies[n, j]
            if p < 0 or not s.ship_alive[n, j]:
                continue
            if p == BOT_RANDOM:
                _random_act(s, b, n, j)
            else:
                _expert_act(s, b, n, j, p == BOT_AIMBOT)
            for c in range(4):
                actions[n, j, c] = b.action[n, j, c]


@kernel_helper
def _random_act(s: core.ArenaState, b: BotState, n: int, j: int) -> None:
    k = n * core.MAX_SHIPS + j
    ux = uniform(b.rng, k)
    uy = uniform(b.rng, k)
    b.action[n, j, 0] = ux
    b.action[n, j, 1] = uy
    b.action[n, j, 2] = 1.0 if uniform(b.rng, k) < RANDOM_CLICK_P else 0.0
    b.action[n, j, 3] = 1.0 if uniform(b.rng, k) < 0.5 else 0.0
    b.mode[n, j] = MODE_EXPLORE
    b.target_kind[n, j] = TARGET_NONE
    b.target_idx[n, j] = -1
    b.aim_x[n, j] = ux * core.VIEW_W
    b.aim_y[n, j] = uy * core.VIEW_H


@kernel_helper
def _on_screen(s: core.ArenaState, n: int, j: int, x: float, y: float, margin: float) -> bool:
    sx, sy = core.world_to_screen(s, n, j, x, y)
    return margin <= sx <= core.VIEW_W - margin and margin <= sy <= core.VIEW_H - margin


@kernel_helper
def _empty_point(s: core.ArenaState, n: int, j: int, wx: float, wy: float) -> tuple[float, float]:
    """(wx, wy) pulled onto the screen and the map, nudged off any object (a click there must fly, not lock)."""
    sx, sy = core.world_to_screen(s, n, j, wx, wy)
    sx = min(max(sx, 30.0), core.VIEW_W - 30.0)
    sy = min(max(sy, 30.0), core.VIEW_H - 30.0)
    wx, wy = core.screen_to_world(s, n, j, sx, sy)
    wx = min(max(wx, 10.0), core.MAP_W - 10.0)
    wy = min(max(wy, 10.0), core.MAP_H - 10.0)
    for attempt in range(8):
        hit, _ = core.hit_test(s, n, j, wx, wy)
        if hit == core.HIT_NOTHING:
            break
        ang = attempt * 0.785  # the next nudge turns by about 45 degrees
        wx = min(max(wx + 60.0 * math.cos(ang), 10.0), core.MAP_W - 10.0)
        wy = min(max(wy + 60.0 * math.sin(ang), 10.0), core.MAP_H - 10.0)
    return wx, wy


# ---------------------------------------------------------------------- expert: strategist and tactician
@kernel_helper
def _expert_act(s: core.ArenaState, b: BotState, n: int, j: int, aimbot: bool) -> None:
    """One frame of the expert (or, with ``aimbot``, the aimbot) in seat ``j``: perceive, pick the mode, pick
    the operation, and let the executor move the cursor and press the buttons."""
    ox, oy = s.ship_x[n, j], s.ship_y[n, j]
    threats, incoming_dps, alien_on_screen, near_x, near_y, near_d, nearest_box, nearest_repair_box = (
        _perceive(s, n, j))
    mode = _choose_mode(s, n, j, b.mode[n, j], threats, incoming_dps, alien_on_screen, nearest_box)
    b.mode[n, j] = mode

    # tactician: the wanted operation (kind, idx, world point; TARGET_NONE: no new click) and the attack key
    want_kind, want_idx, wx, wy = TARGET_NONE, -1, ox, oy
    attack = False
    if mode == MODE_FIGHT:
        want_kind, want_idx, wx, wy, attack = _fight(s, b, n, j)
    elif mode == MODE_LOOT or (mode == MODE_REPAIR and nearest_repair_box >= 0):
        want_kind, want_idx, wx, wy = _fetch_box(s, b, n, j, nearest_repair_box if mode == MODE_REPAIR
                                                 else nearest_box)
    elif mode == MODE_FLEE or (mode == MODE_REPAIR and near_d < REPAIR_KEEP_AWAY):
        want_kind, want_idx, wx, wy = _escape(s, b, n, j, mode == MODE_FLEE, near_x, near_y)
    elif mode == MODE_EXPLORE:
        want_kind, want_idx, wx, wy = _explore(s, b, n, j)
    else:  # repair: hold still
        b.target_kind[n, j] = TARGET_NONE
        b.target_idx[n, j] = -1
        b.goal_x[n, j] = ox
        b.goal_y[n, j] = oy

    if mode == MODE_FLEE and s.ship_lock_kind[n, j] == core.LOCK_ALIEN:
        attack = True  # run and shoot: the laser works while flying
    _executor(s, b, n, j, want_kind, want_idx, wx, wy, aimbot)
    b.action[n, j, 3] = 1.0 if attack else 0.0


@njit(inline="always", **NO_NRT)
def _perceive(s: core.ArenaState, n: int, j: int) -> tuple[int, float, bool, float, float, float, int, int]:
    """What the expert sees from seat ``j``: (threats, their damage per second, an alien on screen, the
    nearest alien on screen's x, y and distance, the nearest box on screen, the nearest repair box on screen)."""
    ox, oy = s.ship_x[n, j], s.ship_y[n, j]
    threats = 0
    alien_on_screen = False
    incoming_dps = 0.0
    near_x, near_y, near_d = ox, oy, 1e18
    for a in range(core.MAX_ALIENS):
        if not s.al_alive[n, a]:
            continue
        kind = s.al_kind[n, a]
        # aggressors that can shoot us soon; those trailing far behind a fleeing ship do not count
        if s.al_target[n, a] == j and core.hypot(s.al_x[n, a] - ox, s.al_y[n, a] - oy) <= (
                core.ALIEN_RANGE[kind] + THREAT_MARGIN):
            threats += 1
            incoming_dps += core.ALIEN_DAMAGE[kind] * s.params[n, core.P_ALIEN_DMG] / core.ALIEN_FIRE_S
        if _on_screen(s, n, j, s.al_x[n, a], s.al_y[n, a], SEEN_MARGIN):
            alien_on_screen = True
            d = core.hypot(s.al_x[n, a] - ox, s.al_y[n, a] - oy)
            if d < near_d:
                near_x, near_y, near_d = s.al_x[n, a], s.al_y[n, a], d
    nearest_box, nearest_box_d, nearest_repair, nearest_repair_d = -1, 1e18, -1, 1e18
    for bb in range(core.MAX_BOXES):
        if s.box_alive[n, bb] and _on_screen(s, n, j, s.box_x[n, bb], s.box_y[n, bb], SEEN_MARGIN):
            d = core.hypot(s.box_x[n, bb] - ox, s.box_y[n, bb] - oy)
            if d < nearest_box_d:
                nearest_box, nearest_box_d = bb, d
            if s.box_kind[n, bb] == core.BOX_REPAIR and d < nearest_repair_d:
                nearest_repair, nearest_repair_d = bb, d
    return threats, incoming_dps, alien_on_screen, near_x, near_y, near_d, nearest_box, nearest_repair


@njit(inline="always", **NO_NRT)
def _choose_mode(s: core.ArenaState, n: int, j: int, mode: int, threats: int, incoming_dps: float,
                 alien_on_screen: bool, nearest_box: int) -> int:
    """The strategist: the new mode from the previous ``mode`` and what the expert sees (module docstring)."""
    hull = s.ship_hull[n, j] / core.SHIP_HULL
    if threats > 0:
        # seconds until the hull is gone if every aggressor keeps hitting (shield and hull pooled)
        time_to_die = (s.ship_hull[n, j] + s.ship_shield[n, j]) / max(incoming_dps, 1e-6)
        if hull < FLEE_HULL or time_to_die < FLEE_TIME_S or (
                (mode == MODE_FLEE or mode == MODE_REPAIR) and hull < REPAIR_HULL):
            return MODE_FLEE  # too weak or too outnumbered: run, and do not turn back until repaired
        return MODE_FIGHT
    if hull < REPAIR_HULL or ((mode == MODE_REPAIR or mode == MODE_FLEE) and hull < REPAIRED_HULL):
        return MODE_REPAIR
    if alien_on_screen:
        return MODE_FIGHT
    if nearest_box >= 0:
        return MODE_LOOT
    return MODE_EXPLORE


@njit(inline="always", **NO_NRT)
def _choose_alien(s: core.ArenaState, n: int, j: int) -> int:
    """The alien to fight: the locked one while it lives, else the cheapest kill among aggressors and aliens
    on screen (aggressors first); -1 if none."""
    if s.ship_lock_kind[n, j] == core.LOCK_ALIEN and s.al_alive[n, s.ship_lock_idx[n, j]]:
        return s.ship_lock_idx[n, j]
    ox, oy = s.ship_x[n, j], s.ship_y[n, j]
    tgt = -1
    best = 1e18
    for a in range(core.MAX_ALIENS):
        if not s.al_alive[n, a]:
            continue
        aggr = s.al_target[n, a] == j
        if not aggr and not _on_screen(s, n, j, s.al_x[n, a], s.al_y[n, a], SEEN_MARGIN):
            continue
        d = core.hypot(s.al_x[n, a] - ox, s.al_y[n, a] - oy)
        # cheapest kill first: shots needed (x 150 units) plus distance; aggressors before others
        score = d + 150.0 * s.al_hp[n, a] / core.LASER_DAMAGE - (5000.0 if aggr else 0.0)
        if score < best:
            best, tgt = score, a
    return tgt


@njit(inline="always", **NO_NRT)
def _fight(s: core.ArenaState, b: BotState, n: int, j: int) -> tuple[int, int, float, float, bool]:
    """Tactician, ``FIGHT``: lock the chosen alien (click it when it is on screen), close in when it is beyond
    0.8 of the laser range (click empty space 0.45 of the range short of it), hold attack once it is locked.
    Returns (operation kind, index, world x, y, attack)."""
    ox, oy = s.ship_x[n, j], s.ship_y[n, j]
    tgt = _choose_alien(s, n, j)
    if tgt < 0:
        b.target_kind[n, j] = TARGET_NONE
        b.target_idx[n, j] = -1
        return TARGET_NONE, -1, ox, oy, False
    want_kind, want_idx, wx, wy = TARGET_NONE, -1, ox, oy
    tx, ty = s.al_x[n, tgt], s.al_y[n, tgt]
    d = core.hypot(tx - ox, ty - oy)
    locked = s.ship_lock_kind[n, j] == core.LOCK_ALIEN and s.ship_lock_idx[n, j] == tgt
    visible = _on_screen(s, n, j, tx, ty, 5.0)
    b.target_kind[n, j] = TARGET_ALIEN
    b.target_idx[n, j] = tgt
    b.goal_x[n, j] = tx
    b.goal_y[n, j] = ty
    if not locked and visible:
        want_kind, want_idx, wx, wy = TARGET_ALIEN, tgt, tx, ty
    elif d > 0.8 * core.LASER_RANGE:
        px = tx - (tx - ox) / max(d, 1.0) * 0.45 * core.LASER_RANGE
        py = ty - (ty - oy) / max(d, 1.0) * 0.45 * core.LASER_RANGE
        far = core.hypot(s.ship_tx[n, j] - px, s.ship_ty[n, j] - py) > 150.0  # flying somewhere else
        if not s.ship_moving[n, j] or far:
            px, py = _empty_point(s, n, j, px, py)
            want_kind, want_idx, wx, wy = TARGET_POINT, -1, px, py
    return want_kind, want_idx, wx, wy, locked


@njit(inline="always", **NO_NRT)
def _fetch_box(s: core.ArenaState, b: BotState, n: int, j: int, box: int) -> tuple[int, int, float, float]:
    """Tactician, ``LOOT`` (or ``REPAIR`` with a repair box on screen): click ``box`` unless already sent to it."""
    b.target_kind[n, j] = TARGET_BOX
    b.target_idx[n, j] = box
    b.goal_x[n, j] = s.box_x[n, box]
    b.goal_y[n, j] = s.box_y[n, box]
    if s.ship_collect[n, j] != box:
        return TARGET_BOX, box, s.box_x[n, box], s.box_y[n, box]
    return TARGET_NONE, -1, s.ship_x[n, j], s.ship_y[n, j]


@njit(inline="always", **NO_NRT)
def _escape(s: core.ArenaState, b: BotState, n: int, j: int, fleeing: bool, near_x: float,
            near_y: float) -> tuple[int, int, float, float]:
    """Tactician, ``FLEE`` (or ``REPAIR`` with an alien too near): fly to the escape point ``FLEE_STEP`` away
    (``ESCAPE_HEADINGS`` headings) that lies farthest from the nearest aggressor (repairing: from the nearest
    alien on screen at (near_x, near_y)), kept off the map edge, ties toward the map centre."""
    ox, oy = s.ship_x[n, j], s.ship_y[n, j]
    best_score = -1e18
    px, py = ox, oy
    for h in range(ESCAPE_HEADINGS):
        ang = h * (2.0 * math.pi / ESCAPE_HEADINGS)
        qx = ox + math.cos(ang) * FLEE_STEP
        qy = oy + math.sin(ang) * FLEE_STEP
        if qx < 80.0 or qy < 80.0 or qx > core.MAP_W - 80.0 or qy > core.MAP_H - 80.0:
            continue
        closest = 1e18
        if fleeing:
            for a in range(core.MAX_ALIENS):
                if s.al_alive[n, a] and s.al_target[n, a] == j:  # trailing ones too: do not run into them
                    closest = min(closest, core.hypot(s.al_x[n, a] - qx, s.al_y[n, a] - qy))
        else:
            closest = core.hypot(near_x - qx, near_y - qy)
        score = min(closest, 900.0) - 0.2 * core.hypot(core.MAP_W * 0.5 - qx, core.MAP_H * 0.5 - qy)
        if score > best_score:
            best_score, px, py = score, qx, qy
    b.target_kind[n, j] = TARGET_POINT
    b.target_idx[n, j] = -1
    b.goal_x[n, j] = px
    b.goal_y[n, j] = py
    # re-click before arriving, so the ship never stops while running
    far = core.hypot(s.ship_tx[n, j] - px, s.ship_ty[n, j] - py) > 200.0
    arriving = core.hypot(s.ship_tx[n, j] - ox, s.ship_ty[n, j] - oy) < 250.0
    if not s.ship_moving[n, j] or far or arriving:
        px, py = _empty_point(s, n, j, px, py)
        return TARGET_POINT, -1, px, py
    return TARGET_NONE, -1, ox, oy


@njit(inline="always", **NO_NRT)
def _explore(s: core.ArenaState, b: BotState, n: int, j: int) -> tuple[int, int, float, float]:
    """Tactician, ``EXPLORE``: fly ``EXPLORE_STEP`` at a time toward a random waypoint, a new one on arrival."""
    ox, oy = s.ship_x[n, j], s.ship_y[n, j]
    k = n * core.MAX_SHIPS + j
    if core.hypot(b.explore_x[n, j] - ox, b.explore_y[n, j] - oy) < 120.0:
        b.explore_x[n, j] = 200.0 + uniform(b.rng, k) * (core.MAP_W - 400.0)
        b.explore_y[n, j] = 200.0 + uniform(b.rng, k) * (core.MAP_H - 400.0)
    gx, gy = b.explore_x[n, j], b.explore_y[n, j]
    d = max(core.hypot(gx - ox, gy - oy), 1e-6)
    step = min(d, EXPLORE_STEP)
    px = ox + (gx - ox) / d * step
    py = oy + (gy - oy) / d * step
    b.target_kind[n, j] = TARGET_POINT
    b.target_idx[n, j] = -1
    b.goal_x[n, j] = gx
    b.goal_y[n, j] = gy
    if not s.ship_moving[n, j]:
        px, py = _empty_point(s, n, j, px, py)
        return TARGET_POINT, -1, px, py
    return TARGET_NONE, -1, ox, oy


# ---------------------------------------------------------------------- expert: executor
@kernel_helper
def _object_state(s: core.ArenaState, n: int, j: int, kind: int, idx: int, wx: float,
                  wy: float) -> tuple[float, float, float, float, float, bool]:
    """(screen x, screen y, screen vx, screen vy, click radius, exists) of a motor target now."""
    svx = -s.ship_vx[n, j]
    svy = -s.ship_vy[n, j]
    if kind == TARGET_ALIEN:
        if not s.al_alive[n, idx]:
            return 0.0, 0.0, 0.0, 0.0, 1.0, False
        x, y = core.world_to_screen(s, n, j, s.al_x[n, idx], s.al_y[n, idx])
        return x, y, s.al_vx[n, idx] + svx, s.al_vy[n, idx] + svy, core.ALIEN_RADIUS[s.al_kind[n, idx]], True
    if kind == TARGET_BOX:
        if not s.box_alive[n, idx]:
            return 0.0, 0.0, 0.0, 0.0, 1.0, False
        x, y = core.world_to_screen(s, n, j, s.box_x[n, idx], s.box_y[n, idx])
        return x, y, svx, svy, core.BOX_RADIUS, True
    x, y = core.world_to_screen(s, n, j, wx, wy)
    return x, y, svx, svy, POINT_WIDTH * 0.5, True


@kernel_helper
def _plan(b: BotState, n: int, j: int, k: int, curx: float, cury: float, x: float, y: float, vx: float,
          vy: float, r: float) -> None:
    """Plan one aimed movement: Fitts' time, led and scattered end point, minimum-jerk from the cursor."""
    w = 2.0 * r
    mt = fitts_time(core.hypot(x - curx, y - cury), w, FITTS_A, FITTS_B)
    b.move_start_x[n, j] = curx
    b.move_start_y[n, j] = cury
    b.move_end_x[n, j] = aimed_end_point(x, vx, mt, w, b.rng, k, 0.0, core.VIEW_W)
    b.move_end_y[n, j] = aimed_end_point(y, vy, mt, w, b.rng, k, 0.0, core.VIEW_H)
    b.move_duration[n, j] = mt
    b.move_elapsed[n, j] = 0.0


@kernel_helper
def _executor(s: core.ArenaState, b: BotState, n: int, j: int, kind: int, idx: int, wx: float, wy: float,
              aimbot: bool) -> None:
    """Take the wanted operation (``kind``, ``idx``, world point) in hand and advance the hand one frame:
    react, move, settle and click, release. Writes the cursor and click of ``b.action``."""
    k = n * core.MAX_SHIPS + j
    curx, cury = s.ship_cursor_x[n, j], s.ship_cursor_y[n, j]
    click = 0.0
    phase = _take_operation(b, n, j, k, kind, idx, wx, wy, curx, cury, aimbot)
    if phase == HAND_REACTING:
        b.hand_timer[n, j] -= core.DT
        if b.hand_timer[n, j] <= 0.0:
            phase = _start_movement(s, b, n, j, k, curx, cury, aimbot)
    if phase == HAND_MOVING:
        if aimbot:
            phase, click = _aimbot_move(s, b, n, j, curx, cury)
        else:
            phase = _hand_move(b, n, j)
    elif phase == HAND_CLICKING:
        b.hand_timer[n, j] -= core.DT
        settled = core.hypot(b.move_end_x[n, j] - curx, b.move_end_y[n, j] - cury) <= SETTLED_PX
        if settled or b.hand_timer[n, j] <= 0.0:  # settled, or waited long enough for a lagging cursor
            phase, click = _click_or_correct(s, b, n, j, k, curx, cury)
    elif phase == HAND_RELEASING:
        b.hand_timer[n, j] -= core.DT
        if b.hand_timer[n, j] <= 0.0:
            phase = HAND_IDLE
            b.operation_kind[n, j] = TARGET_NONE
            b.operation_idx[n, j] = -1
    b.hand_phase[n, j] = phase
    cx = min(max(b.cursor_cmd_x[n, j], 0.0), core.VIEW_W)
    cy = min(max(b.cursor_cmd_y[n, j], 0.0), core.VIEW_H)
    b.aim_x[n, j] = b.move_end_x[n, j]
    b.aim_y[n, j] = b.move_end_y[n, j]
    b.action[n, j, 0] = cx / core.VIEW_W
    b.action[n, j, 1] = cy / core.VIEW_H
    b.action[n, j, 2] = click


@njit(inline="always", **NO_NRT)
def _take_operation(b: BotState, n: int, j: int, k: int, kind: int, idx: int, wx: float, wy: float,
                    curx: float, cury: float, aimbot: bool) -> int:
    """Start the wanted operation (a reaction delay first) or drop the one in hand; returns the hand phase.

    A new object aborts the movement in progress; a new fly point does so only once the hand is idle (the
    wanted point drifts with the ship while the hand moves, and chasing it would never let the hand click).
    Nothing interrupts the release after a click; no wanted operation drops one not yet clicked.
    """
    phase = b.hand_phase[n, j]
    new_object = kind != b.operation_kind[n, j] or idx != b.operation_idx[n, j]
    new_point = kind == TARGET_POINT and phase == HAND_IDLE and core.hypot(
        wx - b.operation_x[n, j], wy - b.operation_y[n, j]) > NEW_POINT_PX
    if kind != TARGET_NONE and (new_object or new_point):
        if phase != HAND_RELEASING:
            b.operation_kind[n, j] = kind
            b.operation_idx[n, j] = idx
            b.operation_x[n, j] = wx
            b.operation_y[n, j] = wy
            phase = HAND_REACTING
            b.hand_timer[n, j] = 0.0 if aimbot else reaction_time(b.rng, k, REACTION_MEDIAN_S, REACTION_SIGMA)
            b.cursor_cmd_x[n, j] = curx
            b.cursor_cmd_y[n, j] = cury
    elif kind == TARGET_NONE and (phase == HAND_REACTING or phase == HAND_MOVING or phase == HAND_CLICKING):
        phase = HAND_IDLE
        b.operation_kind[n, j] = TARGET_NONE
        b.operation_idx[n, j] = -1
    return phase


@njit(inline="always", **NO_NRT)
def _operation_target(s: core.ArenaState, b: BotState, n: int,
                      j: int) -> tuple[float, float, float, float, float, bool]:
    """``_object_state`` of the operation in hand."""
    return _object_state(s, n, j, b.operation_kind[n, j], b.operation_idx[n, j], b.operation_x[n, j],
                         b.operation_y[n, j])


@njit(inline="always", **NO_NRT)
def _start_movement(s: core.ArenaState, b: BotState, n: int, j: int, k: int, curx: float, cury: float,
                    aimbot: bool) -> int:
    """The reaction delay is over: plan the aimed movement (the aimbot needs none); returns the hand phase."""
    x, y, vx, vy, r, exists = _operation_target(s, b, n, j)
    if not exists:
        return HAND_IDLE
    if aimbot:
        return HAND_MOVING
    b.corrections[n, j] = 0
    if b.operation_kind[n, j] == TARGET_POINT:
        vx = vy = 0.0  # a fly click aims at a spot on the screen, not at a moving object
    _plan(b, n, j, k, curx, cury, x, y, vx, vy, r)
    return HAND_MOVING


@njit(inline="always", **NO_NRT)
def _aimbot_move(s: core.ArenaState, b: BotState, n: int, j: int, curx: float,
                 cury: float) -> tuple[int, float]:
    """The aimbot commands the cursor onto the target and clicks once the cursor gets there this frame.
    Returns (hand phase, click)."""
    x, y, _, _, _, exists = _operation_target(s, b, n, j)
    if not exists:
        return HAND_IDLE, 0.0
    # the click is tested after the cursor moves but before anything else does; a point that drifted off the
    # screen is clicked at the screen's edge (a fly click in that direction)
    b.move_end_x[n, j] = min(max(x, 0.0), core.VIEW_W)
    b.move_end_y[n, j] = min(max(y, 0.0), core.VIEW_H)
    b.cursor_cmd_x[n, j] = b.move_end_x[n, j]
    b.cursor_cmd_y[n, j] = b.move_end_y[n, j]
    step = s.params[n, core.P_CURSOR_SPEED] * core.DT
    if core.hypot(b.move_end_x[n, j] - curx, b.move_end_y[n, j] - cury) <= step:
        b.hand_timer[n, j] = 0.0
        return HAND_RELEASING, 1.0
    return HAND_MOVING, 0.0


@njit(inline="always", **NO_NRT)
def _hand_move(b: BotState, n: int, j: int) -> int:
    """The human hand advances one frame along its minimum-jerk path; at its end it settles (``SETTLE_S``)."""
    b.move_elapsed[n, j] += core.DT
    tau = min(b.move_elapsed[n, j] / max(b.move_duration[n, j], 1e-6), 1.0)
    b.cursor_cmd_x[n, j] = minimum_jerk_position(b.move_start_x[n, j], b.move_end_x[n, j], tau)
    b.cursor_cmd_y[n, j] = minimum_jerk_position(b.move_start_y[n, j], b.move_end_y[n, j], tau)
    if tau >= 1.0:
        b.hand_timer[n, j] = SETTLE_S
        return HAND_CLICKING
    return HAND_MOVING


@njit(inline="always", **NO_NRT)
def _click_or_correct(s: core.ArenaState, b: BotState, n: int, j: int, k: int, curx: float,
                      cury: float) -> tuple[int, float]:
    """The cursor has settled: click, or, if the eye sees it beside an object target, make a corrective
    submovement (Meyer et al. 1988). Returns (hand phase, click)."""
    x, y, vx, vy, r, exists = _operation_target(s, b, n, j)
    precise = b.operation_kind[n, j] != TARGET_POINT  # "fly over there" needs no second look
    if exists and precise and needs_correction(core.hypot(x - curx, y - cury), r, b.corrections[n, j],
                                               MAX_CORRECTIONS):
        b.corrections[n, j] += 1
        _plan(b, n, j, k, curx, cury, x, y, vx, vy, r)
        return HAND_MOVING, 0.0
    b.hand_timer[n, j] = REFRACTORY_S
    return HAND_RELEASING, 1.0


# ---------------------------------------------------------------------- human motor model
# The model's pieces (reaction, Fitts, minimum jerk, scatter, corrections) are shared with TickDuel in
# ``envs/common/motor.py``; what is ClickArena's own is leading a moving target.
@njit(inline="always", **NO_NRT)
def aimed_end_point(target: float, velocity: float, movement_time: float, width: float, rng_state: np.ndarray,
                    index: int, low: float, high: float) -> float:
    """One axis of an aimed movement's end point: the target led by its velocity over the movement, scattered
    (``click_scatter`` with ``SCATTER_DIVISOR``) and clamped to [low, high]."""
    return min(max(target + velocity * movement_time + click_scatter(rng_state, index, width, SCATTER_DIVISOR),
                   low), high)
