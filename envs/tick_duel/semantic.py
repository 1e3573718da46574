"""``SemanticActions``: TickDuel for RL agents, as MultiDiscrete decision heads with action masks.

The raw env's action is a tick's worth of input events. This wrapper lets an agent pick *what* to do in a tick
(five heads) and turns the choice into the canonical, human-timed events a quick player would make, through the
same client layout and the same UI code as every other player, so an agent trained here acts through exactly
the interface of a human or a bot.

Heads (``MultiDiscrete([5, 5, 4, 3, 3, 5])`` on TickDuel-v1; ``[5, 5, 4, 3, 2]`` on v0, without the potion head
and the granite maul):

=========  ===================================================================================================
head       choices
=========  ===================================================================================================
style      0 keep, 1 melee set, 2 ranged set, 3 magic set, 4 ice barrage (magic set, then cast on the opponent)
prayer     0 keep, 1 protect from magic, 2 protect from missiles, 3 protect from melee, 4 protection off
eat        0 nothing, 1 a shark (v1: an anglerfish), 2 a karambwan, 3 both (combo)
move       0 stay, 1 run toward the opponent (an orthogonally adjacent tile), 2 run two tiles away
special    0 no, 1 special attack (spec weapon and melee set, the orb, the opponent), 2 (v1) the granite maul's
           instant special (wield it, the orb: it strikes at the boundary if the opponent is in melee reach)
potion     (v1) 0 none, 1 Saradomin brew, 2 super restore, 3 super combat potion, 4 ranging potion
=========  ===================================================================================================

Order of the emitted actions: prayer, food, potion, karambwan (the order all three go down in one tick), gear
switch, special orb / spell, then a click on the opponent
(when the style changed, a special or an ice barrage is asked for, or nothing is being attacked) or on the walk
tile (a move replaces the attack click: walking stops attacking, as in the client), then the boost prayer of the
attack style. Side-panel tabs are opened with their F-keys.

Canonical timing (ours, the ``fast`` motor style without noise): the first action at 40 ms; a key press is a
KEY_DOWN and a KEY_UP 30 ms later; a click is a minimum-jerk mouse path from the cursor to the centre of the
target sampled as a MOVE every 25 ms, with movement time ``20 + 40 log2(D / W + 1)`` ms (Fitts' law), then the
LEFT_CLICK; 15 ms between actions. What does not fit before 600 ms is dropped, as a human's would be (choose the
same style again next tick to finish a switch).

Masks (``action_masks()``, bool, the heads concatenated, 25 long on v1, 19 on v0): a choice is masked when it
would change nothing or cannot be done: a set already worn; ice barrage without the magic level or on a frozen
or immune opponent; a protection already on (or "off" when none is), any prayer at 0 points; food with none left
or its timer running; running while frozen; a special attack without the energy (or the granite maul not
carried, or no free slot for the shield it takes off); a potion with none left or the potion timer running.
"keep", "nothing", "stay", "no" and "none" are always valid.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from botarena.envs.common.validation import validate_action

from . import core

HEADS = (5, 5, 4, 3, 2)  # TickDuel-v0
HEAD_NAMES = ("style", "prayer", "eat", "move", "special")
HEADS_V1 = (5, 5, 4, 3, 3, 5)  # TickDuel-v1: the granite maul special and the potion head
HEAD_NAMES_V1 = (*HEAD_NAMES, "potion")
SPECIAL_WEAPON, SPECIAL_MAUL = 1, 2
POTION_NONE = 0  # then 1 + core.POT_* (brew, super restore, super combat, ranging)
STYLE_KEEP, STYLE_MELEE, STYLE_RANGED, STYLE_MAGIC, STYLE_FREEZE = range(5)
PRAYER_KEEP, PRAYER_OFF = 0, 4
START_MS, KEY_HOLD_MS, GAP_MS, MOVE_EVERY_MS = 40.0, 30.0, 15.0, 25.0
FITTS_A, FITTS_B = 20.0, 40.0
LAST_MS = 599.0


class SemanticActions(gym.Wrapper):
    """Wrap a ``TickDuelEnv``: MultiDiscrete heads in, canonical events out (see the module docstring).

    Args:
        env: a ``TickDuelEnv`` (or ``gym.make("botarena/TickDuel-v1", ...)``).
        keep_history: keep ``action_history`` / ``history_len`` in the observation (default True); without them
            the observation is the ``gamestate`` Box alone, which suits small MLP policies.
    """

    def __init__(self, env: gym.Env, keep_history: bool = True) -> None:
        super().__init__(env)
        base = env.unwrapped
        if not hasattr(base, "batch") or not hasattr(base.batch, "state"):
            raise TypeError(f"SemanticActions wraps a TickDuelEnv, got {type(base).__name__}")
        self.v1 = base.batch.state.rules[0] >= core.RULES_V1
        self.heads = HEADS_V1 if self.v1 else HEADS
        self.head_names = HEAD_NAMES_V1 if self.v1 else HEAD_NAMES
        self.action_space = spaces.MultiDiscrete(np.array(self.heads, np.int64))
        self.keep_history = bool(keep_history)
        if not self.keep_history:
            self.observation_space = env.observation_space["gamestate"]
        self.max_events = base.batch.max_events
        self.last_events = np.zeros((self.max_events, core.EVENT_FIELDS), np.float32)
        self.last_count = 0

    # ------------------------------------------------------------------ gymnasium
    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[Any, dict]:
        obs, info = self.env.reset(seed=seed, options=options)
        return self._obs(obs), info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        obs, reward, terminated, truncated, info = self.env.step(self.events_for(action))
        return self._obs(obs), reward, terminated, truncated, info

    def _obs(self, obs: dict) -> Any:
        return obs if self.keep_history else obs["gamestate"]

    # ------------------------------------------------------------------ masks
    def action_masks(self) -> np.ndarray:
        """Bool [25] (v0: [19]): the valid choices of every head, concatenated (MaskablePPO's MultiDiscrete form)."""
        s, i, p = self._state()
        o = 1 - p
        b = s.build[i, p]
        style = np.ones(5, bool)
        for head, kind in ((STYLE_MELEE, core.SET_MELEE), (STYLE_RANGED, core.SET_RANGED),
                           (STYLE_MAGIC, core.SET_MAGIC)):
            style[head] = not core.set_worn(s, i, p, kind)
        style[STYLE_FREEZE] = bool(s.stats[i, p, core.S_MAG] >= core.SPELL_LEVEL[core.SPELL_ICE_BARRAGE]
                                   and s.frozen[i, o] == 0 and s.freeze_immune[i, o] == 0)
        prayer = np.ones(5, bool)
        has_points = s.prayer[i, p] > 0
        for head, st in ((1, core.MAGIC), (2, core.RANGED), (3, core.MELEE)):
            prayer[head] = bool(has_points and s.protect[i, p] != st)
        prayer[PRAYER_OFF] = bool(s.protect[i, p] >= 0)
        shark = s.eat_timer[i, p] <= 0 and core.count_items(s, i, p, core.MAIN_FOOD_BY_RULES[s.rules[i]]) > 0
        karambwan = s.combo_timer[i, p] <= 0 and core.count_items(s, i, p, core.ITEM_KARAMBWAN) > 0
        eat = np.array([True, shark, karambwan, shark and karambwan])
        move = np.array([True, s.frozen[i, p] == 0 and not core.in_range(s, i, p, core.MELEE), s.frozen[i, p] == 0])
        spec_weapon = core.GEAR_SETS[b, core.SET_SPEC, core.SLOT_WEAPON]
        special = np.array([True, s.spec[i, p] >= core.ITEM_SPEC_COST[spec_weapon]])
        if not self.v1:
            return np.concatenate([style, prayer, eat, move, special])
        maul = core.ITEM_GRANITE_MAUL
        two_handed_ok = s.equipment[i, p, core.SLOT_SHIELD] == core.ITEM_EMPTY or core.count_items(s, i, p, 0) > 0
        has_maul = s.equipment[i, p, core.SLOT_WEAPON] == maul or (core.count_items(s, i, p, maul) > 0
                                                                   and two_handed_ok)
        special = np.append(special, has_maul and s.spec[i, p] >= core.ITEM_SPEC_COST[maul])
        potion = np.array([True] + [bool(s.pot_timer[i, p] <= 0 and (core.ITEM_POTION[s.inventory[i, p]] == kind).any())
                                    for kind in range(core.NUM_POTIONS)])
        return np.concatenate([style, prayer, eat, move, special, potion])

    # ------------------------------------------------------------------ events
    def events_for(self, action: Any) -> dict[str, Any]:
        """The raw action (``{"n", "events"}``) for a MultiDiscrete choice, from the current state."""
        try:
            act = validate_action(self.action_space, action)  # integers in range, or a clear error
        except ValueError as err:
            raise ValueError(f"{err} (heads {self.head_names})") from None
        plan = self.plan(act)
        events, n = self._timed(plan)
        self.last_events, self.last_count = events, n
        return {"n": n, "events": events}

    def plan(self, act: np.ndarray) -> list[tuple]:
        """UI actions for a choice: ``("key", tab)`` or ``("click", rect)``, in execution order."""
        s, i, p = self._state()
        o = 1 - p
        b = s.build[i, p]
        style_head, prayer_head, eat_head, move_head, special_head = (int(v) for v in act[:5])
        potion_head = int(act[5]) if self.v1 else POTION_NONE
        steps: list[tuple] = []
        tab = [int(s.open_tab[i, p])]
        inventory = s.inventory[i, p].copy()

        def open_tab(t: int) -> None:
            if tab[0] != t:
                steps.append(("key", t))
                tab[0] = t

        def click_item(item: int) -> bool:
            slots = np.flatnonzero(inventory == item)
            if not len(slots):
                return False
            open_tab(core.TAB_INVENTORY)
            steps.append(("click", core.inventory_slot_rect(int(slots[0]))))
            inventory[slots[0]] = -1  # taken (worn or eaten)
            return True

        if prayer_head != PRAYER_KEEP:
            cell = {1: 0, 2: 1, 3: 2}.get(prayer_head, core.protect_cell(max(s.protect[i, p], 0)))
            if prayer_head != PRAYER_OFF or s.protect[i, p] >= 0:
                open_tab(core.TAB_PRAYER)
                steps.append(("click", core.prayer_rect(cell)))
        if eat_head in (1, 3) and s.eat_timer[i, p] <= 0:
            click_item(int(core.MAIN_FOOD_BY_RULES[s.rules[i]]))
        if potion_head != POTION_NONE and s.pot_timer[i, p] <= 0:
            doses = [(core.ITEM_DOSES[x], x) for x in inventory if x >= 0 and core.ITEM_POTION[x] == potion_head - 1]
            if doses:
                click_item(int(min(doses)[1]))  # the fewest doses first, as a player finishes a started one
        if eat_head in (2, 3) and s.combo_timer[i, p] <= 0:
            click_item(core.ITEM_KARAMBWAN)
        kind = -1
        if special_head == SPECIAL_MAUL:
            if s.equipment[i, p, core.SLOT_WEAPON] != core.ITEM_GRANITE_MAUL:
                click_item(core.ITEM_GRANITE_MAUL)
            if s.spec_armed[i, p] == 0 or s.equipment[i, p, core.SLOT_WEAPON] != core.ITEM_GRANITE_MAUL:
                steps.append(("click", tuple(float(v) for v in core.SPEC_ORB)))
        elif special_head == SPECIAL_WEAPON:
            kind = core.SET_SPEC
        elif style_head != STYLE_KEEP:
            kind = {STYLE_MELEE: core.SET_MELEE, STYLE_RANGED: core.SET_RANGED}.get(style_head, core.SET_MAGIC)
        if kind >= 0:
            for slot in range(core.EQUIP_SLOTS):
                want = core.GEAR_SETS[b, kind, slot]
                if want != core.ITEM_EMPTY and s.equipment[i, p, slot] != want:
                    click_item(int(want))
        opp_tile = core.tile_rect(core.view_x(p, int(s.pos_x[i, o])), core.view_y(p, int(s.pos_y[i, o])))
        if special_head == SPECIAL_WEAPON and s.spec_armed[i, p] == 0:
            steps.append(("click", tuple(float(v) for v in core.SPEC_ORB)))
        if style_head == STYLE_FREEZE and special_head == 0:
            open_tab(core.TAB_MAGIC)
            steps.append(("click", core.spell_rect(core.SPELL_ICE_BARRAGE)))
        if move_head != 0 and s.frozen[i, p] == 0:
            wx, wy = self._walk_tile(s, i, p, move_head)
            steps.append(("click", core.tile_rect(core.view_x(p, wx), core.view_y(p, wy))))
        elif kind >= 0 or style_head == STYLE_FREEZE or s.target[i, p] == 0:
            steps.append(("click", opp_tile))
        if kind >= 0 and s.prayer[i, p] > 0:
            attack = core.MELEE if kind == core.SET_SPEC else kind
            if s.boost[i, p] != attack:
                open_tab(core.TAB_PRAYER)
                steps.append(("click", core.prayer_rect(core.boost_cell(attack))))
        return steps

    @staticmethod
    def _walk_tile(s: core.DuelState, i: int, p: int, move_head: int) -> tuple[int, int]:
        o = 1 - p
        px, py, ox, oy = int(s.pos_x[i, p]), int(s.pos_y[i, p]), int(s.pos_x[i, o]), int(s.pos_y[i, o])
        if move_head == 1:
            options = [(ox + dx, oy + dy) for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1))]
            options = [(x, y) for x, y in options if 0 <= x < core.ARENA_W and 0 <= y < core.ARENA_H]
            return min(options, key=lambda t: (abs(t[0] - px) + abs(t[1] - py), t))
        dx, dy = np.sign(px - ox), np.sign(py - oy)
        if dx == 0 and dy == 0:
            dx = 1
        return (int(np.clip(px + 2 * dx, 0, core.ARENA_W - 1)), int(np.clip(py + 2 * dy, 0, core.ARENA_H - 1)))

    def _timed(self, plan: list[tuple]) -> tuple[np.ndarray, int]:
        """Canonical human timing for a plan (see the module docstring)."""
        s, i, p = self._state()
        events = np.zeros((self.max_events, core.EVENT_FIELDS), np.float32)
        n = 0
        cx, cy = float(s.cursor_x[i, p]), float(s.cursor_y[i, p])
        t = START_MS

        def emit(time: float, etype: int, x: float, y: float, button: int = 0, key: int = 0) -> None:
            nonlocal n
            if n < self.max_events and time <= LAST_MS:
                events[n] = (time, etype, x, y, button, key, 0.0)
                n += 1

        for kind, arg in plan:
            if t > LAST_MS:
                break
            if kind == "key":
                emit(t, core.EV_KEY_DOWN, cx, cy, 0, arg + 1)
                emit(t + KEY_HOLD_MS, core.EV_KEY_UP, cx, cy, 0, arg + 1)
                t += KEY_HOLD_MS + GAP_MS
                continue
            rx, ry, rw, rh = arg
            tx, ty = rx + rw / 2.0, ry + rh / 2.0
            mt = FITTS_A + FITTS_B * np.log2(np.hypot(tx - cx, ty - cy) / min(rw, rh) + 1.0)
            tt = t + MOVE_EVERY_MS
            while tt < t + mt:
                tau = (tt - t) / mt
                frac = tau ** 3 * (10.0 - 15.0 * tau + 6.0 * tau * tau)
                emit(tt, core.EV_MOVE, cx + (tx - cx) * frac, cy + (ty - cy) * frac)
                tt += MOVE_EVERY_MS
            t += mt
            if t <= LAST_MS:
                emit(t, core.EV_LEFT_CLICK, tx, ty, 1)
                cx, cy = tx, ty
            t += GAP_MS
        return events, n

    def _state(self) -> tuple[core.DuelState, int, int]:
        return self.env.unwrapped.batch.state, 0, 0


__all__ = ["SemanticActions", "HEADS", "HEAD_NAMES", "HEADS_V1", "HEAD_NAMES_V1"]
