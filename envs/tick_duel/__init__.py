"""TickDuel: an OSRS-style PvP duel on 600 ms ticks, played through timed input events (``botarena/TickDuel-v1``;
``botarena/TickDuel-v0`` stays registered).

``TickDuelEnv`` (Gymnasium, the learner against a scripted opponent), ``TickDuelVectorEnv`` (the native batch
behind ``gym.make_vec``), ``parallel_env(...)`` / ``env(...)`` (PettingZoo parallel / AEC, both players agents
or one a bot). The rules and the client layout live in ``core``, the scripted players and their
human motor model in ``bots``, frames in ``render``. ``SemanticActions`` wraps the raw event interface into
MultiDiscrete decision heads with action masks for RL agents.
"""

from .env import TickDuelEnv, TickDuelVectorEnv
from .multiagent import TickDuelParallelEnv, env, parallel_env
from .semantic import SemanticActions

__all__ = ["SemanticActions", "TickDuelEnv", "TickDuelParallelEnv", "TickDuelVectorEnv", "env", "parallel_env"]
