"""Episode recordings: the seed, the env's arguments and every action, enough to replay exactly.

Our games are deterministic given ``reset(seed=...)`` and the actions, so a recording stores no
observations: replaying re-simulates the episode and checks each reward against the recorded one, which
also proves the replay is faithful. One format serves human play (demonstrations), the leaderboard and
``botarena replay``.

File format (``.npz``, written atomically): an entry ``meta.json`` (UTF-8 JSON bytes as uint8) holding
``format``, ``format_version``, ``api`` (``"gymnasium"`` or ``"pettingzoo"``), ``env_id`` or
``env_module``, ``env_kwargs``, ``seed``, ``agents``, ``length``, ``terminated``, ``truncated``, a
per-step ``infos`` list (small JSON values only) and free-form ``extra``; and arrays
``actions/<agent>[/<key>...]`` ``[T, ...]`` and ``rewards/<agent>`` ``[T]`` (float64). Dict actions are
stored one array per key path. Agents that leave a PettingZoo game early have shorter arrays plus
``steps/<agent>``, the global step index of each of their actions.

Loading runs no pickle code and allocates nothing a file's headers merely claim
(:func:`~botarena.envs.common.io.load_npz`); a missing, truncated, corrupt or crafted file, one of another format
version, or one whose meta.json or arrays do not fit this layout is a :class:`RecordingError` naming the file.
"""

from __future__ import annotations

import importlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .io import atomic_write_bytes, load_npz

__all__ = ["EpisodeRecording", "EpisodeRecorder", "RecordingError", "ReplayDivergence", "replay"]

FORMAT = "botarena-episode"
FORMAT_VERSION = 1
SINGLE_AGENT = "agent"


class RecordingError(ValueError):
    """A recording file is missing, corrupt or of an unknown format."""


class ReplayDivergence(RuntimeError):
    """Re-simulating a recording gave a different reward: the env's dynamics changed since it was made."""


