"""The leaderboard's tables, and how each plays one episode with a given agent in every seat.

A table is one evaluation setting of a game (a key of ``botarena.envs.GAMES``): a free-for-all (``"ffa"``),
single-player, alone or against fixed scripted opponents (``"single"``), or a head-to-head round robin
(``"duel"``). Every bundled table is a :class:`PettingZooTable`: it plays through its game's PettingZoo env and
reads what every such env declares (``GameParallelEnv``'s ``play_out``, ``episode_returns`` and
``final_placements``), so no table knows more about its game than the arguments it makes the env with.
Agents whose ``native_bot`` attribute names one of the game's built-in numba bots are seated inside the game
through the env's ``bots=`` (the bot reads the state, as a game's own AI does); every other agent acts on
its observation through the PettingZoo API.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from botarena.envs import GAMES
from botarena.envs.common.multiagent import id_version

__all__ = ["GameAdapter", "PettingZooTable", "References", "SeatOutcome", "GAME_ADAPTERS", "AgentFailure",
           "act_checked", "drive", "native_bots", "TICK_DUEL_BUILDS", "TICK_DUEL_OPPONENT"]


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


@dataclass(frozen=True)
class References:
    """The agents whose mean returns are 0 and 1 of a single-player table's normalised score, and why.

    Both must be ranked on the table (the references' own episodes define the scale, per variant), and their
    mean returns must differ clearly on every variant: the normalised score divides by that difference, and
    its bootstrap CI resamples both references, so two references close together make every score noisy.
    """

    zero: str
    one: str
    why: str


class GameAdapter(ABC):
    """One leaderboard table: a game, its evaluation setting, and how to play one seeded episode.

    ``name`` keys the table (and the rows of ``episodes.jsonl``); ``game`` is the game it is played on (the
    ``botarena.envs.GAMES`` key, whose agents and evaluation seeds it uses). A game can have more than one
    table: TickDuel is scored against a fixed scripted opponent and, separately, head to head.
    ``variants`` are the settings every seed is played in (TickDuel's builds); single-player scores are
    stratified over them. ``episodes`` and ``quick_episodes`` are the seeds a full and a ``--quick`` run plays.
    """

    name: str
    game: str
    env_id: str
    version: int
    kind: str  # "ffa" (free-for-all), "single" (one agent, fixed world) or "duel" (round robin)
    num_seats: int
    setting: str = ""
    references: References | None = None
    variants: tuple[str, ...] = ("",)
    episodes: int = 8
    quick_episodes: int = 3

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


def drive(env: Any, agents: list[Any], seed: int) -> dict[int, int]:
    """Reset a PettingZoo parallel env with ``seed`` and step it until its agents are gone.

    ``agents[seat]`` acts for agent ``player_<seat>`` (seats played by built-in bots are not agents).
    Returns the number of steps each agent seat played. Actions are checked, so a broken agent raises
    :class:`AgentFailure` naming its seat.
    """
    obs, _ = env.reset(seed=seed)
    lengths = {env.agent_index[p]: 0 for p in env.possible_agents}
    while env.agents:
        actions = {}
        for p in env.agents:
            seat = env.agent_index[p]
            actions[p] = act_checked(agents[seat], seat, obs[p], env.action_space(p))
        obs, rewards, _, _, _ = env.step(actions)
        for p in rewards:
            lengths[env.agent_index[p]] += 1
    return lengths


class PettingZooTable(GameAdapter):
    """A table played through its game's PettingZoo env (``<game module>.multiagent.parallel_env``).

    Args:
        game: the ``botarena.envs.GAMES`` key; the env id and version come from there.
        kind: ``"ffa"``, ``"single"`` or ``"duel"``.
        num_seats: seats the ranked agents take, ``0 .. num_seats - 1``.
        setting: one line for the reports.
        name: the table's name (default: the game's).
        env_kwargs: arguments of ``parallel_env``.
        opponents: ``{seat: built-in bot}`` for seats held by fixed scripted opponents (from ``num_seats`` on).
        variant_arg: the ``parallel_env`` argument each variant sets (TickDuel's ``builds``).
        variants, references, episodes, quick_episodes: see :class:`GameAdapter`.
    """

    def __init__(self, game: str, kind: str, num_seats: int, setting: str, *, name: str | None = None,
                 env_kwargs: dict[str, Any] | None = None, opponents: dict[int, str] | None = None,
                 variant_arg: str | None = None, variants: tuple[str, ...] = ("",),
                 references: References | None = None, episodes: int = 8, quick_episodes: int = 3) -> None:
        spec = GAMES[game]
        self.name = name or spec.name
        self.game = spec.name
        self.env_id = spec.env_id
        self.version = id_version(spec.env_id)
        self.kind = kind
        self.num_seats = num_seats
        self.setting = setting
        self.env_kwargs = dict(env_kwargs or {})
        self.opponents = dict(opponents or {})
        if any(seat < num_seats for seat in self.opponents):
            raise ValueError(f"table {self.name}: opponents must sit after the {num_seats} ranked seats, "
                             f"got {self.opponents}")
        if (variant_arg is None) != (variants == ("",)):
            raise ValueError(f"table {self.name}: variants need a variant_arg to set, and a variant_arg variants")
        self.variant_arg = variant_arg
        self.variants = variants
        self.references = references
        self.episodes = episodes
        self.quick_episodes = quick_episodes

    def make_env(self, bots: dict[int, str], variant: str = "", **overrides: Any) -> Any:
        """The game's PettingZoo env in this table's setting, with ``bots`` (and the opponents) seated inside."""
        kwargs = {**self.env_kwargs, **overrides}
        if self.variant_arg is not None:
            kwargs[self.variant_arg] = variant or self.variants[0]
        module = importlib.import_module(f"{GAMES[self.game].module}.multiagent")
        return module.parallel_env(bots={**self.opponents, **bots}, **kwargs)

    def play(self, agents: list[Any], seed: int, variant: str = "") -> list[SeatOutcome]:
        env = self.make_env(native_bots(agents), variant)
        try:
            lengths = drive(env, agents, seed)
            env.play_out()  # the bots finish the game: returns and placements need the finished game
            returns, placements = env.episode_returns(), env.final_placements()
        finally:
            env.close()
        # A bot seat plays every cycle of the game.
        return [SeatOutcome(float(returns[s]), lengths.get(s, env.cycles), int(placements[s]))
                for s in range(self.num_seats)]

    def warm(self) -> None:
        # Two cycles with an agent in every ranked seat compile every kernel a full game runs: reset, the
        # agents' observations and actions, the bots and the rules (numba specialises on types, not sizes).
        env = self.make_env({}, max_cycles=2)
        env.reset(seed=0)
        env.step(dict.fromkeys(env.agents, env.noop_action))
        env.play_out()
        env.close()


# TickDuel's single-player table: every agent against the fixed scripted opponent nh_expert (the "average" human
# motor style), in each of the three builds.
TICK_DUEL_OPPONENT = "nh_expert"
TICK_DUEL_BUILDS = ("max", "zerker", "pure")

# The references were chosen from the candidates' returns on all 64 evaluation seeds of each table, measured with
# the leaderboard itself (`run_leaderboard(tables=["tick_duel", "click_arena"], episodes=64)`, 2026-12-04; TickDuel
# again on v1 with `botarena leaderboard --games tick_duel --episodes 64` over its scripted agents, 2026-12-06). The
# separation is (mean of one - mean of zero) over the standard error of that difference, per variant.
CLICK_ARENA_REFERENCES = References(
    zero="click_arena/random", one="click_arena/expert",
    why="random clicking (mean return -23 on 64 seeds) against the scripted expert playing through a human motor "
        "model (+81): far apart (separation 34), so 1 means as good as a human-like expert; the motor-free aimbot "
        "(+85) is hardly better and would not make a clearer 1")
TICK_DUEL_REFERENCES = References(
    zero="tick_duel/random", one="tick_duel/tick_perfect",
    why="random input (mean return -21 in every build on 64 seeds of TickDuel-v1) against the motor-free scripted "
        "ceiling tick_perfect (+41 to +58 per build): far apart (separation 26 to 36 per build), and tick_perfect "
        "beats every scripted agent head to head. The opponent nh_expert, 1 before TickDuel-v0's references were "
        "reviewed, wins about half of its mirror matches, so its mean return (-5 to -1, standard deviation 24 to "
        "35) sits too near random's to divide by. nh_expert-fast's hands make the same decisions and score a little "
        "above 1 against this opponent (it loses 91 % of its games to tick_perfect)")

GAME_ADAPTERS: dict[str, GameAdapter] = {
    table.name: table
    for table in (
        PettingZooTable(
            "territory", "ffa", 5, "standard preset: 5-player free-for-all on a 128x128 map, "
            f"{GAMES['territory'].max_episode_steps} decisions at most.",
            # quick: 1 map seed (x 6 groups of 5 agents x 5 seat rotations = 30 games), because the learned
            # territory/ppo-attention takes ~2.5 ms a decision (torch at batch 1 on a 128x128 map) in games of up to
            # 1,000 decisions; 3 seeds put `make demo` past its 3 minutes
            env_kwargs={"preset": "standard"}, episodes=8, quick_episodes=1),
        PettingZooTable(
            "click_arena", "single", 1, "standard difficulty, human cursor: one ship alone in the arena for the "
            "whole 3-minute episode.",
            # quick: 1 seed, because the learned agent plays a 3-minute episode in 16 to 27 s of one core (torch
            # at batch 1); 4 seeds put `make demo` past its 3 minutes once the Territory agent joined (220 s cold),
            # and 2 once the TickDuel decoder did (3 min 34 s from a fresh clone, the leaderboard 175 s)
            env_kwargs={"num_players": 1}, references=CLICK_ARENA_REFERENCES, episodes=16, quick_episodes=1),
        PettingZooTable(
            "tick_duel", "single", 1, f"against the fixed scripted opponent {TICK_DUEL_OPPONENT}, every seed "
            "played in every build.",
            opponents={1: TICK_DUEL_OPPONENT}, variant_arg="builds", variants=TICK_DUEL_BUILDS,
            # quick: 4 seeds (x 3 builds), because the learned tick_duel/decoder takes ~3 ms a tick (torch at batch
            # 1) in duels of ~200 ticks, where the scripted agents take 0.1 ms; 8 put `make demo` past 3 minutes
            references=TICK_DUEL_REFERENCES, episodes=16, quick_episodes=4),
        PettingZooTable(
            "tick_duel", "duel", 2, "head to head: every pair of agents on every seed in every build, both seat "
            "orders.", name="tick_duel-h2h", variant_arg="builds", variants=TICK_DUEL_BUILDS,
            # quick: 1 seed (x 3 builds x 2 seat orders = 6 duels a pair), for the decoder as above
            episodes=8, quick_episodes=1),
    )
}
