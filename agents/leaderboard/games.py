"""How the leaderboard plays one episode of each game with a given agent in every seat.

A game adapter knows its evaluation setting (free-for-all; single-player, alone or against a fixed
scripted opponent; or a head-to-head round robin), its seat count, which agent is the scripted expert
that defines a normalised score of 1, and how to run one seeded episode. Agents whose ``native_bot``
attribute names one of the game's built-in numba bots are seated inside the game (the bot reads the
state, as a game's own AI does); every other agent acts on its observation through the PettingZoo API.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = ["GameAdapter", "SeatOutcome", "GAME_ADAPTERS", "TerritoryAdapter", "ClickArenaAdapter", "TickDuelAdapter",
           "TickDuelHeadToHeadAdapter", "AgentFailure", "act_checked", "drive", "native_bots", "play_to_end"]


class AgentFailure(Exception):
    """The agent in ``seat`` raised or returned an action outside its space; the episode is void."""

    def __init__(self, seat: int, message: str) -> None:
        super().__init__(message)
        self.seat = seat


def act_checked(agent: Any, seat: int, obs: Any, space: Any) -> Any:
    """``agent.act(obs)``, with any exception or invalid action turned into an :class:`AgentFailure`."""
    from botarena.envs.common.validation import validate_action

    try:
        action = agent.act(obs)
        validate_action(space, action)
    except Exception as err:
        raise AgentFailure(seat, f"{type(err).__name__}: {err}") from err
    return action


@dataclass(frozen=True)
class SeatOutcome:
    """One seat's result: total reward, number of steps it played, final placement (1 = best)."""

    ret: float
    length: int
    placement: int | None = None


