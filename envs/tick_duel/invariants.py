"""TickDuel's state invariants (see ``envs/common/invariants.py`` for how they are used).

After every step, for every env of the batch and both seats (arrays as in ``core``'s module docstring):

* Levels and points: hitpoints in ``[0, stats[S_HP]]`` (v1: up to the anglerfish overheal, base + base // 10 +
  13), prayer points in ``[0, stats[S_PRAY]]``, special energy in ``[0, SPEC_MAX]``, the prayer drain counter never
  negative; v1's boosted and drained levels in ``[0, base + max(base // 5 + 2, base * 15 // 100 + 5)]`` (the
  largest boosts: a brew's defence, a super combat potion's).
* Place and timers: the position on the arena, a walk destination on it or ``NO_TILE``; freeze in
  ``[0, FREEZE_TICKS]``, freeze immunity in ``[0, FREEZE_IMMUNITY_TICKS]``, both food timers in ``[0, EAT_DELAY]``,
  the potion timer in ``[0, POTION_DELAY]``.
* Rules v1: every pending hit lands within the next ``MAX_HIT_DELAY + 1`` ticks (a due one has landed), with
  damage >= 0, a style, a freeze of 0 or ``FREEZE_TICKS`` and a heal flag of 0 or 1; PID names a seat and its
  timer is in ``[1, PID_SHUFFLE_MAX]``. v0 leaves the queue empty and the potion timer, fresh-prayer flags and
  PID at 0.
* The client: the open tab one of the five, the cursor on the 765 x 503 screen, a protected or boosted style
  one of the three or ``NO_STYLE``, a selected or pending spell one of the spells or ``NO_SPELL``.
* Items: every inventory slot holds an item or is empty; a worn item sits in its own equipment slot; gear is
  never created or lost (worn plus carried gear is the build's starting gear under the duel's rules).
* Damage: what one seat dealt at the last boundary is what the other took; ``total_dealt`` never negative.
* The end: ``done`` exactly when someone's hitpoints are 0; ``winner`` is ``WINNER_NONE`` while the duel runs and
  0, 1 or ``DRAW`` after.

Checked against the state before the step (``previous``): the tick advances by one (or restarts at 0 on a reset),
food and potion doses are only ever used up (never more of them), ``total_dealt`` grows by exactly what was
dealt, and ``rng_state`` and both ``bot_rng`` streams move forward by whole SplitMix64 draws.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from botarena.envs.common.invariants import Checks

from . import core

__all__ = ["violations"]

_NOT_GEAR = np.flatnonzero(core.ITEM_SLOT == core.NO_SLOT)  # the empty item, food and potions


def _gear_counts(s: core.DuelState) -> np.ndarray:
    """[N, P, NUM_ITEMS] how many of each item a seat wears or carries, consumables and the empty item zeroed."""
    items = np.concatenate([s.equipment, s.inventory], axis=2)
    counts = np.zeros(items.shape[:2] + (core.NUM_ITEMS,), np.int64)
    n, p = np.indices(items.shape[:2])
    for k in range(items.shape[2]):
        np.add.at(counts, (n, p, np.clip(items[:, :, k], 0, core.NUM_ITEMS - 1)), 1)
    counts[:, :, _NOT_GEAR] = 0
    return counts


def _start_gear_counts(build: np.ndarray, rules: np.ndarray) -> np.ndarray:
    """[N, P, NUM_ITEMS] the gear each seat's build starts with (as :func:`_gear_counts` counts it)."""
    per_build = np.zeros((len(core.RULE_SETS), core.NUM_BUILDS, core.NUM_ITEMS), np.int64)
    for r in core.RULE_SETS:
        start = np.concatenate([core.START_EQUIPMENT, core.START_INVENTORY_BY_RULES[r]], axis=1)
        for b in range(core.NUM_BUILDS):
            per_build[r, b] = np.bincount(start[b], minlength=core.NUM_ITEMS)
    per_build[:, :, _NOT_GEAR] = 0
    rules = np.clip(rules.astype(np.int64), 0, len(core.RULE_SETS) - 1)[:, None]
    return per_build[rules, np.clip(build.astype(np.int64), 0, core.NUM_BUILDS - 1)]


def _supplies(s: core.DuelState) -> np.ndarray:
    """[N, P] food items plus potion doses carried."""
    items = np.clip(s.inventory, 0, core.NUM_ITEMS - 1)
    return ((core.ITEM_FOOD[items] != core.FOOD_NONE) & (core.ITEM_POTION[items] < 0)).sum(axis=2) \
        + core.ITEM_DOSES[items].sum(axis=2)


