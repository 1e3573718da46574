"""PettingZoo views of our games: every player is an agent, the rules are the same batched kernels.

A game's ``multiagent.py`` subclasses :class:`GameParallelEnv` and writes four hooks over its batch-of-one
state; the base keeps the PettingZoo contract that ``parallel_api_test`` checks and every game would
otherwise get subtly wrong: cached space objects per agent, agents that leave when they are done and
never come back, actions only from live agents, ``max_cycles`` truncation, seeding through the same
counter RNG, a ``render_mode`` attribute (SuperSuit reads it). ``env()`` (AEC) is
``parallel_to_aec`` of it.

Hooks:

``_reset_game(seed)``
    Start a new game (``seed=None`` continues the RNG stream after the first reset).
``_step_game(actions, acting)``
    ``actions`` is ``[num_players, ...]`` in kernel dtype (entries of absent agents hold
    ``noop_action``), ``acting[p]`` says which players are still in. Write ``self.player_rewards[p]``
    and ``self.player_done[p]`` (True once player ``p`` is out: eliminated, dead, or the game over).
``_observe(player)``
    The observation of one player, a fresh object (not a view of a buffer).
``_render_frame()``
    ``[H, W, 3]`` uint8 (optional).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from .validation import validate_action

__all__ = ["GameParallelEnv"]


class GameParallelEnv(ParallelEnv):
    """A PettingZoo ``ParallelEnv`` whose agents ``player_0 .. player_{n-1}`` are the game's players."""

    metadata: dict[str, Any] = {"render_modes": ["rgb_array"], "name": "botarena_game", "is_parallelizable": True,
                                "render_fps": 30}

    def __init__(self, num_players: int, observation_space: spaces.Space, action_space: spaces.Space,
                 noop_action: Any, *, max_cycles: int | None = None, render_mode: str | None = None) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or one of {self.metadata['render_modes']}, "
                             f"got {render_mode!r}")
        if max_cycles is not None and (not isinstance(max_cycles, (int, np.integer)) or max_cycles < 1):
            raise ValueError(f"max_cycles must be None or an int >= 1, got {max_cycles!r}")
        self.num_players = int(num_players)
        self.possible_agents = [f"player_{p}" for p in range(self.num_players)]
        self.agent_index = {agent: p for p, agent in enumerate(self.possible_agents)}
        self._observation_space = observation_space
        self._action_space = action_space
        self.noop_action = validate_action(action_space, noop_action, name="noop_action")
        self.max_cycles = max_cycles
        self.render_mode = render_mode
        self.agents: list[str] = []
        self.player_rewards = np.zeros(self.num_players, np.float64)
        self.player_done = np.zeros(self.num_players, np.bool_)
        self.cycles = 0
        self._actions = _batch_of(self.noop_action, self.num_players)
        self._window: Any = None

    # PettingZoo's API test requires the very same space object on every call for an agent.
    def observation_space(self, agent: str) -> spaces.Space:
        self._check_agent(agent)
        return self._observation_space

    def action_space(self, agent: str) -> spaces.Space:
        self._check_agent(agent)
        return self._action_space

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _reset_game(self, seed: int | None) -> None:
        """Start a new game."""

    @abstractmethod
    def _step_game(self, actions: Any, acting: np.ndarray) -> None:
        """Advance the game one step with every player's action."""

    @abstractmethod
    def _observe(self, player: int) -> Any:
        """One player's observation (a fresh object)."""

    def _info(self, player: int) -> dict[str, Any]:
        return {}

    def _render_frame(self) -> np.ndarray:
        raise TypeError(f"{type(self).__name__} does not draw frames: it has no _render_frame()")

    # ------------------------------------------------------------------ PettingZoo API
    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
            raise ValueError(f"seed must be None or a non-negative int, got {seed!r}")
        self._reset_game(None if seed is None else int(seed))
        self.agents = list(self.possible_agents)
        self.player_rewards[:] = 0.0
        self.player_done[:] = False
        self.cycles = 0
        obs = {a: self._observe(self.agent_index[a]) for a in self.agents}
        infos = {a: self._info(self.agent_index[a]) for a in self.agents}
        return obs, infos

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        if not self.agents:
            raise RuntimeError("the game is over (no agents left): call reset()")
        unknown = set(actions) - set(self.agents)
        if unknown:
            raise ValueError(f"actions given for agents not in the game: {sorted(unknown)}; live agents: "
                             f"{self.agents}")
        acting = np.zeros(self.num_players, np.bool_)
        _fill(self._actions, self.noop_action)
        for agent, action in actions.items():
            p = self.agent_index[agent]
            _set_row(self._actions, p, validate_action(self._action_space, action, name=f"action of {agent}"))
        for agent in self.agents:
            acting[self.agent_index[agent]] = True
        self.player_rewards[:] = 0.0
        self._step_game(self._actions, acting)
        self.cycles += 1
        truncate = self.max_cycles is not None and self.cycles >= self.max_cycles

        live = list(self.agents)
        obs = {a: self._observe(self.agent_index[a]) for a in live}
        rewards = {a: float(self.player_rewards[self.agent_index[a]]) for a in live}
        terminations = {a: bool(self.player_done[self.agent_index[a]]) for a in live}
        truncations = {a: bool(truncate and not terminations[a]) for a in live}
        infos = {a: self._info(self.agent_index[a]) for a in live}
        self.agents = [a for a in live if not (terminations[a] or truncations[a])]
        if self.render_mode == "human":
            self.render()
        return obs, rewards, terminations, truncations, infos

    def render(self) -> np.ndarray | None:
        if self.render_mode is None:
            return None
        frame = self._render_frame()
        if self.render_mode == "human":
            if self._window is None:
                from .window import FrameWindow

                self._window = FrameWindow(title=self.metadata["name"], fps=self.metadata.get("render_fps", 30))
            self._window.show(frame)
            return None
        return frame

    def close(self) -> None:
        if self._window is not None:
            self._window.close()
            self._window = None

    def _check_agent(self, agent: str) -> None:
        if agent not in self.agent_index:
            raise KeyError(f"unknown agent {agent!r}; agents are {self.possible_agents}")

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_window"] = None
        return state


def _batch_of(action: Any, n: int) -> Any:
    if isinstance(action, dict):
        return {k: _batch_of(v, n) for k, v in action.items()}
    return np.repeat(np.asarray(action)[None], n, axis=0)


def _fill(batch: Any, action: Any) -> None:
    if isinstance(batch, dict):
        for key in batch:
            _fill(batch[key], action[key])
    else:
        batch[:] = action


def _set_row(batch: Any, row: int, action: Any) -> None:
    if isinstance(batch, dict):
        for key in batch:
            _set_row(batch[key], row, action[key])
    else:
        batch[row] = action
