"""Territory as PettingZoo envs: every player is an agent (``player_0`` ... ``player_{P-1}``).

``parallel_env(...)`` returns a ``ParallelEnv``; ``env(...)`` its AEC form (``parallel_to_aec``). The rules
are the same batched kernels as the Gymnasium env (a batch of one). Each agent sees exactly the
single-agent observation from its own seat (``map``, ``global``, ``action_mask``) and takes the same action
space. Rewards are the single-agent ones per player (shaped or sparse, see ``env.py``). An eliminated
agent terminates with its placement reward and leaves ``agents``; when the game ends every remaining agent
terminates. ``max_cycles`` truncates.

Scripted bots can hold seats: ``bots={seat: "expander", ...}`` (names from ``bots.BOT_NAMES``). Those seats
are not agents (``possible_agents`` lists only the others, still named by seat, e.g. ``player_0``,
``player_2``). After the last agent has left, ``play_out()`` lets the bots finish the game (up to
``max_cycles`` decisions in all) and ``final_placements()`` gives every seat's placement (1 = best).

>>> from botarena.envs.territory import parallel_env
>>> penv = parallel_env(preset="duel")
>>> obs, infos = penv.reset(seed=0)
>>> sorted(obs)
['player_0', 'player_1']
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pettingzoo.utils.conversions import parallel_to_aec

from botarena.envs.common import GameParallelEnv

from . import bots as scripted
from . import core, mapgen, observe, render
from .env import ACTION_MODES, REWARDS, WAIT_ACTION, encode_actions, resolve_dims, territory_spaces


class TerritoryParallelEnv(GameParallelEnv):
    """All players of one Territory game as PettingZoo agents (see the module docstring)."""

    metadata: dict[str, Any] = {"render_modes": ["rgb_array", "human"], "name": "territory_v0",
                                "is_parallelizable": True, "render_fps": 15}

    def __init__(self, *, preset: str | None = None, num_players: int | None = None,
                 map_size: int | tuple[int, int] | None = None, map_png: str | None = None,
                 action_mode: str = "direction", reward: str = "shaped", gamma: float = 0.99,
                 ticks_per_step: int = 4, max_cycles: int | None = 1000, render_mode: str | None = None,
                 bots: dict[int, str] | None = None) -> None:
        h, w, num_p, terrain = resolve_dims(preset, num_players, map_size, map_png)
        bots = dict(bots or {})
        for seat, name in bots.items():
            if isinstance(seat, bool) or not isinstance(seat, (int, np.integer)) or not 0 <= seat < num_p:
                raise ValueError(f"bots keys must be seats in [0, {num_p - 1}], got {seat!r}")
            if name not in scripted.BOT_NAMES:
                raise ValueError(f"bots[{seat}] must be one of {list(scripted.BOT_NAMES)}, got {name!r}")
        if len(bots) >= num_p:
            raise ValueError(f"bots must leave at least one of the {num_p} seats to an agent, got {bots!r}")
        if action_mode not in ACTION_MODES:
            raise ValueError(f"action_mode must be one of {list(ACTION_MODES)}, got {action_mode!r}")
        if reward not in REWARDS:
            raise ValueError(f"reward must be one of {list(REWARDS)}, got {reward!r}")
        if isinstance(ticks_per_step, bool) or not isinstance(ticks_per_step, (int, np.integer)) or not (
                1 <= ticks_per_step <= 64):
            raise ValueError(f"ticks_per_step must be an int in [1, 64], got {ticks_per_step!r}")
        if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or not 0.0 < gamma <= 1.0:
            raise ValueError(f"gamma must be a float in (0, 1], got {gamma!r}")
        hw = h * w
        obs_space, act_space = territory_spaces(h, w, action_mode)
        mask_len = obs_space["action_mask"].shape[0]
        noop: Any = WAIT_ACTION if action_mode == "direction" else np.array([hw, 0], np.int64)
        super().__init__(num_p, obs_space, act_space, noop, max_cycles=max_cycles, render_mode=render_mode)
        # Bot seats play inside the game and are not agents.
        self.possible_agents = [f"player_{p}" for p in range(num_p) if p not in bots]
        self.agent_index = {f"player_{p}": p for p in range(num_p) if p not in bots}
        self.policies = np.full((1, num_p), scripted.BOT_NONE, np.int8)
        for seat, name in bots.items():
            self.policies[0, seat] = scripted.BOT_NAMES.index(name)
        self.height, self.width = h, w
        self.action_mode = action_mode
        self.reward_mode = reward
        self.gamma = float(gamma)
        self.ticks_per_step = int(ticks_per_step)
        self.state = core.TerritoryState.allocate(1, h, w, num_p)
        self.fixed_terrain = terrain if terrain is not None else np.zeros((1, 1), np.uint8)
        self.core_actions = np.zeros((1, num_p, 3), np.int64)
        self.map_buf = np.zeros((1, observe.OBS_CHANNELS, h, w), np.uint8)
        self.global_buf = np.zeros((1, observe.GLOBAL_FEATURES), np.float32)
        self.mask_buf = np.zeros((1, mask_len), np.int8)
        self.prev_share = np.zeros(num_p, np.float64)
        self.placement = np.zeros(num_p, np.int64)
        self._places = np.zeros(num_p, np.int64)
        self._seen = False
        self._max_ticks = (max_cycles or 1000) * self.ticks_per_step

    def _reset_game(self, seed: int | None) -> None:
        from botarena.envs.common.rng import batch_seeds, seed_words

        if seed is not None or not self._seen:
            self.state.rng_state[:] = seed_words(batch_seeds(seed, 1))
        self._seen = True
        mapgen.reset_envs(self.state, np.ones(1, np.uint8), self.fixed_terrain, self.fixed_terrain.shape[0] > 1)
        self.prev_share[:] = self._shares()
        self.placement[:] = 0

    def _step_game(self, actions: Any, acting: np.ndarray) -> None:
        s = self.state
        row = encode_actions(actions, self.action_mode, self.height * self.width, self.core_actions[0])
        row[~acting] = (core.MODE_DIRECTION, core.WAIT, 0)
        scripted.bot_actions(s, self.policies, self.core_actions)
        core.step_envs(s, self.core_actions, self.ticks_per_step)
        shares = self._shares()
        out = acting & ((s.alive[0] == 0) | bool(s.done[0]))
        if out.any():
            core.placements(s, 0, self._places)
            self.placement[out] = self._places[out]
        place_reward = np.where(out, 1.0 - 2.0 * (self.placement - 1) / (self.num_players - 1), 0.0)
        if self.reward_mode == "shaped":
            rewards = self.gamma * np.where(out, 0.0, shares) - self.prev_share + place_reward
        else:
            rewards = place_reward
        self.player_rewards[:] = np.where(acting, rewards, 0.0)
        self.player_done[:] = out
        self.prev_share[:] = shares

    def _observe(self, player: int) -> dict[str, np.ndarray]:
        s = self.state
        seats = np.array([player], np.int64)
        observe.write_observations(s, seats, self.map_buf, self.global_buf, self._max_ticks)
        if self.action_mode == "direction":
            observe.write_direction_masks(s, seats, self.mask_buf)
        else:
            observe.write_cell_masks(s, seats, self.mask_buf)
        return {"map": self.map_buf[0].copy(), "global": self.global_buf[0].copy(),
                "action_mask": self.mask_buf[0].copy()}

    def _info(self, player: int) -> dict[str, Any]:
        s = self.state
        return {"tiles": int(s.tiles[0, player]), "troops": int(s.troops[0, player]),
                "placement": int(self.placement[player])}

    def _render_frame(self) -> np.ndarray:
        tile_px = max(2, min(6, 768 // max(self.height, self.width)))
        return render.render_rgb(self.state, 0, tile_px=tile_px)

    def play_out(self) -> None:
        """Let the bot seats finish the game after every agent has left (up to ``max_cycles`` decisions)."""
        s = self.state
        limit = self.max_cycles if self.max_cycles is not None else 1000
        wait = np.zeros_like(self.core_actions)
        wait[:, :, 0] = core.MODE_DIRECTION
        wait[:, :, 1] = core.WAIT
        while not s.done[0] and self.cycles < limit:
            self.core_actions[:] = wait
            scripted.bot_actions(s, self.policies, self.core_actions)
            core.step_envs(s, self.core_actions, self.ticks_per_step)
            self.cycles += 1

    def final_placements(self) -> np.ndarray:
        """Placement of every seat now, int64 [P] (1 = best; see ``core.placements``)."""
        out = np.zeros(self.num_players, np.int64)
        core.placements(self.state, 0, out)
        return out

    def _shares(self) -> np.ndarray:
        s = self.state
        return s.tiles[0] / max(int(s.land[0]), 1)


def parallel_env(**kwargs: Any) -> TerritoryParallelEnv:
    """The PettingZoo ``ParallelEnv`` (keyword arguments as ``TerritoryParallelEnv``)."""
    return TerritoryParallelEnv(**kwargs)


def env(**kwargs: Any) -> Any:
    """The PettingZoo AEC env: ``parallel_to_aec(parallel_env(**kwargs))``."""
    return parallel_to_aec(parallel_env(**kwargs))


__all__ = ["TerritoryParallelEnv", "env", "parallel_env"]
