"""Territory-v2: an OpenFront.io / territorial.io style free-for-all, as Gymnasium envs.

``botarena/Territory-v2`` plays OpenFront's rules (``rules=2``, the classes' default) with the ``"share"`` reward;
``botarena/Territory-v1`` (``rules=1``, ``reward="shaped"``) stays registered for old recordings and scores. What
differs is listed under *Territory-v2* below and in the Version History.

## Description

``P`` players (2-8) share an ``H x W`` map of plains, hills, cities, water and mountains. Each owns
land and a troop pool that grows every tick by OpenFront's rule
``rate = (10 + troops**0.73 / 4) * (1 - troops / max)``, ``max = 2 * (tiles**0.6 * 1000 + 50000)`` (tiles
scaled to the map, cities add to ``max`` and to the rate). A player attacks by committing a share of its
troops toward neutral land or one enemy; every tick the attack takes the target's tiles that touch the
attacker's land, the ones it already surrounds and cheaper terrain first (v1: those nearest the chosen direction),
paying a troop cost per tile (terrain for neutral land; for enemy land a cost that grows with the defender's troop
density, and the defender loses troops).
Opposing attacks cancel troops first. A player with no tiles is eliminated; the game ends when one player
is left or one holds 80 % of the passable land. Every rule and constant, with its source, is documented in
``botarena.envs.territory.core``.

The learner plays one seat (``learner_seat``, default 0) against scripted bots (``opponents``). One step
is ``ticks_per_step`` game ticks (default 4), so a game lasts a few hundred to a thousand decisions.
``TerritoryVectorEnv`` runs ``num_envs`` games in one numba batch (``gym.make_vec``); ``TerritoryEnv`` is a
batch of one (``gym.make``).

## Constants (all in ``core``; sources in brackets)

The table is v1's; ``core``'s *Rules v2* lists what v2 changes (front speed and terrain, size modifiers,
enclaves, the dead defender, spawn immunity, retreat), each with the OpenFront file and commit it follows.

| constant | value | meaning [source] |
|----------|-------|------------------|
| growth | ``(10 + t**0.73 / 4) * (1 - t / max)`` | troops added per tick, truncated [OpenFront ``troopIncreaseRate``] |
| ``max`` | ``2 * ((tiles * s)**0.6 * 1000 + 50000)`` | troop cap [OpenFront ``maxTroops``] |
| ``s`` | ``REFERENCE_LAND / land`` = 200,000 / land | OpenFront tiles per tile of ours [ours] |
| ``CITY_MAX_TROOPS`` | 250,000 | cap added per city [OpenFront ``CITY_TROOP_INCREASE``] |
| ``CITY_GROWTH_BONUS`` | 5 % | growth added per city [ours] |
| ``TERRAIN_MAG`` | plains 80, hills 100, city 120 | terrain magnitude [OpenFront plains / highland / mountain] |
| neutral tile cost | ``s * mag / 5`` | [OpenFront ``attackLogic``, terra nullius] |
| enemy tile cost | ``s*0.7*clip(def/atk, 0.6, 2)*mag*0.8 + 0.39*density*mag/100`` | [OpenFront ``attackLogic``] |
| defender loss | ``def_troops // def_tiles`` per tile | [OpenFront ``defenderTroopLoss``] |
| front per tick | ``1 + c/4`` neutral; ``1 + c/4 * clip(5*atk/def, 0.04, 1)`` enemy | of ``c`` candidate tiles [ours] |
| ``WIN_PERCENT`` | 80 | land share that wins [OpenFront ``percentageTilesOwnedToWin``] |
| ``START_TROOPS``, ``SPAWN_TILES`` | 25,000, 13 | every spawn [ours] |
| ``MAX_ATTACKS`` | 4 | attacks at once per player [ours] |
| ``ENCLOSURE_PULL`` | 8 | tiles nearer the focus per 4-neighbour the attacker owns [ours, after OpenFront] |
| ``INTENSITY_PERCENT`` | 15, 30, 45, 60, 75 | share of home troops committed [ours] |
| ``ticks_per_step`` | 4 | game ticks per decision [ours] |

## Action Space

``action_mode="direction"`` (default): ``Discrete(45)``, ``a = direction * 5 + intensity``.

| direction | 0 N | 1 NE | 2 E | 3 SE | 4 S | 5 SW | 6 W | 7 NW | 8 WAIT |
|-----------|-----|------|-----|------|-----|------|-----|------|--------|

intensity 0-4 commits 15 / 30 / 45 / 60 / 75 % of the home troops. The target is the owner of the first
passable tile not ours on the ray cast from our territory's centroid in that direction; the attack front
favours the tiles nearest that direction. Action 40 (WAIT) is always valid; 41-44 are masked duplicates.

``action_mode="cell"``: ``MultiDiscrete([H*W + 1, 5])``: a frontier cell ``y * W + x`` (a passable tile not
ours beside our land; the attack targets its owner and favours tiles near it) or the no-op ``H*W``, and an
intensity.

Masks: a direction action is masked iff launching it would not change the game (no reachable target, no
troop committed, no free attack slot, or too few troops for the first tile; merging into a running attack
or cancelling an incoming one always counts). Cell mode's mask is per factor (SB3's ``MultiDiscrete``
masking): a cell is valid if some intensity works there, an intensity if some cell works with it; a pair
that is invalid together is a no-op. ``action_masks()`` returns the same array as ``obs["action_mask"]``.

## Observation Space

``Dict`` (channels first):

| key | dtype / shape | content |
|-----|---------------|---------|
| ``map`` | uint8 [5, H, W] | five planes, below |
| ``global`` | float32 [16] | sixteen features in [0, 2], below |
| ``action_mask`` | int8 [45] or [H*W + 6] | 1 = valid (see Action Space) |

``map`` channels:

| channel | meaning | values |
|---------|---------|--------|
| 0 | own land | 255 own, 0 else |
| 1 | enemy land | ``1 + 254 * enemy_troops // (enemy_troops + own_troops)``: the owner's strength; 0 else |
| 2 | neutral passable land | 255 neutral, 0 else |
| 3 | terrain and cities | plains 0, hills 64, city 128, water 192, mountain 255 |
| 4 | own border | 255 own tile beside foreign passable land, 128 frontier tile we may attack, 0 else |

``global`` features:

| index | feature |
|-------|---------|
| 0 | home troops / troop cap (clipped to 2) |
| 1 | log1p(home troops) / 16 |
| 2 | log1p(troop cap) / 16 |
| 3 | own land share |
| 4 | (rank by land - 1) / (P - 1), 0 = largest |
| 5 | alive players / P |
| 6 | time: tick / (max_episode_steps * ticks_per_step) |
| 7 | running own attacks / 4 |
| 8 | troops inside own attacks / (home + attack troops) |
| 9 | neutral share of the land |
| 10 | strongest bordering enemy's troops / own troops, clipped to 4, / 4 |
| 11 | that enemy's land share |
| 12 | weakest bordering enemy's troops / own troops, clipped to 4, / 4 |
| 13 | bordering enemies / (P - 1) |
| 14 | troops in enemy attacks aimed at us / own troops, clipped to 4, / 4 |
| 15 | largest land share among the other players |

### Territory-v2 (``rules=2``; v1 has none of this)

The game follows ``core``'s *Rules v2* (OpenFront's fronts, costs, enclaves, the dead defender, spawn immunity
and retreat). Direction actions 41-44 and the cell action (no-op, k >= 1) recall attack slot k - 1 (the troops
come home after 20 ticks, less 25 % from a player), masked when that slot has nothing to recall. ``map`` has
four more channels and ``global`` four features per attack slot (shape [9, H, W] and [32]):

| channel | meaning | values |
|---------|---------|--------|
| 5 | whose land | ``32 * (1 + (owner - learner) mod P)`` on a player's land (us 32, next seat 64, ...) |
| 6 | enemy density at our border | enemy tiles beside our land: ``1 + 254 * d // (d + d_us)``, d = troops/tile |
| 7 | our fronts | on the target's tiles beside our land, per attack of ours ``1 + 254 * a // (a + defender troops)`` |
| 8 | fronts on us | on our tiles beside an attacker's land ``1 + 254 * a // (a + own troops)``, the largest attack |

| index | feature of our attack slot k (index 16 + 4k + i) |
|-------|----------------------------------------|
| i = 0 | target: 0 empty, neutral land 1 / P, player q ``(1 + (q - learner) mod P) / P`` |
| i = 1 | the attack's troops / (home troops + its troops) |
| i = 2 | its troops / the defender's home troops, clipped to 4, / 4 (0 on neutral land) |
| i = 3 | 1 while it is being recalled |

## Rewards

``reward="share"`` (default; Territory-v2's): the land share gained each step (undiscounted: ``share' - share``)
plus the placement reward ``1 - 2 * (place - 1) / (P - 1)`` (+1 for first, -1 for last) at every end, truncation
included (ranked by ``core.placements``). Its undiscounted return is the final share minus the spawn's plus the
placement reward, so better play earns more (tests/envs/territory/test_territory_v2_reward.py checks it with
every scripted bot in the learner's seat). ``reward="shaped"`` (Territory-v1's): ``gamma * Phi(s') - Phi(s)`` with
``Phi`` = own land share (``Phi = 0`` once the episode terminates, so the shaping is potential-based), plus the
placement reward at termination only; with ``gamma < 1`` it charges ``(1 - gamma) x share`` every step for holding
land and its discounted sum telescopes to almost nothing. ``reward="sparse"``: only the placement reward, at
termination. Or a callable ``reward(state, index, seat, prev_share, terminated) -> float``. Nothing is paid for
surviving or for acting.

## Starting State

A map generated from the seed (value-noise elevation; 22 % water, 21 % hills, 7 % mountains, one city per
~1,200 land tiles; islands are drowned so all land is connected) or loaded from ``map_png``. Every player
starts on 13 tiles with 25,000 troops; spawns are spaced across the land with open ground around them.

## Episode End

Terminated when the learner is eliminated or the game ends (one player left, or one holds 80 % of the
land). Truncated at ``max_episode_steps`` (registered: 1,000).

## Info

Per env (vector form in ``TerritoryVectorEnv``): ``tiles``, ``troops`` (home troops), ``land_share`` of the
learner, ``players_alive``, ``placement`` (1 = best, set when the episode terminates or is truncated, by
``core.placements``; 0 before) and
``tick`` (game ticks since reset).

## Arguments

``preset`` (``"duel"`` 64x64 / 2 players, ``"standard"`` 128x128 / 5, ``"large"`` 256x256 / 8; default
standard), ``num_players`` and ``map_size`` (override the preset; ``map_size`` an int or ``(H, W)``),
``rules`` (2 = Territory-v2, the default; 1 = Territory-v1),
``map_png`` (path; a PNG map by colour: blue water, green plains, olive/brown hills, grey mountains,
red/yellow cities), ``opponents`` (``"mixed"``, ``"random"``, ``"expander"``, ``"aggressor"``, ``"turtle"``,
``"nation"`` or a list per opponent), ``action_mode``, ``reward``, ``gamma`` (0.99), ``ticks_per_step`` (4),
``learner_seat`` (0), ``render_mode`` (``"rgb_array"`` or ``"human"``), ``max_episode_steps``.
``TerritoryVectorEnv`` also takes ``num_threads`` (1): the batch is split into that many contiguous slices
whose bots, rules, observations and masks run on their own threads (the kernels release the GIL). Results
do not depend on it: every game draws from its own RNG and touches only its own rows.

## Version History

* v2: OpenFront's rules (``core``'s *Rules v2*, after OpenFront main 1ebac8e8): the whole shared border advances
  in OpenFront's priority order with a fading click-direction bias (v1: a wedge toward the focus); front speed
  from the troops committed and the terrain (v1 conquered about 2.6x faster relative to troop growth);
  mountains passable and slow; the large-attacker and large-defender modifiers; enclaves captured every 20
  ticks; a player under 100 OpenFront tiles annexed; spawn immunity for 50 ticks; attacks recalled (actions
  41-44, cell (no-op, k)). The observation gains four channels and sixteen attack-slot features (above). The
  default reward is ``"share"`` (v1: ``"shaped"``). ``opponents="mixed"`` seats nation, aggressor, expander,
  turtle (v1: expander, aggressor, turtle, random). Scores and recordings from v1 do not carry over.

* v1: an attack takes first the tiles it already surrounds (OpenFront's ``numOwnedByMe`` term, see
  ``core``'s *Conquest order*), then the ones nearest its focus: fronts widen instead of drawing one-tile
  lines toward the focus. Scores and recordings from v0 do not carry over.
* v0: initial release.

Example:

>>> from botarena.envs.territory import TerritoryEnv
>>> env = TerritoryEnv(preset="duel")
>>> obs, info = env.reset(seed=0)
>>> obs["map"].shape, obs["global"].shape, obs["action_mask"].shape
((9, 64, 64), (32,), (45,))
>>> obs, reward, terminated, truncated, info = env.step(40)
>>> bool(terminated)
False
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode

from botarena.envs.common import BatchedVectorEnv, SingleEnvView
from botarena.envs.common.validation import check_int

from . import bots, core, mapgen, observe, render

PRESETS: dict[str, tuple[int, int]] = {"duel": (64, 2), "standard": (128, 5), "large": (256, 8)}
ACTION_MODES = ("direction", "cell")
REWARDS = ("shaped", "sparse", "share")
DEFAULT_MAX_EPISODE_STEPS = 1000
MIN_GENERATED_SIDE = 16  # generated maps; a PNG map may be as small as core.MIN_MAP_SIDE
MAX_TICKS_PER_STEP = 64
MAX_THREADS = 256
NUM_DIRECTION_ACTIONS = (core.NUM_DIRECTIONS + 1) * core.NUM_INTENSITIES
WAIT_ACTION = core.WAIT * core.NUM_INTENSITIES

RewardFn = Callable[[core.TerritoryState, int, int, float, bool], float]
# ``rules``: 2 plays Territory-v2 (the classes' default), OpenFront's rules (``core``'s *Rules v2*) with its wider
# observation (``observe``'s v2 channels and attack slots) and attack recalls; 1 plays Territory-v1, which
# ``botarena/Territory-v1`` pins for old recordings and scores.
RULE_SETS = (core.RULES_V1, core.RULES_V2)
DEFAULT_RULES = core.LATEST_RULES
DEFAULT_REWARD = "share"


def check_rules(rules: int) -> int:
    if isinstance(rules, bool) or not isinstance(rules, (int, np.integer)) or int(rules) not in RULE_SETS:
        raise ValueError(f"rules must be one of {list(RULE_SETS)} (Territory-v1, Territory-v2), got {rules!r}")
    return int(rules)


def resolve_dims(preset: str | None, num_players: int | None, map_size: int | tuple[int, int] | None,
                 map_png: str | None) -> tuple[int, int, int, np.ndarray | None]:
    """(height, width, num_players, fixed_terrain) from the arguments, with ValueErrors naming the argument."""
    if preset is None:
        preset = "standard"
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {list(PRESETS)}, got {preset!r}")
    size, players = PRESETS[preset]
    if num_players is None:
        num_players = players
    num_players = check_int("num_players", num_players, core.MIN_PLAYERS, core.MAX_PLAYERS)
    terrain = None
    if map_png is not None:
        terrain = mapgen.load_png_map(str(map_png))
        h, w = terrain.shape
        if map_size is not None and tuple(np.broadcast_to(map_size, 2)) != (h, w):
            raise ValueError(f"map_size {map_size!r} disagrees with the {h}x{w} map_png {map_png!r}; omit map_size")
    else:
        if map_size is None:
            map_size = size
        if isinstance(map_size, (int, np.integer)) and not isinstance(map_size, bool):
            h = w = int(map_size)
        elif isinstance(map_size, (tuple, list)) and len(map_size) == 2 and all(
                isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in map_size):
            h, w = (int(v) for v in map_size)
        else:
            raise ValueError(f"map_size must be an int or a (height, width) pair of ints, got {map_size!r}")
        check_int("map_size height", h, MIN_GENERATED_SIDE, core.MAX_MAP_SIDE)
        check_int("map_size width", w, MIN_GENERATED_SIDE, core.MAX_MAP_SIDE)
    return h, w, num_players, terrain


def check_args(action_mode: str, reward: str | RewardFn, gamma: float, ticks_per_step: int) -> None:
    """ValueErrors naming the argument, for the arguments the Gymnasium and PettingZoo envs share."""
    if action_mode not in ACTION_MODES:
        raise ValueError(f"action_mode must be one of {list(ACTION_MODES)}, got {action_mode!r}")
    if not callable(reward) and reward not in REWARDS:
        raise ValueError(f"reward must be one of {list(REWARDS)} or a callable, got {reward!r}")
    if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or not 0.0 < gamma <= 1.0:
        raise ValueError(f"gamma must be a float in (0, 1], got {gamma!r}")
    check_int("ticks_per_step", ticks_per_step, 1, 64)


def observation_buffers(num_envs: int, h: int, w: int, mask_len: int,
                        rules: int = DEFAULT_RULES) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``map``, ``global`` and ``action_mask`` buffers the kernels write ``num_envs`` observations into."""
    return (np.zeros((num_envs, observe.obs_channels(rules), h, w), np.uint8),
            np.zeros((num_envs, observe.global_features(rules)), np.float32),
            np.zeros((num_envs, mask_len), np.int8))


