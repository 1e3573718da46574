"""Train stable-baselines3 (and sb3-contrib's MaskablePPO) on a natively batched game, no subprocesses.

SB3 has no adapter for Gymnasium's ``VectorEnv``; :class:`SB3VecEnv` is one (the pattern of EnvPool's
``VecAdapter``) for our :class:`~botarena.envs.common.vector.BatchedVectorEnv`: the whole batch steps in
one kernel call, and SB3 sees the usual ``(obs, rewards, dones, infos)`` with same-step autoreset,
``infos[i]["terminal_observation"]`` and ``infos[i]["TimeLimit.truncated"]``.

Usage::

    venv = SB3VecEnv(gym.make_vec("botarena/Territory-v2", num_envs=16))
    model = MaskablePPO("MultiInputPolicy", VecMonitor(venv)).learn(10_000)

SB3 imports lazily: importing botarena.envs never pulls in torch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode

from .vector import BatchedVectorEnv, env_info

try:  # SB3 is a dependency of the agents; keep the envs importable without it all the same.
    from stable_baselines3.common.vec_env.base_vec_env import VecEnv as _VecEnvBase
    from stable_baselines3.common.vec_env.base_vec_env import VecEnvWrapper as _VecEnvWrapperBase
except ImportError:  # pragma: no cover
    _VecEnvBase = _VecEnvWrapperBase = object  # type: ignore[assignment,misc]

__all__ = ["SB3VecEnv", "VecActionMasksFromObs"]


class SB3VecEnv(_VecEnvBase):  # type: ignore[misc,valid-type]
    """An SB3 ``VecEnv`` over a batched game in ``AutoresetMode.SAME_STEP``."""

    def __init__(self, venv: Any) -> None:
        base = getattr(venv, "unwrapped", venv)
        if not isinstance(base, BatchedVectorEnv):
            raise TypeError(f"SB3VecEnv wraps a botarena BatchedVectorEnv, got {type(venv).__name__}; "
                            "use gym.make_vec(id, num_envs=N) with a botarena id")
        if venv.metadata.get("autoreset_mode") != AutoresetMode.SAME_STEP:
            raise ValueError("SB3 expects same-step autoreset; build the env with "
                             f"autoreset_mode=AutoresetMode.SAME_STEP, got {venv.metadata.get('autoreset_mode')}")
        self.venv = venv
        self.batch: BatchedVectorEnv = base
        self._actions: np.ndarray | None = None
        super().__init__(venv.num_envs, base.single_observation_space, base.single_action_space)

    # ------------------------------------------------------------------ stepping
    def reset(self) -> Any:
        seed = self._seeds[0]
        obs, info = self.venv.reset(seed=seed, options=self._options[0] or None)
        self.reset_infos = [env_info(info, i) for i in range(self.num_envs)]
        self._reset_seeds()
        self._reset_options()
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self) -> tuple[Any, np.ndarray, np.ndarray, list[dict[str, Any]]]:
        if self._actions is None:
            raise RuntimeError("step_wait() called without step_async()")
        obs, rewards, terminated, truncated, info = self.venv.step(self._actions)
        self._actions = None
        dones = terminated | truncated
        infos = [env_info(info, i) for i in range(self.num_envs)]
        for i in np.flatnonzero(dones):
            infos[i] = {**env_info(info.get("final_info", {}), i)}
            infos[i]["terminal_observation"] = info["final_obs"][i]
            infos[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
        return obs, rewards.astype(np.float32), dones, infos

    def action_masks(self) -> np.ndarray:
        return np.array(self.batch.action_masks(), copy=True)

    # ------------------------------------------------------------------ attribute plumbing
    def close(self) -> None:
        self.venv.close()

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        value = getattr(self.batch, attr_name)
        return [value for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        # One game object backs every env, so a value is set for all of them at once.
        setattr(self.batch, attr_name, value)

    def env_method(self, method_name: str, *method_args: Any, indices: Any = None, **method_kwargs: Any) -> list:
        idx = list(self._get_indices(indices))
        if method_name == "action_masks":
            masks = self.batch.action_masks()
            return [np.array(masks[i], copy=True) for i in idx]
        raise AttributeError(
            f"env_method({method_name!r}) has no per-env meaning for a natively batched env; "
            f"call it on SB3VecEnv.batch directly"
        )

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        return [False for _ in self._get_indices(indices)]

    def get_images(self) -> Sequence[np.ndarray | None]:
        frames = self.batch.render() if self.batch.render_mode == "rgb_array" else None
        return list(frames) if frames is not None else [None] * self.num_envs



class VecActionMasksFromObs(_VecEnvWrapperBase):  # type: ignore[misc,valid-type]
    """Answer MaskablePPO's ``env_method("action_masks")`` from the masks inside the observations.

    For vec envs that cannot call env methods, such as SuperSuit's ``concat_vec_envs_v1``: the wrapper
    keeps the last observation batch and slices the masks out of it with ``mask_fn`` (for flattened
    observations, ``lambda obs: obs[:, flat_slice(dict_space, "action_mask")]``).
    """

    def __init__(self, venv: Any, mask_fn: Callable[[Any], np.ndarray]) -> None:
        super().__init__(venv)
        self.mask_fn = mask_fn
        self._masks: np.ndarray | None = None

    def reset(self) -> Any:
        obs = self.venv.reset()
        self._masks = np.asarray(self.mask_fn(obs)).astype(bool)
        return obs

    def step_wait(self) -> Any:
        obs, rewards, dones, infos = self.venv.step_wait()
        self._masks = np.asarray(self.mask_fn(obs)).astype(bool)
        return obs, rewards, dones, infos

    def action_masks(self) -> np.ndarray:
        if self._masks is None:
            raise RuntimeError("call reset() before asking for action masks")
        return self._masks

    def has_attr(self, attr_name: str) -> bool:
        return attr_name == "action_masks" or self.venv.has_attr(attr_name)

    def env_method(self, method_name: str, *args: Any, indices: Any = None, **kwargs: Any) -> list:
        if method_name == "action_masks":
            masks = self.action_masks()
            return [masks[i] for i in self._get_indices(indices)]
        return self.venv.env_method(method_name, *args, indices=indices, **kwargs)
