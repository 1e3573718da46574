"""ClickArena-v0: a DarkOrbit-style target-clicking arena at 60 Hz, as Gymnasium envs.

## Description

The learner flies one ship in a 2,000 x 2,000 unit map seen through an 800 x 600 screen centred on the
ship, 60 frames per second, for three minutes or until the ship dies. It acts only like a DarkOrbit player:
through a mouse cursor and an attack key. A click on an alien locks it; holding the attack key fires the
laser at the locked alien once a second while it is within range; a click on a bonus box sends the ship to
collect it; a click on empty space flies the ship there. The cursor travels toward the commanded point at
a bounded speed, so a moving alien must be led, and a click that misses does nothing. Aliens of three
kinds wander, turn aggressive in range, orbit and shoot, and respawn; boxes give credits or repair; the
shield regenerates and a repair robot mends the hull only out of combat. Every rule and constant, with its
source, is in ``botarena.envs.click_arena.core``.

``ClickArenaVectorEnv`` runs ``num_envs`` arenas in one numba batch (``gym.make_vec``); ``ClickArenaEnv``
is a batch of one (``gym.make``).

## Constants (all in ``core``; sources in brackets)

| constant | value | meaning [source] |
|----------|-------|------------------|
| ``FPS`` | 60 | frames per second; one step is one frame [ours; DarkOrbit HTML5 client] |
| ``MAP_W`` x ``MAP_H`` | 2,000 x 2,000 | map, world units [ours] |
| ``VIEW_W`` x ``VIEW_H`` | 800 x 600 | screen, px = units [DarkOrbit's original client window] |
| ``SHIP_SPEED`` | 330 units/s | [DarkOrbit Liberator] |
| ``SHIP_HULL``, ``SHIP_SHIELD`` | 16,000, 8,000 | [Liberator hull; four SG3N-A01 shields] |
| ``SHIELD_ABSORB`` | 0.8 | share of damage the shield takes [DarkOrbit SG3N] |
| ``OUT_OF_COMBAT_S``, ``SHIELD_REGEN`` | 5 s, 5 %/s | shield regeneration out of combat [ours] |
| ``REPAIR_DELAY_S``, ``HULL_REPAIR`` | 8 s, 1 %/s | repair robot out of combat [DarkOrbit REP-1] |
| ``LASER_DAMAGE``, ``LASER_COOLDOWN``, ``LASER_RANGE`` | 600, 1 s, 550 | [4 x LF-2, DarkOrbit fire rate and range] |
| aliens (hp, damage/s, speed) | 1,200/30/280; 4,800/90/200; 12,000/210/125 | [DarkOrbit Streuner, Saimon, Mordon] |
| alien credits | 400, 1,600, 3,200 | [DarkOrbit] |
| ``ALIEN_RESPAWN_S`` | 6 s | [ours] |
| box | 300 credits or 25 % hull; respawn 10 s | [ours] |
| ``CURSOR_SPEED`` | 3,000 px/s (``inf`` with ``cursor="teleport"``) | [fast human flick] |

## Action Space

``Box(0, 1, (4,), float32)``: ``[cursor_x, cursor_y, click, attack]``, the ``[mouse_x, mouse_y, click, keys]``
a hierarchical agent's executor emits. ``cursor_x``, ``cursor_y`` are the commanded point on the screen as
fractions of its width and height; ``click > 0.5`` holds the mouse button (a press, which acts, is the frame
it goes from released to held); ``attack > 0.5`` holds the attack key. NaN, a wrong shape or a value outside
[0, 1] raises a ``ValueError``.

## Observation Space

``Dict``:

| key | dtype / shape | content |
|-----|---------------|---------|
| ``objects`` | float32 [16, 20] | the 16 most relevant objects on screen, zero rows after them |
| ``object_mask`` | int8 [16] | 1 for a real row |
| ``state`` | float32 [64] | own ship, cursor, lock, laser, combat, progress, minimap |
| ``pixels`` (``obs_mode="pixels"``) | uint8 [3, 96, 96] | the screen drawn small (``observe.write_pixels``) |

Objects are ordered by relevance: the locked target (or the box we fly to) first, then objects aggressive
toward us, then the rest by distance. ``objects`` columns (``core.ObjectColumn``): 0 present; 1-6 one-hot
kind (alien fast, medium, tank, credits box, repair box, other ship); 7-8 screen position / screen size; 9-10
position relative to the ship / screen size; 11-12 velocity / ship speed; 13 click radius / 50; 14 health
fraction; 15 targeted by us (locked, or the box we fly to); 16 aggressive toward us; 17 distance / laser range
(clipped to 4); 18 within laser range; 19 under the cursor.

``state`` columns (``core.StateColumn``): 0 hull, 1 shield (fractions); 2-3 position / map size; 4-5
velocity / ship speed; 6-7 cursor / screen size; 8-9 commanded cursor point; 10 click held; 11 attack held;
12 has lock, 13 lock is alien, 14 lock is ship; 15-16 lock relative position; 17-18 lock on screen; 19 lock
health; 20 lock distance / laser range; 21 lock in range; 22 laser cooldown / 1 s; 23 laser ready; 24 fired
this frame; 25 in combat; 26 seconds since combat / 10; 27 shield regenerating; 28 hull repairing; 29
moving; 30-31 fly target relative / screen size; 32 collecting a box; 33 log1p(credits) / 12; 34 kills /
20; 35 time used; 36 time left; 37 aliens on screen / 16; 38 aliens aggressive toward us / 8; 39 boxes on
screen / 8; 40-41 nearest alien on screen, relative; 42-43 nearest box on screen, relative; 44-47 distance
to the left, right, top, bottom map edge / screen size (clip 1); 48 damage dealt this frame / laser damage;
49 hull lost this frame / 1,000; 50 aggressive aliens within their range / 8; 51 other ships alive / 3;
52-55 living aliens per map quadrant / 16 (the minimap); 56-59 boxes per quadrant / 8; 60 cursor on an
alien; 61 cursor on a box; 62 cursor speed limited; 63 difficulty (0, 0.5, 1).

## Rewards

``reward="dense"`` (default), per frame: ``damage_dealt / 1000 + credits_earned / 1000 - hull_lost / 1000
- 10 * died`` (credits come from kills — 400 / 1,600 / 3,200 — and credit boxes — 300). ``reward="sparse"``:
``credits_earned / 1000`` only. Or a callable ``reward(state, index, seat) -> float`` reading the step
fields of ``core.ArenaState`` (``step_damage``, ``step_credits``, ``step_hull_lost``, ``step_died``,
``step_kills``). Nothing is paid for surviving or for acting.

## Starting State

The ship at rest near the centre with full hull and shield, the cursor mid-screen; aliens (kinds 50 / 35 /
15 %) and boxes scattered from the seed, aliens away from the ship.

## Episode End

Terminated when the ship's hull reaches 0. Truncated at ``max_episode_steps`` (registered: 10,800 frames =
3 minutes).

## Info

Per env (vector form in ``ClickArenaVectorEnv``): ``credits``, ``kills``, ``damage_dealt``, ``hull``,
``shield``.

## Expert labels

``ClickArenaVectorEnv.expert_labels()`` runs the ``expert`` bot's kernel (``bots.bot_actions``) for the
learner's ship on the current state and returns its decision at every level: ``mode`` (int64 [N],
``bots.MODE_NAMES``), ``target_kind`` / ``target_idx`` (``bots.TARGET_NAMES``; alien, box, ship or map
point), ``goal`` (float64 [N, 2], the world point the tactician works on), ``aim`` (float64 [N, 2], the
screen point the hand is moving to) and ``action`` (float32 [N, 4]). The executor keeps its motor state
between calls, so call it once per step; stepping with ``labels["action"]`` plays exactly as the expert
seat does. ``ClickArenaEnv.expert_labels()`` returns the same for its one env (no batch axis).

## Arguments

``difficulty`` (``"easy"``, ``"standard"``, ``"hard"``; see ``core.DIFFICULTY_PRESETS``), ``cursor``
(``"human"``: bounded speed; ``"teleport"``), ``obs_mode`` (``"objects"``, ``"pixels"``), ``reward``
(``"dense"``, ``"sparse"`` or a callable), ``render_mode`` (``"rgb_array"``, ``"human"``),
``max_episode_steps``.

## Version History

* v0: initial release.

Example:

>>> from botarena.envs.click_arena import ClickArenaEnv
>>> env = ClickArenaEnv()
>>> obs, info = env.reset(seed=0)
>>> obs["objects"].shape, obs["object_mask"].shape, obs["state"].shape
((16, 20), (16,), (64,))
>>> obs, reward, terminated, truncated, info = env.step([0.5, 0.5, 0.0, 0.0])
>>> bool(terminated)
False
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode

from botarena.envs.common import BatchedVectorEnv, SingleEnvView

from . import bots, core, observe

OBS_MODES = ("objects", "pixels")
REWARDS = ("dense", "sparse")
CURSORS = ("human", "teleport")
DEFAULT_MAX_EPISODE_STEPS = 10800
REWARD_PER_DAMAGE = 1e-3
REWARD_PER_CREDIT = 1e-3
REWARD_PER_HULL = 1e-3
DEATH_PENALTY = 10.0

RewardFn = Callable[[core.ArenaState, int, int], float]


def arena_spaces(obs_mode: str) -> tuple[spaces.Dict, spaces.Box]:
    """One ship's observation and action spaces (shared by the Gymnasium and PettingZoo envs)."""
    d = {
        "objects": spaces.Box(-10.0, 10.0, (core.NUM_OBJECTS, core.OBJECT_FEATURES), np.float32),
        "object_mask": spaces.Box(0, 1, (core.NUM_OBJECTS,), np.int8),
        "state": spaces.Box(-10.0, 10.0, (core.STATE_FEATURES,), np.float32),
    }
    if obs_mode == "pixels":
        d["pixels"] = spaces.Box(0, 255, (3, core.PIXELS, core.PIXELS), np.uint8)
    return spaces.Dict(d), spaces.Box(0.0, 1.0, (4,), np.float32)


