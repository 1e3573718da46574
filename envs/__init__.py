"""botarena.envs: the games. Importing this package registers every Gymnasium id.

Ids are registered by string entry point (Gymnasium's own pattern), so ``import botarena.envs`` stays
cheap: a game's module, and its numba kernels, load only when ``gym.make`` asks for that game.

>>> import gymnasium as gym
>>> import botarena.envs
>>> ids = sorted(spec_id for spec_id in gym.registry if spec_id.startswith("botarena/"))
>>> ids == sorted(ENV_IDS + LEGACY_ENV_IDS)
True
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any

from gymnasium.envs.registration import register, registry

__all__ = ["GAMES", "ENV_IDS", "LEGACY_ENV_IDS", "GameSpec"]


@dataclass(frozen=True)
class GameSpec:
    """One game: its short name (used by the CLI), Gymnasium id, and where its code lives."""

    name: str
    env_id: str
    module: str
    env_class: str
    vector_class: str
    max_episode_steps: int
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def entry_point(self) -> str:
        return f"{self.module}.env:{self.env_class}"

    @property
    def vector_entry_point(self) -> str:
        return f"{self.module}.env:{self.vector_class}"


# The games, in the order the CLI and the leaderboard list them. A new game adds its line. Each game's classes
# default to its newest version; an id's kwargs pin anything an older version still registered plays differently.
_GAME_SPECS: tuple[GameSpec, ...] = (
    GameSpec("territory", "botarena/Territory-v2", "botarena.envs.territory", "TerritoryEnv", "TerritoryVectorEnv",
             max_episode_steps=1000),
    GameSpec("click_arena", "botarena/ClickArena-v0", "botarena.envs.click_arena", "ClickArenaEnv",
             "ClickArenaVectorEnv", max_episode_steps=10800),
    GameSpec("tick_duel", "botarena/TickDuel-v1", "botarena.envs.tick_duel", "TickDuelEnv", "TickDuelVectorEnv",
             max_episode_steps=500),
)

# Older versions stay registered so old recordings and scores replay; the leaderboard, the CLI and the
# conformance suite use the games' current ids above.
_LEGACY_SPECS: tuple[GameSpec, ...] = (
    # Territory-v1: v1's rules, observation and opponents, and the potential-shaped reward it defaulted to.
    GameSpec("territory", "botarena/Territory-v1", "botarena.envs.territory", "TerritoryEnv", "TerritoryVectorEnv",
             max_episode_steps=1000, kwargs={"rules": 1, "reward": "shaped"}),
    # TickDuel-v0: v0's rules, items, supplies and 128-feature observation (old recordings replay exactly).
    GameSpec("tick_duel", "botarena/TickDuel-v0", "botarena.envs.tick_duel", "TickDuelEnv", "TickDuelVectorEnv",
             max_episode_steps=500, kwargs={"rules": 0}),
)

GAMES: dict[str, GameSpec] = {spec.name: spec for spec in _GAME_SPECS}

ENV_IDS: tuple[str, ...] = tuple(spec.env_id for spec in GAMES.values())
LEGACY_ENV_IDS: tuple[str, ...] = tuple(spec.env_id for spec in _LEGACY_SPECS)


def _register_all() -> None:
    for spec in (*GAMES.values(), *_LEGACY_SPECS):
        if spec.env_id in registry:
            continue
        register(
            id=spec.env_id,
            entry_point=spec.entry_point,
            vector_entry_point=spec.vector_entry_point,
            max_episode_steps=spec.max_episode_steps,
            kwargs=dict(spec.kwargs),
        )


def _default_kernel_cache() -> None:
    """Cache compiled numba kernels inside the active virtual environment, as ``make`` arranges.

    Without this, a user's first ``gym.make`` in an activated venv compiles every kernel again (numba's
    default cache lives beside the sources, not where ``make demo`` put it). A user's own
    ``NUMBA_CACHE_DIR`` always wins.
    """
    if sys.prefix == sys.base_prefix or "NUMBA_CACHE_DIR" in os.environ:
        return
    os.environ["NUMBA_CACHE_DIR"] = os.path.join(sys.prefix, "numba_cache")
    if "numba" in sys.modules:  # imported before us: make it read the setting again
        from numba.core import config

        config.reload_config()


_default_kernel_cache()
_register_all()
