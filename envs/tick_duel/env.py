"""TickDuel-v1: an Old School RuneScape-style PvP duel on 600 ms ticks, played through timed input events.

``botarena/TickDuel-v1`` plays the OSRS mechanics NH duelling turns on (``rules=1``, the classes' default: prayer
flicking, hit delays in PID order, brews and restores, instant and magic specials; ``core``'s *Rules v1*);
``botarena/TickDuel-v0`` (``rules=0``) stays registered: old recordings replay on it exactly (v0 demonstration
datasets describe other rules, so the v1 dataset loader refuses them by name: write v1 ones).

## Description

Two players duel on a 10 x 6 tile arena, each with hitpoints, prayer points, special-attack energy, three gear
sets (melee, ranged, magic) and food in a 28-slot inventory, protection and boost prayers, and an ice barrage
that freezes. One step is one game tick of 600 ms. The action is not an abstract decision but the *input the
player makes during the tick*: mouse moves, clicks with screen coordinates and key presses, each with a time in
milliseconds, on a fixed 765 x 503 client screen (viewport, tab buttons, side panel, special-attack orb). The
events are interpreted in time order against the client as it is at that moment (an F-key opens a tab at once,
so the next click lands on that tab's grid) and the game effects resolve at the tick boundary, so order and
timing inside a tick change the outcome: a protection prayer clicked at 590 ms protects against the attack
launched at this tick's boundary, one clicked at 5 ms of the next tick does not; under v1 a prayer clicked off
and on again inside one tick protects and drains no prayer points (flicking).

The learner plays seat 0 against a scripted opponent (``opponent``, default ``"nh_expert"``) that emits the
same event arrays through the same UI code, driven by a human motor model (``bots``). Every rule, constant and
screen region, with its OSRS source, is documented in ``botarena.envs.tick_duel.core``; the bots in
``botarena.envs.tick_duel.bots``.

## Constants (all in ``core``; sources in brackets)

| constant | value | meaning [source] |
|----------|-------|------------------|
| ``TICK_MS`` | 600 | one game tick [OSRS wiki, Game tick] |
| attack speed | 4 (whip, daggers), 5 (crossbows, spells) ticks | [OSRS wiki, Attack speed] |
| ``PROTECT_FACTOR`` | 0.6 | protection prayers cut PvP damage by 40 % [OSRS wiki, Protect from Melee] |
| ``EAT_DELAY`` | 3 ticks | between two sharks; karambwan has its own timer (combo eating) [OSRS wiki, Food] |
| ``FOOD_ATTACK_DELAY`` | 3 (karambwan 2) ticks | added to the attack timer by eating [OSRS wiki, Food] |
| ``FREEZE_TICKS`` | 32 (v0: 16 through protect from magic) | ice barrage freeze [OSRS wiki, Ice Barrage] |
| hit delay (v1) | melee 0, crossbow ``1 + (3+d)//6``, spell ``1 + (1+d)//3`` (+1 PID) | [OSRS wiki, Hit delay] |
| ``POTION_DELAY`` (v1) | 3 ticks | between potions; a potion also blocks food [RuneLite, runedocs] |
| ``FREEZE_IMMUNITY_TICKS`` | 5 | immunity after a freeze [OSRS wiki, Freeze] |
| accuracy | ``A > D ? 1 - (D+2)/(2(A+1)) : A/(2(D+1))`` | rolls from levels and bonuses [OSRS wiki, Combat] |
| max hit | ``floor(0.5 + eff_str (str_bonus + 64) / 640)``; spells 30 / 29 | [OSRS wiki, Maximum hit] |
| special energy | 100, +10 every 50 ticks; dagger 25 %, voidwaker 50 % | [OSRS wiki, Special attacks] |
| prayer drain | counter += drain effects, a point per ``60 + 2 * bonus`` | [OSRS wiki, Prayer] |
| ranges | melee orthogonal 1, ranged 7, magic 10 tiles; run 2 tiles per tick | [OSRS wiki, Attack range] |
| ``MAX_EVENTS`` | 64 (``max_events``) | events a step may carry [ours] |

## Action Space

``Dict(n=Discrete(max_events + 1), events=Box(low, high, (max_events, 7), float32))``: the first ``n`` rows of
``events`` are the tick's input events, each ``(time_ms, type, x, y, button, key_id, scroll)``:

| field | range | meaning |
|-------|-------|---------|
| time_ms | [0, 600) | time inside the tick |
| type | [0, 5], rounded | MOVE 0, LEFT_CLICK 1, RIGHT_CLICK 2, KEY_DOWN 3, KEY_UP 4, SCROLL 5 |
| x, y | [0, 765), [0, 503) | screen pixel |
| button | [0, 3], rounded | none, left, right, middle (as recorded; the type decides) |
| key_id | [0, 15], rounded | 0 none, 1-5 F1-F5 (open the combat, inventory, equipment, prayer, magic tab) |
| scroll | [-10, 10] | wheel ticks (no game effect) |

Every element of the space is a legal action (``action_space.sample()`` always steps); the first ``n`` events
are applied in a stable sort by ``time_ms``. Values outside the space (NaN, a time of 600 or more, a pixel off
the screen, a wrong shape) raise a ``ValueError`` naming the field. The screen layout is the table in ``core``.

## Observation Space

``Dict``:

| key | dtype / shape | content |
|-----|---------------|---------|
| ``gamestate`` | float32 [152] (v0: [128]) | the features below (v0: the first 128) |
| ``action_history`` | float32 [10, max_events, 7] | own events of the last 10 ticks (row 9: the last tick) |
| ``history_len`` | int32 [10] | the number of events in each row of ``action_history`` |

Each ``action_history`` row holds a tick's events in time order, integer fields rounded, zero padded.

``gamestate`` features (index: meaning; v0 has the first 128, with item ids divided by 26):

{FEATURE_TABLE}

## Rewards

``reward="default"``: ``(damage dealt - damage taken) / 10`` each tick, plus ``+10`` for a win and ``-10`` for a
loss when the duel ends (a draw pays 0). ``reward="sparse"``: ``+1`` / ``-1`` / ``0`` at the end only. Or a
callable ``reward(state, index, terminated) -> float`` on the ``core.DuelState`` (the learner is seat 0).

## Starting State

Both players at full hitpoints, prayer and special energy, in their magic set with the inventory of their build
(``core.START_INVENTORY_BY_RULES``; v1: the other gear sets, a special-attack weapon, a granite maul, a super
combat and a ranging potion, 3 super restores, 5 brews (pures 2 and 4), anglerfish and two karambwans; v0:
the gear, sharks and four karambwans), on tiles (2, 2) and (7, 3), inventory tab open, cursor at the screen
centre; v1 draws which seat acts first (PID).

## Episode End

Terminated when a player's hitpoints reach 0 (both in one tick: a draw). Truncated at ``max_episode_steps``
ticks (registered: 500).

## Info

Per env: ``hp``, ``opponent_hp``, ``damage_dealt``, ``damage_taken`` (this tick), ``winner`` (0 learner, 1
opponent, 2 draw, -1 running), ``tick``, ``opponent_events`` (events the opponent made this tick).

## Arguments

``build`` (``"max"``, ``"zerker"``, ``"pure"`` or ``"random"``, default ``"max"``), ``opponent_build`` (same
choices; default: the same as ``build``), ``opponent`` (a name from ``bots.BOT_NAMES``, default
``"nh_expert"``; or a registered TickDuel agent's name such as ``"tick_duel/decoder"``, or any object with
``act_batch(obs)``: it then plays seat 1 from seat 1's own observation, see ``resolve_opponent``),
``max_events`` (64), ``reward``, ``render_mode`` (``"rgb_array"`` or ``"human"``),
``max_episode_steps``, ``rules`` (1 = TickDuel-v1, the default; 0 = TickDuel-v0).

## Version History

* v1: the mechanics NH duelling turns on (``core``'s *Rules v1*): the boundary runs per player in PID order
  (hits land, timers, movement, attack) and hits land after their delay, so a bolt or barrage in flight and a
  melee hit can stack; damage and the target's prayer are rolled at launch; a prayer switched on during a tick
  drains nothing at its boundary (flicking); freezes keep 32 ticks through Protect from Magic; anglerfish,
  Saradomin brews, super restores, super combat and ranging potions with their doses and the food / potion /
  karambwan timers (v0 let a karambwan go before a shark); the voidwaker special always hits for 50-150 % of the
  max as magic damage, the granite maul's is instant; item bonuses as osrs-dps-calc's table (Bandos chestplate,
  fighter torso, crossbow bolts, mystic, unholy book, magic damage); the aggressive stance's +3 strength and
  magic accuracy +9. The observation gains 24 features: hits in flight, current levels, supplies, PID.
* v0: initial release.

Example:

>>> from botarena.envs.tick_duel import TickDuelEnv
>>> env = TickDuelEnv(build="pure")
>>> obs, info = env.reset(seed=0)
>>> obs["gamestate"].shape, obs["action_history"].shape, obs["history_len"].shape
((152,), (10, 64, 7), (10,))
>>> import numpy as np
>>> events = np.zeros((64, 7), np.float32)
>>> events[0] = (120.0, 3, 0, 0, 0, 4, 0)  # F4 at 120 ms: open the prayer tab
>>> obs, reward, terminated, truncated, info = env.step({"n": 1, "events": events})
>>> int(obs["gamestate"][27])  # open tab: prayer
1
>>> obs["gamestate"].shape, TickDuelEnv(rules=0).reset(seed=0)[0]["gamestate"].shape  # v1, then v0
((152,), (128,))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode

from botarena.envs.common import BatchedVectorEnv, SingleEnvView, rng
from botarena.envs.common.validation import validate_batch_action

from . import bots, core, observe

HISTORY = 10
DEFAULT_MAX_EVENTS = 64
DEFAULT_MAX_EPISODE_STEPS = 500
REWARDS = ("default", "sparse")
WIN_REWARD = 10.0
DAMAGE_SCALE = 0.1

RewardFn = Callable[[core.DuelState, int, bool], float]

__doc__ = __doc__.replace("{FEATURE_TABLE}", "\n".join(
    f"* {k}: {name}" for k, name in enumerate(observe.observation_features(core.RULES_V1))))


def event_space(max_events: int) -> spaces.Box:
    """The ``events`` Box: ``max_events`` rows of the seven fields (see the module docstring)."""
    below = np.float32(np.nextafter(np.float32(core.TICK_MS), np.float32(0)))
    low = np.array([0, 0, 0, 0, 0, 0, -core.MAX_SCROLL], np.float32)
    high = np.array([below, core.NUM_EVENT_TYPES - 1, np.nextafter(np.float32(core.SCREEN_W), np.float32(0)),
                     np.nextafter(np.float32(core.SCREEN_H), np.float32(0)), core.NUM_BUTTONS - 1,
                     core.NUM_KEYS - 1, core.MAX_SCROLL], np.float32)
    return spaces.Box(np.tile(low, (max_events, 1)), np.tile(high, (max_events, 1)), (max_events, 7), np.float32)


def check_rules(rules: Any) -> int:
    if isinstance(rules, bool) or not isinstance(rules, (int, np.integer)) or int(rules) not in core.RULE_SETS:
        raise ValueError(f"rules must be one of {list(core.RULE_SETS)} (TickDuel-v0, TickDuel-v1), got {rules!r}")
    return int(rules)


def duel_spaces(max_events: int, rules: int = core.LATEST_RULES) -> tuple[spaces.Dict, spaces.Dict]:
    """One player's observation and action spaces (shared by the Gymnasium and PettingZoo envs)."""
    one = event_space(max_events)
    shape = (HISTORY, max_events, core.EVENT_FIELDS)
    obs_space = spaces.Dict({
        "gamestate": spaces.Box(-2.0, 2.0, (observe.obs_size(rules),), np.float32),
        "action_history": spaces.Box(np.broadcast_to(one.low, shape).copy(), np.broadcast_to(one.high, shape).copy(),
                                     shape, np.float32),
        "history_len": spaces.Box(0, max_events, (HISTORY,), np.int32),
    })
    act_space = spaces.Dict({"n": spaces.Discrete(max_events + 1), "events": event_space(max_events)})
    return obs_space, act_space


