"""What one TickDuel player observes of a ``DuelState`` (``core``): the 128 ``gamestate`` features and the
``action_history`` of its own input events.

The writers fill caller-owned buffers (``gamestate`` float32 [N, 128], ``action_history`` float32 [N, 10, E, 7],
``history_len`` int32 [N, 10]); ``OBSERVATION_FEATURES`` names every ``gamestate`` column and ``env.py``'s
docstring lists them. They run on the step path: ``NO_NRT``, no allocation.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from botarena.envs.common.jit import NO_NRT, kernel_helper

from .core import (
    ARENA_H,
    ARENA_W,
    BUILD_MAX,
    BUILD_PURE,
    BUILD_ZERKER,
    EAT_DELAY,
    EQUIP_SLOTS,
    EVENT_FIELDS,
    F_BUTTON,
    F_KEY,
    F_TYPE,
    FREEZE_IMMUNITY_TICKS,
    FREEZE_TICKS,
    GEAR_SETS,
    INVENTORY_SLOTS,
    ITEM_DOSES,
    ITEM_EMPTY,
    ITEM_GRANITE_MAUL,
    ITEM_KARAMBWAN,
    ITEM_POTION,
    ITEM_SPEC_COST,
    ITEM_STYLE,
    MAGIC,
    MAIN_FOOD_BY_RULES,
    MAX_PENDING_HITS,
    MELEE,
    NO_HIT,
    NO_LANDING,
    NO_SPELL,
    NO_STYLE,
    NO_TILE,
    NUM_ITEMS,
    POT_BREW,
    POT_COMBAT,
    POT_RANGING,
    POT_RESTORE,
    POTION_DELAY,
    PRAYER_RESISTANCE_BASE,
    RANGE_MAGIC,
    RANGED,
    RULES_V0,
    S_ATT,
    S_DEF,
    S_HP,
    S_MAG,
    S_RNG,
    S_STR,
    SCREEN_H,
    SCREEN_W,
    SET_MAGIC,
    SET_MELEE,
    SET_RANGED,
    SET_SPEC,
    SLOT_WEAPON,
    SPEC_MAX,
    SPEC_REGEN_TICKS,
    V0_NUM_ITEMS,
    DuelState,
    count_items,
    gear_prayer,
    in_range,
    protect_cell,
    set_worn,
    sort_events,
    view_x,
    view_y,
)

OBS_SIZE = 128  # TickDuel-v0; v1 appends V1_FEATURES (obs_size(rules))
OBSERVATION_FEATURES: tuple[str, ...] = (
    # own state 0-47
    "own hp / max hp", "own max hp / 99", "own prayer points / 99", "own special energy / 100",
    "own attack timer / 6 (clipped to 1)", "own eat timer / 3", "own combo-food timer / 3", "own freeze ticks / 32",
    "own freeze immunity / 5", "own tile x / 9 (in the player's view)", "own tile y / 5 (in the player's view)",
    "walking (destination set)",
    "destination x / 9 (0 if none)", "destination y / 5 (0 if none)", "attacking the opponent",
    "special attack armed",
    "own protect prayer: none", "own protect prayer: magic", "own protect prayer: missiles",
    "own protect prayer: melee",
    "own boost prayer: none", "own boost prayer: melee", "own boost prayer: ranged", "own boost prayer: magic",
    "open tab: combat", "open tab: inventory", "open tab: equipment", "open tab: prayer", "open tab: magic",
    "selected spell: none", "selected spell: ice barrage", "selected spell: blood barrage",
    "own weapon style: melee", "own weapon style: ranged", "own weapon style: magic",
    "own weapon has a special attack", "spell cast pending", "cursor x / 765", "cursor y / 503",
    "sharks left / 28", "karambwans left / 28", "damage dealt last tick / 50", "damage taken last tick / 50",
    "own build: max", "own build: zerker", "own build: pure", "prayer drain counter / resistance",
    "ticks to special regen / 50",
    # opponent as the client shows it 48-71
    "opponent hp / max hp", "opponent overhead: none", "opponent overhead: magic", "opponent overhead: missiles",
    "opponent overhead: melee", "opponent weapon style: melee", "opponent weapon style: ranged",
    "opponent weapon style: magic", "opponent wields a special-attack weapon", "opponent frozen",
    "opponent tile x / 9 (view)", "opponent tile y / 5 (view)", "opponent dx / 9 (signed, view)",
    "opponent dy / 5 (signed, view)",
    "Chebyshev distance / 10", "orthogonally adjacent (melee range)", "opponent is attacking us",
    "opponent hitsplat last tick / 50 (0 if none)", "opponent was hit last tick",
    "opponent's last attack style: melee", "opponent's last attack style: ranged",
    "opponent's last attack style: magic", "own last attack style was a hit", "opponent build: max",
    # time 72-75
    "tick / 500 (clipped to 1)", "ticks since the opponent's last attack / 6 (clipped)",
    "own last attack style: melee", "own last attack style: ranged",
    # inventory 76-103, equipment 104-107
    *[f"inventory slot {k} item id / {V0_NUM_ITEMS - 1}" for k in range(INVENTORY_SLOTS)],
    "worn weapon id / 26", "worn body id / 26", "worn legs id / 26", "worn shield id / 26",
    # derived 108-127
    "melee in range now", "ranged in range now", "magic in range now", "can eat a shark now",
    "can eat a karambwan now", "enough energy for the special attack of the best spec weapon",
    "opponent freezable (not frozen, not immune)", "own last attack style: magic", "opponent build: zerker",
    "opponent build: pure", "opponent protects against own weapon style", "own hp <= 50 %",
    "opponent hp <= 50 %", "ranged set worn", "melee set worn", "magic set worn", "spec weapon wielded",
    "opponent freeze ticks visible (frozen) / 32", "own freeze immunity active", "always 1 (bias)",
)
assert len(OBSERVATION_FEATURES) == OBS_SIZE, len(OBSERVATION_FEATURES)

# Rules v1: what the new rules make matter. Hits in flight show as projectiles in the client (their style and
# when they land, from the distance), never their damage; supplies and boosted levels are the player's own.
V1_FEATURES: tuple[str, ...] = (
    "hits in flight on me landing next boundary / 2", "... landing in 2 ticks / 2", "... in 3 ticks / 2",
    "... in 4 or more ticks / 2",
    "own hits in flight on the opponent landing next boundary / 2", "... landing in 2 ticks / 2",
    "... in 3 ticks / 2", "... in 4 or more ticks / 2",
    "a magic hit is in flight on me", "a ranged hit is in flight on me",
    "own attack level / 99", "own strength level / 99", "own defence level / 99", "own ranged level / 99",
    "own magic level / 99", "own potion timer / 3",
    "saradomin brew doses left / 20", "super restore doses left / 12", "super combat doses left / 4",
    "ranging potion doses left / 4", "free inventory slots / 28",
    "own seat acts first at the boundary (PID)", "can drink a potion now", "granite maul carried or worn",
)
V1_OBS_SIZE = OBS_SIZE + len(V1_FEATURES)
COL_V1 = OBS_SIZE
PENDING_BINS = 4


def obs_size(rules: int) -> int:
    """The ``gamestate`` length under rule set ``rules``."""
    return OBS_SIZE if rules == RULES_V0 else V1_OBS_SIZE


def observation_features(rules: int) -> tuple[str, ...]:
    """The name of every ``gamestate`` column under rule set ``rules`` (v1: item ids scale by its item count)."""
    if rules == RULES_V0:
        return OBSERVATION_FEATURES
    renamed = {"sharks left / 28": "anglerfish left / 28 (v1's main food)",
               "can eat a shark now": "can eat an anglerfish now"}
    v0 = tuple(renamed.get(name, name.replace("/ 26", f"/ {NUM_ITEMS - 1}")) for name in OBSERVATION_FEATURES)
    return v0 + V1_FEATURES

# The first column of each group of features the writers index into (one-hot groups, id lists, fractions that
# derived features re-read).
COL_OWN_HP = 0
COL_OWN_PROTECT = 16  # none, then the protected style in prayer-book order (magic, missiles, melee)
COL_OWN_BOOST = 20  # none, then the boosted style (melee, ranged, magic)
COL_OPEN_TAB = 24  # TAB_* order
COL_SELECTED_SPELL = 29  # none, then SPELL_* order
COL_OWN_WEAPON_STYLE = 32  # melee, ranged, magic
COL_OWN_BUILD = 43  # BUILD_* order
COL_OPPONENT_HP = 48
COL_OPPONENT_OVERHEAD = 49  # as COL_OWN_PROTECT
COL_OPPONENT_WEAPON_STYLE = 53
COL_OPPONENT_LAST_STYLE = 67
COL_INVENTORY = 76  # INVENTORY_SLOTS item ids
COL_EQUIPMENT = 104  # EQUIP_SLOTS item ids
for _column, _name in ((COL_OWN_HP, "own hp / max hp"), (COL_OWN_PROTECT, "own protect prayer: none"),
                       (COL_OWN_BOOST, "own boost prayer: none"), (COL_OPEN_TAB, "open tab: combat"),
                       (COL_SELECTED_SPELL, "selected spell: none"), (COL_OWN_WEAPON_STYLE, "own weapon style: melee"),
                       (COL_OWN_BUILD, "own build: max"), (COL_OPPONENT_HP, "opponent hp / max hp"),
                       (COL_OPPONENT_OVERHEAD, "opponent overhead: none"),
                       (COL_OPPONENT_WEAPON_STYLE, "opponent weapon style: melee"),
                       (COL_OPPONENT_LAST_STYLE, "opponent's last attack style: melee"),
                       (COL_INVENTORY, "inventory slot 0 item id / 26"), (COL_EQUIPMENT, "worn weapon id / 26")):
    assert OBSERVATION_FEATURES[_column] == _name, (_column, _name)

# Scales that bring a feature near [0, 1] (the feature names say which).
MAX_LEVEL = 99.0  # levels, hitpoints and prayer points
ATTACK_TIMER_SCALE = 6.0  # ticks; also the ticks since the opponent's last attack
DAMAGE_SCALE = 50.0  # damage of one tick (clipped to 2)
TICK_SCALE = 500.0  # the registered episode length


@njit(cache=True, nogil=True, inline="always")
def _weapon_style(weapon: int) -> int:
    """The style a weapon attacks with (melee for no weapon)."""
    style = ITEM_STYLE[weapon]
    return MELEE if style == NO_STYLE else style


@njit(cache=True, nogil=True, inline="always")
def _write_own_state(s: DuelState, i: int, p: int, out: np.ndarray) -> None:
    """Features 0-47: player ``p``'s own state."""
    maxhp = float(s.stats[i, p, S_HP])
    out[COL_OWN_HP] = s.hp[i, p] / maxhp
    out[1] = maxhp / MAX_LEVEL
    out[2] = s.prayer[i, p] / MAX_LEVEL
    out[3] = s.spec[i, p] / SPEC_MAX
    out[4] = min(max(s.attack_timer[i, p], 0) / ATTACK_TIMER_SCALE, 1.0)
    out[5] = s.eat_timer[i, p] / EAT_DELAY
    out[6] = s.combo_timer[i, p] / EAT_DELAY
    out[7] = s.frozen[i, p] / FREEZE_TICKS
    out[8] = s.freeze_immune[i, p] / FREEZE_IMMUNITY_TICKS
    out[9] = view_x(p, s.pos_x[i, p]) / (ARENA_W - 1.0)
    out[10] = view_y(p, s.pos_y[i, p]) / (ARENA_H - 1.0)
    if s.dest_x[i, p] != NO_TILE:
        out[11] = 1.0
        out[12] = view_x(p, s.dest_x[i, p]) / (ARENA_W - 1.0)
        out[13] = view_y(p, s.dest_y[i, p]) / (ARENA_H - 1.0)
    out[14] = s.target[i, p]
    out[15] = s.spec_armed[i, p]
    own_protect = s.protect[i, p]
    out[COL_OWN_PROTECT + (0 if own_protect == NO_STYLE else 1 + protect_cell(own_protect))] = 1.0
    out[COL_OWN_BOOST + (0 if s.boost[i, p] == NO_STYLE else 1 + s.boost[i, p])] = 1.0
    out[COL_OPEN_TAB + s.open_tab[i, p]] = 1.0
    out[COL_SELECTED_SPELL + 1 + s.selected_spell[i, p]] = 1.0  # NO_SPELL (-1) lands on "none"
    weapon = s.equipment[i, p, SLOT_WEAPON]
    out[COL_OWN_WEAPON_STYLE + _weapon_style(weapon)] = 1.0
    out[35] = 1.0 if ITEM_SPEC_COST[weapon] > 0 else 0.0
    out[36] = 1.0 if s.pending_spell[i, p] != NO_SPELL else 0.0
    out[37] = s.cursor_x[i, p] / SCREEN_W
    out[38] = s.cursor_y[i, p] / SCREEN_H
    out[39] = count_items(s, i, p, MAIN_FOOD_BY_RULES[s.rules[i]]) / INVENTORY_SLOTS  # v1: anglerfish
    out[40] = count_items(s, i, p, ITEM_KARAMBWAN) / INVENTORY_SLOTS
    out[41] = min(s.dealt[i, p] / DAMAGE_SCALE, 2.0)
    out[42] = min(s.taken[i, p] / DAMAGE_SCALE, 2.0)
    out[COL_OWN_BUILD + s.build[i, p]] = 1.0
    resistance = PRAYER_RESISTANCE_BASE + 2 * gear_prayer(s, i, p)
    out[46] = s.drain[i, p] / resistance
    out[47] = (SPEC_REGEN_TICKS - s.tick[i] % SPEC_REGEN_TICKS) / float(SPEC_REGEN_TICKS)


