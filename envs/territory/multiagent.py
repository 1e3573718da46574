"""Territory as PettingZoo envs: every player is an agent (``player_0`` ... ``player_{P-1}``).

``parallel_env(...)`` returns a ``ParallelEnv``; ``env(...)`` its AEC form (``parallel_to_aec``). The rules
are the same batched kernels as the Gymnasium env (a batch of one), with the same arguments, checks,
observation buffers and reward rule (``env.py``). Each agent sees exactly the single-agent observation from
its own seat (``map``, ``global``, ``action_mask``) and takes the same action space. Rewards are the
single-agent ones per player (``"share"``, the default, ``"shaped"`` or ``"sparse"``, see ``env.py``); ``rules``
is 2 (Territory-v2, the default) or 1 (Territory-v1). An eliminated agent terminates
with its placement reward and leaves ``agents``; when the game ends every remaining agent terminates.
``max_cycles`` truncates.

Scripted bots can hold seats: ``bots={seat: "expander", ...}`` (names from ``bots.BOT_NAMES``; every seat may be
a bot). Those seats are not agents (``possible_agents`` lists only the others, still named by seat, e.g.
``player_0``, ``player_2``). ``play_out()`` lets the bots finish the game (up to ``max_cycles`` decisions in
all), ``episode_returns()`` gives every seat's return by the same reward rule, and ``final_placements()``
every seat's placement (1 = best; see ``core.placements``).

>>> from botarena.envs.territory import parallel_env
>>> penv = parallel_env(preset="duel")
>>> obs, infos = penv.reset(seed=0)
>>> sorted(obs)
['player_0', 'player_1']
>>> penv.metadata["name"]
'territory_v2'
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pettingzoo.utils.conversions import parallel_to_aec

from botarena.envs.common import GameParallelEnv

from . import bots as scripted
from . import core, mapgen, observe, render
from .env import (
    DEFAULT_MAX_EPISODE_STEPS,
    DEFAULT_REWARD,
    DEFAULT_RULES,
    WAIT_ACTION,
    check_args,
    check_rules,
    encode_actions,
    observation_buffers,
    placement_reward,
    resolve_dims,
    shaped_reward,
    share_reward,
    territory_spaces,
    tile_size,
    time_scale_ticks,
)


class TerritoryParallelEnv(GameParallelEnv):
    """All players of one Territory game as PettingZoo agents (see the module docstring)."""

    metadata: dict[str, Any] = {"render_modes": ["rgb_array", "human"], "is_parallelizable": True,
                                "render_fps": 15}
    game = "territory"
    bot_names = scripted.BOT_NAMES

    def __init__(self, *, preset: str | None = None, num_players: int | None = None,
                 map_size: int | tuple[int, int] | None = None, map_png: str | None = None,
                 action_mode: str = "direction", reward: str = DEFAULT_REWARD, gamma: float = 0.99,
                 ticks_per_step: int = 4, max_cycles: int | None = DEFAULT_MAX_EPISODE_STEPS,
                 render_mode: str | None = None, bots: dict[int, str] | None = None,
                 rules: int = DEFAULT_RULES) -> None:
        h, w, num_p, terrain = resolve_dims(preset, num_players, map_size, map_png)
        check_args(action_mode, reward, gamma, ticks_per_step)
        if callable(reward):
            raise ValueError("reward must be 'shaped', 'sparse' or 'share' in the PettingZoo env, got a callable")
        self.rules = check_rules(rules)
        obs_space, act_space = territory_spaces(h, w, action_mode, self.rules)
        noop: Any = WAIT_ACTION if action_mode == "direction" else np.array([h * w, 0], np.int64)
        super().__init__(num_p, obs_space, act_space, noop, bots=bots, max_cycles=max_cycles,
                         render_mode=render_mode)
        self.policies = np.full((1, num_p), scripted.BOT_NONE, np.int8)
        for seat, name in self.bots.items():
            self.policies[0, seat] = scripted.BOT_NAMES.index(name)
        self.height, self.width = h, w
        self.action_mode = action_mode
        self.reward_mode = reward
        self.gamma = float(gamma)
        self.ticks_per_step = int(ticks_per_step)
        self.state = core.TerritoryState.allocate(1, h, w, num_p, self.rules)._replace(rng_state=self.rng_state)
        self.fixed_terrain = terrain if terrain is not None else np.zeros((1, 1), np.uint8)
        self.core_actions = np.zeros((1, num_p, 3), np.int64)
        mask_len = obs_space["action_mask"].shape[0]
        self.map_buf, self.global_buf, self.mask_buf = observation_buffers(1, h, w, mask_len, self.rules)
        self.prev_share = np.zeros(num_p, np.float64)
        self.placement = np.zeros(num_p, np.int64)
        self._places = np.zeros(num_p, np.int64)
        self._max_ticks = time_scale_ticks(max_cycles, self.ticks_per_step)

    def _reset_game(self) -> None:
        mapgen.reset_envs(self.state, np.ones(1, np.uint8), self.fixed_terrain, self.fixed_terrain.shape[0] > 1)
        self.prev_share[:] = self._shares()
        self.placement[:] = 0

    def _step_game(self, actions: Any, acting: np.ndarray) -> None:
        s = self.state
        row = encode_actions(actions, self.action_mode, self.height * self.width, self.core_actions[0], self.rules)
        row[~acting] = (core.MODE_DIRECTION, core.WAIT, 0)
        scripted.bot_actions(s, self.policies, self.core_actions)
        core.step_envs(s, self.core_actions, self.ticks_per_step)
        shares = self._shares()
        # A seat goes out when it is eliminated or the game ends; its placement is fixed then.
        out = ~self.seat_out & ((s.alive[0] == 0) | bool(s.done[0]))
        # Seats still in when ``max_cycles`` truncates this step are ranked by the game's placements too.
        truncating = self.max_cycles is not None and self.cycles + 1 >= self.max_cycles
        ended = out | (~self.seat_out & truncating)
        if ended.any():
            core.placements(s, 0, self._places)
            self.placement[ended] = self._places[ended]
        place_reward = np.where(out, placement_reward(self.placement, self.num_players), 0.0)
        if self.reward_mode == "shaped":
            self.player_rewards[:] = shaped_reward(self.gamma, shares, self.prev_share, out, place_reward)
        elif self.reward_mode == "share":
            every_end = np.where(ended, placement_reward(self.placement, self.num_players), 0.0)
            self.player_rewards[:] = share_reward(shares, self.prev_share, every_end)
        else:
            self.player_rewards[:] = place_reward
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

    def _placements(self) -> np.ndarray:
        core.placements(self.state, 0, self._places)
        return self._places

    def _render_frame(self) -> np.ndarray:
        return render.render_rgb(self.state, 0, tile_px=tile_size(self.height, self.width))

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
