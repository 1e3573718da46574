"""ClickArena: a DarkOrbit-style target-clicking arena at 60 Hz (``botarena/ClickArena-v0``).

``ClickArenaEnv`` (Gymnasium, one ship), ``ClickArenaVectorEnv`` (the native batch behind ``gym.make_vec``),
``parallel_env(...)`` / ``env(...)`` (PettingZoo parallel / AEC, up to four ships in one arena). The rules
live in ``core``, the scripted bots in ``bots``, frames in ``render``, human play in ``play``.

Note: ``env`` here is the PettingZoo AEC constructor; the Gymnasium classes live in the module
``botarena.envs.click_arena.env`` (import them from this package).
"""

from .env import ClickArenaEnv, ClickArenaVectorEnv
from .multiagent import ClickArenaParallelEnv, env, parallel_env

__all__ = ["ClickArenaEnv", "ClickArenaParallelEnv", "ClickArenaVectorEnv", "env", "parallel_env"]
