"""The base of every natively batched botarena game: a Gymnasium ``VectorEnv`` over numba kernels.

A game subclasses :class:`BatchedVectorEnv`, allocates its state as ``[num_envs, ...]`` arrays and writes
four small hooks; the base does everything a Gymnasium vector env must get right and that every game
would otherwise repeat: seeding the per-env counter RNG, episode step counters and ``max_episode_steps``
truncation, both autoreset modes, action validation, copies of the observation buffers, and rendering.

Hooks a subclass implements (all operate on the whole batch, in place):

``_reset_envs(mask)``
    Start a new episode in every env ``i`` with ``mask[i]``; draw any randomness from
    ``self.rng_state[i]`` (already seeded by the base when the user gave a seed).
``_step_envs(actions, active)``
    Advance every env ``i`` with ``active[i]`` by one step. ``actions`` is the validated batch, already
    converted to the dtype the kernels take (see :mod:`.validation`). Write ``self.rewards[i]`` and
    ``self.terminated[i]`` for active envs; leave inactive ones untouched.
``_observation()``
    Fill the game's preallocated observation buffers for every env and return them (an array, or a dict
    of arrays for a ``Dict`` space). The base copies them before they leave the env.
``_info()`` (optional)
    A dict of per-env arrays (Gymnasium's vector info form, each with a ``_key`` bool mask if only some
    envs carry it). Must return fresh arrays.

Optional: ``action_masks()`` returning a ``[num_envs, ...]`` array of the current valid actions (the SB3
adapter and MaskablePPO read it) and ``_render_frame(index)`` returning an ``[H, W, 3]`` uint8 frame.

Autoreset (``autoreset_mode``, Gymnasium >= 1.1):
  * ``SAME_STEP`` (default): an env whose episode ends is reset within the same ``step``; the returned
    observation is the first of the new episode and the last one is in ``infos["final_obs"][i]``
    (object array, mask ``infos["_final_obs"]``), its info in ``infos["final_info"]``. This is what SB3
    and most training code expect.
  * ``NEXT_STEP``: the ended env returns its last observation; the next ``step`` ignores its action,
    resets it, and returns the first observation with reward 0.
  * ``DISABLED``: nothing resets by itself; call ``reset(options={"reset_mask": mask})``. Until then an
    ended env is not stepped: it keeps its last observation and ``terminated``/``truncated``, reward 0.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from .rng import batch_seeds, seed_words
from .validation import check_int, validate_batch_action

__all__ = ["BatchedVectorEnv", "copy_tree", "env_info", "index_tree", "parse_autoreset_mode"]


def copy_tree(obs: Any) -> Any:
    """A deep copy of an array or a (nested) dict of arrays: what leaves the env never aliases a buffer."""
    if isinstance(obs, dict):
        return {key: copy_tree(value) for key, value in obs.items()}
    return np.array(obs, copy=True)


def index_tree(obs: Any, index: int) -> Any:
    """Env ``index``'s part of a batched array or dict of arrays, as a copy."""
    if isinstance(obs, dict):
        return {key: index_tree(value, index) for key, value in obs.items()}
    return np.array(obs[index], copy=True)


def env_info(info: dict[str, Any], index: int) -> dict[str, Any]:
    """Env ``index``'s entries of a Gymnasium vector info dict, honouring the ``_key`` presence masks.

    ``final_obs`` and ``final_info`` are left out: they describe the episode that ended, not this env now.
    """
    out: dict[str, Any] = {}
    for key, value in info.items():
        if key.startswith("_") or key in ("final_obs", "final_info"):
            continue
        present = info.get(f"_{key}")
        if present is not None and not bool(np.asarray(present)[index]):
            continue
        if isinstance(value, dict):
            out[key] = env_info(value, index)
        else:
            item = value[index]
            out[key] = item.item() if isinstance(item, np.generic) else item
    return out


def parse_autoreset_mode(mode: AutoresetMode | str) -> AutoresetMode:
    """Accept an ``AutoresetMode`` or its value (``"SameStep"``, ``"NextStep"``, ``"Disabled"``)."""
    if isinstance(mode, AutoresetMode):
        return mode
    for member in AutoresetMode:
        if str(mode).lower().replace("_", "") in (member.value.lower(), member.name.lower().replace("_", "")):
            return member
    allowed = ", ".join(f"AutoresetMode.{m.name}" for m in AutoresetMode)
    raise ValueError(f"autoreset_mode must be one of {allowed}, got {mode!r}")