@dataclass
class EpisodeRecording:
    """One recorded episode. ``actions[agent]`` is a ``[T]``/``[T, ...]`` array or a dict of them."""

    env_kwargs: dict[str, Any]
    seed: int
    actions: dict[str, Any]
    rewards: dict[str, np.ndarray]
    api: str = "gymnasium"
    env_id: str | None = None
    env_module: str | None = None
    steps: dict[str, np.ndarray] = field(default_factory=dict)
    infos: list[dict[str, Any]] = field(default_factory=list)
    terminated: bool = False
    truncated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def agents(self) -> list[str]:
        return list(self.actions)

    @property
    def length(self) -> int:
        return max((len(r) for r in self.rewards.values()), default=0)

    def total_reward(self, agent: str = SINGLE_AGENT) -> float:
        return float(np.sum(self.rewards[agent]))

    # ------------------------------------------------------------------ save / load
    def save(self, path: str | Path) -> Path:
        """Write the recording atomically (a crash never leaves half a file) and return its path."""
        if self.api not in ("gymnasium", "pettingzoo"):
            raise ValueError(f"api must be 'gymnasium' or 'pettingzoo', got {self.api!r}")
        meta = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "api": self.api, "env_id": self.env_id,
            "env_module": self.env_module, "env_kwargs": self.env_kwargs, "seed": self.seed,
            "agents": self.agents, "length": self.length, "terminated": self.terminated,
            "truncated": self.truncated, "infos": self.infos, "extra": self.extra,
        }
        arrays: dict[str, np.ndarray] = {
            "meta.json": np.frombuffer(json.dumps(meta, default=_json_default).encode(), dtype=np.uint8)
        }
        for agent in self.agents:
            for key, value in _flatten(self.actions[agent], f"actions/{agent}"):
                arrays[key] = value
            arrays[f"rewards/{agent}"] = np.asarray(self.rewards[agent], dtype=np.float64)
            if agent in self.steps:
                arrays[f"steps/{agent}"] = np.asarray(self.steps[agent], dtype=np.int64)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        path = Path(path)
        atomic_write_bytes(path, buffer.getvalue())
        return path

    @classmethod
    def load(cls, path: str | Path) -> EpisodeRecording:
        """Read a recording; a missing, corrupt, foreign or other-version file is a :class:`RecordingError`.

        The arrays are read with :func:`~botarena.envs.common.io.load_npz`: no pickle, memory bounded before
        anything is allocated.
        """
        path = Path(path)
        files = load_npz(path, what="recording", error=RecordingError)
        if "meta.json" not in files:
            raise RecordingError(f"recording {path} has no meta.json entry: not a botarena recording")
        try:
            meta = json.loads(files.pop("meta.json").tobytes().decode())
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise RecordingError(f"recording {path} has an unreadable meta.json: {err}") from err
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION:
            found = (meta.get("format"), meta.get("format_version")) if isinstance(meta, dict) else (None, None)
            raise RecordingError(f"recording {path} has format {found[0]!r} v{found[1]!r}; this botarena reads "
                                 f"{FORMAT!r} v{FORMAT_VERSION}")
        _check_meta(meta, path)
        actions: dict[str, Any] = {}
        rewards: dict[str, np.ndarray] = {}
        steps: dict[str, np.ndarray] = {}
        for agent in meta["agents"]:
            prefix = f"actions/{agent}"
            parts = {k: v for k, v in files.items() if k == prefix or k.startswith(prefix + "/")}
            if not parts:
                raise RecordingError(f"recording {path} has no actions for agent {agent!r} (no {prefix!r} arrays)")
            actions[agent] = _unflatten(parts, prefix)
            for key, value in parts.items():
                if value.ndim == 0:
                    raise RecordingError(f"recording {path}: {key!r} must be an array over steps, got a scalar")
            if f"rewards/{agent}" not in files:
                raise RecordingError(f"recording {path} lacks rewards for agent {agent!r}")
            rewards[agent] = files[f"rewards/{agent}"]
            if rewards[agent].ndim != 1 or rewards[agent].dtype.kind not in "fiu":
                raise RecordingError(f"recording {path}: rewards of agent {agent!r} must be a 1-D numeric array, "
                                     f"got shape {rewards[agent].shape} of {rewards[agent].dtype}")
            if f"steps/{agent}" in files:
                steps[agent] = files[f"steps/{agent}"]
                if steps[agent].shape != rewards[agent].shape or steps[agent].dtype.kind not in "iu":
                    raise RecordingError(f"recording {path}: steps of agent {agent!r} must be integers, one per "
                                         f"reward, got shape {steps[agent].shape} of {steps[agent].dtype}")
            try:
                n_actions = _leading_length(actions[agent])
            except RecordingError as err:
                raise RecordingError(f"recording {path}: agent {agent!r}: {err}") from None
            if n_actions != len(rewards[agent]):
                raise RecordingError(f"recording {path}: agent {agent!r} has {n_actions} actions but "
                                     f"{len(rewards[agent])} rewards")
        return cls(
            env_kwargs=meta["env_kwargs"], seed=meta["seed"], actions=actions, rewards=rewards,
            api=meta["api"], env_id=meta["env_id"], env_module=meta["env_module"], steps=steps,
            infos=meta["infos"], terminated=meta["terminated"], truncated=meta["truncated"], extra=meta["extra"],
        )


# The entries of meta.json and the JSON types each must have (a recording from a botarena of this format).
_META_TYPES: dict[str, tuple[type, ...]] = {
    "api": (str,), "env_id": (str, type(None)), "env_module": (str, type(None)), "env_kwargs": (dict,),
    "seed": (int,), "agents": (list,), "terminated": (bool,), "truncated": (bool,), "infos": (list,),
    "extra": (dict,),
}


