"""The one small protocol everything that acts follows: scripted bots, learned agents, humans.

An agent is reset with a seed at the start of every episode (stochastic agents draw from their own
generator, so an evaluation is reproducible), then maps one observation to one action. Batched ``act``
lets a vector env drive many games with one call; stateful agents (recurrent, hierarchical) keep their
state per batch slot and reset it in ``reset``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["Agent", "BaseAgent"]


@runtime_checkable
class Agent(Protocol):
    """What the leaderboard, ``botarena eval`` and ``play`` need from an agent."""

    name: str

    def reset(self, seed: int | None = None) -> None:
        """Start a new episode; stochastic agents reseed their generator from ``seed``."""

    def act(self, obs: Any) -> Any:
        """One action for one (unbatched) observation."""

    def act_batch(self, obs: Any) -> Any:
        """Actions for a batch of observations (leading axis = env), as a batched action array/dict."""


class BaseAgent(ABC):
    """A convenient base: ``act_batch`` loops over ``act`` unless a subclass does better.

    ``deterministic`` asks for the greedy action where the agent has a choice (the leaderboard sets it).
    """

    name: str = "agent"

    def __init__(self, *, deterministic: bool = True) -> None:
        self.deterministic = deterministic
        self.rng = np.random.default_rng()

    def reset(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)

    @abstractmethod
    def act(self, obs: Any) -> Any:
        """One action for one observation."""

    def act_batch(self, obs: Any) -> Any:
        size = _batch_size(obs)
        actions = [self.act(_take(obs, i)) for i in range(size)]
        return _stack(actions)


def _batch_size(obs: Any) -> int:
    if isinstance(obs, dict):
        return _batch_size(next(iter(obs.values())))
    return len(obs)


def _take(obs: Any, i: int) -> Any:
    if isinstance(obs, dict):
        return {k: _take(v, i) for k, v in obs.items()}
    return obs[i]


def _stack(actions: list[Any]) -> Any:
    if actions and isinstance(actions[0], dict):
        return {k: _stack([a[k] for a in actions]) for k in actions[0]}
    return np.stack([np.asarray(a) for a in actions])
