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

__all__ = ["GameParallelEnv", "FlattenObservations", "KeepDeadAgents", "flat_slice"]


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


class FlattenObservations(ParallelEnv):
    """Flatten every agent's ``Dict`` observation into one float32 ``Box`` (``gymnasium.spaces.flatten``).

    SuperSuit's ``black_death_v3`` and vector conversions accept only ``Box`` observations. Dict keys are
    flattened in the space's (sorted) key order; :func:`flat_slice` says where one key landed, e.g. the
    action mask that :class:`botarena.envs.common.sb3.VecActionMasksFromObs` reads back.
    """

    def __init__(self, env: ParallelEnv) -> None:
        self.env = env
        self.possible_agents = list(env.possible_agents)
        self.metadata = env.metadata
        self.render_mode = getattr(env, "render_mode", None)
        self._dict_spaces = {a: env.observation_space(a) for a in self.possible_agents}
        self._flat_spaces = {a: spaces.flatten_space(s) for a, s in self._dict_spaces.items()}

    @property
    def agents(self) -> list[str]:
        return self.env.agents

    def observation_space(self, agent: str) -> spaces.Space:
        return self._flat_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        return self.env.action_space(agent)

    def _flat(self, obs: dict[str, Any]) -> dict[str, np.ndarray]:
        return {a: spaces.flatten(self._dict_spaces[a], o).astype(self._flat_spaces[a].dtype) for a, o in obs.items()}

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        obs, infos = self.env.reset(seed=seed, options=options)
        return self._flat(obs), infos

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        obs, rewards, terminations, truncations, infos = self.env.step(actions)
        return self._flat(obs), rewards, terminations, truncations, infos

    def render(self) -> Any:
        return self.env.render()

    def close(self) -> None:
        self.env.close()


def flat_slice(space: spaces.Dict, key: str) -> slice:
    """Where ``key`` lies in ``gymnasium.spaces.flatten(space, obs)``."""
    start = 0
    for name, sub in space.spaces.items():
        size = spaces.flatdim(sub)
        if name == key:
            return slice(start, start + size)
        start += size
    raise KeyError(f"{key!r} is not a key of {space}")


class KeepDeadAgents(ParallelEnv):
    """Keep every agent in the game until it ends: out agents get zero observations and rewards.

    SuperSuit's vector conversion needs a fixed set of agents. Its ``black_death_v3`` (3.11) marks the
    game done only when every agent is both terminated *and* truncated, so a game that ends by
    elimination never resets there; this wrapper ends it when the wrapped game has no agents left.
    Actions of out agents are ignored.
    """

    def __init__(self, env: ParallelEnv) -> None:
        self.env = env
        self.possible_agents = list(env.possible_agents)
        self.metadata = env.metadata
        self.render_mode = getattr(env, "render_mode", None)
        self.agents: list[str] = []
        self._zeros = {a: _zeros_like(env.observation_space(a)) for a in self.possible_agents}

    def observation_space(self, agent: str) -> spaces.Space:
        return self.env.observation_space(agent)

    def action_space(self, agent: str) -> spaces.Space:
        return self.env.action_space(agent)

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        obs, infos = self.env.reset(seed=seed, options=options)
        self.agents = list(self.possible_agents)
        return self._fill(obs, self._zeros), self._fill(infos, {a: {} for a in self.agents})

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        live = {a: act for a, act in actions.items() if a in self.env.agents}
        obs, rewards, terms, truncs, infos = self.env.step(live)
        over = not self.env.agents
        zero_rewards = dict.fromkeys(self.agents, 0.0)
        terminations = {a: over and not truncs.get(a, False) for a in self.agents}
        truncations = {a: over and truncs.get(a, False) for a in self.agents}
        result = (self._fill(obs, self._zeros), {**zero_rewards, **rewards}, terminations, truncations,
                  self._fill(infos, {a: {} for a in self.agents}))
        if over:
            self.agents = []
        return result

    def _fill(self, values: dict[str, Any], default: dict[str, Any]) -> dict[str, Any]:
        return {a: values[a] if a in values else default[a] for a in self.agents}

    def render(self) -> Any:
        return self.env.render()

    def close(self) -> None:
        self.env.close()


def _zeros_like(space: spaces.Space) -> Any:
    if isinstance(space, spaces.Dict):
        return {k: _zeros_like(s) for k, s in space.spaces.items()}
    return np.zeros(space.shape, space.dtype)
