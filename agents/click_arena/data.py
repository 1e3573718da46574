"""Demonstrations for the hierarchical agent, generated on the native batch (no files): who drives, what is kept.

``collect`` plays ``num_envs`` ClickArena games for ``frames`` frames each and keeps, per frame, the learner's
observation and the expert's labels for that state (``ClickArenaVectorEnv.expert_labels``). Who *drives* is
DAgger's mixture (Ross et al. 2011): each env follows the expert's action with probability ``beta`` and the
learner's otherwise, decided per env for a whole second at a time, so that the learner's own mistakes (and the
states they lead to) are in the data. ``beta = 1`` is behaviour cloning's data: the expert alone.

Memory: about 1.6 kB a frame, so a round of 64 envs x 10,800 frames (one 3-minute
episode each) is about 1.1 GB. Everything is kept as the agent saw it (float32), so training reads exactly
the inputs the agent acts on.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from botarena.envs.click_arena import ClickArenaVectorEnv
from botarena.envs.common.io import atomic_write, load_npz

from . import features as fx


@dataclass
class Demonstrations:
    """Frames of ``E`` env streams of ``T`` frames, in time order (arrays ``[E, T, ...]``).

    ``first`` marks the first frame of an episode (levels and recurrent state restart there), ``t`` is the frame's
    index in its episode. Labels are the expert's for the state the frame shows, whoever drove.
    """

    objects: np.ndarray  # float32 [E, T, 16, 20]
    object_mask: np.ndarray  # int8 [E, T, 16]
    state: np.ndarray  # float32 [E, T, 64]
    first: np.ndarray  # bool [E, T]
    t: np.ndarray  # int32 [E, T]
    mode: np.ndarray  # int8 [E, T]
    slot: np.ndarray  # int8 [E, T], 0 = no object
    approach: np.ndarray  # int8 [E, T]
    point_xy: np.ndarray  # float32 [E, T, 2], the expert's aim point in screen fractions
    goal_offset: np.ndarray  # float32 [E, T, 2]
    action: np.ndarray  # float32 [E, T, 4]
    expert_drove: np.ndarray  # bool [E, T]
    reward: np.ndarray  # float32 [E, T], the env's dense reward for the step from this frame
    learner_mode: np.ndarray  # int8 [E, T], the learner's current decisions (0 when no learner played)
    learner_slot: np.ndarray  # int8 [E, T]
    learner_action: np.ndarray  # float32 [E, T, 4]

    @property
    def num_streams(self) -> int:
        return self.first.shape[0]

    @property
    def num_frames(self) -> int:
        return self.first.size

    def __post_init__(self) -> None:
        shape = self.first.shape
        for f in fields(self):
            value = getattr(self, f.name)
            if value.shape[:2] != shape:
                raise ValueError(f"Demonstrations.{f.name} has shape {value.shape}; every array must start "
                                 f"with [streams, frames] = {list(shape)}")

    @staticmethod
    def concatenate(parts: list[Demonstrations]) -> Demonstrations:
        """Streams of several collections side by side (their frame counts must agree)."""
        return Demonstrations(**{f.name: np.concatenate([getattr(p, f.name) for p in parts], axis=0)
                                 for f in fields(Demonstrations)})

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def first_episode_returns(self) -> np.ndarray:
        """Each stream's return over its first episode (to its end, or to the last frame collected)."""
        ends = self.first[:, 1:].argmax(axis=1) + 1  # index of the next episode's first frame
        ends = np.where(self.first[:, 1:].any(axis=1), ends, self.first.shape[1])
        frames = np.arange(self.first.shape[1])[None, :]
        return np.where(frames < ends[:, None], self.reward, 0.0).sum(axis=1)

    def save(self, path: str | Path) -> None:
        """Write the arrays as an uncompressed ``.npz``, atomically (a kill leaves the old file or none)."""
        with atomic_write(path) as handle:
            np.savez(handle, **self.to_arrays())

    @staticmethod
    def load(path: str | Path) -> Demonstrations:
        """Read what ``save`` wrote; a missing array or a corrupt or crafted file is a ``ValueError`` naming it.

        No pickle runs, and memory stays within the file's own size (``load_npz``).
        """
        arrays = load_npz(path, what="demonstrations")
        names = [f.name for f in fields(Demonstrations)]
        missing = [name for name in names if name not in arrays]
        if missing:
            raise ValueError(f"demonstrations {path} are incomplete: missing arrays {missing}")
        try:
            return Demonstrations(**{name: arrays[name] for name in names})
        except (ValueError, IndexError) as err:  # IndexError: an array with fewer than two dimensions
            raise ValueError(f"demonstrations {path} are inconsistent: {err}") from err