def check_args(difficulty: str, cursor: str, obs_mode: str, reward: Any) -> None:
    """ValueErrors naming the argument, the value and what is allowed."""
    if difficulty not in core.DIFFICULTIES:
        raise ValueError(f"difficulty must be one of {list(core.DIFFICULTIES)}, got {difficulty!r}")
    if cursor not in CURSORS:
        raise ValueError(f"cursor must be one of {list(CURSORS)}, got {cursor!r}")
    if obs_mode not in OBS_MODES:
        raise ValueError(f"obs_mode must be one of {list(OBS_MODES)}, got {obs_mode!r}")
    if not callable(reward) and reward not in REWARDS:
        raise ValueError(f"reward must be one of {list(REWARDS)} or a callable, got {reward!r}")


def step_rewards(s: core.ArenaState, index: Any, reward: str) -> np.ndarray:
    """The last step's rewards (dense or sparse) at ``index`` of the ``[N, MAX_SHIPS]`` step arrays: ``n`` for
    every seat of env ``n``, ``(slice(None), seat)`` for one seat of every env."""
    if reward == "sparse":
        return s.step_credits[index] * REWARD_PER_CREDIT
    return (s.step_damage[index] * REWARD_PER_DAMAGE + s.step_credits[index] * REWARD_PER_CREDIT
            - s.step_hull_lost[index] * REWARD_PER_HULL - DEATH_PENALTY * s.step_died[index])