def _check_meta(meta: dict[str, Any], path: Path) -> None:
    """A :class:`RecordingError` naming every missing or mistyped meta.json entry."""
    missing = sorted(k for k in _META_TYPES if k not in meta)
    wrong = sorted(f"{k} ({type(meta[k]).__name__}, expected {' or '.join(t.__name__ for t in types)})"
                   for k, types in _META_TYPES.items()
                   if k in meta and (not isinstance(meta[k], types) or (bool in types) != isinstance(meta[k], bool)))
    if missing or wrong:
        raise RecordingError(f"recording {path} has a malformed meta.json: missing {missing}, wrong types {wrong}")
    if meta["api"] not in ("gymnasium", "pettingzoo"):
        raise RecordingError(f"recording {path}: api must be 'gymnasium' or 'pettingzoo', got {meta['api']!r}")
    if (meta["env_id"] is None) == (meta["env_module"] is None):
        raise RecordingError(f"recording {path} must name exactly one of env_id and env_module")
    bad_agents = [a for a in meta["agents"] if not isinstance(a, str) or not a or "/" in a]
    if bad_agents:
        raise RecordingError(f"recording {path}: agent names must be non-empty strings without '/', got {bad_agents}")


class EpisodeRecorder:
    """Collects one episode step by step; :meth:`finish` returns the :class:`EpisodeRecording`.

    For a Gymnasium env pass single actions and rewards; for a PettingZoo env pass dicts keyed by agent.
    """

    def __init__(self, *, seed: int, env_kwargs: dict[str, Any] | None = None, env_id: str | None = None,
                 env_module: str | None = None, api: str = "gymnasium", info_keys: tuple[str, ...] = ()) -> None:
        if (env_id is None) == (env_module is None):
            raise ValueError("give exactly one of env_id (a Gymnasium id) or env_module (a PettingZoo module)")
        self.seed = int(seed)
        self.env_kwargs = dict(env_kwargs or {})
        self.env_id, self.env_module, self.api = env_id, env_module, api
        self.info_keys = info_keys
        self._actions: dict[str, list[Any]] = {}
        self._rewards: dict[str, list[float]] = {}
        self._steps: dict[str, list[int]] = {}
        self._infos: list[dict[str, Any]] = []
        self._t = 0

    def record(self, action: Any, reward: Any, info: dict[str, Any] | None = None) -> None:
        if self.api == "gymnasium":
            action, reward = {SINGLE_AGENT: action}, {SINGLE_AGENT: reward}
        for agent, act in action.items():
            self._actions.setdefault(agent, []).append(_copy(act))
            self._rewards.setdefault(agent, []).append(float(reward.get(agent, 0.0)))
            self._steps.setdefault(agent, []).append(self._t)
        if self.info_keys:
            self._infos.append({k: info[k] for k in self.info_keys if info and k in info})
        self._t += 1

    def finish(self, *, terminated: bool, truncated: bool, extra: dict[str, Any] | None = None) -> EpisodeRecording:
        actions = {agent: _stack(acts) for agent, acts in self._actions.items()}
        rewards = {agent: np.asarray(r, dtype=np.float64) for agent, r in self._rewards.items()}
        # Step indices are only needed for agents that did not act every step (they left early).
        steps = {a: np.asarray(s, np.int64) for a, s in self._steps.items() if len(s) != self._t}
        return EpisodeRecording(
            env_kwargs=self.env_kwargs, seed=self.seed, actions=actions, rewards=rewards, api=self.api,
            env_id=self.env_id, env_module=self.env_module, steps=steps, infos=self._infos,
            terminated=terminated, truncated=truncated, extra=dict(extra or {}),
        )


def replay(recording: EpisodeRecording, *, render_mode: str | None = None, check: bool = True,
           atol: float = 1e-9) -> Iterator[tuple[Any, ...]]:
    """Re-simulate a recording, yielding each step's result.

    Gymnasium: yields ``(obs, reward, terminated, truncated, info)``; PettingZoo: ``(obs, rewards,
    terminations, truncations, infos)`` dicts. With ``check`` a reward that differs from the recorded one
    raises :class:`ReplayDivergence` naming the step.
    """
    if recording.api == "gymnasium":
        yield from _replay_gymnasium(recording, render_mode, check, atol)
    else:
        yield from _replay_pettingzoo(recording, render_mode, check, atol)


