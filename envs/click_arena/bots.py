"""Scripted ClickArena players as numba kernels over ``core.ArenaState``: random, expert, aimbot.

Every bot produces the same action a learner gives, ``(cursor x, cursor y, click, attack)`` in [0, 1], so
it plays through exactly the rules a human plays through (cursor speed limit, rising-edge clicks, clicks
that miss do nothing).

``expert`` is hierarchical, like the seed project's DarkOrbit bot:

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
  submovements), then one click (a press and a release frame). The attack key is held while a locked target is fought.

``aimbot`` uses the same strategist and tactician with no motor limits: no reaction time, the cursor
commanded straight at the target's next-frame position, a click as soon as the cursor is inside it. Its
score is a ceiling for what the motor model costs.

Each bot seat's executor state and the labels of its last decision live in ``BotState`` arrays
(``[N, S]``): ``mode``, ``target_kind`` / ``target_idx`` (``TARGET_*``), ``goal_x`` / ``goal_y`` (the
world point the tactician works on), ``aim_x`` / ``aim_y`` (the screen point the executor is moving to)
and ``action`` ``[N, S, 4]`` — what a hierarchical agent imitates at each level.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from botarena.envs.common.jit import NO_NRT
from botarena.envs.common.rng import lognormal, next_u64, normal, uniform

from . import core

BOT_NAMES = ("random", "expert", "aimbot")
BOT_NONE = -1
BOT_RANDOM, BOT_EXPERT, BOT_AIMBOT = 0, 1, 2

MODE_NAMES = ("fight", "loot", "flee", "explore", "repair")
MODE_FIGHT, MODE_LOOT, MODE_FLEE, MODE_EXPLORE, MODE_REPAIR = 0, 1, 2, 3, 4

TARGET_NAMES = ("none", "alien", "box", "ship", "point")
TARGET_NONE, TARGET_ALIEN, TARGET_BOX, TARGET_SHIP, TARGET_POINT = 0, 1, 2, 3, 4

FLEE_HULL = 0.4
FLEE_STEP = 380.0  # how far ahead a flee click aims (clamped to the screen)
THREAT_MARGIN = 150.0  # an aggressor within its shot range + this is a threat
FLEE_TIME_S = 30.0  # flee when the aggressors would destroy hull + shield within this time
REPAIR_HULL = 0.6
REPAIRED_HULL = 0.8
REPAIR_KEEP_AWAY = 500.0  # repairing, keep this far from the nearest alien on screen
REACTION_MEDIAN_S = 0.25
REACTION_SIGMA = 0.25
FITTS_A = 0.1
FITTS_B = 0.15
POINT_WIDTH = 40.0  # an empty-space click target is "anywhere in a 40 px patch"
REFRACTORY_S = 0.08  # pause after a click before the next aimed movement
MAX_CORRECTIONS = 2  # corrective submovements before clicking anyway
RANDOM_CLICK_P = 0.05  # the random bot presses about three times a second

# executor phases
PH_IDLE, PH_REACT, PH_MOVE, PH_CLICK, PH_RELEASE = 0, 1, 2, 3, 4


class BotState(NamedTuple):
    """Per-seat bot state and labels, ``[N, S]`` arrays (``action`` is ``[N, S, 4]``, ``rng`` ``[N * S]``)."""

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
    ph: np.ndarray
    timer: np.ndarray
    t: np.ndarray
    dur: np.ndarray
    sx: np.ndarray
    sy: np.ndarray
    ex: np.ndarray
    ey: np.ndarray
    act_kind: np.ndarray
    act_idx: np.ndarray
    act_wx: np.ndarray
    act_wy: np.ndarray
    cmd_x: np.ndarray
    cmd_y: np.ndarray
    corrections: np.ndarray
    rng: np.ndarray

    @classmethod
    def allocate(cls, num_envs: int) -> BotState:
        n, s = int(num_envs), core.MAX_SHIPS
        ints = {"mode", "target_kind", "target_idx", "ph", "act_kind", "act_idx", "corrections"}
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
        out[:, seat] = BOT_NAMES.index(name)
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
            b.ph[n, j] = PH_IDLE
            b.timer[n, j] = 0.0
            b.t[n, j] = 0.0
            b.dur[n, j] = 0.0
            b.sx[n, j] = core.VIEW_W * 0.5
            b.sy[n, j] = core.VIEW_H * 0.5
            b.ex[n, j] = core.VIEW_W * 0.5
            b.ey[n, j] = core.VIEW_H * 0.5
            b.act_kind[n, j] = TARGET_NONE
            b.act_idx[n, j] = -1
            b.act_wx[n, j] = 0.0
            b.act_wy[n, j] = 0.0
            b.cmd_x[n, j] = core.VIEW_W * 0.5
            b.cmd_y[n, j] = core.VIEW_H * 0.5
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


@njit(**NO_NRT)
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


@njit(**NO_NRT)
def _on_screen(s: core.ArenaState, n: int, j: int, x: float, y: float, margin: float) -> bool:
    sx, sy = core.world_to_screen(s, n, j, x, y)
    return margin <= sx <= core.VIEW_W - margin and margin <= sy <= core.VIEW_H - margin


@njit(**NO_NRT)
def _empty_point(s: core.ArenaState, n: int, j: int, wx: float, wy: float) -> tuple[float, float]:
    """(wx, wy) pulled onto the screen and the map, nudged off any object (a click there must fly, not lock)."""
    sx, sy = core.world_to_screen(s, n, j, wx, wy)
    sx = min(max(sx, 30.0), core.VIEW_W - 30.0)
    sy = min(max(sy, 30.0), core.VIEW_H - 30.0)
    wx, wy = core.screen_to_world(s, n, j, sx, sy)
    wx = min(max(wx, 10.0), core.MAP_W - 10.0)
    wy = min(max(wy, 10.0), core.MAP_H - 10.0)
    for attempt in range(8):
        kind, idx = core.hit_test(s, n, j, wx, wy)
        if kind == 0:
            break
        ang = attempt * 0.785
        wx = min(max(wx + 60.0 * math.cos(ang), 10.0), core.MAP_W - 10.0)
        wy = min(max(wy + 60.0 * math.sin(ang), 10.0), core.MAP_H - 10.0)
    return wx, wy


@njit(**NO_NRT)
def _expert_act(s: core.ArenaState, b: BotState, n: int, j: int, aimbot: bool) -> None:
    ox, oy = s.ship_x[n, j], s.ship_y[n, j]
    hull = s.ship_hull[n, j] / core.SHIP_HULL
    # ---- perception
    n_aggr = 0
    ax_sum, ay_sum = 0.0, 0.0
    vis_alien = False
    dps_in = 0.0
    near_x, near_y, near_d = ox, oy, 1e18
    for a in range(core.MAX_ALIENS):
        if not s.al_alive[n, a]:
            continue
        kind = s.al_kind[n, a]
        # aggressors that can shoot us soon; those trailing far behind a fleeing ship do not count
        if s.al_target[n, a] == j and core.hypot(s.al_x[n, a] - ox, s.al_y[n, a] - oy) <= (
                core.ALIEN_RANGE[kind] + THREAT_MARGIN):
            n_aggr += 1
            ax_sum += s.al_x[n, a]
            ay_sum += s.al_y[n, a]
            dps_in += core.ALIEN_DAMAGE[kind] * s.params[n, core.P_ALIEN_DMG] / core.ALIEN_FIRE_S
        if _on_screen(s, n, j, s.al_x[n, a], s.al_y[n, a], 20.0):
            vis_alien = True
            d = core.hypot(s.al_x[n, a] - ox, s.al_y[n, a] - oy)
            if d < near_d:
                near_x, near_y, near_d = s.al_x[n, a], s.al_y[n, a], d
    best_box, best_box_d, best_rep, best_rep_d = -1, 1e18, -1, 1e18
    for bb in range(core.MAX_BOXES):
        if s.box_alive[n, bb] and _on_screen(s, n, j, s.box_x[n, bb], s.box_y[n, bb], 20.0):
            d = core.hypot(s.box_x[n, bb] - ox, s.box_y[n, bb] - oy)
            if d < best_box_d:
                best_box, best_box_d = bb, d
            if s.box_kind[n, bb] == core.BOX_REPAIR and d < best_rep_d:
                best_rep, best_rep_d = bb, d

    # ---- strategist
    mode = b.mode[n, j]
    if n_aggr > 0:
        # seconds until the hull is gone if every aggressor keeps hitting (shield and hull pooled)
        time_to_die = (s.ship_hull[n, j] + s.ship_shield[n, j]) / max(dps_in, 1e-6)
        if hull < FLEE_HULL or time_to_die < FLEE_TIME_S or (
                (mode == MODE_FLEE or mode == MODE_REPAIR) and hull < REPAIR_HULL):
            mode = MODE_FLEE  # too weak or too outnumbered: run, and do not turn back until repaired
        else:
            mode = MODE_FIGHT
    elif hull < REPAIR_HULL or ((mode == MODE_REPAIR or mode == MODE_FLEE) and hull < REPAIRED_HULL):
        mode = MODE_REPAIR
    elif vis_alien:
        mode = MODE_FIGHT
    elif best_box >= 0:
        mode = MODE_LOOT
    else:
        mode = MODE_EXPLORE
    b.mode[n, j] = mode

    # ---- tactician: desired operation (kind, idx, world point) and whether it needs a click
    want_kind, want_idx, wx, wy = TARGET_NONE, -1, ox, oy
    attack = False
    if mode == MODE_FIGHT:
        tgt = -1
        if s.ship_lock_kind[n, j] == core.LOCK_ALIEN and s.al_alive[n, s.ship_lock_idx[n, j]]:
            tgt = s.ship_lock_idx[n, j]
        else:
            best = 1e18
            for a in range(core.MAX_ALIENS):
                if not s.al_alive[n, a]:
                    continue
                aggr = s.al_target[n, a] == j
                if not aggr and not _on_screen(s, n, j, s.al_x[n, a], s.al_y[n, a], 20.0):
                    continue
                d = core.hypot(s.al_x[n, a] - ox, s.al_y[n, a] - oy)
                # cheapest kill first: shots needed (x 150 units) plus distance; aggressors before others
                score = d + 150.0 * s.al_hp[n, a] / core.LASER_DAMAGE - (5000.0 if aggr else 0.0)
                if score < best:
                    best, tgt = score, a
        if tgt >= 0:
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
                far = core.hypot(s.ship_tx[n, j] - px, s.ship_ty[n, j] - py) > 150.0
                if not s.ship_moving[n, j] or far:
                    px, py = _empty_point(s, n, j, px, py)
                    want_kind, want_idx, wx, wy = TARGET_POINT, -1, px, py
            attack = locked
        else:
            b.target_kind[n, j] = TARGET_NONE
            b.target_idx[n, j] = -1
    elif mode == MODE_LOOT or (mode == MODE_REPAIR and best_rep >= 0):
        box = best_rep if mode == MODE_REPAIR else best_box
        b.target_kind[n, j] = TARGET_BOX
        b.target_idx[n, j] = box
        b.goal_x[n, j] = s.box_x[n, box]
        b.goal_y[n, j] = s.box_y[n, box]
        if s.ship_collect[n, j] != box:
            want_kind, want_idx, wx, wy = TARGET_BOX, box, s.box_x[n, box], s.box_y[n, box]
    elif mode == MODE_FLEE or (mode == MODE_REPAIR and near_d < REPAIR_KEEP_AWAY):
        # the escape point FLEE_STEP away (16 headings) that lies farthest from the nearest aggressor (repairing:
        # from the nearest alien on screen), kept off the map edge, ties toward the map centre
        best_score = -1e18
        px, py = ox, oy
        for h in range(16):
            ang = h * (2.0 * math.pi / 16.0)
            qx = ox + math.cos(ang) * FLEE_STEP
            qy = oy + math.sin(ang) * FLEE_STEP
            if qx < 80.0 or qy < 80.0 or qx > core.MAP_W - 80.0 or qy > core.MAP_H - 80.0:
                continue
            closest = 1e18
            if mode == MODE_FLEE:
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
            want_kind, want_idx, wx, wy = TARGET_POINT, -1, px, py
    elif mode == MODE_EXPLORE:
        k = n * core.MAX_SHIPS + j
        if core.hypot(b.explore_x[n, j] - ox, b.explore_y[n, j] - oy) < 120.0:
            b.explore_x[n, j] = 200.0 + uniform(b.rng, k) * (core.MAP_W - 400.0)
            b.explore_y[n, j] = 200.0 + uniform(b.rng, k) * (core.MAP_H - 400.0)
        gx, gy = b.explore_x[n, j], b.explore_y[n, j]
        d = max(core.hypot(gx - ox, gy - oy), 1e-6)
        step = min(d, 250.0)
        px = ox + (gx - ox) / d * step
        py = oy + (gy - oy) / d * step
        b.target_kind[n, j] = TARGET_POINT
        b.target_idx[n, j] = -1
        b.goal_x[n, j] = gx
        b.goal_y[n, j] = gy
        if not s.ship_moving[n, j]:
            px, py = _empty_point(s, n, j, px, py)
            want_kind, want_idx, wx, wy = TARGET_POINT, -1, px, py
    else:  # repair: hold still
        b.target_kind[n, j] = TARGET_NONE
        b.target_idx[n, j] = -1
        b.goal_x[n, j] = ox
        b.goal_y[n, j] = oy

    if mode == MODE_FLEE and s.ship_lock_kind[n, j] == core.LOCK_ALIEN:
        attack = True  # run and shoot: the laser works while flying
    _executor(s, b, n, j, want_kind, want_idx, wx, wy, aimbot)
    b.action[n, j, 3] = 1.0 if attack else 0.0


@njit(**NO_NRT)
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


@njit(**NO_NRT)
def _plan(b: BotState, n: int, j: int, k: int, curx: float, cury: float, x: float, y: float, vx: float,
          vy: float, r: float) -> None:
    """Plan one aimed movement: Fitts' time, led and scattered end point, minimum-jerk from the cursor."""
    w = 2.0 * r
    dist = core.hypot(x - curx, y - cury)
    mt = FITTS_A + FITTS_B * math.log2(dist / w + 1.0)
    b.sx[n, j] = curx
    b.sy[n, j] = cury
    # lead the target by its screen velocity over the movement, scatter inside it
    b.ex[n, j] = min(max(x + vx * mt + normal(b.rng, k) * w / 6.0, 0.0), core.VIEW_W)
    b.ey[n, j] = min(max(y + vy * mt + normal(b.rng, k) * w / 6.0, 0.0), core.VIEW_H)
    b.dur[n, j] = mt
    b.t[n, j] = 0.0