def time_scale_ticks(max_episode_steps: int | None, ticks_per_step: int) -> int:
    """Ticks in a full-length game: the observations' time feature is ``tick`` over this."""
    return (max_episode_steps or DEFAULT_MAX_EPISODE_STEPS) * ticks_per_step


def placement_reward(place: np.ndarray, num_players: int) -> np.ndarray:
    """``1 - 2 * (place - 1) / (P - 1)``: +1 for first, -1 for last (see Rewards)."""
    return 1.0 - 2.0 * (place - 1) / (num_players - 1)


def shaped_reward(gamma: float, share: np.ndarray, prev_share: np.ndarray, terminated: np.ndarray,
                  place_reward: np.ndarray) -> np.ndarray:
    """Potential-based shaping (Ng et al. 1999) with Phi = own land share, Phi = 0 at termination, plus the
    placement reward."""
    phi_next = np.where(terminated, 0.0, share)
    return gamma * phi_next - prev_share + place_reward


def share_reward(share: np.ndarray, prev_share: np.ndarray, place_reward: np.ndarray) -> np.ndarray:
    """``reward="share"``: the land share gained this step, undiscounted, plus the placement reward at every end
    (termination or truncation). The undiscounted return is the final share minus the spawn's plus the
    placement reward, so better play earns more; no potential charges ``(1 - gamma) x share`` for holding land."""
    return share - prev_share + place_reward


