"""PettingZoo views of our games: every player is an agent, the rules are the same batched kernels.

A game's ``multiagent.py`` subclasses :class:`GameParallelEnv` and writes a few hooks over its batch-of-one
state; the base keeps the PettingZoo contract that ``parallel_api_test`` checks and every game would
otherwise get subtly wrong: cached space objects per agent, agents that leave when they are done and
never come back, actions only from live agents, ``max_cycles`` truncation, seeding through the same
counter RNG, a ``render_mode`` attribute (SuperSuit reads it). ``env()`` (AEC) is ``parallel_to_aec`` of it.
It also seats the game's built-in bots (``bots=``) and keeps what the leaderboard reads after a game:
:meth:`GameParallelEnv.play_out`, :meth:`GameParallelEnv.episode_returns` and
:meth:`GameParallelEnv.final_placements`.

Hooks:

``_reset_game()``
    Start a new game, drawing randomness from ``self.rng_state`` (one word, already seeded by the base:
    allocate the game state with ``rng_state=self.rng_state``, as ``BatchedVectorEnv`` games do).
``_step_game(actions, acting)``
    Advance one step. ``actions`` is ``[num_players, ...]`` in kernel dtype; ``acting[p]`` says that seat
    ``p`` is an agent still in the game, and only those rows hold agents' actions (the others hold
    ``noop_action``: bot seats play through the game's own bots, the seats of agents that left make no
    input). Write, for *every* seat still in the game (bots included, by the same rule),
    ``self.player_rewards[p]`` and ``self.player_done[p]`` (True once seat ``p`` is out: eliminated, dead, or
    the game over). ``self.seat_out[p]`` says which seats were out before this step; the base zeroes both
    arrays before the call and ignores what is written for seats already out.
``_observe(player)``
    The observation of one player, a fresh object (not a view of a buffer).
``_info(player)`` (optional)
    A dict for one agent.
``_placements()`` (optional)
    Every seat's placement, 1 = best, by the game's rule; the default ranks the episode returns.
``_render_frame()`` (optional)
    ``[H, W, 3]`` uint8.

A subclass names its game in ``game`` (a key of ``botarena.envs.GAMES``): ``metadata["name"]`` is derived
from the game's Gymnasium id (``botarena/Territory-v2`` -> ``territory_v2``) and :meth:`play_out` stops at
the game's registered ``max_episode_steps`` when ``max_cycles`` is ``None``. ``bot_names`` lists the names
its ``bots=`` argument accepts.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from .rng import batch_seeds, seed_words
from .validation import check_int, validate_action

__all__ = ["GameParallelEnv", "FlattenObservations", "KeepDeadAgents", "flat_slice", "id_version",
           "pettingzoo_name"]


def id_version(env_id: str) -> int:
    """The version of a Gymnasium id: 1 for ``botarena/Territory-v1``."""
    name, sep, version = env_id.rpartition("-v")
    if not sep or not version.isdigit():
        raise ValueError(f"{env_id!r} is not a versioned Gymnasium id (Name-vN)")
    return int(version)


def pettingzoo_name(spec: Any) -> str:
    """PettingZoo's ``<name>_v<N>`` for a ``botarena.envs.GameSpec``: ``territory_v2`` for ``botarena/Territory-v2``."""
    return f"{spec.name}_v{id_version(spec.env_id)}"


