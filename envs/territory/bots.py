"""Scripted Territory players as ``@njit`` policies over the core state.

Every policy reads the state of one env and writes one action ``(mode, code, intensity)`` (see
``core``'s docstring). Randomness comes from the env's own ``rng_state`` so a game with bots is still a
pure function of its seed.

=============  ====  ========================================================================================
policy         id    behaviour
=============  ====  ========================================================================================
random         0     uniform over the valid direction actions (WAIT included), every decision
expander       1     grabs neutral land at 30 % once its pool is 10 % of the cap; when none is left it
                     attacks the weakest neighbour it outnumbers
aggressor      2     hits the weakest bordering enemy with 60 % once it has 1.2x that enemy's troops and a
                     30 % full pool; otherwise expands at 15 %
turtle         3     banks troops until 90 % of its cap, then strikes with 75 %: the weakest neighbour it
                     outnumbers, else neutral land
nation         4     after OpenFront's nations: answers the largest attack on it first (striking back cancels
                     it), keeping 15 % of its cap; otherwise waits for 55 % of its cap, then grabs neutral land
                     keeping 15 %, or hits the neighbour with the fewest troops per tile keeping a 35 % reserve
=============  ====  ========================================================================================

``opponents="mixed"`` assigns the opponents, in seat order, Territory-v2's cycle nation, aggressor, expander,
turtle, nation, ... (v1's: expander, aggressor, turtle, random, expander, ...). v2's cycle drops random (a free
kill) and seats a nation; from seat 0 on 24 seeds against it the nation wins 54 %, the aggressor 17 % (about a
fair fifth), turtle 4 %, expander and random none (``examples/territory_bot_table.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from botarena.envs.common import rng
from botarena.envs.common.jit import NO_NRT, kernel_helper

from . import core, observe

BOT_NONE = -1
BOT_RANDOM = 0
BOT_EXPANDER = 1
BOT_AGGRESSOR = 2
BOT_TURTLE = 3
BOT_NATION = 4
BOT_NAMES = ("random", "expander", "aggressor", "turtle", "nation")
MIXED_CYCLE_V1 = (BOT_EXPANDER, BOT_AGGRESSOR, BOT_TURTLE, BOT_RANDOM)
MIXED_CYCLE_V2 = (BOT_NATION, BOT_AGGRESSOR, BOT_EXPANDER, BOT_TURTLE)

# Thresholds (ours), as fractions of the troop cap or of troop ratios; see the table above.
EXPANDER_MIN_FILL = 0.10
AGGRESSOR_MIN_FILL = 0.30
AGGRESSOR_EDGE = 1.2
TURTLE_STRIKE_FILL = 0.90
NATION_TRIGGER_FILL = 0.55  # acts once its troops reach this share of the cap
NATION_RESERVE_FILL = 0.35  # keeps this share of the cap home when it attacks a player
NATION_KEEP_FILL = 0.15  # keeps this share home when it expands or strikes back

# The fixed intensities (``core.INTENSITY_PERCENT`` indices) and codes the bots pass to other kernels. They are
# np.int64, not Python ints, on purpose: numba compiles one copy of a kernel per literal int argument, and literal
# intensities once made ten copies of ``_try_cell`` (about half a minute of a cold compile).
EXPANDER_NEUTRAL_INTENSITY = np.int64(1)
EXPANDER_ENEMY_INTENSITY = np.int64(2)
AGGRESSOR_NEUTRAL_INTENSITY = np.int64(0)
AGGRESSOR_ENEMY_INTENSITY = np.int64(3)
TURTLE_INTENSITY = np.int64(4)
NEUTRAL_TARGET = np.int64(core.NEUTRAL)
CELL_MODE = np.int64(core.MODE_CELL)


def mixed_cycle(rules: int) -> tuple[int, ...]:
    """The bots ``opponents="mixed"`` seats in turn under rule set ``rules``."""
    return MIXED_CYCLE_V1 if rules == core.RULES_V1 else MIXED_CYCLE_V2


def policy_ids(opponents: str | list[str] | tuple[str, ...], num_players: int, learner_seat: int = 0,
               rules: int = core.LATEST_RULES) -> np.ndarray:
    """Policy id per seat (int8 [P]); the learner's seat gets ``BOT_NONE``.

    ``opponents`` is ``"mixed"`` (the cycle of rule set ``rules``), one bot name for every opponent, or a list of
    ``num_players - 1`` names.
    """
    names = BOT_NAMES
    ids = np.full(num_players, BOT_NONE, np.int8)
    seats = [p for p in range(num_players) if p != learner_seat]
    if isinstance(opponents, str):
        if opponents == "mixed":
            cycle = mixed_cycle(rules)
            chosen = [cycle[i % len(cycle)] for i in range(len(seats))]
        elif opponents in names:
            chosen = [names.index(opponents)] * len(seats)
        else:
            raise ValueError(f"opponents must be 'mixed', one of {list(names)} or a list of those, got {opponents!r}")
    else:
        opponents = list(opponents)
        if len(opponents) != len(seats) or any(o not in names for o in opponents):
            raise ValueError(
                f"opponents list must hold {len(seats)} names from {list(names)}, got {opponents!r}"
            )
        chosen = [names.index(o) for o in opponents]
    for seat, pid in zip(seats, chosen, strict=True):
        ids[seat] = pid
    return ids


@njit(cache=True, nogil=True, inline="always")
def _wait(actions, n, p):
    actions[n, p, 0] = core.MODE_DIRECTION
    actions[n, p, 1] = core.WAIT
    actions[n, p, 2] = 0


# Helpers take one env's rows of the state arrays (``owner_n = s.owner[n]``, as in ``core``) rather than the
# state tuple: a call that is not inlined passes every array of the tuple, several times per decision.
@kernel_helper
def _scan_frontier_rows(owner_n, b_end_n, b_list_n, mark_n, stamp, cand_n, n, p):
    """One walk of ``p``'s border: frontier cells into ``cand_n[:count]``, packed with their owners
    (``core.collect_frontier``).

    Returns (count, neutral cells, bit q set iff player q owns a frontier cell). Each bot walks its border
    at most once per decision; the picks below reuse the list (and read owners from it, not from the map).
    """
    visit = core.next_stamp(mark_n, stamp, n)
    count = core.collect_frontier(owner_n, b_end_n, b_list_n, mark_n, cand_n, visit, p, True)
    neutral = 0
    bits = 0
    for i in range(count):
        o = (cand_n[i] & core.OWNER_MASK) - core.OWNER_BIAS
        if o == core.NEUTRAL:
            neutral += 1
        else:
            bits |= 1 << int(o)
    return count, neutral, bits


@njit(cache=True, nogil=True, inline="always")
def _scan_frontier(s, n, p):
    return _scan_frontier_rows(s.owner[n], s.b_end[n], s.b_list[n], s.mark[n], s.stamp, s.cand[n], n, p)


@kernel_helper
def _pick_cell(cand_n, rng_state, n, count, target):
    """A uniformly drawn cell of the packed frontier ``cand_n[:count]`` owned by ``target`` (-1 when none)."""
    tag = target + core.OWNER_BIAS
    matches = np.int64(0)
    for i in range(count):
        if cand_n[i] & core.OWNER_MASK == tag:
            matches += 1
    if matches == 0:
        return -1
    pick = rng.randint(rng_state, n, matches)
    for i in range(count):
        if cand_n[i] & core.OWNER_MASK == tag:
            if pick == 0:
                return cand_n[i] >> core.OWNER_BITS
            pick -= 1
    return -1


@kernel_helper
def _try_cell(s, actions, n, p, count, target, intensity):
    """Aim at a random frontier cell of ``target``; WAIT when that launch would be invalid."""
    cell = _pick_cell(s.cand[n], s.rng_state, n, count, target)
    if cell >= 0:
        ok, _, _, _, _ = core.resolve_action(s, n, p, CELL_MODE, cell, intensity)
        if ok:
            actions[n, p, 0] = core.MODE_CELL
            actions[n, p, 1] = cell
            actions[n, p, 2] = intensity
            return True
    _wait(actions, n, p)
    return False


@njit(cache=True, nogil=True, inline="always")
def _weakest(s, n, bits):
    best = np.int64(-1)
    for q in range(s.troops.shape[1]):
        if (bits >> q) & 1 and (best < 0 or s.troops[n, q] < s.troops[n, best]):
            best = q
    return best


@kernel_helper
def random_policy(s, n, p, actions, scratch):
    observe.direction_mask_one(s, n, p, scratch)
    valid = np.int64(0)
    for i in range(scratch.shape[0]):
        valid += scratch[i]
    pick = rng.randint(s.rng_state, n, valid)
    for i in range(scratch.shape[0]):
        if scratch[i]:
            if pick == 0:
                actions[n, p, 0] = core.MODE_DIRECTION
                actions[n, p, 1] = i // core.NUM_INTENSITIES
                actions[n, p, 2] = i % core.NUM_INTENSITIES
                return
            pick -= 1


@kernel_helper
def expander_policy(s, n, p, actions):
    troops = s.troops[n, p]
    cap = core.max_troops(s.tiles[n, p], s.cities[n, p], s.tile_scale[n])
    if troops < EXPANDER_MIN_FILL * cap:
        _wait(actions, n, p)
        return
    count, neutral, bits = _scan_frontier(s, n, p)
    if neutral > 0:
        _try_cell(s, actions, n, p, count, NEUTRAL_TARGET, EXPANDER_NEUTRAL_INTENSITY)
        return
    q = _weakest(s, n, bits)
    if q >= 0 and troops > AGGRESSOR_EDGE * s.troops[n, q]:
        _try_cell(s, actions, n, p, count, q, EXPANDER_ENEMY_INTENSITY)
        return
    _wait(actions, n, p)


@kernel_helper
def aggressor_policy(s, n, p, actions):
    troops = s.troops[n, p]
    cap = core.max_troops(s.tiles[n, p], s.cities[n, p], s.tile_scale[n])
    if troops < 2 * EXPANDER_MIN_FILL * cap:
        _wait(actions, n, p)  # below both thresholds below: skip the border walk
        return
    count, neutral, bits = _scan_frontier(s, n, p)
    q = _weakest(s, n, bits)
    if q >= 0 and troops >= AGGRESSOR_MIN_FILL * cap and troops > AGGRESSOR_EDGE * s.troops[n, q]:
        _try_cell(s, actions, n, p, count, q, AGGRESSOR_ENEMY_INTENSITY)
        return
    if neutral > 0:
        _try_cell(s, actions, n, p, count, NEUTRAL_TARGET, AGGRESSOR_NEUTRAL_INTENSITY)
        return
    _wait(actions, n, p)


@kernel_helper
def turtle_policy(s, n, p, actions):
    troops = s.troops[n, p]
    cap = core.max_troops(s.tiles[n, p], s.cities[n, p], s.tile_scale[n])
    if troops < TURTLE_STRIKE_FILL * cap:
        _wait(actions, n, p)
        return
    count, neutral, bits = _scan_frontier(s, n, p)
    q = _weakest(s, n, bits)
    if q >= 0 and 0.75 * troops > s.troops[n, q]:
        if _try_cell(s, actions, n, p, count, q, TURTLE_INTENSITY):
            return
    if neutral > 0:
        _try_cell(s, actions, n, p, count, NEUTRAL_TARGET, TURTLE_INTENSITY)
        return
    if q >= 0:
        _try_cell(s, actions, n, p, count, q, TURTLE_INTENSITY)
        return
    _wait(actions, n, p)


@kernel_helper
def _intensity_keeping(troops, cap, keep):
    """The largest intensity that leaves at least ``keep`` of the cap at home (-1 when none does)."""
    best = -1
    for k in range(core.NUM_INTENSITIES):
        if troops - troops * core.INTENSITY_PERCENT[k] // 100 >= keep * cap:
            best = k
    return best


@kernel_helper
def _largest_attacker(s, n, p):
    """The player whose attack on ``p`` holds the most troops (-1 when nobody attacks ``p``)."""
    attacker = -1
    most = 0
    for q in range(s.troops.shape[1]):
        for a in range(core.MAX_ATTACKS):
            if s.att_target[n, q, a] == p and s.att_troops[n, q, a] > most:
                most = s.att_troops[n, q, a]
                attacker = q
    return attacker


@kernel_helper
def nation_policy(s, n, p, actions):
    troops = s.troops[n, p]
    cap = core.max_troops(s.tiles[n, p], s.cities[n, p], s.tile_scale[n])
    attacker = _largest_attacker(s, n, p)
    if attacker < 0 and troops < NATION_TRIGGER_FILL * cap:
        _wait(actions, n, p)
        return
    count, neutral, bits = _scan_frontier(s, n, p)
    if attacker >= 0 and (bits >> attacker) & 1:
        k = _intensity_keeping(troops, cap, NATION_KEEP_FILL)
        if k >= 0 and _try_cell(s, actions, n, p, count, attacker, k):
            return
    if troops < NATION_TRIGGER_FILL * cap:
        _wait(actions, n, p)
        return
    if neutral > 0:
        _try_cell(s, actions, n, p, count, NEUTRAL_TARGET, max(_intensity_keeping(troops, cap, NATION_KEEP_FILL), 0))
        return
    weakest = np.int64(-1)
    for q in range(s.troops.shape[1]):
        if (bits >> q) & 1 and (weakest < 0 or s.troops[n, q] * max(s.tiles[n, weakest], 1)
                                < s.troops[n, weakest] * max(s.tiles[n, q], 1)):
            weakest = q  # fewest troops per tile
    k = _intensity_keeping(troops, cap, NATION_RESERVE_FILL)
    if weakest >= 0 and k >= 0:
        _try_cell(s, actions, n, p, count, weakest, k)
        return
    _wait(actions, n, p)


def bot_actions(s: core.TerritoryState, policies: np.ndarray, actions: np.ndarray,
                active: np.ndarray | None = None, scratch: np.ndarray | None = None) -> None:
    """Write an action for every seat whose ``policies[n, p]`` is a bot id; ``BOT_NONE`` seats are untouched.

    ``policies``: int8 [N, P]; ``actions``: int64 [N, P, 3]; ``active``: optional bool [N], envs to skip are
    0 (their RNG does not advance). Dead players and finished games get WAIT. ``scratch``: optional int8 [45]
    work row from ``new_scratch()`` (one per thread; allocated per call when omitted).
    """
    if active is None:
        active = np.ones(s.owner.shape[0], np.uint8)
    if scratch is None:
        scratch = new_scratch()
    bot_kernel_scratch(s, policies, actions, active, scratch)


def new_scratch() -> np.ndarray:
    """A scratch row for ``bot_actions`` (int8 [45]); an env keeps one so stepping allocates nothing."""
    return np.zeros(core.NUM_INTENSITIES * (core.NUM_DIRECTIONS + 1), np.int8)


@njit(**NO_NRT)
def bot_kernel_scratch(s, policies, actions, active, scratch):
    """The jitted body of ``bot_actions``: ``scratch`` int8 [45] is the caller's (no allocation per call)."""
    num_envs = s.owner.shape[0]
    num_p = s.troops.shape[1]
    for n in range(num_envs):
        if not active[n]:
            continue
        for p in range(num_p):
            pid = policies[n, p]
            if pid == BOT_NONE:
                continue
            if s.done[n] or not s.alive[n, p]:
                _wait(actions, n, p)
            elif pid == BOT_RANDOM:
                random_policy(s, n, p, actions, scratch)
            elif pid == BOT_EXPANDER:
                expander_policy(s, n, p, actions)
            elif pid == BOT_AGGRESSOR:
                aggressor_policy(s, n, p, actions)
            elif pid == BOT_TURTLE:
                turtle_policy(s, n, p, actions)
            else:
                nation_policy(s, n, p, actions)
