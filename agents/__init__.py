"""botarena.agents: everything that acts -- scripted bots, reference agents, the leaderboard and the CLI.

>>> from botarena.agents import list_agents, make_agent, play_episode
>>> result = play_episode("territory", {0: "territory/random", 1: "territory/expander"}, seed=0, preset="duel",
...                       max_cycles=20)
>>> len(result.returns), result.length
(2, 20)
"""

from .common.episode import EpisodeResult, play_episode
from .common.protocol import Agent, BaseAgent
from .common.registry import AgentSpec, list_agents, make_agent

__all__ = ["Agent", "AgentSpec", "BaseAgent", "EpisodeResult", "list_agents", "make_agent", "play_episode"]
