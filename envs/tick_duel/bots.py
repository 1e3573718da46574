"""Scripted TickDuel players: numba policies that emit the same input events a human player makes.

A bot never touches the game state directly, and draws its randomness from its own per-seat stream
(``DuelState.bot_rng``), so a game is a function of the seed and the events alone: recorded events replay
exactly without the bot that made them. Every tick it looks at the state as the client shows it at the
start of the tick, makes a *plan* (an ordered list of UI actions: a key press or a click on a screen rectangle
of the layout in ``core``), and a *motor model* turns the plan into timed events, which the same UI code as a
player's events interprets. What does not fit in the tick's 600 ms is dropped and planned again next tick.

=================  ====  ======================================================================================
bot                id    behaviour
=================  ====  ======================================================================================
random             0     0-12 events a tick, uniform types, times and screen positions
nh_expert          1     the NH ("no honour") expert with the ``average`` motor style (below)
nh_expert:fast     2     the same decisions with the ``fast`` motor style
nh_expert:sloppy   3     the same decisions with the ``sloppy`` motor style (slow, misses, lapses)
tick_perfect       4     the same decisions executed instantly: clicks at target centres 1 ms apart, no
                         movement, no lapses (a ceiling, not a human)
=================  ====  ======================================================================================

The expert's decisions, in order of priority each tick: (1) pray against the style of the weapon the opponent
wields; (2) eat a shark below 55 % hitpoints, and a karambwan in the same tick below 40 %; (3) attack
off-prayer: a special attack for the kill (opponent at or below 50 % and not praying melee, enough energy), else
an ice barrage when the opponent can be frozen and is not praying magic, else the style the opponent does not
protect against (the worn one when possible, to avoid switches; melee only when adjacent or free to walk),
switching gear item by item from the inventory and clicking the opponent; (4) the boost prayer of that style.

Under TickDuel-v1's rules (``core``'s *Rules v1*) the same expert also: eats an anglerfish (not a shark), then in
the same tick drinks a Saradomin brew below 45 % hitpoints, a super restore when prayer is under 35 % or a level
is drained by 8, a super combat or ranging potion when healthy and unboosted, then the karambwan (the only order
the three go down in one tick); stacks: with its bolt or barrage in flight landing at this boundary (next, when
the opponent acts first), in melee reach and the opponent not praying melee, it wields the granite maul and arms
its instant special so both land as one hitsplat; specs with the voidwaker only when the opponent does not pray
magic (its damage is magic); switches the boost prayer on only for the tick its attack launches and off after;
and on a tick with nothing else to do, 1-tick flicks its protection prayer (off and on again) so it drains
nothing.

Motor model (sources: reaction times are lognormal with a median near 250 ms [Luce 1986]; movement time
follows Fitts' law ``MT = a + b log2(D / W + 1)`` [Fitts 1954; MacKenzie 1992]; mouse paths follow the
minimum-jerk profile ``s(tau) = 10 tau^3 - 15 tau^4 + 6 tau^5`` [Flash & Hogan 1985]; mice report moves every
16-50 ms; click scatter is Gaussian with sd ``W / 6`` inside the target. The pieces are the shared kernels of
``envs/common/motor.py``):

========  ===========  ========  ==========  ==========  =========  =========  =========  =========  =========
style     reaction     sigma     Fitts a     Fitts b     scatter    clipped    hotkeys    gap        lapse
                                                         sd         inside     prob.      median     prob.
========  ===========  ========  ==========  ==========  =========  =========  =========  =========  =========
fast      170 ms       0.20      40 ms       70 ms/bit   W / 6      yes        1.0        35 ms      0.00
average   250 ms       0.30      60 ms       110 ms/bit  W / 6      yes        0.8        70 ms      0.05
sloppy    380 ms       0.40      90 ms       160 ms/bit  W / 4      no         0.4        130 ms     0.15
========  ===========  ========  ==========  ==========  =========  =========  =========  =========  =========

``reaction`` delays the first action of a tick after a stimulus (the opponent switched weapons or hit us at the
last boundary); a plan that only continues earlier work starts after a ``gap``, the lognormal pause between two
actions. ``lapse`` the chance per tick of missing the prayer switch.
When there is nothing to do the hand rests (no event) or drifts: a few small MOVEs with long (> 150 ms) gaps.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from botarena.envs.common import motor, rng
from botarena.envs.common.jit import NO_NRT, kernel_helper

from . import core
from .core import DuelState

BOT_NONE = -1
BOT_RANDOM, BOT_NH_EXPERT, BOT_NH_FAST, BOT_NH_SLOPPY, BOT_TICK_PERFECT = range(5)
BOT_NAMES = ("random", "nh_expert", "nh_expert:fast", "nh_expert:sloppy", "tick_perfect")
# Motor style per bot id: row index into MOTOR (fast 0, average 1, sloppy 2; tick_perfect uses none).
STYLE_OF_BOT = np.array([1, 1, 0, 2, 1], np.int64)
M_REACT, M_REACT_SIGMA, M_FITTS_A, M_FITTS_B, M_SCATTER, M_CLIP, M_HOTKEY, M_GAP, M_GAP_SIGMA, M_LAPSE = range(10)
MOTOR = np.array([
    [170.0, 0.20, 40.0, 70.0, 6.0, 1.0, 1.0, 35.0, 0.3, 0.00],
    [250.0, 0.30, 60.0, 110.0, 6.0, 1.0, 0.8, 70.0, 0.4, 0.05],
    [380.0, 0.40, 90.0, 160.0, 4.0, 0.0, 0.4, 130.0, 0.5, 0.15],
])
MAX_PLAN = 24
PLAN_KEY, PLAN_CLICK, PLAN_DOUBLE_CLICK = 0, 1, 2  # a double click is made whole or not at all (a flick)
EAT_BELOW, COMBO_BELOW, SPEC_BELOW = 0.55, 0.40, 0.50
# Rules v1: brew below this hitpoints fraction; restore below this prayer fraction or this many levels drained.
BREW_BELOW, RESTORE_PRAYER_BELOW, RESTORE_DRAINED_LEVELS = 0.45, 0.35, 8
LAST_EVENT_MS = 599.0  # events are emitted strictly inside the tick
KEY_HOLD_MEDIAN_MS, KEY_HOLD_SIGMA = 70.0, 0.3  # how long a hotkey is held down, lognormal


def bot_id(name: str) -> int:
    """The id of a bot name, with a clear error."""
    if name not in BOT_NAMES:
        raise ValueError(f"bot must be one of {list(BOT_NAMES)}, got {name!r}")
    return BOT_NAMES.index(name)


def new_plan() -> np.ndarray:
    """Scratch for one plan: float64 [MAX_PLAN, 6] rows (kind, key, x, y, w, h)."""
    return np.zeros((MAX_PLAN, 6), np.float64)


# ---------------------------------------------------------------------------------------------- planning
@kernel_helper
def _add_click(plan: np.ndarray, n: int, rect: tuple[float, float, float, float], kind: int = PLAN_CLICK) -> int:
    if n >= plan.shape[0]:
        return n
    plan[n, 0] = kind
    plan[n, 1] = 0.0
    plan[n, 2] = rect[0]
    plan[n, 3] = rect[1]
    plan[n, 4] = rect[2]
    plan[n, 5] = rect[3]
    return n + 1


@kernel_helper
def _open_tab(s: DuelState, i: int, p: int, plan: np.ndarray, n: int, tab: int, cur: int,
              hotkey_prob: float) -> int:
    """Plan opening ``tab`` (F-key or tab button) unless ``cur`` is already it."""
    if cur == tab or n >= plan.shape[0]:
        return n
    if rng.uniform(s.bot_rng[i], p) < hotkey_prob:
        plan[n, 0] = PLAN_KEY
        plan[n, 1] = tab + 1.0
        return n + 1
    return _add_click(plan, n, core.tab_button_rect(tab))


@kernel_helper
def _find_potion(s: DuelState, i: int, p: int, kind: int) -> int:
    """The slot of the potion ``kind`` with the fewest doses left (a player finishes a started one first)."""
    best = -1
    for k in range(core.INVENTORY_SLOTS):
        item = s.inventory[i, p, k]
        if core.ITEM_POTION[item] != kind:
            continue
        if best < 0 or core.ITEM_DOSES[item] < core.ITEM_DOSES[s.inventory[i, p, best]]:
            best = k
    return best


@kernel_helper
def _click_item(s: DuelState, i: int, p: int, plan: np.ndarray, n: int, slot: int, tab: int,
                hotkey_prob: float) -> int:
    n = _open_tab(s, i, p, plan, n, core.TAB_INVENTORY, tab, hotkey_prob)
    return _add_click(plan, n, core.inventory_slot_rect(slot))


@kernel_helper
def _plan_potion(s: DuelState, i: int, p: int, frac: float) -> int:
    """Rules v1: the potion to drink this tick (``POT_*``), or -1: a brew when low, a restore when prayer or
    levels are drained, combat and ranging boosts when healthy and unboosted."""
    if s.pot_timer[i, p] > 0:
        return -1
    if frac < BREW_BELOW and _find_potion(s, i, p, core.POT_BREW) >= 0:
        return core.POT_BREW
    drained = False
    for stat in (core.S_ATT, core.S_STR, core.S_DEF, core.S_RNG, core.S_MAG):
        if s.stats[i, p, stat] <= core.base_level(s, i, p, stat) - RESTORE_DRAINED_LEVELS:
            drained = True
    if (drained or s.prayer[i, p] < RESTORE_PRAYER_BELOW * core.base_level(s, i, p, core.S_PRAY)) \
            and _find_potion(s, i, p, core.POT_RESTORE) >= 0:
        return core.POT_RESTORE
    if frac >= EAT_BELOW:
        if s.stats[i, p, core.S_STR] <= core.base_level(s, i, p, core.S_STR) \
                and _find_potion(s, i, p, core.POT_COMBAT) >= 0:
            return core.POT_COMBAT
        if s.stats[i, p, core.S_RNG] <= core.base_level(s, i, p, core.S_RNG) \
                and _find_potion(s, i, p, core.POT_RANGING) >= 0:
            return core.POT_RANGING
    return -1


@kernel_helper
def _stack_now(s: DuelState, i: int, p: int) -> bool:
    """Rules v1: whether an instant melee special made at this boundary lands with one of our bolts or barrages
    already in flight (a melee hit lands this tick, or next when the opponent acts first)."""
    o = 1 - p
    land = s.tick[i] + (1 if s.pid_first[i] == o else 0)
    for k in range(core.MAX_PENDING_HITS):
        if s.hit_tick[i, o, k] == land and s.hit_style[i, o, k] != core.MELEE:
            return True
    return False


@kernel_helper
def plan_nh(s: DuelState, i: int, p: int, plan: np.ndarray, hotkey_prob: float, lapse: float) -> int:
    """The NH expert's plan for this tick (see the module docstring); returns the number of plan rows."""
    o = 1 - p
    n = 0
    b = s.build[i, p]
    tab = s.open_tab[i, p]
    opp_weapon = s.equipment[i, o, core.SLOT_WEAPON]
    opp_style = core.ITEM_STYLE[opp_weapon]
    if opp_style < 0:
        opp_style = core.MELEE
    # 1. Protection prayer against the opponent's weapon.
    if s.prayer[i, p] > 0 and s.protect[i, p] != opp_style and rng.uniform(s.bot_rng[i], p) >= lapse:
        n = _open_tab(s, i, p, plan, n, core.TAB_PRAYER, tab, hotkey_prob)
        tab = core.TAB_PRAYER
        n = _add_click(plan, n, core.prayer_rect(core.protect_cell(opp_style)))
    # 2. Food (v1: then a potion, in the order all three may go down in one tick).
    v1 = s.rules[i] >= core.RULES_V1
    frac = s.hp[i, p] / float(s.stats[i, p, core.S_HP])
    if frac < EAT_BELOW and s.eat_timer[i, p] <= 0:
        slot = core.find_item(s, i, p, core.MAIN_FOOD_BY_RULES[s.rules[i]])
        if slot >= 0:
            n = _click_item(s, i, p, plan, n, slot, tab, hotkey_prob)
            tab = core.TAB_INVENTORY
    potion = _plan_potion(s, i, p, frac) if v1 else -1
    if potion >= 0:
        n = _click_item(s, i, p, plan, n, _find_potion(s, i, p, potion), tab, hotkey_prob)
        tab = core.TAB_INVENTORY
    if frac < COMBO_BELOW and s.combo_timer[i, p] <= 0:
        slot = core.find_item(s, i, p, core.ITEM_KARAMBWAN)
        if slot >= 0:
            n = _open_tab(s, i, p, plan, n, core.TAB_INVENTORY, tab, hotkey_prob)
            tab = core.TAB_INVENTORY
            n = _add_click(plan, n, core.inventory_slot_rect(slot))
    # 3. The attack.
    opp_frac = s.hp[i, o] / float(s.stats[i, o, core.S_HP])
    opp_protect = s.protect[i, o]
    adjacent = core.in_range(s, i, p, core.MELEE)
    melee_ok = adjacent or s.frozen[i, p] == 0
    spec_weapon = core.GEAR_SETS[b, core.SET_SPEC, core.SLOT_WEAPON]
    # v1: the voidwaker's special is magic damage, so it goes in when the opponent does not pray magic.
    spec_style = core.MAGIC if v1 and core.ITEM_SPEC_MAGIC[spec_weapon] == 1 else core.MELEE
    maul = core.ITEM_GRANITE_MAUL
    wields_maul = s.equipment[i, p, core.SLOT_WEAPON] == maul
    # Two-handed: wielding it puts the shield in a free slot, so without one the maul stays in the bag.
    has_maul = v1 and (wields_maul or (core.find_item(s, i, p, maul) >= 0 and (
        s.equipment[i, p, core.SLOT_SHIELD] == core.ITEM_EMPTY or core.find_item(s, i, p, core.ITEM_EMPTY) >= 0)))
    if has_maul and adjacent and s.spec[i, p] >= core.ITEM_SPEC_COST[maul] and opp_protect != core.MELEE \
            and _stack_now(s, i, p):
        # 3a (v1). The stack: the granite maul's instant special lands with our bolt or barrage in flight.
        if s.equipment[i, p, core.SLOT_WEAPON] != maul:
            n = _click_item(s, i, p, plan, n, core.find_item(s, i, p, maul), tab, hotkey_prob)
            tab = core.TAB_INVENTORY
        if s.spec_armed[i, p] == 0 or s.equipment[i, p, core.SLOT_WEAPON] != maul:
            n = _add_click(plan, n, (float(core.SPEC_ORB[0]), float(core.SPEC_ORB[1]), float(core.SPEC_ORB[2]),
                                     float(core.SPEC_ORB[3])))
        return _plan_boost(s, i, p, plan, n, core.MELEE, True, tab, hotkey_prob)
    kind = -1
    if opp_frac <= SPEC_BELOW and s.spec[i, p] >= core.ITEM_SPEC_COST[spec_weapon] and opp_protect != spec_style \
            and melee_ok:
        kind = core.SET_SPEC
    elif s.frozen[i, o] == 0 and s.freeze_immune[i, o] == 0 and opp_protect != core.MAGIC \
            and s.stats[i, p, core.S_MAG] >= core.SPELL_LEVEL[core.SPELL_ICE_BARRAGE] \
            and s.pending_spell[i, p] != core.SPELL_ICE_BARRAGE and s.attack_timer[i, p] <= 1:
        kind = core.SET_MAGIC
    else:
        worn = core.ITEM_STYLE[s.equipment[i, p, core.SLOT_WEAPON]]
        if worn < 0:
            worn = core.MELEE
        if worn != opp_protect and (worn != core.MELEE or melee_ok) and s.equipment[i, p, core.SLOT_WEAPON] \
                != spec_weapon and s.equipment[i, p, core.SLOT_WEAPON] != maul:
            kind = worn  # SET_MELEE, SET_RANGED and SET_MAGIC equal the style ids
        else:
            for style in (core.RANGED, core.MAGIC, core.MELEE):
                if style != opp_protect and (style != core.MELEE or melee_ok):
                    kind = style
                    break
    freeze = kind == core.SET_MAGIC and s.frozen[i, o] == 0 and s.freeze_immune[i, o] == 0 \
        and opp_protect != core.MAGIC and s.stats[i, p, core.S_MAG] >= core.SPELL_LEVEL[core.SPELL_ICE_BARRAGE] \
        and s.pending_spell[i, p] != core.SPELL_ICE_BARRAGE and s.attack_timer[i, p] <= 1
    switched = False
    if kind >= 0:
        for slot in range(core.EQUIP_SLOTS):
            want = core.GEAR_SETS[b, kind, slot]
            if want != core.ITEM_EMPTY and s.equipment[i, p, slot] != want:
                k = core.find_item(s, i, p, want)
                if k >= 0:
                    n = _open_tab(s, i, p, plan, n, core.TAB_INVENTORY, tab, hotkey_prob)
                    tab = core.TAB_INVENTORY
                    n = _add_click(plan, n, core.inventory_slot_rect(k))
                    switched = True
        opp_tile = core.tile_rect(core.view_x(p, s.pos_x[i, o]), core.view_y(p, s.pos_y[i, o]))
        if kind == core.SET_SPEC:
            if s.spec_armed[i, p] == 0 or switched:
                n = _add_click(plan, n, (float(core.SPEC_ORB[0]), float(core.SPEC_ORB[1]), float(core.SPEC_ORB[2]),
                                         float(core.SPEC_ORB[3])))
            n = _add_click(plan, n, opp_tile)
        elif freeze:
            if s.selected_spell[i, p] != core.SPELL_ICE_BARRAGE:  # selected last tick: only the target is left
                n = _open_tab(s, i, p, plan, n, core.TAB_MAGIC, tab, hotkey_prob)
                tab = core.TAB_MAGIC
                n = _add_click(plan, n, core.spell_rect(core.SPELL_ICE_BARRAGE))
            n = _add_click(plan, n, opp_tile)
        elif s.target[i, p] == 0 or switched:
            n = _add_click(plan, n, opp_tile)
        # 4. The boost prayer of the attack style (v1: only for the tick the attack launches, then off again).
        style = core.MELEE if kind == core.SET_SPEC else kind
        n = _plan_boost(s, i, p, plan, n, style, not v1 or s.attack_timer[i, p] <= 1 or switched, tab,
                        hotkey_prob)
    # 5 (v1). Nothing else to do (so the tab is still the one open): a 1-tick flick of the protection prayer
    # (off and on again, a double click the hand makes whole or not at all), so it drains nothing.
    if v1 and n == 0 and s.prayer[i, p] > 0 and s.protect[i, p] == opp_style:
        n = _open_tab(s, i, p, plan, n, core.TAB_PRAYER, tab, hotkey_prob)
        n = _add_click(plan, n, core.prayer_rect(core.protect_cell(opp_style)), PLAN_DOUBLE_CLICK)
    return n