def _replay_gymnasium(rec: EpisodeRecording, render_mode: str | None, check: bool, atol: float) -> Iterator:
    import gymnasium as gym

    import botarena.envs  # noqa: F401  (registers the ids)

    env = gym.make(rec.env_id, render_mode=render_mode, **rec.env_kwargs)
    try:
        env.reset(seed=rec.seed)
        actions = rec.actions[SINGLE_AGENT]
        recorded = rec.rewards[SINGLE_AGENT]
        for t in range(len(recorded)):
            result = env.step(_index(actions, t))
            if check and abs(float(result[1]) - float(recorded[t])) > atol:
                raise ReplayDivergence(f"replay of {rec.env_id} (seed {rec.seed}) diverged at step {t}: reward "
                                       f"{float(result[1])!r} vs recorded {float(recorded[t])!r}")
            if render_mode == "human":
                env.render()
            yield result
    finally:
        env.close()


def _replay_pettingzoo(rec: EpisodeRecording, render_mode: str | None, check: bool, atol: float) -> Iterator:
    module = importlib.import_module(rec.env_module)
    env = module.parallel_env(render_mode=render_mode, **rec.env_kwargs)
    try:
        env.reset(seed=rec.seed)
        cursor = dict.fromkeys(rec.agents, 0)
        for t in range(rec.length):
            step_actions = {}
            for agent in rec.agents:
                steps = rec.steps.get(agent)
                k = cursor[agent]
                if (steps is None and k < len(rec.rewards[agent])) or (steps is not None and k < len(steps)
                                                                       and steps[k] == t):
                    step_actions[agent] = _index(rec.actions[agent], k)
            result = env.step(step_actions)
            for agent in step_actions:
                got, want = float(result[1].get(agent, 0.0)), float(rec.rewards[agent][cursor[agent]])
                if check and abs(got - want) > atol:
                    raise ReplayDivergence(f"replay of {rec.env_module} (seed {rec.seed}) diverged at step {t} "
                                           f"for {agent}: reward {got!r} vs recorded {want!r}")
                cursor[agent] += 1
            if render_mode == "human":
                env.render()
            yield result
    finally:
        env.close()


# ---------------------------------------------------------------------- helpers
def _copy(action: Any) -> Any:
    if isinstance(action, dict):
        return {k: _copy(v) for k, v in action.items()}
    return np.array(action, copy=True)


def _stack(actions: list[Any]) -> Any:
    if actions and isinstance(actions[0], dict):
        return {k: _stack([a[k] for a in actions]) for k in actions[0]}
    return np.stack(actions) if actions else np.zeros((0,), np.int64)


def _index(actions: Any, t: int) -> Any:
    if isinstance(actions, dict):
        return {k: _index(v, t) for k, v in actions.items()}
    return actions[t]


def _leading_length(actions: Any) -> int:
    if isinstance(actions, dict):
        lengths = {_leading_length(v) for v in actions.values()}
        if len(lengths) != 1:
            raise RecordingError(f"action parts have different lengths: {sorted(lengths)}")
        return lengths.pop()
    return len(actions)


def _flatten(value: Any, prefix: str) -> Iterator[tuple[str, np.ndarray]]:
    if isinstance(value, dict):
        for key, sub in value.items():
            if "/" in str(key):
                raise ValueError(f"action key {key!r} may not contain '/'")
            yield from _flatten(sub, f"{prefix}/{key}")
    else:
        yield prefix, np.asarray(value)


def _unflatten(files: dict[str, np.ndarray], prefix: str) -> Any:
    if prefix in files:
        return files[prefix]
    if not files:
        raise RecordingError(f"recording has no arrays under {prefix!r}")
    tree: dict[str, Any] = {}
    for key, value in files.items():
        parts = key[len(prefix) + 1:].split("/")
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return tree


def _json_default(value: Any) -> Any:
    """``json.dumps`` hook: NumPy scalars and arrays become plain JSON values."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot store a {type(value).__name__} in a recording's JSON metadata")
