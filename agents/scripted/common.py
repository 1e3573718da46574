"""Agents every game can use: uniform random over the valid actions, and built-in game bots."""

from __future__ import annotations

from typing import Any

import numpy as np

from botarena.agents.common.protocol import BaseAgent

__all__ = ["MaskedRandomAgent", "NativeBotAgent"]


class MaskedRandomAgent(BaseAgent):
    """Picks uniformly among the actions ``obs["action_mask"]`` allows (Discrete action spaces).

    Its generator is reseeded by ``reset(seed)``, so an evaluation episode is reproducible.
    """

    name = "random"

    def act(self, obs: Any) -> int:
        mask = np.asarray(obs["action_mask"])
        valid = np.flatnonzero(mask)
        if valid.size == 0:
            raise ValueError("the action mask allows no action; the env must always allow a no-op")
        return int(self.rng.choice(valid))


class NativeBotAgent(BaseAgent):
    """A game's built-in numba bot, seated inside the game (it reads the game state, as a game's own AI does).

    The leaderboard and the PettingZoo envs seat it through their ``bots=`` argument; it has no
    observation-to-action policy of its own, so ``act`` explains where to use it instead.
    """

    def __init__(self, native_bot: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.native_bot = native_bot

    def act(self, obs: Any) -> Any:
        raise TypeError(
            f"{self.name} is the game's built-in '{self.native_bot}' bot and plays inside the game: seat it with "
            f"parallel_env(bots={{seat: '{self.native_bot}'}}) or the Gymnasium env's opponents= argument"
        )