@kernel_helper
def _plan_boost(s: DuelState, i: int, p: int, plan: np.ndarray, n: int, style: int, want: bool, tab: int,
                hotkey_prob: float) -> int:
    """The boost prayer of ``style`` on when ``want``; under v1 any boost off otherwise (lazy flicking: a boost
    switched on in the tick of the attack drains nothing)."""
    if s.prayer[i, p] <= 0:
        return n
    if want and s.boost[i, p] != style:
        n = _open_tab(s, i, p, plan, n, core.TAB_PRAYER, tab, hotkey_prob)
        return _add_click(plan, n, core.prayer_rect(core.boost_cell(style)))
    if not want and s.rules[i] >= core.RULES_V1 and s.boost[i, p] != core.NO_STYLE:
        n = _open_tab(s, i, p, plan, n, core.TAB_PRAYER, tab, hotkey_prob)
        return _add_click(plan, n, core.prayer_rect(core.boost_cell(s.boost[i, p])))
    return n


# ---------------------------------------------------------------------------------------------- motor model
@kernel_helper
def _emit(events: np.ndarray, k: int, t: float, etype: int, x: float, y: float, button: int, key: int) -> int:
    if k >= events.shape[0] or t > LAST_EVENT_MS:
        return k
    events[k, core.F_TIME] = t
    events[k, core.F_TYPE] = etype
    events[k, core.F_X] = min(max(x, 0.0), core.SCREEN_W - 1.0)
    events[k, core.F_Y] = min(max(y, 0.0), core.SCREEN_H - 1.0)
    events[k, core.F_BUTTON] = button
    events[k, core.F_KEY] = key
    events[k, core.F_SCROLL] = 0.0
    return k + 1