def check_max_events(max_events: Any) -> int:
    if isinstance(max_events, bool) or not isinstance(max_events, (int, np.integer)) or not 1 <= max_events <= 256:
        raise ValueError(f"max_events must be an int in [1, 256], got {max_events!r}")
    return int(max_events)


def resolve_opponent(opponent: Any) -> Any:
    """The built-in bot's name, or the agent, behind ``opponent``: a bot name (``bots.BOT_NAMES``); a registered
    TickDuel agent's name (``"tick_duel/decoder"``; one that wraps a built-in bot, like ``"tick_duel/nh_expert"``,
    gives that bot); or any object with ``act_batch(obs) -> {"n", "events"}``. An agent plays seat 1 from seat
    1's own observation."""
    if isinstance(opponent, str) and opponent in bots.BOT_NAMES:
        return opponent
    if hasattr(opponent, "act_batch"):
        return opponent
    if isinstance(opponent, str) and opponent.startswith("tick_duel/"):
        from botarena.agents import list_agents, make_agent  # only an agent opponent needs the agents package

        spec = {spec.name: spec for spec in list_agents("tick_duel")}.get(opponent)
        if spec is not None:
            return spec.kwargs.get("native_bot") or make_agent(opponent)
    raise ValueError(f"opponent must be a built-in bot ({', '.join(bots.BOT_NAMES)}), a registered tick_duel agent "
                     f"(botarena.agents.list_agents('tick_duel')) or an object with act_batch(obs), got {opponent!r}")