class GameAdapter(ABC):
    """One leaderboard table: a game, its evaluation setting, and how to play one seeded episode.

    ``name`` keys the table (and the rows of ``episodes.jsonl``); ``game`` is the game it is played on (the
    ``botarena.envs.GAMES`` key, whose agents and evaluation seeds it uses). A game can have more than one
    table: TickDuel is scored against a fixed scripted opponent and, separately, head to head.
    ``variants`` are the settings every single-player seed is played in (TickDuel's builds); the scores
    are stratified over them.
    """

    name: ClassVar[str]
    game: ClassVar[str]
    env_id: ClassVar[str]
    version: ClassVar[int]
    kind: ClassVar[str]  # "ffa" (free-for-all), "single" (one agent, fixed world) or "duel" (round robin)
    num_seats: ClassVar[int]
    expert: ClassVar[str | None] = None
    random: ClassVar[str | None] = None
    variants: ClassVar[tuple[str, ...]] = ("",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__ and not hasattr(cls, "game"):
            cls.game = cls.name  # a game's first table is named after the game; further tables inherit it

    @abstractmethod
    def play(self, agents: list[Any], seed: int, variant: str = "") -> list[SeatOutcome]:
        """Play one episode with ``agents[i]`` in seat ``i``."""

    def warm(self) -> None:
        """Compile (or load) the game's kernels in this process, before workers are forked from it."""
        return None  # games without compiled kernels have nothing to warm


def native_bots(agents: list[Any], seats: list[int] | None = None) -> dict[int, str]:
    """``{seat: bot}`` for the agents that are a game's built-in bots (seated inside the game)."""
    seats = list(range(len(agents))) if seats is None else seats
    return {seat: a.native_bot for seat, a in zip(seats, agents, strict=True) if getattr(a, "native_bot", None)}


def drive(env: Any, agents: list[Any], seed: int) -> tuple[dict[int, float], dict[int, int]]:
    """Reset a PettingZoo parallel env with ``seed`` and step it until its agents are gone.

    ``agents[seat]`` acts for agent ``player_<seat>`` (seats played by built-in bots are not agents).
    Returns each agent seat's summed reward and number of steps. Actions are checked, so a broken agent
    raises :class:`AgentFailure` naming its seat.
    """
    obs, _ = env.reset(seed=seed)
    totals = {env.agent_index[p]: 0.0 for p in env.possible_agents}
    lengths = dict.fromkeys(totals, 0)
    while env.agents:
        actions = {}
        for p in env.agents:
            seat = env.agent_index[p]
            actions[p] = act_checked(agents[seat], seat, obs[p], env.action_space(p))
        obs, rewards, _, _, _ = env.step(actions)
        for p, r in rewards.items():
            totals[env.agent_index[p]] += float(r)
            lengths[env.agent_index[p]] += 1
    return totals, lengths


def play_to_end(env: Any, agents: list[Any], seed: int) -> tuple[list[float], list[int]]:
    """:func:`drive` the agents, let the bots finish the game, close the env.

    Returns every seat's episode return (bots included, from ``env.episode_returns()``) and steps played
    (a bot seat plays every cycle).
    """
    try:
        _, lengths = drive(env, agents, seed)
        env.play_out()
        returns = [float(r) for r in env.episode_returns()]
        return returns, [lengths.get(seat, env.cycles) for seat in range(len(returns))]
    finally:
        env.close()


def warm_with_bots(env: Any) -> None:
    """Compile a game's kernels by playing a short game of built-in bots (``env`` made with ``max_cycles``)."""
    env.reset(seed=0)
    env.play_out()
    env.close()


class TerritoryAdapter(GameAdapter):
    """Territory-v1 ``standard`` preset: 5-player free-for-all on a 128x128 map, 1000 decisions at most."""

    name = "territory"
    env_id = "botarena/Territory-v1"
    version = 1
    kind = "ffa"
    num_seats = 5
    expert = "territory/expander"
    random = "territory/random"
    env_kwargs: ClassVar[dict[str, Any]] = {"preset": "standard"}

    def __init__(self, **overrides: Any) -> None:
        self.kwargs = {**self.env_kwargs, **overrides}

    def play(self, agents: list[Any], seed: int, variant: str = "") -> list[SeatOutcome]:
        from botarena.envs.territory import parallel_env

        env = parallel_env(bots=native_bots(agents), **self.kwargs)
        try:
            totals, lengths = drive(env, agents, seed)
            # Bots play on after the last agent seat is out: placements need the finished game.
            env.play_out()
            placements = env.final_placements()
        finally:
            env.close()
        return [SeatOutcome(totals.get(s, 0.0), lengths.get(s, env.cycles), int(placements[s]))
                for s in range(self.num_seats)]

    def warm(self) -> None:
        from botarena.envs.territory import parallel_env

        # A tiny game compiles the same kernel signatures as a full one (numba specialises on types).
        env = parallel_env(preset="duel", bots={1: "aggressor"}, max_cycles=2)
        obs, _ = env.reset(seed=0)
        env.step({"player_0": int(obs["player_0"]["action_mask"].argmax())})
        env.play_out()
        env.close()


class ClickArenaAdapter(GameAdapter):
    """ClickArena-v0 ``standard`` difficulty, human cursor: one ship alone in the arena for 3 minutes."""

    name = "click_arena"
    env_id = "botarena/ClickArena-v0"
    version = 0
    kind = "single"
    num_seats = 1
    expert = "click_arena/expert"
    random = "click_arena/random"

    def play(self, agents: list[Any], seed: int, variant: str = "") -> list[SeatOutcome]:
        from botarena.envs.click_arena import parallel_env

        returns, lengths = play_to_end(parallel_env(num_players=1, bots=native_bots(agents)), agents, seed)
        return [SeatOutcome(returns[0], lengths[0])]

    def warm(self) -> None:
        from botarena.envs.click_arena import parallel_env

        warm_with_bots(parallel_env(num_players=1, bots={0: "expert"}, max_cycles=2))


# The fixed scripted opponent of TickDuel's single-player table and the reference expert: nh_expert with
# the "average" motor style.
TICK_DUEL_OPPONENT = "nh_expert"
TICK_DUEL_BUILDS = ("max", "zerker", "pure")


class TickDuelAdapter(GameAdapter):
    """TickDuel-v0 against the fixed scripted opponent ``nh_expert``, every seed played in every build."""

    name = "tick_duel"
    env_id = "botarena/TickDuel-v0"
    version = 0
    kind = "single"
    num_seats = 1
    expert = "tick_duel/nh_expert"
    random = "tick_duel/random"
    variants = TICK_DUEL_BUILDS

    def play(self, agents: list[Any], seed: int, variant: str = "") -> list[SeatOutcome]:
        from botarena.envs.tick_duel import parallel_env

        env = parallel_env(builds=variant or TICK_DUEL_BUILDS[0],
                           bots={1: TICK_DUEL_OPPONENT, **native_bots(agents)})
        returns, lengths = play_to_end(env, agents, seed)
        return [SeatOutcome(returns[0], lengths[0])]

    def warm(self) -> None:
        from botarena.envs.tick_duel import parallel_env

        warm_with_bots(parallel_env(bots={0: "random", 1: TICK_DUEL_OPPONENT}, max_cycles=2))


class TickDuelHeadToHeadAdapter(TickDuelAdapter):
    """TickDuel-v0 head to head: every pair of agents on every seed in every build, both seat orders."""

    name = "tick_duel-h2h"
    kind = "duel"
    num_seats = 2
    expert = random = None

    def play(self, agents: list[Any], seed: int, variant: str = "") -> list[SeatOutcome]:
        from botarena.envs.tick_duel import parallel_env

        env = parallel_env(builds=variant or TICK_DUEL_BUILDS[0], bots=native_bots(agents))
        returns, lengths = play_to_end(env, agents, seed)
        # The game decides: a kill wins, a double knockout draws, a timeout goes to the larger share of HP left.
        placements = env.final_placements()
        return [SeatOutcome(returns[s], lengths[s], int(placements[s])) for s in range(2)]


GAME_ADAPTERS: dict[str, GameAdapter] = {
    adapter.name: adapter
    for adapter in (TerritoryAdapter(), ClickArenaAdapter(), TickDuelAdapter(), TickDuelHeadToHeadAdapter())
}