@kernel_helper
def human_events(s: DuelState, i: int, p: int, plan: np.ndarray, n: int, style: int, events: np.ndarray) -> int:
    """Turn a plan into timed events with the motor model of ``style``; returns the event count."""
    m = MOTOR[style]
    k = 0
    cx = s.cursor_x[i, p]
    cy = s.cursor_y[i, p]
    # A full reaction time to a new stimulus (the opponent switched or hit us at the last boundary); a plan
    # that only continues last tick's work starts after an ordinary pause.
    o = 1 - p
    opp_style = core.ITEM_STYLE[s.equipment[i, o, core.SLOT_WEAPON]]
    stimulus = s.hitsplat[i, p] >= 0 or (opp_style >= 0 and opp_style != s.protect[i, p])
    if stimulus:
        t = max(motor.reaction_time(s.bot_rng[i], p, m[M_REACT], m[M_REACT_SIGMA]), 20.0)
    else:
        t = motor.pause_time(s.bot_rng[i], p, m[M_GAP], m[M_GAP_SIGMA])
    for a in range(n):
        if t > LAST_EVENT_MS or k >= events.shape[0]:
            break
        if plan[a, 0] == PLAN_KEY:
            key = int(plan[a, 1])
            k = _emit(events, k, t, core.EV_KEY_DOWN, cx, cy, 0, key)
            hold = motor.pause_time(s.bot_rng[i], p, KEY_HOLD_MEDIAN_MS, KEY_HOLD_SIGMA)
            k = _emit(events, k, t + hold, core.EV_KEY_UP, cx, cy, 0, key)
            t += 0.5 * hold + motor.pause_time(s.bot_rng[i], p, m[M_GAP], m[M_GAP_SIGMA])
            continue
        rx, ry, rw, rh = plan[a, 2], plan[a, 3], plan[a, 4], plan[a, 5]
        px = rx + 0.5 * rw + motor.click_scatter(s.bot_rng[i], p, rw, m[M_SCATTER])
        py = ry + 0.5 * rh + motor.click_scatter(s.bot_rng[i], p, rh, m[M_SCATTER])
        if m[M_CLIP] > 0.0:
            px = min(max(px, rx + 1.0), rx + rw - 1.0)
            py = min(max(py, ry + 1.0), ry + rh - 1.0)
        dist = np.sqrt((px - cx) ** 2 + (py - cy) ** 2)
        width = min(rw, rh)
        mt = motor.fitts_time(dist, width, m[M_FITTS_A], m[M_FITTS_B])
        tt = t + rng.uniform_range(s.bot_rng[i], p, 16.0, 50.0)
        while tt < t + mt:
            tau = (tt - t) / mt
            k = _emit(events, k, tt, core.EV_MOVE, motor.minimum_jerk_position(cx, px, tau),
                      motor.minimum_jerk_position(cy, py, tau), 0, 0)
            tt += rng.uniform_range(s.bot_rng[i], p, 16.0, 50.0)
        t += mt
        if plan[a, 0] == PLAN_DOUBLE_CLICK:
            # Both clicks or neither: half a flick would leave the prayer off at the boundary.
            second = t + motor.pause_time(s.bot_rng[i], p, m[M_GAP], m[M_GAP_SIGMA])
            if second <= LAST_EVENT_MS and k + 2 <= events.shape[0]:
                k = _emit(events, k, t, core.EV_LEFT_CLICK, px, py, 1, 0)
                k = _emit(events, k, second, core.EV_LEFT_CLICK, px, py, 1, 0)
                cx = px
                cy = py
            t = second + motor.pause_time(s.bot_rng[i], p, m[M_GAP], m[M_GAP_SIGMA])
            continue
        before = k
        k = _emit(events, k, t, core.EV_LEFT_CLICK, px, py, 1, 0)
        if k > before:
            cx = px
            cy = py
        t += motor.pause_time(s.bot_rng[i], p, m[M_GAP], m[M_GAP_SIGMA])
    # Idle drift: a few small moves with long gaps, the slow part of a human's event stream.
    if n == 0:
        # Half of the idle ticks the hand rests (no event at all); otherwise it drifts.
        t = rng.uniform_range(s.bot_rng[i], p, 0.0, 800.0)
        while t <= LAST_EVENT_MS and k < events.shape[0]:
            cx = min(max(cx + rng.normal(s.bot_rng[i], p) * 6.0, 0.0), core.SCREEN_W - 1.0)
            cy = min(max(cy + rng.normal(s.bot_rng[i], p) * 6.0, 0.0), core.SCREEN_H - 1.0)
            k = _emit(events, k, t, core.EV_MOVE, cx, cy, 0, 0)
            t += rng.uniform_range(s.bot_rng[i], p, 150.0, 700.0)
    sort_rows(events, k)  # a key release can fall after the next moves: hand them over as a recorder would
    return k