@njit(**NO_NRT)
def _executor(s: core.ArenaState, b: BotState, n: int, j: int, kind: int, idx: int, wx: float, wy: float,
              aimbot: bool) -> None:
    k = n * core.MAX_SHIPS + j
    curx, cury = s.ship_cursor_x[n, j], s.ship_cursor_y[n, j]
    click = 0.0
    ph = b.ph[n, j]
    # a new operation aborts the movement in progress; a new fly point does so only once the hand is idle (the
    # wanted point drifts with the ship while the hand moves, and chasing it would never let the hand click)
    new_object = kind != b.act_kind[n, j] or idx != b.act_idx[n, j]
    new_point = kind == TARGET_POINT and ph == PH_IDLE and core.hypot(wx - b.act_wx[n, j],
                                                                       wy - b.act_wy[n, j]) > 100.0
    if kind != TARGET_NONE and (new_object or new_point):
        if ph != PH_RELEASE:
            b.act_kind[n, j] = kind
            b.act_idx[n, j] = idx
            b.act_wx[n, j] = wx
            b.act_wy[n, j] = wy
            ph = PH_REACT
            b.timer[n, j] = 0.0 if aimbot else lognormal(b.rng, k, REACTION_MEDIAN_S, REACTION_SIGMA)
            b.cmd_x[n, j] = curx
            b.cmd_y[n, j] = cury
    elif kind == TARGET_NONE and (ph == PH_REACT or ph == PH_MOVE or ph == PH_CLICK):
        ph = PH_IDLE
        b.act_kind[n, j] = TARGET_NONE
        b.act_idx[n, j] = -1
    if ph == PH_REACT:
        b.timer[n, j] -= core.DT
        if b.timer[n, j] <= 0.0:
            x, y, vx, vy, r, ok = _object_state(s, n, j, b.act_kind[n, j], b.act_idx[n, j], b.act_wx[n, j],
                                                b.act_wy[n, j])
            if not ok:
                ph = PH_IDLE
            elif aimbot:
                ph = PH_MOVE
            else:
                b.corrections[n, j] = 0
                if b.act_kind[n, j] == TARGET_POINT:
                    vx = vy = 0.0  # a fly click aims at a spot on the screen, not at a moving object
                _plan(b, n, j, k, curx, cury, x, y, vx, vy, r)
                ph = PH_MOVE
    if ph == PH_MOVE:
        if aimbot:
            x, y, vx, vy, r, ok = _object_state(s, n, j, b.act_kind[n, j], b.act_idx[n, j], b.act_wx[n, j],
                                                b.act_wy[n, j])
            if not ok:
                ph = PH_IDLE
            else:
                # the click is tested after the cursor moves but before anything else does; a point that drifted
                # off the screen is clicked at the screen's edge (a fly click in that direction)
                b.ex[n, j] = min(max(x, 0.0), core.VIEW_W)
                b.ey[n, j] = min(max(y, 0.0), core.VIEW_H)
                b.cmd_x[n, j] = b.ex[n, j]
                b.cmd_y[n, j] = b.ey[n, j]
                step = s.params[n, core.P_CURSOR_SPEED] * core.DT
                if core.hypot(b.ex[n, j] - curx, b.ey[n, j] - cury) <= step:
                    click = 1.0
                    ph = PH_RELEASE
                    b.timer[n, j] = 0.0
        else:
            b.t[n, j] += core.DT
            tau = min(b.t[n, j] / max(b.dur[n, j], 1e-6), 1.0)
            sj = tau * tau * tau * (10.0 - 15.0 * tau + 6.0 * tau * tau)
            b.cmd_x[n, j] = b.sx[n, j] + (b.ex[n, j] - b.sx[n, j]) * sj
            b.cmd_y[n, j] = b.sy[n, j] + (b.ey[n, j] - b.sy[n, j]) * sj
            if tau >= 1.0:
                ph = PH_CLICK
                b.timer[n, j] = 0.1  # settle: wait at most 0.1 s for a lagging cursor
    elif ph == PH_CLICK:
        b.timer[n, j] -= core.DT
        if core.hypot(b.ex[n, j] - curx, b.ey[n, j] - cury) <= 1.0 or b.timer[n, j] <= 0.0:
            x, y, vx, vy, r, ok = _object_state(s, n, j, b.act_kind[n, j], b.act_idx[n, j], b.act_wx[n, j],
                                                b.act_wy[n, j])
            precise = b.act_kind[n, j] != TARGET_POINT  # "fly over there" needs no second look
            if ok and precise and core.hypot(x - curx, y - cury) > r and b.corrections[n, j] < MAX_CORRECTIONS:
                # the eye sees the cursor beside the target: a corrective submovement (Meyer et al. 1988)
                b.corrections[n, j] += 1
                _plan(b, n, j, k, curx, cury, x, y, vx, vy, r)
                ph = PH_MOVE
            else:
                click = 1.0
                ph = PH_RELEASE
                b.timer[n, j] = REFRACTORY_S
    elif ph == PH_RELEASE:
        b.timer[n, j] -= core.DT
        if b.timer[n, j] <= 0.0:
            ph = PH_IDLE
            b.act_kind[n, j] = TARGET_NONE
            b.act_idx[n, j] = -1
    b.ph[n, j] = ph
    cx = min(max(b.cmd_x[n, j], 0.0), core.VIEW_W)
    cy = min(max(b.cmd_y[n, j], 0.0), core.VIEW_H)
    b.aim_x[n, j] = b.ex[n, j]
    b.aim_y[n, j] = b.ey[n, j]
    b.action[n, j, 0] = cx / core.VIEW_W
    b.action[n, j, 1] = cy / core.VIEW_H
    b.action[n, j, 2] = click
