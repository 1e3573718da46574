"""ClickArena as PettingZoo envs: up to four ships in one arena (``player_0`` ... ``player_{P-1}``).

``parallel_env(...)`` returns a ``ParallelEnv``; ``env(...)`` its AEC form (``parallel_to_aec``). The rules are
the same batched kernels as the Gymnasium env (a batch of one with ``num_players`` ships). Ships farm the
same aliens and boxes and may lock and shoot each other (a click inside another ship locks it). Each agent
sees exactly the single-agent observation from its own ship and takes the same ``Box(4)`` action. Rewards
are the single-agent ones per ship (``"dense"`` or ``"sparse"``, see ``env.py``). A ship that dies
terminates (with the death penalty) and leaves ``agents``; ``max_cycles`` (default 10,800 frames = 3 min)
truncates.

Scripted bots can hold seats: ``bots={seat: "expert", ...}`` (names from ``bots.BOT_NAMES``; every seat may be a
bot). Those seats are not agents (``possible_agents`` lists only the others, still named by seat).
``play_out()`` lets the bots play to the end (``max_cycles`` frames in all, or until every ship is dead);
``episode_returns()`` gives every seat's total reward, bots included, by the same reward rule, and
``final_placements()`` ranks the ships by it (the arena has no winner of its own: the larger return places
higher, equal returns share a place).

>>> from botarena.envs.click_arena import parallel_env
>>> penv = parallel_env(num_players=2)
>>> obs, infos = penv.reset(seed=0)
>>> sorted(obs)
['player_0', 'player_1']
>>> penv.metadata["name"]
'click_arena_v0'
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pettingzoo.utils.conversions import parallel_to_aec

from botarena.envs.common import GameParallelEnv
from botarena.envs.common.validation import check_int

from . import bots as scripted
from . import core, observe, render
from .env import DEFAULT_MAX_EPISODE_STEPS, arena_spaces, check_args, step_rewards

NOOP = np.array([0.5, 0.5, 0.0, 0.0], np.float32)


class ClickArenaParallelEnv(GameParallelEnv):
    """Several ships of one ClickArena game as PettingZoo agents (see the module docstring)."""

    metadata: dict[str, Any] = {"render_modes": ["rgb_array", "human"], "is_parallelizable": True,
                                "render_fps": core.FPS}
    game = "click_arena"
    bot_names = scripted.BOT_NAMES

    def __init__(self, *, num_players: int = 2, difficulty: str = "standard", cursor: str = "human",
                 obs_mode: str = "objects", reward: str = "dense", max_cycles: int | None = DEFAULT_MAX_EPISODE_STEPS,
                 render_mode: str | None = None, bots: dict[int, str] | None = None) -> None:
        num_players = check_int("num_players", num_players, 1, core.MAX_SHIPS)
        check_args(difficulty, cursor, obs_mode, reward)
        if callable(reward):
            raise ValueError("reward must be 'dense' or 'sparse' in the PettingZoo env, got a callable")
        obs_space, act_space = arena_spaces(obs_mode)
        super().__init__(num_players, obs_space, act_space, NOOP, bots=bots, max_cycles=max_cycles,
                         render_mode=render_mode)
        self.policies = scripted.policy_ids(self.bots, 1)
        self.difficulty, self.cursor, self.obs_mode, self.reward_mode = difficulty, cursor, obs_mode, reward
        params = core.make_params(difficulty, cursor, max_cycles or DEFAULT_MAX_EPISODE_STEPS)
        self.state = core.ArenaState.allocate(1, params, num_players)._replace(rng_state=self.rng_state)
        self.bot_state = scripted.BotState.allocate(1)
        self.core_actions = np.zeros((1, core.MAX_SHIPS, 4), np.float32)
        self.core_actions[:] = NOOP
        self.objects_buf = np.zeros((1, core.NUM_OBJECTS, core.OBJECT_FEATURES), np.float32)
        self.mask_buf = np.zeros((1, core.NUM_OBJECTS), np.int8)
        self.state_buf = np.zeros((1, core.STATE_FEATURES), np.float32)
        self.pixels_buf = np.zeros((1, 3, core.PIXELS, core.PIXELS), np.uint8)
        self._one = np.ones(1, np.uint8)
        self._seat = np.zeros(1, np.int64)  # the observed seat, reused: observing allocates nothing

    # ------------------------------------------------------------------ hooks
    def _reset_game(self) -> None:
        core.reset_envs(self.state, self._one)
        scripted.reset_bots(self.state, self.bot_state, self._one)

    def _step_game(self, actions: Any, acting: np.ndarray) -> None:
        s = self.state
        self.core_actions[0, : self.num_players] = actions
        self.core_actions[0, : self.num_players][~acting] = NOOP
        scripted.bot_actions(s, self.bot_state, self.policies, self.core_actions, self._one)
        core.step_envs(s, self.core_actions, self._one)
        self.player_rewards[:] = step_rewards(s, 0, self.reward_mode)[: self.num_players]
        self.player_done[:] = s.ship_alive[0, : self.num_players] == 0

    def _observe(self, player: int) -> dict[str, np.ndarray]:
        seats = self._seat
        seats[0] = player
        observe.write_observations(self.state, seats, self.objects_buf, self.mask_buf, self.state_buf, self._one)
        obs = {"objects": self.objects_buf[0].copy(), "object_mask": self.mask_buf[0].copy(),
               "state": self.state_buf[0].copy()}
        if self.obs_mode == "pixels":
            observe.write_pixels(self.state, seats, self.pixels_buf, self._one)
            obs["pixels"] = self.pixels_buf[0].copy()
        return obs

    def _info(self, player: int) -> dict[str, Any]:
        s = self.state
        return {"credits": float(s.ship_credits[0, player]), "kills": int(s.ship_kills[0, player]),
                "hull": float(s.ship_hull[0, player])}

    def _render_frame(self) -> np.ndarray:
        return render.render_frame(self.state, 0, self.view_seat)


def parallel_env(**kwargs: Any) -> ClickArenaParallelEnv:
    """The PettingZoo ``ParallelEnv`` (keyword arguments as ``ClickArenaParallelEnv``)."""
    return ClickArenaParallelEnv(**kwargs)


def env(**kwargs: Any) -> Any:
    """The PettingZoo AEC env: ``parallel_to_aec(parallel_env(**kwargs))``."""
    return parallel_to_aec(parallel_env(**kwargs))


__all__ = ["ClickArenaParallelEnv", "env", "parallel_env"]