@kernel_helper
def sort_rows(events: np.ndarray, count: int) -> None:
    """Stable insertion sort of the first ``count`` event rows by time, in place."""
    for k in range(1, count):
        j = k
        while j > 0 and events[j - 1, core.F_TIME] > events[j, core.F_TIME]:
            for f in range(core.EVENT_FIELDS):
                tmp = events[j - 1, f]
                events[j - 1, f] = events[j, f]
                events[j, f] = tmp
            j -= 1


@kernel_helper
def perfect_events(plan: np.ndarray, n: int, events: np.ndarray) -> int:
    """The plan executed instantly: each action 1 ms after the last, clicks at target centres."""
    k = 0
    for a in range(min(n, events.shape[0])):
        t = 1.0 + a
        if plan[a, 0] == PLAN_KEY:
            k = _emit(events, k, t, core.EV_KEY_DOWN, 0.0, 0.0, 0, int(plan[a, 1]))
        elif plan[a, 0] == PLAN_DOUBLE_CLICK:
            for dt in (0.0, 0.5):
                k = _emit(events, k, t + dt, core.EV_LEFT_CLICK, plan[a, 2] + 0.5 * plan[a, 4],
                          plan[a, 3] + 0.5 * plan[a, 5], 1, 0)
        else:
            k = _emit(events, k, t, core.EV_LEFT_CLICK, plan[a, 2] + 0.5 * plan[a, 4], plan[a, 3] + 0.5 * plan[a, 5],
                      1, 0)
    return k