def violations(s: core.DuelState, previous: core.DuelState | None = None, env: Any = None) -> list[str]:
    """Each invariant of the module docstring that ``s`` breaks, as a sentence naming the envs; [] when sound.

    ``env`` (the env holding ``s``) is taken so that every game's check is called alike; this game needs nothing
    from it.
    """
    c = Checks()
    v1 = (s.rules >= core.RULES_V1)[:, None]
    base = core.BUILD_STATS[np.clip(s.build.astype(np.int64), 0, core.NUM_BUILDS - 1)]  # [N, P, 7]
    overheal = np.where(v1, base[:, :, core.S_HP] // 10 + 13, 0)
    c.check((s.hp >= 0) & (s.hp <= s.stats[:, :, core.S_HP] + overheal),
            "hitpoints in [0, stats[S_HP]] (v1: up to the anglerfish overheal)")
    levels = [core.S_ATT, core.S_STR, core.S_DEF, core.S_RNG, core.S_MAG]
    top = base[:, :, levels] + np.maximum(base[:, :, levels] // 5 + 2, base[:, :, levels] * 15 // 100 + 5)
    c.check(((s.stats[:, :, levels] >= 0) & (s.stats[:, :, levels] <= top)
             & (v1[:, :, None] | (s.stats == base)[:, :, levels])).all(axis=2),
            "levels in [0, base + the largest boost] (v0: the base levels)")
    c.check((s.prayer >= 0) & (s.prayer <= s.stats[:, :, core.S_PRAY]), "prayer points in [0, stats[S_PRAY]]")
    c.check((s.spec >= 0) & (s.spec <= core.SPEC_MAX), "special energy in [0, SPEC_MAX]")
    c.check(s.drain >= 0, "the prayer drain counter is never negative")

    on_arena = (s.pos_x >= 0) & (s.pos_x < core.ARENA_W) & (s.pos_y >= 0) & (s.pos_y < core.ARENA_H)
    c.check(on_arena, "players stand on the arena")
    no_dest = (s.dest_x == core.NO_TILE) & (s.dest_y == core.NO_TILE)
    dest_on_arena = (s.dest_x >= 0) & (s.dest_x < core.ARENA_W) & (s.dest_y >= 0) & (s.dest_y < core.ARENA_H)
    c.check(no_dest | dest_on_arena, "a walk destination is on the arena or NO_TILE")
    c.check((s.frozen >= 0) & (s.frozen <= core.FREEZE_TICKS), "freeze ticks in [0, FREEZE_TICKS]")
    c.check((s.freeze_immune >= 0) & (s.freeze_immune <= core.FREEZE_IMMUNITY_TICKS),
            "freeze immunity in [0, FREEZE_IMMUNITY_TICKS]")
    c.check((s.eat_timer >= 0) & (s.eat_timer <= core.EAT_DELAY) & (s.combo_timer >= 0)
            & (s.combo_timer <= core.EAT_DELAY), "food timers in [0, EAT_DELAY]")
    c.check((s.pot_timer >= 0) & (s.pot_timer <= core.POTION_DELAY), "the potion timer in [0, POTION_DELAY]")
    empty = s.hit_tick == core.NO_LANDING
    now = s.tick[:, None, None]
    sound = (s.hit_tick >= now) & (s.hit_tick <= now + core.MAX_HIT_DELAY + 1) & (s.hit_damage >= 0) \
        & (s.hit_style >= core.MELEE) & (s.hit_style <= core.MAGIC) & np.isin(s.hit_freeze, (0, core.FREEZE_TICKS)) \
        & np.isin(s.hit_heal, (0, 1))
    c.check((empty | (sound & v1[:, :, None])).all(axis=2),
            "pending hits land in the next MAX_HIT_DELAY + 1 ticks, well formed (v0: none)")
    c.check(~v1[:, 0] | ((s.pid_first >= 0) & (s.pid_first < core.NUM_PLAYERS) & (s.pid_timer >= 1)
                         & (s.pid_timer <= core.PID_SHUFFLE_MAX)), "PID names a seat, its timer in [1, 150]")
    v0_quiet = (s.pot_timer == 0) & (s.fresh_protect == 0) & (s.fresh_boost == 0) \
        & (s.pid_first == 0)[:, None] & (s.pid_timer == 0)[:, None]
    c.check(v1 | v0_quiet, "v0 leaves v1's potion timer, fresh prayers and PID at 0")

    c.check((s.open_tab >= 0) & (s.open_tab < core.NUM_TABS), "the open tab is one of the five")
    c.check((s.cursor_x >= 0) & (s.cursor_x < core.SCREEN_W) & (s.cursor_y >= 0) & (s.cursor_y < core.SCREEN_H),
            "the cursor is on the screen")
    for name in ("protect", "boost"):
        value = getattr(s, name)
        c.check((value >= core.NO_STYLE) & (value <= core.MAGIC), f"{name} is a style or NO_STYLE")
    for name in ("selected_spell", "pending_spell"):
        value = getattr(s, name)
        c.check((value >= core.NO_SPELL) & (value < core.NUM_SPELLS), f"{name} is a spell or NO_SPELL")

    c.check((s.inventory >= 0) & (s.inventory < core.NUM_ITEMS), "inventory slots hold items or nothing")
    worn = np.clip(s.equipment, 0, core.NUM_ITEMS - 1)
    c.check((s.equipment == core.ITEM_EMPTY) | (core.ITEM_SLOT[worn] == np.arange(core.EQUIP_SLOTS)),
            "a worn item sits in its own equipment slot")
    c.check(_gear_counts(s) == _start_gear_counts(s.build, np.repeat(s.rules[:, None], core.NUM_PLAYERS, 1)),
            "gear is never created or lost")

    c.check((s.dealt == s.taken[:, ::-1]) & (s.total_dealt >= 0),
            "what one seat dealt at the last boundary is what the other took")
    done = s.done.astype(bool)
    c.check(done == (s.hp == 0).any(axis=1), "the duel is done exactly when someone's hitpoints are 0")
    c.check(np.where(done, (s.winner >= 0) & (s.winner <= core.DRAW), s.winner == core.WINNER_NONE),
            "winner is WINNER_NONE while the duel runs and 0, 1 or DRAW after")

    if previous is not None:
        restarted = s.tick == 0
        same = ~restarted
        c.check(restarted | (s.tick == previous.tick + 1), "the tick advances by one per step")
        c.check(~same[:, None] | (_supplies(s) <= _supplies(previous)), "food and potion doses are only used up")
        c.check(~same[:, None] | (s.total_dealt == previous.total_dealt + s.dealt),
                "total_dealt grows by exactly what was dealt")
        c.rng_advanced(previous.rng_state, s.rng_state)
        c.rng_advanced(previous.bot_rng, s.bot_rng, "bot_rng", where=same)  # a reset derives them afresh
    return c.failures