@njit(cache=True, nogil=True, inline="always")
def _write_opponent(s: DuelState, i: int, p: int, out: np.ndarray) -> None:
    """Features 48-71: the opponent as player ``p``'s client shows it (positions in ``p``'s view)."""
    o = 1 - p
    out[COL_OPPONENT_HP] = s.hp[i, o] / float(s.stats[i, o, S_HP])
    opp_protect = s.protect[i, o]
    out[COL_OPPONENT_OVERHEAD + (0 if opp_protect == NO_STYLE else 1 + protect_cell(opp_protect))] = 1.0
    opp_weapon = s.equipment[i, o, SLOT_WEAPON]
    out[COL_OPPONENT_WEAPON_STYLE + _weapon_style(opp_weapon)] = 1.0
    out[56] = 1.0 if ITEM_SPEC_COST[opp_weapon] > 0 else 0.0
    out[57] = 1.0 if s.frozen[i, o] > 0 else 0.0
    out[58] = view_x(p, s.pos_x[i, o]) / (ARENA_W - 1.0)
    out[59] = view_y(p, s.pos_y[i, o]) / (ARENA_H - 1.0)
    dx = view_x(p, s.pos_x[i, o]) - view_x(p, s.pos_x[i, p])
    dy = view_y(p, s.pos_y[i, o]) - view_y(p, s.pos_y[i, p])
    out[60] = dx / (ARENA_W - 1.0)
    out[61] = dy / (ARENA_H - 1.0)
    out[62] = max(abs(dx), abs(dy)) / RANGE_MAGIC
    out[63] = 1.0 if abs(dx) + abs(dy) == 1 else 0.0
    out[64] = s.target[i, o]
    if s.hitsplat[i, o] != NO_HIT:
        out[65] = min(s.hitsplat[i, o] / DAMAGE_SCALE, 2.0)
        out[66] = 1.0
    if s.last_style[i, o] != NO_STYLE:
        out[COL_OPPONENT_LAST_STYLE + s.last_style[i, o]] = 1.0
    out[70] = 1.0 if s.last_style[i, p] != NO_STYLE else 0.0
    out[71] = 1.0 if s.build[i, o] == BUILD_MAX else 0.0