def build_choice(name: str, arg: str) -> int:
    """Build id, or -1 for ``"random"``."""
    if name == "random":
        return -1
    if name not in core.BUILD_NAMES:
        raise ValueError(f"{arg} must be one of {[*core.BUILD_NAMES, 'random']}, got {name!r}")
    return core.BUILD_NAMES.index(name)


def damage_rewards(s: core.DuelState, seats: np.ndarray | int, terminated: np.ndarray, mode: str) -> np.ndarray:
    """The preset rewards of ``seats`` (per env) given the state after a tick (see Rewards)."""
    n = s.hp.shape[0]
    idx = np.arange(n)
    seats = np.broadcast_to(np.asarray(seats, np.int64), (n,))
    win = np.where(s.winner == seats, 1.0, np.where((s.winner >= 0) & (s.winner < 2), -1.0, 0.0))
    win = np.where(terminated, win, 0.0)
    if mode == "sparse":
        return win
    diff = s.dealt[idx, seats] - s.taken[idx, seats]
    return DAMAGE_SCALE * diff + WIN_REWARD * win


class TickDuelVectorEnv(BatchedVectorEnv):
    """``num_envs`` duels stepped together by the numba kernels (see the module docstring)."""

    metadata: dict[str, Any] = {
        "render_modes": ["rgb_array", "human"],
        "render_fps": 5,
        "autoreset_mode": AutoresetMode.SAME_STEP,
    }

    def __init__(
        self,
        num_envs: int = 1,
        *,
        build: str = "max",
        opponent_build: str | None = None,
        opponent: str | Any = "nh_expert",
        max_events: int = DEFAULT_MAX_EVENTS,
        reward: str | RewardFn = "default",
        max_episode_steps: int | None = DEFAULT_MAX_EPISODE_STEPS,
        autoreset_mode: AutoresetMode | str = AutoresetMode.SAME_STEP,
        render_mode: str | None = None,
        rules: int = core.LATEST_RULES,
    ) -> None:
        max_events = check_max_events(max_events)
        self.rules = check_rules(rules)
        b0 = build_choice(build, "build")
        b1 = build_choice(build if opponent_build is None else opponent_build, "opponent_build")
        resolved = resolve_opponent(opponent)
        self.opponent_agent = None if isinstance(resolved, str) else resolved
        opp = bots.BOT_NONE if self.opponent_agent is not None else bots.bot_id(resolved)
        if not callable(reward) and reward not in REWARDS:
            raise ValueError(f"reward must be one of {list(REWARDS)} or a callable, got {reward!r}")
        obs_space, act_space = duel_spaces(max_events, self.rules)
        super().__init__(num_envs, obs_space, act_space, max_episode_steps=max_episode_steps,
                         autoreset_mode=autoreset_mode, render_mode=render_mode)
        n = self.num_envs
        self.max_events = max_events
        self.build, self.opponent_build, self.opponent = build, opponent_build or build, opponent
        self.reward_mode = reward
        self.state = core.DuelState.allocate(n, self.rules)._replace(rng_state=self.rng_state)
        self.builds = np.tile(np.array([max(b0, 0), max(b1, 0)], np.int64), (n, 1))
        self.random_build = np.array([b0 < 0, b1 < 0], np.bool_)
        self.policies = np.tile(np.array([bots.BOT_NONE, opp], np.int8), (n, 1))
        self.events = np.zeros((n, core.NUM_PLAYERS, max_events, core.EVENT_FIELDS), np.float32)
        self.counts = np.zeros((n, core.NUM_PLAYERS), np.int64)
        self.hist = np.zeros((n, HISTORY, max_events, core.EVENT_FIELDS), np.float32)
        self.hist_len = np.zeros((n, HISTORY), np.int32)
        self.obs_buf = np.zeros((n, observe.obs_size(self.rules)), np.float32)
        self.since_opp = np.zeros(n, np.int64)
        if self.opponent_agent is not None:  # seat 1's own view, as the learner's
            self.opp_hist = np.zeros_like(self.hist)
            self.opp_hist_len = np.zeros_like(self.hist_len)
            self.opp_obs_buf = np.zeros_like(self.obs_buf)
            self.opp_since = np.zeros(n, np.int64)
        self._order = np.zeros(max_events, np.int64)
        self._plan = bots.new_plan()

    def reset(self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
              ) -> tuple[Any, dict[str, Any]]:
        out = super().reset(seed=seed, options=options)
        if self.opponent_agent is not None and hasattr(self.opponent_agent, "reset"):
            self.opponent_agent.reset(seed if isinstance(seed, int) else None)
        return out

    # ------------------------------------------------------------------ expert labels
    def expert_events(self, player: str | np.ndarray = "nh_expert") -> dict[str, np.ndarray]:
        """The action a scripted ``player`` would make in seat 0 of every env now: ``{"n", "events"}`` as the
        action space, zero for an env whose duel is over. For DAgger: label the states a learner reaches.

        ``player`` is a bot name, or an array of bot ids (``bots.bot_id``) per env. Labelling changes nothing in
        the game: the bot draws from seat 0's own stream, which only a bot in that seat reads, so a learner that
        plays the labels plays exactly the game the bot would have played.
        """
        ids = np.broadcast_to(np.asarray(bots.bot_id(player) if isinstance(player, str) else player, np.int8),
                              (self.num_envs,))
        if ((ids < 0) | (ids >= len(bots.BOT_NAMES))).any():
            raise ValueError(f"player ids must be in [0, {len(bots.BOT_NAMES)}), got {np.unique(ids).tolist()}")
        policies = np.full((self.num_envs, core.NUM_PLAYERS), bots.BOT_NONE, np.int8)
        policies[:, 0] = ids
        events = np.zeros((self.num_envs, core.NUM_PLAYERS, self.max_events, core.EVENT_FIELDS), np.float32)
        counts = np.zeros((self.num_envs, core.NUM_PLAYERS), np.int64)
        bots.bot_events(self.state, policies, events, counts, np.ones(self.num_envs, np.bool_), self._plan)
        return {"n": counts[:, 0].copy(), "events": events[:, 0].copy()}

    # ------------------------------------------------------------------ hooks
    def _reset_envs(self, mask: np.ndarray) -> None:
        s = self.state
        for p in range(core.NUM_PLAYERS):
            if self.random_build[p]:
                # Drawn from the env's own stream so the build is part of the seeded trajectory.
                for i in np.flatnonzero(mask):
                    self.builds[i, p] = int(rng.randint(s.rng_state, int(i), core.NUM_BUILDS))
        core.reset_envs(s, mask, self.builds, np.zeros(self.num_envs, np.bool_))
        self.hist[mask] = 0.0
        self.hist_len[mask] = 0
        self.counts[mask] = 0
        self.events[mask] = 0.0
        self.since_opp[mask] = 0
        if self.opponent_agent is not None:
            self.opp_hist[mask] = 0.0
            self.opp_hist_len[mask] = 0
            self.opp_since[mask] = 0

    def _step_envs(self, actions: dict[str, np.ndarray], active: np.ndarray) -> None:
        s = self.state
        finished = active & (s.done == 1)  # stepped again with autoreset disabled: stays over, pays nothing
        self.rewards[finished] = 0.0
        self.terminated[finished] = True
        active = active & ~finished
        self.counts[:, 0] = actions["n"]
        self.events[:, 0] = actions["events"]
        self.counts[:, 1] = 0
        if self.opponent_agent is not None:
            observe.write_observations(s, 1, self.opp_obs_buf, self.opp_since)
            seat_1 = {"gamestate": self.opp_obs_buf.copy(), "action_history": self.opp_hist.copy(),
                      "history_len": self.opp_hist_len.copy()}
            played = validate_batch_action(self.single_action_space, self.opponent_agent.act_batch(seat_1),
                                           self.num_envs, name="the opponent agent's actions")
            self.counts[:, 1] = np.where(active, played["n"], 0)
            self.events[:, 1] = played["events"]
        bots.bot_events(s, self.policies, self.events, self.counts, active, self._plan)
        core.step_envs(s, self.events, self.counts, active, self._order)
        observe.push_history(self.events, self.counts, 0, self.hist, self.hist_len, active, self._order)
        if self.opponent_agent is not None:
            observe.push_history(self.events, self.counts, 1, self.opp_hist, self.opp_hist_len, active, self._order)
            self.opp_since = np.where(active, np.where(s.last_style[:, 0] >= 0, 0, self.opp_since + 1),
                                      self.opp_since)
        self.since_opp = np.where(active, np.where(s.last_style[:, 1] >= 0, 0, self.since_opp + 1), self.since_opp)
        terminated = active & (s.done == 1)
        self.terminated[active] = terminated[active]
        if callable(self.reward_mode):
            for i in np.flatnonzero(active):
                self.rewards[i] = float(self.reward_mode(s, int(i), bool(terminated[i])))
        else:
            r = damage_rewards(s, 0, terminated, self.reward_mode)
            self.rewards[active] = r[active]

    def _observation(self) -> dict[str, np.ndarray]:
        observe.write_observations(self.state, 0, self.obs_buf, self.since_opp)
        return {"gamestate": self.obs_buf, "action_history": self.hist, "history_len": self.hist_len}

    def _info(self) -> dict[str, Any]:
        s = self.state
        return {
            "hp": s.hp[:, 0].copy(), "opponent_hp": s.hp[:, 1].copy(), "damage_dealt": s.dealt[:, 0].copy(),
            "damage_taken": s.taken[:, 0].copy(), "winner": s.winner.copy(), "tick": s.tick.copy(),
            "opponent_events": self.counts[:, 1].copy(),
        }

    def _render_frame(self, index: int) -> np.ndarray:
        from . import render

        return render.render_rgb(self.state, index, 0, self.events[index, 0], int(self.counts[index, 0]))


class TickDuelEnv(SingleEnvView):
    """One duel as a ``gymnasium.Env`` (a batch of one; see the module docstring)."""

    vector_class = TickDuelVectorEnv


# help(TickDuelEnv) shows the whole game documentation, which lives in this module's docstring.
TickDuelEnv.__doc__ = __doc__


__all__ = ["TickDuelEnv", "TickDuelVectorEnv", "check_rules", "duel_spaces", "event_space", "damage_rewards",
           "HISTORY"]
