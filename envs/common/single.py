"""A single-env ``gymnasium.Env`` view on a batched game: a batch of one, so the rules exist once.

A game declares ``class TerritoryEnv(SingleEnvView): vector_class = TerritoryVectorEnv`` and gets a
standard Gymnasium env whose constructor takes the same keyword arguments as the vector class. The view
never truncates or resets by itself: ``gym.make`` adds ``TimeLimit`` from the registered (or the given)
``max_episode_steps``, exactly as for any Gymnasium env.
"""

from __future__ import annotations

from typing import Any, ClassVar, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode

from .validation import validate_action
from .vector import BatchedVectorEnv, env_info, index_tree

__all__ = ["SingleEnvView"]


class SingleEnvView(gym.Env):
    """One game of a :class:`BatchedVectorEnv` subclass, as a plain ``gymnasium.Env``."""

    vector_class: ClassVar[type[BatchedVectorEnv]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "vector_class" in cls.__dict__ and "metadata" not in cls.__dict__:
            meta = cls.vector_class.metadata
            cls.metadata = {"render_modes": list(meta["render_modes"]), "render_fps": meta.get("render_fps", 30)}

    def __init__(self, render_mode: str | None = None, **kwargs: Any) -> None:
        self.batch = self.vector_class(
            num_envs=1, render_mode=render_mode, autoreset_mode=AutoresetMode.DISABLED, **kwargs
        )
        # TimeLimit owns truncation for a single env (gym.make adds it, with any max_episode_steps the user
        # asks for): the batch must not cut episodes at its own default. A max_episode_steps given here still
        # sets the game's time scale (the observations' time features).
        self.batch.max_episode_steps = None
        self.render_mode = render_mode
        self.observation_space = self.batch.single_observation_space
        self.action_space = self.batch.single_action_space
        self._one = np.ones(1, dtype=np.bool_)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict]:
        super().reset(seed=seed)
        obs, info = self.batch.reset(seed=seed, options=options)
        return index_tree(obs, 0), env_info(info, 0)

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        if not self.batch._has_reset:
            raise RuntimeError(f"{type(self).__name__}: call reset() before step()")
        action = validate_action(self.action_space, action)
        batched = _add_batch_axis(action)
        # Stepping a finished episode changes nothing (reward 0) until reset(), as the kernels skip it.
        active = self._one & ~(self.batch.terminated | self.batch.truncated)
        if not active[0]:
            self.batch.rewards[0] = 0.0
        else:
            self.batch._advance(batched, active)
        return (
            index_tree(self.batch._observation(), 0),
            float(self.batch.rewards[0]),
            bool(self.batch.terminated[0]),
            bool(self.batch.truncated[0]),
            env_info(self.batch._info(), 0),
        )

    def action_masks(self) -> np.ndarray:
        """The valid actions now (MaskablePPO reads this through SB3's wrappers)."""
        if not hasattr(self.batch, "action_masks"):
            raise AttributeError(f"{type(self.batch).__name__} has no action masks")
        return np.array(self.batch.action_masks()[0], copy=True)

    def render(self) -> np.ndarray | None:
        if self.render_mode is None:
            return None
        if self.render_mode == "human":
            self.batch.render()
            return None
        return self.batch._render_frame(0)

    def close(self) -> None:
        self.batch.close()
        super().close()


def _add_batch_axis(action: Any) -> Any:
    if isinstance(action, dict):
        return {key: _add_batch_axis(value) for key, value in action.items()}
    if isinstance(action, tuple):
        return tuple(_add_batch_axis(value) for value in action)
    return np.asarray(action)[None]