@njit(cache=True, nogil=True, inline="always")
def _write_time_and_items(s: DuelState, i: int, p: int, out: np.ndarray, since_opp_attack: int) -> None:
    """Features 72-107: time, the last attack style, and the item ids of the inventory and the worn gear."""
    out[72] = min(s.tick[i] / TICK_SCALE, 1.0)
    out[73] = min(since_opp_attack / ATTACK_TIMER_SCALE, 1.0)
    out[74] = 1.0 if s.last_style[i, p] == MELEE else 0.0
    out[75] = 1.0 if s.last_style[i, p] == RANGED else 0.0
    scale = (V0_NUM_ITEMS if s.rules[i] == RULES_V0 else NUM_ITEMS) - 1.0
    for k in range(INVENTORY_SLOTS):
        out[COL_INVENTORY + k] = s.inventory[i, p, k] / scale
    for k in range(EQUIP_SLOTS):
        out[COL_EQUIPMENT + k] = s.equipment[i, p, k] / scale


@njit(cache=True, nogil=True, inline="always")
def _write_derived(s: DuelState, i: int, p: int, out: np.ndarray) -> None:
    """Features 108-127: facts a policy would otherwise have to work out (ranges, timers ready, sets worn)."""
    o = 1 - p
    out[108] = 1.0 if in_range(s, i, p, MELEE) else 0.0
    out[109] = 1.0 if in_range(s, i, p, RANGED) else 0.0
    out[110] = 1.0 if in_range(s, i, p, MAGIC) else 0.0
    food = MAIN_FOOD_BY_RULES[s.rules[i]]  # "a shark" is v1's anglerfish
    out[111] = 1.0 if s.eat_timer[i, p] <= 0 and count_items(s, i, p, food) > 0 else 0.0
    out[112] = 1.0 if s.combo_timer[i, p] <= 0 and count_items(s, i, p, ITEM_KARAMBWAN) > 0 else 0.0
    weapon = s.equipment[i, p, SLOT_WEAPON]
    spec_weapon = GEAR_SETS[s.build[i, p], SET_SPEC, SLOT_WEAPON]
    out[113] = 1.0 if s.spec[i, p] >= ITEM_SPEC_COST[spec_weapon] else 0.0
    out[114] = 1.0 if s.frozen[i, o] == 0 and s.freeze_immune[i, o] == 0 else 0.0
    out[115] = 1.0 if s.last_style[i, p] == MAGIC else 0.0
    out[116] = 1.0 if s.build[i, o] == BUILD_ZERKER else 0.0
    out[117] = 1.0 if s.build[i, o] == BUILD_PURE else 0.0
    opp_protect = s.protect[i, o]
    out[118] = 1.0 if opp_protect != NO_STYLE and opp_protect == _weapon_style(weapon) else 0.0
    out[119] = 1.0 if out[COL_OWN_HP] <= 0.5 else 0.0
    out[120] = 1.0 if out[COL_OPPONENT_HP] <= 0.5 else 0.0
    out[121] = 1.0 if set_worn(s, i, p, SET_RANGED) else 0.0
    out[122] = 1.0 if set_worn(s, i, p, SET_MELEE) else 0.0
    out[123] = 1.0 if set_worn(s, i, p, SET_MAGIC) else 0.0
    out[124] = 1.0 if weapon == spec_weapon else 0.0
    out[125] = s.frozen[i, o] / FREEZE_TICKS
    out[126] = 1.0 if s.freeze_immune[i, p] > 0 else 0.0
    out[127] = 1.0  # bias


