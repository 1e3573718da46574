"""How the leaderboard plays one episode of each game with a given agent in every seat.

A game adapter knows its evaluation setting (free-for-all, or single-player against a fixed opponent),
its seat count, which agent is the scripted expert that defines a normalised score of 1, and how to run
one seeded episode. Agents whose ``native_bot`` attribute names one of the game's built-in numba bots are
seated inside the game (the bot reads the state, as OpenFront's own bots do); every other agent acts on
its observation through the PettingZoo API.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = ["GameAdapter", "SeatOutcome", "GAME_ADAPTERS", "TerritoryAdapter", "AgentFailure", "act_checked"]


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
    name: ClassVar[str]
    env_id: ClassVar[str]
    version: ClassVar[int]
    kind: ClassVar[str]  # "ffa" or "single"
    num_seats: ClassVar[int]
    expert: ClassVar[str | None] = None
    random: ClassVar[str | None] = None

    @abstractmethod
    def play(self, agents: list[Any], seed: int) -> list[SeatOutcome]:
        """Play one episode with ``agents[i]`` in seat ``i``."""

    def warm(self) -> None:
        """Compile (or load) the game's kernels in this process, before workers are forked from it."""
        return None  # games without compiled kernels have nothing to warm


class TerritoryAdapter(GameAdapter):
    """Territory-v0 ``standard`` preset: 5-player free-for-all on a 128x128 map, 1000 decisions at most."""

    name = "territory"
    env_id = "botarena/Territory-v0"
    version = 0
    kind = "ffa"
    num_seats = 5
    expert = "territory/expander"
    random = "territory/random"
    env_kwargs: ClassVar[dict[str, Any]] = {"preset": "standard"}

    def __init__(self, **overrides: Any) -> None:
        self.kwargs = {**self.env_kwargs, **overrides}

    def play(self, agents: list[Any], seed: int) -> list[SeatOutcome]:
        from botarena.envs.territory import parallel_env

        bots = {seat: a.native_bot for seat, a in enumerate(agents) if getattr(a, "native_bot", None)}
        env = parallel_env(bots=bots, **self.kwargs)
        try:
            obs, _ = env.reset(seed=seed)
            players = env.possible_agents
            totals = {p: 0.0 for p in players}
            lengths = {p: 0 for p in players}
            while env.agents:
                actions = {p: act_checked(agents[env.agent_index[p]], env.agent_index[p], obs[p],
                                          env.action_space(p)) for p in env.agents}
                obs, rewards, _, _, _ = env.step(actions)
                for p, r in rewards.items():
                    totals[p] += r
                    lengths[p] += 1
            # Bots play on after the last agent seat is out: placements need the finished game.
            env.play_out()
            placements = env.final_placements()
        finally:
            env.close()
        return [SeatOutcome(totals[f"player_{s}"] if f"player_{s}" in totals else 0.0,
                            lengths.get(f"player_{s}", env.cycles), int(placements[s]))
                for s in range(self.num_seats)]


    def warm(self) -> None:
        from botarena.envs.territory import parallel_env

        # A tiny game compiles the same kernel signatures as a full one (numba specialises on types).
        env = parallel_env(preset="duel", bots={1: "aggressor"}, max_cycles=2)
        obs, _ = env.reset(seed=0)
        env.step({"player_0": int(obs["player_0"]["action_mask"].argmax())})
        env.play_out()
        env.close()


GAME_ADAPTERS: dict[str, GameAdapter] = {"territory": TerritoryAdapter()}
