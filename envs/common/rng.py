"""Counter-based random numbers that live in the env's own arrays and work inside njit kernels.

Every environment in a batch owns one ``uint64`` word of RNG state (``rng_state[i]``). The generator is
SplitMix64 (Steele, Lea & Flood 2014, the seeding generator of ``java.util.SplittableRandom`` and of
xoshiro): the state advances by a fixed odd constant and the output is a bijective mix of the new
state. It passes BigCrush, is a few instructions per draw, and because its state is one integer that
we store ourselves, a trajectory depends only on the seed -- not on the process, the thread, numba's
own generator (which NumPy seeding does not reach) or how many envs share the batch.

Seeding goes through ``np.random.SeedSequence`` so that nearby integer seeds give unrelated streams.
The convention matches Gymnasium's vector envs: env ``i`` of a batch reset with ``seed=s`` gets the
stream of a single env reset with ``seed=s + i``.

All functions take the state array and an index and advance ``state[index]`` in place; none allocates.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .jit import NO_NRT
from .validation import check_int

_GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
# 2**-53: turns the top 53 bits of a draw into a double in [0, 1).
_INV_2_53 = 1.0 / 9007199254740992.0


@njit(cache=True, nogil=True, inline="always")
def next_u64(state: np.ndarray, index: int) -> np.uint64:
    """Advance ``state[index]`` and return the next 64-bit output."""
    z = state[index] + _GOLDEN_GAMMA
    state[index] = z
    z = (z ^ (z >> _S30)) * _MIX_1
    z = (z ^ (z >> _S27)) * _MIX_2
    return z ^ (z >> _S31)


@njit(**NO_NRT)
def uniform(state: np.ndarray, index: int) -> float:
    """A float64 uniform on [0, 1)."""
    return float(next_u64(state, index) >> _S11) * _INV_2_53


@njit(**NO_NRT)
def uniform_range(state: np.ndarray, index: int, low: float, high: float) -> float:
    """A float64 uniform on [low, high)."""
    return low + (high - low) * uniform(state, index)


@njit(**NO_NRT)
def randint(state: np.ndarray, index: int, n: int) -> int:
    """An integer uniform on [0, n) for 1 <= n < 2**53 (multiply-shift on a 53-bit draw, bias < 2**-40)."""
    return int(uniform(state, index) * n)


@njit(**NO_NRT)
def bernoulli(state: np.ndarray, index: int, p: float) -> bool:
    """True with probability ``p``."""
    return uniform(state, index) < p


@njit(**NO_NRT)
def normal(state: np.ndarray, index: int) -> float:
    """A standard normal draw (Box-Muller; one of the pair is dropped to keep the state a single word).

    Scalar maths goes through ``math``, not NumPy: NumPy's scalar ``log``/``cos`` can differ from the C
    library's (which numba calls) by an ulp, and jitted runs must equal ``NUMBA_DISABLE_JIT=1`` runs to the bit.
    """
    u1 = uniform(state, index)
    u2 = uniform(state, index)
    # 1 - u1 lies in (0, 1], so the log is finite.
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


@njit(**NO_NRT)
def lognormal(state: np.ndarray, index: int, median: float, sigma: float) -> float:
    """A lognormal draw with the given median and log-space standard deviation (human reaction times)."""
    return median * math.exp(sigma * normal(state, index))


@njit(**NO_NRT)
def shuffle_inplace(state: np.ndarray, index: int, values: np.ndarray) -> None:
    """Fisher-Yates shuffle of a 1-D array in place."""
    for i in range(values.shape[0] - 1, 0, -1):
        j = randint(state, index, i + 1)
        tmp = values[i]
        values[i] = values[j]
        values[j] = tmp


def seed_words(seeds: np.ndarray | list[int]) -> np.ndarray:
    """The initial RNG word for each integer seed, through ``np.random.SeedSequence``.

    Returns a ``uint64`` array with one word per seed; the same seed gives the same word in any process.
    """
    seeds = np.asarray(seeds)
    if seeds.ndim != 1:
        raise ValueError(f"seeds must be a 1-D sequence of non-negative integers, got shape {seeds.shape}")
    words = np.empty(seeds.shape[0], dtype=np.uint64)
    for i, s in enumerate(seeds.tolist()):
        words[i] = np.random.SeedSequence(check_int("seed", s, 0)).generate_state(1, dtype=np.uint64)[0]
    return words


def batch_seeds(seed: int | None, num_envs: int) -> np.ndarray:
    """Per-env integer seeds for a batch reset with ``seed``: ``seed + i`` (Gymnasium's convention).

    With ``seed=None`` the batch draws fresh OS entropy, so two unseeded runs differ.
    """
    if seed is None:
        base = int(np.random.SeedSequence().generate_state(1, dtype=np.uint32)[0])
    else:
        base = check_int("seed", seed, 0)
    return np.arange(base, base + num_envs, dtype=np.int64)