class GameParallelEnv(ParallelEnv):
    """A PettingZoo ``ParallelEnv`` whose agents are the game's players not held by a built-in bot.

    Agents are named by seat, ``player_0 .. player_{n-1}``; ``agent_index`` maps a name to its seat.

    Args:
        num_players: seats in the game (>= 1).
        observation_space: one agent's observation space (the same object for every agent).
        action_space: one agent's action space.
        noop_action: the action of a seat that makes no input (bot seats, agents that left, :meth:`play_out`).
        bots: ``{seat: bot name}`` (or ``(seat, name)`` pairs): seats played by the game's built-in bots,
            names from the class's ``bot_names``. Bot seats are not agents: ``possible_agents`` lists only the
            others, still named by seat (e.g. ``player_0``, ``player_2``). Every seat may be a bot: then
            ``reset()`` returns no agents and :meth:`play_out` plays the whole game (a bots-only game, e.g. a
            leaderboard table of built-in bots). Seats must be ints in ``[0, num_players - 1]``, each at most once.
        max_cycles: truncate the agents after this many steps, and stop :meth:`play_out` there; ``None`` never
            truncates (``play_out`` then stops at the game's registered ``max_episode_steps``).
        render_mode: one of ``metadata["render_modes"]`` or ``None``.

    After a game (for the leaderboard, or any script seating agents and bots)::

        env = parallel_env(bots={1: "expander"})
        obs, infos = env.reset(seed=0)
        while env.agents:
            obs, rewards, terminations, truncations, infos = env.step({a: policy(obs[a]) for a in env.agents})
        env.play_out()                   # the bots finish the game
        env.episode_returns()            # float64 [num_players]: every seat's return, bots included
        env.final_placements()           # int64 [num_players]: 1 = best, by the game's rule
    """

    metadata: dict[str, Any] = {"render_modes": ["rgb_array"], "name": "botarena_game", "is_parallelizable": True,
                                "render_fps": 30}
    game: ClassVar[str | None] = None
    bot_names: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("game") is not None:
            from botarena.envs import GAMES

            cls.metadata = {**cls.metadata, "name": pettingzoo_name(GAMES[cls.game])}

    def __init__(self, num_players: int, observation_space: spaces.Space, action_space: spaces.Space,
                 noop_action: Any, *, bots: Mapping[int, str] | Iterable[tuple[int, str]] | None = None,
                 max_cycles: int | None = None, render_mode: str | None = None) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or one of {self.metadata['render_modes']}, "
                             f"got {render_mode!r}")
        self.max_cycles = check_int("max_cycles", max_cycles, 1, optional=True)
        self.num_players = check_int("num_players", num_players, 1)
        self.bots = self._check_bots(bots)
        self.possible_agents = [f"player_{p}" for p in range(self.num_players) if p not in self.bots]
        self.agent_index = {f"player_{p}": p for p in range(self.num_players) if p not in self.bots}
        self._observation_space = observation_space
        self._action_space = action_space
        self.noop_action = validate_action(action_space, noop_action, name="noop_action")
        self.render_mode = render_mode
        self.agents: list[str] = []
        self.rng_state = np.zeros(1, np.uint64)
        self.player_rewards = np.zeros(self.num_players, np.float64)
        self.player_done = np.zeros(self.num_players, np.bool_)
        self.seat_out = np.zeros(self.num_players, np.bool_)
        self.returns = np.zeros(self.num_players, np.float64)
        self.cycles = 0
        self._actions = _batch_of(self.noop_action, self.num_players)
        self._has_reset = False
        self._window: Any = None

    def _check_bots(self, bots: Mapping[int, str] | Iterable[tuple[int, str]] | None) -> dict[int, str]:
        """``{seat: name}`` with every seat an int in range, named once, and every name one of ``bot_names``."""
        pairs = list((bots or {}).items()) if isinstance(bots, Mapping) or bots is None else list(bots)
        checked: dict[int, str] = {}
        for pair in pairs:
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise ValueError(f"bots must map seats to bot names, e.g. {{1: {self._example_bot()!r}}}, "
                                 f"got {bots!r}")
            seat = check_int("bots seat", pair[0], 0, self.num_players - 1)
            if seat in checked:
                raise ValueError(f"bots names seat {seat} twice, got {bots!r}")
            if pair[1] not in self.bot_names:
                raise ValueError(f"bots[{seat}] must be one of {list(self.bot_names)}, got {pair[1]!r}")
            checked[seat] = pair[1]
        return dict(sorted(checked.items()))

    def _example_bot(self) -> str:
        return self.bot_names[0] if self.bot_names else "bot"

    # PettingZoo's API test requires the very same space object on every call for an agent.
    def observation_space(self, agent: str) -> spaces.Space:
        self._check_agent(agent)
        return self._observation_space

    def action_space(self, agent: str) -> spaces.Space:
        self._check_agent(agent)
        return self._action_space

    @property
    def view_seat(self) -> int:
        """The seat a rendered frame follows: the first agent's, or seat 0 when every seat is a bot."""
        return min(self.agent_index.values()) if self.agent_index else 0

    @property
    def cycle_limit(self) -> int | None:
        """Where :meth:`play_out` stops: ``max_cycles``, else the game's registered ``max_episode_steps``."""
        if self.max_cycles is not None:
            return self.max_cycles
        if self.game is None:
            return None
        from botarena.envs import GAMES

        return GAMES[self.game].max_episode_steps

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _reset_game(self) -> None:
        """Start a new game (``self.rng_state`` is seeded)."""

    @abstractmethod
    def _step_game(self, actions: Any, acting: np.ndarray) -> None:
        """Advance the game one step; write every seat's reward and whether it is out."""

    @abstractmethod
    def _observe(self, player: int) -> Any:
        """One player's observation (a fresh object)."""

    def _info(self, player: int) -> dict[str, Any]:
        return {}

    def _placements(self) -> np.ndarray:
        """Placements by episode return: higher is better, equal returns share the better place (1, 2, 2, 4)."""
        return 1 + (self.returns[None, :] > self.returns[:, None]).sum(axis=1)

    def _render_frame(self) -> np.ndarray:
        raise TypeError(f"{type(self).__name__} does not draw frames: it has no _render_frame()")

    # ------------------------------------------------------------------ PettingZoo API
    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        seed = check_int("seed", seed, 0, optional=True)
        # Without a seed the RNG stream simply continues, as a Gymnasium env's does; the first reset draws one.
        if seed is not None or not self._has_reset:
            self.rng_state[:] = seed_words(batch_seeds(seed, 1))
        self._has_reset = True
        self._reset_game()
        self.agents = list(self.possible_agents)
        self.player_rewards[:] = 0.0
        self.player_done[:] = False
        self.seat_out[:] = False
        self.returns[:] = 0.0
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
        self._advance(self._actions, acting)
        truncate = self.max_cycles is not None and self.cycles >= self.max_cycles

        live = list(self.agents)
        obs = {a: self._observe(self.agent_index[a]) for a in live}
        rewards = {a: float(self.player_rewards[self.agent_index[a]]) for a in live}
        # A live agent was not out before this step: out now means it went out now.
        terminations = {a: bool(self.seat_out[self.agent_index[a]]) for a in live}
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

    # ------------------------------------------------------------------ after the agents: the leaderboard's part
    def play_out(self) -> None:
        """Let the bots finish the game: step until every seat is out or :attr:`cycle_limit` steps in all.

        Seats that are not bots make no input (``noop_action``), agents still in the game included; they
        leave ``agents``. Their rewards still count in :meth:`episode_returns`.
        """
        self._check_reset("play_out")
        limit = self.cycle_limit
        if limit is None:
            raise ValueError(f"{type(self).__name__} has no max_cycles and no registered game: play_out() "
                             f"would not know where to stop; pass max_cycles")
        no_agent_acts = np.zeros(self.num_players, np.bool_)
        _fill(self._actions, self.noop_action)
        while self.cycles < limit and not self.seat_out.all():
            self._advance(self._actions, no_agent_acts)
        self.agents = []

    def episode_returns(self) -> np.ndarray:
        """float64 [num_players]: every seat's total reward since ``reset``, bots included (same reward rule)."""
        self._check_reset("episode_returns")
        return self.returns.copy()

    def final_placements(self) -> np.ndarray:
        """int64 [num_players]: every seat's placement now, 1 = best (ties share a place), by the game's rule.

        Final once the game is over: call :meth:`play_out` first.
        """
        self._check_reset("final_placements")
        return np.asarray(self._placements(), dtype=np.int64).copy()

    # ------------------------------------------------------------------ helpers
    def _advance(self, actions: Any, acting: np.ndarray) -> None:
        """One step of the game: rewards and seats out, returns, the cycle count."""
        was_out = self.seat_out.copy()
        self.player_rewards[:] = 0.0
        self.player_done[:] = False
        self._step_game(actions, acting)
        self.player_rewards[was_out] = 0.0
        self.player_done[was_out] = False
        self.seat_out |= self.player_done
        self.returns += self.player_rewards
        self.cycles += 1

    def _check_reset(self, what: str) -> None:
        if not self._has_reset:
            raise RuntimeError(f"call reset() before {what}()")

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