@kernel_helper
def random_events(s: DuelState, i: int, p: int, events: np.ndarray) -> int:
    """0-12 random events: uniform type, time in [0, 600), position on screen."""
    n = min(rng.randint(s.bot_rng[i], p, 13), events.shape[0])
    for k in range(n):
        etype = rng.randint(s.bot_rng[i], p, core.NUM_EVENT_TYPES)
        events[k, core.F_TIME] = rng.uniform_range(s.bot_rng[i], p, 0.0, LAST_EVENT_MS)
        events[k, core.F_TYPE] = etype
        events[k, core.F_X] = rng.uniform_range(s.bot_rng[i], p, 0.0, core.SCREEN_W - 1.0)
        events[k, core.F_Y] = rng.uniform_range(s.bot_rng[i], p, 0.0, core.SCREEN_H - 1.0)
        events[k, core.F_BUTTON] = 1 if etype == core.EV_LEFT_CLICK else (2 if etype == core.EV_RIGHT_CLICK else 0)
        is_key = etype == core.EV_KEY_DOWN or etype == core.EV_KEY_UP
        events[k, core.F_KEY] = rng.randint(s.bot_rng[i], p, core.NUM_KEYS) if is_key else 0
        events[k, core.F_SCROLL] = rng.randint(s.bot_rng[i], p, 7) - 3 if etype == core.EV_SCROLL else 0
    return n