@njit(cache=True, nogil=True, inline="always")
def _pending_bins(s: DuelState, i: int, target: int, out: np.ndarray, col: int) -> None:
    """Hits in flight on ``target``, counted by the ticks until they land (1, 2, 3, 4 or more)."""
    for k in range(MAX_PENDING_HITS):
        land = s.hit_tick[i, target, k]
        if land == NO_LANDING:
            continue
        ticks = max(land - s.tick[i] + 1, 1)  # due at the tick now being played: the next boundary
        out[col + min(ticks, PENDING_BINS) - 1] += 0.5


@njit(cache=True, nogil=True, inline="always")
def _doses(s: DuelState, i: int, p: int, kind: int) -> int:
    total = 0
    for k in range(INVENTORY_SLOTS):
        item = s.inventory[i, p, k]
        if ITEM_POTION[item] == kind:
            total += ITEM_DOSES[item]
    return total


@kernel_helper
def _write_v1(s: DuelState, i: int, p: int, out: np.ndarray) -> None:
    """Features 128-151 (rules v1): hits in flight, current levels, supplies, PID (``V1_FEATURES``)."""
    o = 1 - p
    c = COL_V1
    _pending_bins(s, i, p, out, c)
    _pending_bins(s, i, o, out, c + PENDING_BINS)
    for k in range(MAX_PENDING_HITS):
        if s.hit_tick[i, p, k] != NO_LANDING:
            if s.hit_style[i, p, k] == MAGIC:
                out[c + 8] = 1.0
            elif s.hit_style[i, p, k] == RANGED:
                out[c + 9] = 1.0
    for k, stat in enumerate((S_ATT, S_STR, S_DEF, S_RNG, S_MAG)):
        out[c + 10 + k] = s.stats[i, p, stat] / MAX_LEVEL
    out[c + 15] = s.pot_timer[i, p] / POTION_DELAY
    out[c + 16] = _doses(s, i, p, POT_BREW) / 20.0
    out[c + 17] = _doses(s, i, p, POT_RESTORE) / 12.0
    out[c + 18] = _doses(s, i, p, POT_COMBAT) / 4.0
    out[c + 19] = _doses(s, i, p, POT_RANGING) / 4.0
    out[c + 20] = count_items(s, i, p, ITEM_EMPTY) / INVENTORY_SLOTS  # a two-handed weapon needs one
    out[c + 21] = 1.0 if s.pid_first[i] == p else 0.0
    out[c + 22] = 1.0 if s.pot_timer[i, p] <= 0 and (_doses(s, i, p, POT_BREW) + _doses(s, i, p, POT_RESTORE)
                                                     + _doses(s, i, p, POT_COMBAT) + _doses(s, i, p, POT_RANGING)) > 0 \
        else 0.0
    out[c + 23] = 1.0 if count_items(s, i, p, ITEM_GRANITE_MAUL) > 0 \
        or s.equipment[i, p, SLOT_WEAPON] == ITEM_GRANITE_MAUL else 0.0


