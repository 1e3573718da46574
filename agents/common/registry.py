"""Name -> agent factory (+ checkpoint): how the leaderboard, ``eval`` and ``play`` find every agent.

Names are ``<game>/<agent>`` (``territory/expander``, ``territory/attention-cnn``). Factories are string
entry points (``"module:callable"``), as Gymnasium registers envs, so listing agents imports no torch and
no model code; an agent's module loads only when it is made. A learned agent names its checkpoint, a
path relative to ``agents/checkpoints/``; the factory receives it as ``checkpoint=<absolute path>``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["AgentSpec", "register_agent", "make_agent", "list_agents", "agent_spec", "CHECKPOINT_DIR"]

CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "checkpoints"


@dataclass(frozen=True)
class AgentSpec:
    """A registered agent.

    Attributes:
        name: ``<game>/<agent>``.
        entry_point: ``"package.module:factory"``; the factory returns an object following ``Agent``.
        checkpoint: file name under ``agents/checkpoints/`` for learned agents, else ``None``.
        kind: ``"random"``, ``"scripted"`` or ``"learned"`` (the leaderboard normalises scores with the
            random and scripted baselines).
        description: one line for ``botarena agents`` and the leaderboard.
        kwargs: default keyword arguments for the factory.
    """

    name: str
    entry_point: str
    checkpoint: str | None = None
    kind: str = "scripted"
    description: str = ""
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def game(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def checkpoint_path(self) -> Path | None:
        return None if self.checkpoint is None else CHECKPOINT_DIR / self.checkpoint


_REGISTRY: dict[str, AgentSpec] = {}
_KINDS = ("random", "scripted", "learned")


def register_agent(name: str, entry_point: str, *, checkpoint: str | None = None, kind: str = "scripted",
                   description: str = "", **kwargs: Any) -> AgentSpec:
    """Register an agent under ``<game>/<agent>``; registering the same name twice is an error."""
    if name.count("/") != 1 or not all(name.split("/")):
        raise ValueError(f"agent name must look like '<game>/<agent>', got {name!r}")
    if ":" not in entry_point:
        raise ValueError(f"entry_point must look like 'package.module:factory', got {entry_point!r}")
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
    if name in _REGISTRY:
        raise ValueError(f"agent {name!r} is already registered (by {_REGISTRY[name].entry_point})")
    spec = AgentSpec(name, entry_point, checkpoint, kind, description, dict(kwargs))
    _REGISTRY[name] = spec
    return spec


def _load_builtin_agents() -> None:
    # Importing the package registers the bundled agents exactly once.
    importlib.import_module("botarena.agents.zoo")


def list_agents(game: str | None = None) -> list[AgentSpec]:
    """Every registered agent (optionally of one game), sorted by name."""
    _load_builtin_agents()
    return sorted((s for s in _REGISTRY.values() if game is None or s.game == game), key=lambda s: s.name)


def agent_spec(name: str) -> AgentSpec:
    _load_builtin_agents()
    if name not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY)) or "none registered yet"
        raise KeyError(f"unknown agent {name!r}; registered agents: {known}")
    return _REGISTRY[name]


def make_agent(name: str, **kwargs: Any) -> Any:
    """Build the agent registered as ``name`` (its ``name`` attribute); ``kwargs`` override the registered defaults."""
    spec = agent_spec(name)
    factory = _load(spec.entry_point)
    options = {**spec.kwargs, **kwargs}
    if spec.checkpoint_path is not None:
        options.setdefault("checkpoint", spec.checkpoint_path)
    agent = factory(**options)
    agent.name = name  # the registered name, whatever the class calls itself: results and errors quote it
    return agent


def _load(entry_point: str) -> Callable[..., Any]:
    module_name, attr = entry_point.split(":", 1)
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError as err:
        raise ImportError(f"entry point {entry_point!r}: module {module_name} has no attribute {attr!r}") from err
