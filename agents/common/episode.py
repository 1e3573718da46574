"""Play one episode of a game with any agents in its seats: ``play_episode``.

Two kinds of agents play our games. *Observation agents* (random over the action mask, learned policies, your
own) map one observation to one action through ``act``. *Built-in bots* (``expander``, ``expert``,
``nh_expert``, ...) are the game's own numba AI: they read the whole game state, so they play inside the game,
seated through the PettingZoo env's ``bots=`` argument; their agent objects carry the bot's name as
``native_bot``. ``play_episode`` takes either kind in any seat: it builds the game's PettingZoo env with the bots
seated, drives the other seats through ``act``, lets the bots finish the game once the last agent has left,
and returns every seat's return and placement (and the frames, if asked).

>>> from botarena.agents import play_episode
>>> result = play_episode("tick_duel", {0: "tick_duel/random", 1: "tick_duel/nh_expert"}, seed=0)
>>> result.placements
[2, 1]

The pieces are public for code that builds its own env (the leaderboard's tables): :func:`bot_seats` picks the
``bots=`` argument, :func:`play_seated` plays a seeded episode on an env built with it. They use only the
PettingZoo API plus three methods every botarena PettingZoo env declares: ``play_out()`` (the bots finish the
game), ``episode_returns()`` and ``final_placements()`` (read when the env has them).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["EpisodeResult", "bot_seats", "play_episode", "play_seated", "resolve_agent"]

RENDER_MODES = ("rgb_array", "human")

# ``act(agent, seat, obs, action_space) -> action``: how a seat's action is asked for. The leaderboard passes
# one that turns a crash or an invalid action into an error naming the seat.
ActFn = Callable[[Any, int, Any, Any], Any]


@dataclass
class EpisodeResult:
    """What one episode gave every seat.

    Attributes:
        game: the game's name (a key of ``botarena.envs.GAMES``).
        seed: the seed the game was reset with.
        agents: the name of the agent in each seat.
        returns: each seat's total reward (built-in bots included, by the same reward rule), or ``None`` for a
            bot seat of a game whose env does not report bots' rewards.
        placements: each seat's final placement, 1 = best, or ``None`` for a game without placements.
        length: the number of env cycles played (decisions, frames or ticks, as the game steps).
        frames: the ``rgb_array`` frames when asked for (``render="rgb_array"``), else empty.
    """

    game: str
    seed: int
    agents: list[str]
    returns: list[float | None]
    placements: list[int] | None
    length: int
    frames: list[np.ndarray] = field(default_factory=list)


def resolve_agent(game: str, agent: Any) -> Any:
    """An agent object for ``game``: objects pass through, names are made with ``make_agent``.

    A name is a registered ``"<game>/<agent>"`` or, short, ``"<agent>"`` (``"expander"`` for
    ``"territory/expander"``).
    """
    if not isinstance(agent, str):
        return agent
    from .registry import agent_spec, list_agents, make_agent

    name = agent if "/" in agent else f"{game}/{agent}"
    try:
        spec = agent_spec(name)
    except KeyError:
        known = ", ".join(s.name for s in list_agents(game))
        raise KeyError(f"unknown agent {agent!r} for {game}; {game}'s agents: {known}") from None
    if spec.game != game:
        raise ValueError(f"{name} is a {spec.game} agent; it cannot play {game}")
    return make_agent(name)


def bot_seats(agents: Mapping[int, Any]) -> dict[int, str]:
    """``{seat: bot name}`` for the seats whose agent is one of the game's built-in bots (the env's ``bots=``)."""
    return {seat: agent.native_bot for seat, agent in agents.items() if getattr(agent, "native_bot", None)}


def play_episode(game: str, seats: Mapping[int, Any] | Sequence[Any], *, seed: int = 0, render: str | None = None,
                 frame_every: int = 1, reset_agents: bool = True, **env_kwargs: Any) -> EpisodeResult:
    """Play one seeded episode of ``game`` with an agent in every seat; see the module docstring.

    Args:
        game: a game name from ``botarena.envs.GAMES`` (``"territory"``, ``"click_arena"``, ``"tick_duel"``).
        seats: ``{seat: agent}`` or a list in seat order; an agent is an object with ``act`` (or a built-in bot's
            agent) or a registered name, full (``"territory/expander"``) or short (``"expander"``). Every seat of
            the env must be given: the env's arguments set how many there are (Territory ``preset`` or
            ``num_players``, ClickArena ``num_players``; TickDuel always has two).
        seed: the game's seed. With ``reset_agents`` each agent is reset with a seed drawn from ``(seed, seat)``,
            so the whole episode is reproducible.
        render: ``None``, ``"rgb_array"`` (frames come back in ``result.frames``) or ``"human"`` (a window).
        frame_every: keep one frame in this many cycles (the last frame is always kept).
        reset_agents: reset every agent before the episode (turn off if you reset them yourself).
        **env_kwargs: arguments of the game's PettingZoo env (``botarena.envs.<game>.parallel_env``), e.g.
            ``preset="duel"``, ``num_players=1``, ``max_cycles=200``.
    """
    from botarena.envs import GAMES
    from botarena.envs.common.validation import check_int

    if game not in GAMES:
        raise ValueError(f"game must be one of {list(GAMES)}, got {game!r}")
    if render not in (None, *RENDER_MODES):
        raise ValueError(f"render must be None or one of {list(RENDER_MODES)}, got {render!r}")
    check_int("frame_every", frame_every, 1, 1_000_000)
    check_int("seed", seed, 0, 2**63 - 1)
    if "bots" in env_kwargs or "render_mode" in env_kwargs:
        raise ValueError("play_episode seats the bots and sets render_mode itself: put bots in `seats` and use "
                         "`render=`")
    if not isinstance(seats, Mapping):
        seats = dict(enumerate(seats))
    agents = {seat: resolve_agent(game, agent) for seat, agent in seats.items()}
    bots = bot_seats(agents)
    parallel_env = importlib.import_module(GAMES[game].module).parallel_env
    try:
        env = parallel_env(bots=bots, render_mode=render, **env_kwargs)
    except ValueError as err:
        raise ValueError(f"{game} cannot seat {_seating(agents)}: {err}") from err
    try:
        if sorted(agents) != list(range(env.num_players)):
            raise ValueError(
                f"{game} has seats {list(range(env.num_players))} with these arguments ({env_kwargs or 'defaults'}), "
                f"got agents for seats {sorted(agents)}: give every seat an agent, or set the number of seats with "
                f"the env's arguments (Territory preset= or num_players=, ClickArena num_players=)")
        if reset_agents:
            for seat, agent in agents.items():
                agent.reset(int(np.random.SeedSequence([seed, seat]).generate_state(1)[0]))
        return play_seated(env, agents, seed, frame_every=frame_every, game=game)
    finally:
        env.close()


def play_seated(env: Any, agents: Mapping[int, Any], seed: int, *, act: ActFn | None = None,
                frame_every: int = 1, game: str = "") -> EpisodeResult:
    """Play one episode on a PettingZoo env whose bot seats are already seated (``bots=bot_seats(agents)``).

    ``agents[seat]`` acts for ``player_<seat>`` through ``act`` (default: ``agent.act(obs)``); the bots play
    inside the game. After the last agent has left, ``env.play_out()`` lets the bots finish. Frames are drawn
    when the env was made with a ``render_mode``. The env is left open (the caller made it).
    """
    act = act or _plain_act
    frames: list[np.ndarray] = []
    drawn_at = -1  # the cycle of the last frame drawn

    def draw(every: int | None = None) -> None:
        nonlocal drawn_at
        every = every or (frame_every if env.render_mode == "rgb_array" else 1)
        if env.cycles % every == 0 and env.cycles != drawn_at:
            if env.render_mode == "rgb_array":
                frames.append(env.render())
            else:
                env.render()
            drawn_at = env.cycles

    obs, _ = env.reset(seed=seed)
    if env.render_mode is not None:
        draw()
    totals = {env.agent_index[p]: 0.0 for p in env.possible_agents}
    while env.agents:
        actions = {p: act(agents[env.agent_index[p]], env.agent_index[p], obs[p], env.action_space(p))
                   for p in env.agents}
        obs, rewards, _, _, _ = env.step(actions)
        for p, reward in rewards.items():
            totals[env.agent_index[p]] += float(reward)
        if env.render_mode == "rgb_array":
            draw()  # a "human" env's step draws its window itself
    if env.render_mode is not None and env.max_cycles is not None:
        _play_out_drawing(env, draw)
    env.play_out()
    if env.render_mode is not None:
        draw(every=1)  # the final position
    return EpisodeResult(game=game, seed=seed, agents=[_name(agents[seat]) for seat in sorted(agents)],
                         returns=_returns(env, totals), placements=_placements(env), length=int(env.cycles),
                         frames=frames)


def _plain_act(agent: Any, seat: int, obs: Any, space: Any) -> Any:
    return agent.act(obs)


def _play_out_drawing(env: Any, draw: Callable[[], None]) -> None:
    """``env.play_out()`` one cycle at a time, drawing after each.

    ``play_out()`` stops at ``max_cycles`` (its documented contract), so raising the limit one cycle at a time
    plays exactly the same game as one call, with a frame between cycles.
    """
    limit = env.max_cycles
    try:
        while env.cycles < limit:
            before = env.cycles
            env.max_cycles = before + 1
            env.play_out()
            if env.cycles == before:
                break  # the game is over
            draw()
    finally:
        env.max_cycles = limit


def _returns(env: Any, agent_totals: dict[int, float]) -> list[float | None]:
    if hasattr(env, "episode_returns"):
        return [float(r) for r in env.episode_returns()]
    return [agent_totals.get(seat) for seat in range(env.num_players)]


def _placements(env: Any) -> list[int] | None:
    if not hasattr(env, "final_placements"):
        return None
    return [int(p) for p in env.final_placements()]


def _name(agent: Any) -> str:
    return getattr(agent, "name", None) or type(agent).__name__


def _seating(agents: Mapping[int, Any]) -> str:
    return "{" + ", ".join(f"{seat}: {_name(agent)}" for seat, agent in sorted(agents.items())) + "}"