@njit(**NO_NRT)
def write_observation(s: DuelState, i: int, p: int, out: np.ndarray, since_opp_attack: int) -> None:
    """Player ``p``'s features (``observation_features(rules)``: 128 under v0, 152 under v1) into ``out``."""
    for k in range(out.shape[0]):
        out[k] = 0.0
    _write_own_state(s, i, p, out)
    _write_opponent(s, i, p, out)
    _write_time_and_items(s, i, p, out, since_opp_attack)
    _write_derived(s, i, p, out)
    if s.rules[i] != RULES_V0:
        _write_v1(s, i, p, out)


@njit(**NO_NRT)
def write_observations(s: DuelState, p: int, out: np.ndarray, since_opp_attack: np.ndarray) -> None:
    """Player ``p``'s observation of every env into ``out`` float32 [N, obs_size(rules)]."""
    for i in range(out.shape[0]):
        write_observation(s, i, p, out[i], since_opp_attack[i])


# ---------------------------------------------------------------------------------------------- action history
@njit(**NO_NRT)
def push_history(events: np.ndarray, counts: np.ndarray, p: int, hist: np.ndarray, hist_len: np.ndarray,
                 active: np.ndarray, order: np.ndarray) -> None:
    """Shift player ``p``'s event history one tick back and append this tick's events, in time order.

    ``events`` float32 [N, 2, E, 7], ``counts`` int64 [N, 2]; ``hist`` float32 [N, H, E, 7] (row H-1 the last
    tick), ``hist_len`` int32 [N, H]. Integer fields are stored rounded, as the UI read them.
    """
    horizon = hist.shape[1]
    for i in range(hist.shape[0]):
        if not active[i]:
            continue
        for row in range(horizon - 1):
            # As many events as the longer of the two rows: the newer row is zero padded, so this clears the rest.
            rows_to_copy = max(hist_len[i, row], hist_len[i, row + 1])
            for k in range(rows_to_copy):
                for f in range(EVENT_FIELDS):
                    hist[i, row, k, f] = hist[i, row + 1, k, f]
            hist_len[i, row] = hist_len[i, row + 1]
        count = counts[i, p]
        sort_events(events[i, p], count, order)
        last = horizon - 1
        for k in range(max(count, hist_len[i, last])):
            if k < count:
                event = order[k]
                for f in range(EVENT_FIELDS):
                    hist[i, last, k, f] = events[i, p, event, f]
                hist[i, last, k, F_TYPE] = np.rint(events[i, p, event, F_TYPE])
                hist[i, last, k, F_BUTTON] = np.rint(events[i, p, event, F_BUTTON])
                hist[i, last, k, F_KEY] = np.rint(events[i, p, event, F_KEY])
            else:
                for f in range(EVENT_FIELDS):
                    hist[i, last, k, f] = 0.0
        hist_len[i, last] = count
