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

    It has no observation-to-action policy: ``botarena.agents.play_episode`` and the leaderboard seat it
    through the PettingZoo env's ``bots=`` argument (``native_bot`` is the bot's name there), and ``act``
    raises a ``TypeError`` that says so.
    """

    def __init__(self, native_bot: str, game: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.native_bot = native_bot
        self.game = game

    def act(self, obs: Any) -> Any:
        game = self.game or (self.name.split("/")[0] if "/" in self.name else "<game>")
        name = self.name if "/" in self.name else f"{game}/{self.native_bot}"
        raise TypeError(
            f"{name} is {game}'s built-in {self.native_bot!r} bot: it plays inside the game from the full game "
            f"state and has no act(obs). Play it with botarena.agents.play_episode({game!r}, {{0: {name!r}, "
            f"1: ...}}), or seat it in the PettingZoo env: botarena.envs.{game}.parallel_env(bots={{0: "
            f"{self.native_bot!r}}})."
        )