class BatchedVectorEnv(VectorEnv, ABC):
    """A Gymnasium ``VectorEnv`` whose ``num_envs`` games live in shared numba-friendly arrays.

    Args:
        num_envs: number of games in the batch (>= 1).
        single_observation_space: the space of one env's observation.
        single_action_space: the space of one env's action.
        max_episode_steps: truncate an episode after this many steps (``gym.make_vec`` injects the
            registered value); ``None`` never truncates.
        autoreset_mode: see the module docstring.
        render_mode: one of ``metadata["render_modes"]`` or ``None``.
    """

    metadata: dict[str, Any] = {
        "render_modes": ["rgb_array"],
        "render_fps": 30,
        "autoreset_mode": AutoresetMode.SAME_STEP,
    }

    def __init__(
        self,
        num_envs: int,
        single_observation_space: spaces.Space,
        single_action_space: spaces.Space,
        *,
        max_episode_steps: int | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.SAME_STEP,
        render_mode: str | None = None,
    ) -> None:
        num_envs = check_int("num_envs", num_envs, 1)
        max_episode_steps = check_int("max_episode_steps", max_episode_steps, 1, optional=True)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be None or one of {self.metadata['render_modes']}, got {render_mode!r}"
            )
        self.num_envs = num_envs
        self.single_observation_space = single_observation_space
        self.single_action_space = single_action_space
        self.observation_space = batch_space(single_observation_space, self.num_envs)
        self.action_space = batch_space(single_action_space, self.num_envs)
        self.max_episode_steps = max_episode_steps
        self.render_mode = render_mode
        # Per instance, so wrappers that read metadata["autoreset_mode"] see the mode chosen here.
        self.metadata = {**type(self).metadata, "autoreset_mode": parse_autoreset_mode(autoreset_mode)}

        n = self.num_envs
        self.rng_state = np.zeros(n, dtype=np.uint64)
        self.rewards = np.zeros(n, dtype=np.float64)
        self.terminated = np.zeros(n, dtype=np.bool_)
        self.truncated = np.zeros(n, dtype=np.bool_)
        self.episode_steps = np.zeros(n, dtype=np.int64)
        self._pending_reset = np.zeros(n, dtype=np.bool_)  # NEXT_STEP / DISABLED: ended, not yet reset
        self._all_envs = np.ones(n, dtype=np.bool_)
        self._has_reset = False
        self._window: Any = None

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _reset_envs(self, mask: np.ndarray) -> None:
        """Start new episodes in the envs selected by ``mask``."""

    @abstractmethod
    def _step_envs(self, actions: Any, active: np.ndarray) -> None:
        """Advance the ``active`` envs one step; write rewards and terminated."""

    @abstractmethod
    def _observation(self) -> Any:
        """Fill and return the batched observation buffers."""

    def _info(self) -> dict[str, Any]:
        return {}

    def _render_frame(self, index: int) -> np.ndarray:
        raise TypeError(f"{type(self).__name__} does not draw frames: it has no _render_frame()")

    # ------------------------------------------------------------------ properties
    @property
    def autoreset_mode(self) -> AutoresetMode:
        return self.metadata["autoreset_mode"]

    # ------------------------------------------------------------------ Gymnasium API
    def reset(
        self,
        *,
        seed: int | list[int | None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """Reset every env, or those in ``options["reset_mask"]``; env ``i`` is seeded with ``seed + i``."""
        mask = self._reset_mask_from(options)
        self._seed_envs(seed, mask)
        self._restart(mask)
        self._has_reset = True
        return copy_tree(self._observation()), self._info()

    def step(self, actions: Any) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if not self._has_reset:
            raise RuntimeError(f"{type(self).__name__}: call reset() before step()")
        actions = validate_batch_action(self.single_action_space, actions, self.num_envs)
        mode = self.autoreset_mode

        if mode == AutoresetMode.NEXT_STEP and self._pending_reset.any():
            restarting = self._pending_reset.copy()
            self._restart(restarting)
            self._advance(actions, ~restarting)
            self.rewards[restarting] = 0.0
        elif mode == AutoresetMode.DISABLED and self._pending_reset.any():
            # Ended envs wait for reset(options={"reset_mask": ...}): not stepped, paying nothing, still done.
            ended = self._pending_reset.copy()
            terminated, truncated = self.terminated.copy(), self.truncated.copy()
            self._advance(actions, ~ended)
            self.rewards[ended] = 0.0
            self.terminated[ended] = terminated[ended]
            self.truncated[ended] = truncated[ended]
        else:
            self._advance(actions, self._all_envs)

        infos = self._info()
        done = self.terminated | self.truncated
        if mode == AutoresetMode.SAME_STEP and done.any():
            last_obs = self._observation()
            final_obs = np.full(self.num_envs, None, dtype=object)
            for i in np.flatnonzero(done):
                final_obs[i] = index_tree(last_obs, i)
            final_info = infos
            rewards = self.rewards.copy()
            terminated, truncated = self.terminated.copy(), self.truncated.copy()
            self._restart(done)
            infos = {**self._info(), "final_obs": final_obs, "_final_obs": done.copy(),
                     "final_info": final_info, "_final_info": done.copy()}
            return copy_tree(self._observation()), rewards, terminated, truncated, infos

        if mode != AutoresetMode.SAME_STEP:
            self._pending_reset[:] = done
        return (copy_tree(self._observation()), self.rewards.copy(), self.terminated.copy(),
                self.truncated.copy(), infos)

    def render(self) -> tuple[np.ndarray, ...] | None:
        """``rgb_array``: one frame per env. ``human``: shows env 0 in a pygame window."""
        if self.render_mode is None:
            return None
        if self.render_mode == "human":
            self._show(self._render_frame(0))
            return None
        return tuple(self._render_frame(i) for i in range(self.num_envs))

    def close(self, **kwargs: Any) -> None:
        if self._window is not None:
            self._window.close()
            self._window = None
        super().close(**kwargs)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_window"] = None  # a pygame window does not survive pickling; it reopens on demand
        return state

    # ------------------------------------------------------------------ shared machinery
    def _advance(self, actions: Any, active: np.ndarray) -> None:
        """Step the active envs once: kernels, step counters and time-limit truncation; no autoreset."""
        self.terminated[active] = False
        self._step_envs(actions, active)
        self.episode_steps[active] += 1
        self.truncated[:] = False
        if self.max_episode_steps is not None:
            self.truncated[:] = active & ~self.terminated & (self.episode_steps >= self.max_episode_steps)

    def _restart(self, mask: np.ndarray) -> None:
        self.episode_steps[mask] = 0
        self.rewards[mask] = 0.0
        self.terminated[mask] = False
        self.truncated[mask] = False
        self._pending_reset[mask] = False
        self._reset_envs(mask)

    def _seed_envs(self, seed: int | list[int | None] | None, mask: np.ndarray) -> None:
        if isinstance(seed, (list, tuple, np.ndarray)):
            if len(seed) != self.num_envs:
                raise ValueError(f"seed list must have one entry per env ({self.num_envs}), got {len(seed)}")
            for i, s in enumerate(seed):
                if mask[i] and (s is not None or not self._has_reset):
                    self.rng_state[i] = seed_words(batch_seeds(s, 1))[0]
            return
        if seed is None and self._has_reset:
            return  # no new seed: each env's stream simply continues, as a single Gymnasium env does
        if seed is not None:
            super().reset(seed=int(seed))  # seeds self.np_random (used by action_space sampling)
        words = seed_words(batch_seeds(seed, self.num_envs))
        self.rng_state[mask] = words[mask]

    def _reset_mask_from(self, options: dict[str, Any] | None) -> np.ndarray:
        if not options or "reset_mask" not in options:
            return self._all_envs.copy()
        mask = options["reset_mask"]
        if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_ or mask.shape != (self.num_envs,):
            raise ValueError(f"options['reset_mask'] must be a bool numpy array of shape ({self.num_envs},), "
                             f"got {mask!r}")
        if not self._has_reset and not mask.all():
            raise ValueError("the first reset() must reset every env; a partial reset_mask comes later")
        if not mask.any():
            raise ValueError("options['reset_mask'] must select at least one env")
        return mask.copy()

    def _show(self, frame: np.ndarray) -> None:
        if self._window is None:
            from .window import FrameWindow

            self._window = FrameWindow(title=type(self).__name__, fps=self.metadata.get("render_fps", 30))
        self._window.show(frame)