class ClickArenaVectorEnv(BatchedVectorEnv):
    """``num_envs`` ClickArena games stepped together by the numba kernels (see the module docstring)."""

    metadata: dict[str, Any] = {
        "render_modes": ["rgb_array", "human"],
        "render_fps": core.FPS,
        "autoreset_mode": AutoresetMode.SAME_STEP,
    }

    def __init__(
        self,
        num_envs: int = 1,
        *,
        difficulty: str = "standard",
        cursor: str = "human",
        obs_mode: str = "objects",
        reward: str | RewardFn = "dense",
        max_episode_steps: int | None = DEFAULT_MAX_EPISODE_STEPS,
        autoreset_mode: AutoresetMode | str = AutoresetMode.SAME_STEP,
        render_mode: str | None = None,
    ) -> None:
        check_args(difficulty, cursor, obs_mode, reward)
        obs_space, act_space = arena_spaces(obs_mode)
        super().__init__(num_envs, obs_space, act_space, max_episode_steps=max_episode_steps,
                         autoreset_mode=autoreset_mode, render_mode=render_mode)
        n = self.num_envs
        self.difficulty, self.cursor, self.obs_mode, self.reward_mode = difficulty, cursor, obs_mode, reward
        params = core.make_params(difficulty, cursor, max_episode_steps or DEFAULT_MAX_EPISODE_STEPS)
        # The kernels draw from the same RNG words the base seeds.
        self.state = core.ArenaState.allocate(n, params, 1)._replace(rng_state=self.rng_state)
        self.seat = 0
        self.seats = np.zeros(n, np.int64)
        self.core_actions = np.zeros((n, core.MAX_SHIPS, 4), np.float32)
        self.objects_buf = np.zeros((n, core.NUM_OBJECTS, core.OBJECT_FEATURES), np.float32)
        self.mask_buf = np.zeros((n, core.NUM_OBJECTS), np.int8)
        self.state_buf = np.zeros((n, core.STATE_FEATURES), np.float32)
        self.pixels_buf = np.zeros((n, 3, core.PIXELS, core.PIXELS), np.uint8) if obs_mode == "pixels" else None
        # The expert whose labels expert_labels() returns (its own motor state and RNG words).
        self.label_bots = bots.BotState.allocate(n)
        self.label_policies = bots.policy_ids({0: "expert"}, n)
        self._label_actions = np.zeros((n, core.MAX_SHIPS, 4), np.float32)
        self._obs_stale = np.ones(n, np.bool_)

    # ------------------------------------------------------------------ hooks
    def _reset_envs(self, mask: np.ndarray) -> None:
        m = mask.astype(np.uint8)
        core.reset_envs(self.state, m)
        bots.reset_bots(self.state, self.label_bots, m)
        self._obs_stale |= mask

    def _step_envs(self, actions: np.ndarray, active: np.ndarray) -> None:
        s = self.state
        self.core_actions[:, 0] = actions
        core.step_envs(s, self.core_actions, active.astype(np.uint8))
        self._obs_stale |= active
        self.terminated[active] = s.step_died[active, 0] == 1
        if callable(self.reward_mode):
            for i in np.flatnonzero(active):
                self.rewards[i] = float(self.reward_mode(s, int(i), 0))
        else:
            self.rewards[active] = step_rewards(s, (slice(None), 0), self.reward_mode)[active]

    def _observation(self) -> dict[str, np.ndarray]:
        if self._obs_stale.any():
            which = self._obs_stale.astype(np.uint8)
            observe.write_observations(self.state, self.seats, self.objects_buf, self.mask_buf, self.state_buf, which)
            if self.pixels_buf is not None:
                observe.write_pixels(self.state, self.seats, self.pixels_buf, which)
            self._obs_stale[:] = False
        obs = {"objects": self.objects_buf, "object_mask": self.mask_buf, "state": self.state_buf}
        if self.pixels_buf is not None:
            obs["pixels"] = self.pixels_buf
        return obs

    def _info(self) -> dict[str, Any]:
        s = self.state
        return {
            "credits": s.ship_credits[:, 0].copy(),
            "kills": s.ship_kills[:, 0].copy(),
            "damage_dealt": s.ship_damage[:, 0].copy(),
            "hull": s.ship_hull[:, 0].copy(),
            "shield": s.ship_shield[:, 0].copy(),
        }

    def _render_frame(self, index: int) -> np.ndarray:
        from . import render

        return render.render_frame(self.state, index, self.seat)

    # ------------------------------------------------------------------ public
    def expert_labels(self) -> dict[str, np.ndarray]:
        """The expert's decision for the learner's ship in every env now (see "Expert labels" above)."""
        if not self._has_reset:
            raise RuntimeError("call reset() before expert_labels()")
        b = self.label_bots
        bots.bot_actions(self.state, b, self.label_policies, self._label_actions, self.state.ship_alive[:, 0].copy())
        return {
            "mode": b.mode[:, 0].copy(),
            "target_kind": b.target_kind[:, 0].copy(),
            "target_idx": b.target_idx[:, 0].copy(),
            "goal": np.stack([b.goal_x[:, 0], b.goal_y[:, 0]], axis=1),
            "aim": np.stack([b.aim_x[:, 0], b.aim_y[:, 0]], axis=1),
            "action": b.action[:, 0].copy(),
        }

    def invalidate_cache(self) -> None:
        """Forget the cached observations (after ``state`` was edited from outside the env)."""
        self._obs_stale[:] = True


class ClickArenaEnv(SingleEnvView):
    """One ClickArena game as a ``gymnasium.Env`` (a batch of one; see the module docstring)."""

    vector_class = ClickArenaVectorEnv

    def expert_labels(self) -> dict[str, Any]:
        """The expert's labels for this env's ship now (``ClickArenaVectorEnv.expert_labels`` without the batch)."""
        return {key: value[0] for key, value in self.batch.expert_labels().items()}


# help(ClickArenaEnv) shows the whole game documentation, which lives in this module's docstring.
ClickArenaEnv.__doc__ = __doc__


