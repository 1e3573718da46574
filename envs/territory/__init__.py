"""Territory: an OpenFront.io / territorial.io style free-for-all (``botarena/Territory-v2``; v1 stays registered).

``TerritoryEnv`` (Gymnasium, one learner seat against scripted bots), ``TerritoryVectorEnv`` (the native
batch behind ``gym.make_vec``), ``parallel_env(...)`` / ``env(...)`` (PettingZoo parallel / AEC, every
player an agent). The rules live in ``core``, the scripted bots in ``bots``, frames in ``render``.

Note: ``env`` here is the PettingZoo AEC constructor; the Gymnasium classes live in the module
``botarena.envs.territory.env`` (import them from this package: ``from botarena.envs.territory import
TerritoryEnv``).
"""

from .env import TerritoryEnv, TerritoryVectorEnv
from .multiagent import TerritoryParallelEnv, env, parallel_env

__all__ = ["TerritoryEnv", "TerritoryParallelEnv", "TerritoryVectorEnv", "env", "parallel_env"]