@njit(**NO_NRT)
def bot_events_one(s: DuelState, i: int, p: int, policy: int, events: np.ndarray, plan: np.ndarray) -> int:
    """Events of bot ``policy`` playing seat ``p`` of env ``i`` this tick, into ``events`` [E, 7]."""
    if policy == BOT_RANDOM:
        return random_events(s, i, p, events)
    style = STYLE_OF_BOT[policy]
    if policy == BOT_TICK_PERFECT:
        n = plan_nh(s, i, p, plan, 1.0, 0.0)
        return perfect_events(plan, n, events)
    n = plan_nh(s, i, p, plan, MOTOR[style, M_HOTKEY], MOTOR[style, M_LAPSE])
    return human_events(s, i, p, plan, n, style, events)


@njit(**NO_NRT)
def bot_events(s: DuelState, policies: np.ndarray, events: np.ndarray, counts: np.ndarray, active: np.ndarray,
               plan: np.ndarray) -> None:
    """Write the events of every bot seat (``policies[i, p] >= 0``) of every active, running env."""
    for i in range(events.shape[0]):
        if not active[i] or s.done[i]:
            continue
        for p in range(core.NUM_PLAYERS):
            if policies[i, p] >= 0:
                counts[i, p] = bot_events_one(s, i, p, policies[i, p], events[i, p], plan)