def collect(num_envs: int, frames: int, seed: int, *, learner: Any = None, beta: float = 1.0,
            difficulty: str = "standard", progress: Any = None) -> Demonstrations:
    """Play ``num_envs`` games (seeds ``seed + i``) for ``frames`` frames, the expert labelling every state.

    Args:
        learner: an agent with ``reset(seed)``, ``act_batch(obs)`` and ``reset_slots(mask)`` (the
            ``HierarchicalAgent``); needed when ``beta < 1``.
        beta: the chance that an env follows the expert for the next second.
        progress: a callable ``progress(frames_done)``, e.g. a tqdm bar's ``update``.
    """
    if not 0.0 <= beta <= 1.0:
        raise ValueError(f"beta must be in [0, 1], got {beta}")
    if beta < 1.0 and learner is None:
        raise ValueError("collect: beta < 1 needs a learner to drive")
    env = ClickArenaVectorEnv(num_envs, difficulty=difficulty, cursor="human")
    rng = np.random.default_rng(seed)
    n, shape = num_envs, (num_envs, frames)
    out = Demonstrations(
        objects=np.zeros((*shape, fx.NUM_OBJECTS, fx.OBJECT_FEATURES), np.float32),
        object_mask=np.zeros((*shape, fx.NUM_OBJECTS), np.int8),
        state=np.zeros((*shape, fx.STATE_FEATURES), np.float32),
        first=np.zeros(shape, np.bool_), t=np.zeros(shape, np.int32), mode=np.zeros(shape, np.int8),
        slot=np.zeros(shape, np.int8), approach=np.zeros(shape, np.int8),
        point_xy=np.zeros((*shape, 2), np.float32), goal_offset=np.zeros((*shape, 2), np.float32),
        action=np.zeros((*shape, 4), np.float32), expert_drove=np.zeros(shape, np.bool_),
        reward=np.zeros(shape, np.float32), learner_mode=np.zeros(shape, np.int8),
        learner_slot=np.zeros(shape, np.int8), learner_action=np.zeros((*shape, 4), np.float32))
    obs, _ = env.reset(seed=seed)
    if learner is not None:
        learner.reset(seed)
    first = np.ones(n, np.bool_)
    t = np.zeros(n, np.int32)
    expert_drives = np.ones(n, np.bool_)
    try:
        for k in range(frames):
            labels = env.expert_labels()
            out.objects[:, k] = obs["objects"]
            out.object_mask[:, k] = obs["object_mask"]
            out.state[:, k] = obs["state"]
            out.first[:, k] = first
            out.t[:, k] = t
            out.mode[:, k] = labels["mode"]
            out.slot[:, k] = fx.target_slots(env.state, labels, obs["objects"], obs["object_mask"])
            out.approach[:, k] = fx.approach_of(labels)
            out.point_xy[:, k] = fx.point_xy(labels)
            out.goal_offset[:, k] = fx.goal_offset(env.state, labels)
            out.action[:, k] = labels["action"]
            if learner is not None:
                if first.any():
                    learner.reset_slots(first)
                learned = learner.act_batch(obs)  # every frame: the learner's levels keep their own clocks
                out.learner_mode[:, k] = learner.mode
                out.learner_slot[:, k] = learner.slot
                out.learner_action[:, k] = learned
            new_second = t % fx.FRAMES_PER_STRATEGIST == 0
            expert_drives = np.where(new_second, rng.random(n) < beta, expert_drives)
            out.expert_drove[:, k] = expert_drives
            action = labels["action"] if learner is None else np.where(expert_drives[:, None], labels["action"],
                                                                       learned)
            obs, reward, terminated, truncated, _ = env.step(action.astype(np.float32))
            out.reward[:, k] = reward
            first = terminated | truncated  # same-step autoreset: obs is already the next episode's first
            t = np.where(first, 0, t + 1).astype(np.int32)
            if progress is not None:
                progress(n)
    finally:
        env.close()
    return out
