"""Checkpoints: weights plus a model card, written atomically, loaded without running pickle code.

A checkpoint is one ``.pt`` file that ``torch.load(path, weights_only=True)`` can read: a dict of plain
types and tensors, ``{"format", "format_version", "state_dict", "card", "extra"}``, where ``card`` is
the model card as a JSON string (what was trained, with which command, seed, data and git sha, and the
metrics measured on held-out seeds). ``save_checkpoint`` also writes the card beside the weights as
``<name>.card.json`` so a human can read it without torch. Training state (optimizer, step counters)
goes in ``extra`` for resumable runs.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from botarena.envs.common.io import atomic_write, atomic_write_text

__all__ = ["ModelCard", "CheckpointError", "save_checkpoint", "load_checkpoint", "load_weights_into",
           "file_sha256", "git_sha"]

FORMAT = "botarena-checkpoint"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupt, of another format, or does not fit the model."""


@dataclass
class ModelCard:
    """What a reader needs to trust a checkpoint: how it was made and how well it does.

    Attributes:
        name: registry name, e.g. ``territory/attention-cnn``.
        config: the model and training configuration (JSON-able dict).
        command: the exact command that produced the weights.
        seed: the training seed.
        data: what the agent learned from (env id and opponents, or dataset and its hash).
        metrics: measured on held-out seeds, with how they were measured.
        git_sha: the commit the training ran from.
    """

    name: str
    config: dict[str, Any] = field(default_factory=dict)
    command: str = ""
    seed: int | None = None
    data: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    git_sha: str = ""
    created: str = ""
    versions: dict[str, str] = field(default_factory=dict)
    notes: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelCard:
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise CheckpointError(f"a model card must be a JSON object with a string name, got {text[:80]!r}")
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise CheckpointError(f"model card has unknown fields {sorted(unknown)}; known: {sorted(known)}")
        return cls(**data)


def git_sha(cwd: str | Path | None = None) -> str:
    """The current commit (with ``-dirty`` if the tree has changes), or ``"unknown"`` outside git."""
    cwd = Path(cwd) if cwd else Path(__file__).resolve().parent
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return sha + ("-dirty" if dirty else "")


def resumed_git_sha(previous: str, current: str) -> str:
    """The commits a resumed run trained with: ``previous`` (its checkpoint card's) and ``current`` (this
    process's) when they differ, else the one."""
    if previous and not previous.startswith(current):
        return f"{previous}, resumed at {current}"
    return previous or current


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_checkpoint(path: str | Path, state_dict: dict[str, Any], card: ModelCard,
                    extra: dict[str, Any] | None = None) -> Path:
    """Write weights + card atomically to ``path`` (and the card to ``<path stem>.card.json``)."""
    import torch

    path = Path(path)
    if not card.created:
        card.created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if not card.git_sha:
        card.git_sha = git_sha()
    card.versions = {"python": platform.python_version(), "torch": torch.__version__,
                     **_package_versions(), **card.versions}
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "state_dict": {k: v.detach().cpu() if hasattr(v, "detach") else v for k, v in state_dict.items()},
        "card": card.to_json(),
        "extra": extra or {},
    }
    with atomic_write(path) as handle:  # streamed: a large run checkpoint is not held twice in memory
        torch.save(payload, handle)
    atomic_write_text(card_path(path), card.to_json() + "\n")
    return path


def card_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.stem + ".card.json")


def load_checkpoint(path: str | Path, *, expected_name: str | None = None,
                    map_location: str = "cpu") -> tuple[dict[str, Any], ModelCard, dict[str, Any]]:
    """Read ``(state_dict, card, extra)``; every failure is a :class:`CheckpointError` that says why."""
    import pickle

    import torch

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    if path.stat().st_size == 0:
        raise CheckpointError(f"checkpoint {path} is empty (0 bytes)")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise CheckpointError(
            f"checkpoint {path} is corrupt, not a torch file, or holds Python objects beyond tensors and plain "
            f"values, which only a full unpickle could load; botarena never does that, as it can run code "
            f"(weights_only=True load failed: {_torch_reason(err)})"
        ) from err
    except (RuntimeError, EOFError, OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise CheckpointError(
            f"checkpoint {path} is corrupt or not a torch file (weights_only load failed: {err})"
        ) from err
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"checkpoint {path} is not a botarena checkpoint (no format={FORMAT!r} entry)")
    if payload.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"checkpoint {path} has format_version {payload.get('format_version')!r}; "
                              f"this botarena reads {FORMAT_VERSION}")
    state_dict, extra = payload.get("state_dict"), payload.get("extra", {})
    if not isinstance(state_dict, dict) or not all(isinstance(k, str) for k in state_dict):
        raise CheckpointError(f"checkpoint {path}: state_dict must be a dict of named tensors, got "
                              f"{type(state_dict).__name__}")
    if not isinstance(extra, dict):
        raise CheckpointError(f"checkpoint {path}: extra must be a dict, got {type(extra).__name__}")
    try:
        card = ModelCard.from_json(payload["card"])
    except (KeyError, TypeError, json.JSONDecodeError, CheckpointError) as err:
        raise CheckpointError(f"checkpoint {path} has no readable model card: {err}") from err
    if expected_name is not None and card.name != expected_name:
        raise CheckpointError(f"checkpoint {path} holds {card.name!r}, expected {expected_name!r}")
    return state_dict, card, extra


def _torch_reason(err: Exception) -> str:
    """The specific part of torch's weights_only error, without its advice to retry with weights_only=False."""
    parts = [part.strip() for part in str(err).split("\n\n")]
    specific = [part for part in parts if part and not part.startswith(("Weights only load failed", "Check the "))]
    return " ".join(specific).replace("\n", " ") or str(err).splitlines()[0]


def load_weights_into(model: Any, state_dict: dict[str, Any], *, source: str = "checkpoint") -> None:
    """``model.load_state_dict`` with an error that lists every missing, unexpected or reshaped tensor."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    reshaped = [f"{k}: {tuple(state_dict[k].shape)} in {source}, {tuple(own[k].shape)} in model"
                for k in sorted(set(own) & set(state_dict))
                if hasattr(state_dict[k], "shape") and tuple(state_dict[k].shape) != tuple(own[k].shape)]
    if missing or unexpected or reshaped:
        raise CheckpointError(
            f"{source} does not fit {type(model).__name__}: missing {missing}, unexpected {unexpected}, "
            f"shape mismatches {reshaped}. Was it trained with a different config?"
        )
    model.load_state_dict(state_dict)


def _package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("botarena", "numpy", "gymnasium", "stable-baselines3"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


