"""State invariants: what must hold after every step of every game, checked from outside the kernels.

Each game writes its own down in ``envs/<game>/invariants.py`` as ``violations(state, previous=None, env=None)``:
a list of plain sentences, empty when the state is sound. ``previous`` is a :func:`snapshot` taken before the step;
with it the step itself is checked too (time advances by exactly one step, counters only grow, the RNG only moves
forward). The fuzz tests run them after every generated action and the soak benchmark on a sample of its steps;
users can call them on a state they edited by hand.

Numbers here are checked with NumPy over the whole batch, so a check costs a few array passes, not a kernel.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

__all__ = ["snapshot", "rng_draws", "Checks", "MAX_DRAWS_PER_STEP"]

# SplitMix64 (``envs/common/rng.py``) adds this odd constant to the state word per draw, so the number of draws
# between two states is ``(after - before) * GOLDEN_GAMMA**-1 mod 2**64``.
_GOLDEN_GAMMA = 0x9E3779B97F4A7C15
_GAMMA_INVERSE = pow(_GOLDEN_GAMMA, -1, 2**64)
# No step of any game draws anywhere near this many numbers (a Territory reset draws ~10^5 for a 128x128 map);
# a larger count means the word was overwritten, not advanced.
MAX_DRAWS_PER_STEP = 10_000_000


def snapshot(state: NamedTuple) -> NamedTuple:
    """A deep copy of a game state (a ``NamedTuple`` of arrays): the ``previous`` of the next check."""
    return type(state)(*(np.array(a, copy=True) for a in state))


def rng_draws(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """How many SplitMix64 draws lead from each word of ``before`` to ``after`` (uint64 arrays), as Python ints.

    Exact: the state advances by a fixed odd constant per draw, so the count is a multiplication mod 2**64.
    A count above :data:`MAX_DRAWS_PER_STEP` means the word did not advance by draws at all.
    """
    before, after = np.asarray(before, np.uint64).ravel(), np.asarray(after, np.uint64).ravel()
    return np.array([((int(a) - int(b)) * _GAMMA_INVERSE) % 2**64 for b, a in zip(before, after, strict=True)],
                    dtype=object)


class Checks:
    """Collects the sentences of failed checks: ``check(ok_array, "what must hold")`` names the envs that fail."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    def check(self, ok: Any, rule: str) -> None:
        """Record ``rule`` when ``ok`` (a bool, or a bool array whose leading axis is the env) is false anywhere."""
        ok = np.asarray(ok)
        if ok.all():
            return
        if ok.ndim == 0:
            self.failures.append(rule)
            return
        envs = np.flatnonzero(~ok.reshape(ok.shape[0], -1).all(axis=1))
        self.failures.append(f"{rule} (env {', '.join(str(int(n)) for n in envs[:8])}"
                             f"{', ...' if envs.size > 8 else ''})")

    def finite(self, state: NamedTuple, names: tuple[str, ...]) -> None:
        """Every float array named is free of NaN and inf."""
        for name in names:
            self.check(np.isfinite(getattr(state, name)), f"{name} is finite")

    def rng_advanced(self, before: np.ndarray, after: np.ndarray, name: str = "rng_state",
                     where: np.ndarray | None = None) -> None:
        """Each RNG word moved forward by whole draws (never rewritten, never backwards) since ``before``; only the
        envs in ``where`` (a bool per env) are checked when it is given (a reset may derive a word afresh)."""
        draws = rng_draws(before, after)
        ok = np.array([d <= MAX_DRAWS_PER_STEP for d in draws]).reshape(np.shape(before)[:1] + (-1,))
        if where is not None:
            ok |= ~np.asarray(where, bool)[:, None]
        self.check(ok, f"{name} advanced by whole SplitMix64 draws since the last step")