def tile_size(h: int, w: int) -> int:
    """Pixels per tile of a rendered frame: the map fits about 768 pixels, 2 to 6 per tile."""
    return max(2, min(6, 768 // max(h, w)))


def territory_spaces(h: int, w: int, action_mode: str, rules: int = DEFAULT_RULES) -> tuple[spaces.Dict, spaces.Space]:
    """One seat's observation and action spaces (shared by the Gymnasium and PettingZoo envs)."""
    hw = h * w
    mask_len = NUM_DIRECTION_ACTIONS if action_mode == "direction" else hw + 1 + core.NUM_INTENSITIES
    obs_space = spaces.Dict({
        "map": spaces.Box(0, 255, (observe.obs_channels(rules), h, w), np.uint8),
        "global": spaces.Box(0.0, 2.0, (observe.global_features(rules),), np.float32),
        "action_mask": spaces.Box(0, 1, (mask_len,), np.int8),
    })
    if action_mode == "direction":
        return obs_space, spaces.Discrete(NUM_DIRECTION_ACTIONS)
    return obs_space, spaces.MultiDiscrete([hw + 1, core.NUM_INTENSITIES])


def encode_actions(actions: np.ndarray, action_mode: str, hw: int, rows: np.ndarray,
                   rules: int = DEFAULT_RULES) -> np.ndarray:
    """Write action-space actions ``[K]`` (direction) or ``[K, 2]`` (cell) as core rows ``[K, 3]`` in place.

    Core rows are ``(mode, direction or cell, intensity)``; cell mode's no-op index ``hw`` becomes WAIT. Under
    v2 the WAIT actions with intensity k >= 1 (direction 41-44; cell (no-op, k)) recall attack slot k - 1.
    """
    if action_mode == "direction":
        rows[:, 0] = core.MODE_DIRECTION
        rows[:, 1] = actions // core.NUM_INTENSITIES
        rows[:, 2] = actions % core.NUM_INTENSITIES
    else:
        noop = actions[:, 0] == hw
        rows[:, 0] = np.where(noop, core.MODE_DIRECTION, core.MODE_CELL)
        rows[:, 1] = np.where(noop, core.WAIT, actions[:, 0])
        rows[:, 2] = actions[:, 1]
    if rules >= core.RULES_V2:
        recall = (rows[:, 0] == core.MODE_DIRECTION) & (rows[:, 1] == core.WAIT) & (rows[:, 2] >= 1)
        rows[:, 0] = np.where(recall, core.MODE_RETREAT, rows[:, 0])
        rows[:, 1] = np.where(recall, rows[:, 2] - 1, rows[:, 1])
    return rows


class TerritoryVectorEnv(BatchedVectorEnv):
    """``num_envs`` Territory games stepped together by the numba kernels (see the module docstring)."""

    metadata: dict[str, Any] = {
        "render_modes": ["rgb_array", "human"],
        "render_fps": 15,
        "autoreset_mode": AutoresetMode.SAME_STEP,
    }

    def __init__(
        self,
        num_envs: int = 1,
        *,
        preset: str | None = None,
        num_players: int | None = None,
        map_size: int | tuple[int, int] | None = None,
        map_png: str | None = None,
        opponents: str | list[str] | tuple[str, ...] = "mixed",
        action_mode: str = "direction",
        reward: str | RewardFn = DEFAULT_REWARD,
        gamma: float = 0.99,
        ticks_per_step: int = 4,
        learner_seat: int = 0,
        max_episode_steps: int | None = DEFAULT_MAX_EPISODE_STEPS,
        autoreset_mode: AutoresetMode | str = AutoresetMode.SAME_STEP,
        render_mode: str | None = None,
        num_threads: int = 1,
        rules: int = DEFAULT_RULES,
    ) -> None:
        h, w, num_p, terrain = resolve_dims(preset, num_players, map_size, map_png)
        check_int("num_threads", num_threads, 1, MAX_THREADS)
        check_args(action_mode, reward, gamma, ticks_per_step)
        check_int("learner_seat", learner_seat, 0, num_p - 1)
        self.rules = check_rules(rules)
        obs_space, act_space = territory_spaces(h, w, action_mode, self.rules)
        mask_len = obs_space["action_mask"].shape[0]
        super().__init__(num_envs, obs_space, act_space, max_episode_steps=max_episode_steps,
                         autoreset_mode=autoreset_mode, render_mode=render_mode)
        n = self.num_envs
        self.height, self.width, self.num_players = h, w, num_p
        self.action_mode = action_mode
        self.reward_mode = reward
        self.gamma = float(gamma)
        self.ticks_per_step = int(ticks_per_step)
        self.learner_seat = int(learner_seat)
        self.opponents = opponents
        # The kernels draw from the same RNG words the base seeds.
        self.state = core.TerritoryState.allocate(n, h, w, num_p, self.rules)._replace(rng_state=self.rng_state)
        self.fixed_terrain = terrain if terrain is not None else np.zeros((1, 1), np.uint8)
        self.policies = np.tile(bots.policy_ids(opponents, num_p, self.learner_seat, self.rules), (n, 1))
        self.seats = np.full(n, self.learner_seat, np.int64)
        self.core_actions = np.zeros((n, num_p, 3), np.int64)
        self.map_buf, self.global_buf, self.mask_buf = observation_buffers(n, h, w, mask_len, self.rules)
        self.prev_share = np.zeros(n, np.float64)
        self.placement = np.zeros(n, np.int64)
        self._places = np.zeros(num_p, np.int64)
        self._max_ticks = time_scale_ticks(max_episode_steps, self.ticks_per_step)
        # The buffers persist between calls: only envs whose game changed since they were last written are
        # rewritten (``_obs_stale``), and the terrain channel only after a reset (``_terrain_stale``).
        self._obs_stale = np.ones(n, np.bool_)
        # One contiguous slice of the batch per thread, each with its own bot scratch row.
        self.num_threads = min(int(num_threads), n)
        bounds = np.linspace(0, n, self.num_threads + 1).astype(int)
        rows = np.arange(n)
        self._slices = [(rows >= lo) & (rows < hi) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
        self._bot_scratch = [bots.new_scratch() for _ in range(self.num_threads)]
        self._pool: ThreadPoolExecutor | None = None
        self._pool_pid = 0
        self._terrain_stale = np.ones(n, np.bool_)
        self._mask_stale = np.ones(n, np.bool_)

    # ------------------------------------------------------------------ hooks
    def _reset_envs(self, mask: np.ndarray) -> None:
        mapgen.reset_envs(self.state, mask.astype(np.uint8), self.fixed_terrain, self.fixed_terrain.shape[0] > 1)
        self._obs_stale |= mask
        self._terrain_stale |= mask
        self._mask_stale |= mask
        self.prev_share[mask] = self._share()[mask]
        self.placement[mask] = 0

    def _step_envs(self, actions: np.ndarray, active: np.ndarray) -> None:
        s = self.state
        seat = self.learner_seat
        encode_actions(actions, self.action_mode, self.height * self.width, self.core_actions[:, seat], self.rules)

        def advance(part: np.ndarray, scratch: np.ndarray) -> None:
            bots.bot_actions(s, self.policies, self.core_actions, part, scratch)
            core.step_envs(s, self.core_actions, self.ticks_per_step, part)

        self._on_slices(advance, active)
        self._obs_stale |= active
        self._mask_stale |= active
        share = self._share()
        terminated = active & ((s.alive[:, seat] == 0) | (s.done == 1))
        self.terminated[active] = terminated[active]
        # Truncated this step (the base class sets ``truncated`` after this hook): ranked by the game's own
        # placements, like a terminated game, so ``info["placement"]`` and reward="share" see every end.
        truncating = np.zeros_like(terminated)
        if self.max_episode_steps is not None:
            truncating = active & ~terminated & (self.episode_steps + 1 >= self.max_episode_steps)
        ended = terminated | truncating
        for i in np.flatnonzero(ended):
            core.placements(s, i, self._places)
            self.placement[i] = self._places[seat]
        if callable(self.reward_mode):
            for i in np.flatnonzero(active):
                self.rewards[i] = float(self.reward_mode(s, int(i), seat, float(self.prev_share[i]),
                                                         bool(terminated[i])))
        else:
            place_reward = np.where(terminated, placement_reward(self.placement, self.num_players), 0.0)
            if self.reward_mode == "shaped":
                shaped = shaped_reward(self.gamma, share, self.prev_share, terminated, place_reward)
            elif self.reward_mode == "share":
                every_end = np.where(ended, placement_reward(self.placement, self.num_players), 0.0)
                shaped = share_reward(share, self.prev_share, every_end)
            else:
                shaped = place_reward
            self.rewards[active] = shaped[active]
        self.prev_share[active] = share[active]

    def _observation(self) -> dict[str, np.ndarray]:
        s = self.state
        if self._obs_stale.any() or self._mask_stale.any():

            def write(part: np.ndarray, _scratch: np.ndarray) -> None:
                observe.write_observations_for(s, self.seats, self.map_buf, self.global_buf, self._max_ticks,
                                            part & self._obs_stale, self._terrain_stale)
                self._write_mask_rows(part & self._mask_stale)

            self._on_slices(write, self._obs_stale | self._mask_stale)
            self._obs_stale[:] = False
            self._terrain_stale[:] = False
            self._mask_stale[:] = False
        return {"map": self.map_buf, "global": self.global_buf, "action_mask": self.mask_buf}

    def _info(self) -> dict[str, Any]:
        s = self.state
        seat = self.learner_seat
        return {
            "tiles": s.tiles[:, seat].astype(np.int64),
            "troops": s.troops[:, seat].copy(),
            "land_share": self._share(),
            "players_alive": s.alive.sum(axis=1).astype(np.int64),
            "placement": self.placement.copy(),
            "tick": s.tick.copy(),
        }

    def _render_frame(self, index: int) -> np.ndarray:
        return render.render_rgb(self.state, index, tile_px=tile_size(self.height, self.width))

    # ------------------------------------------------------------------ public
    def action_masks(self) -> np.ndarray:
        """The current valid actions, bool [num_envs, 45] (direction) or [num_envs, H*W + 6] (cell).

        The masks of the last ``reset``/``step`` are reused (they are part of its observation); call
        ``invalidate_cache()`` after editing ``state`` by hand.
        """
        self._write_masks()
        return self.mask_buf.astype(bool)

    def invalidate_cache(self) -> None:
        """Forget the cached observations and masks (after ``state`` was edited from outside the env)."""
        self._obs_stale[:] = True
        self._terrain_stale[:] = True
        self._mask_stale[:] = True

    # ------------------------------------------------------------------ helpers
    def _write_masks(self) -> None:
        if self._mask_stale.any():
            self._write_mask_rows(self._mask_stale)
            self._mask_stale[:] = False

    def _write_mask_rows(self, envs: np.ndarray) -> None:
        if self.action_mode == "direction":
            observe.write_direction_masks_for(self.state, self.seats, self.mask_buf, envs)
        else:
            observe.write_cell_masks_for(self.state, self.seats, self.mask_buf, envs)

    def _on_slices(self, work: Callable[[np.ndarray, np.ndarray], None], envs: np.ndarray) -> None:
        """Run ``work(envs & slice, scratch)`` for every thread's slice of the batch that has an env to do."""
        jobs = [(envs & part, scratch) for part, scratch in zip(self._slices, self._bot_scratch, strict=True)]
        jobs = [(part, scratch) for part, scratch in jobs if part.any()]
        if len(jobs) <= 1:
            for part, scratch in jobs:
                work(part, scratch)
            return
        if self._pool is None or self._pool_pid != os.getpid():
            # A forked copy inherits the pool object but not its threads: it starts its own.
            self._pool = ThreadPoolExecutor(self.num_threads, thread_name_prefix="territory")
            self._pool_pid = os.getpid()
        futures = [self._pool.submit(work, part, scratch) for part, scratch in jobs]
        wait(futures)  # every slice has stopped writing before a worker's exception is raised here
        for future in futures:
            future.result()

    def close(self, **kwargs: Any) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        super().close(**kwargs)

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state["_pool"] = None  # threads do not pickle; the pool restarts on the next step
        return state

    def _share(self) -> np.ndarray:
        s = self.state
        return s.tiles[:, self.learner_seat] / np.maximum(s.land, 1)


class TerritoryEnv(SingleEnvView):
    """One Territory game as a ``gymnasium.Env`` (a batch of one; see the module docstring)."""

    vector_class = TerritoryVectorEnv

    def action_masks(self) -> np.ndarray:
        return self.batch.action_masks()[0].copy()


# help(TerritoryEnv) shows the whole game documentation, which lives in this module's docstring.
TerritoryEnv.__doc__ = __doc__


