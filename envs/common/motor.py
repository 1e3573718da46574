"""The human motor model the scripted bots of ClickArena and TickDuel share, as self-contained numba kernels.

A bot that plays through the same input a person gives (cursor moves and clicks) needs a model of the hand
that makes that input. Every kernel here takes its inputs, the model's parameters and the counter-RNG state
as arguments, so each game keeps its own constants (seconds in ClickArena, milliseconds in TickDuel) and its
own random streams, and a game that calls these is still a function of its seed alone.

* Reaction and pause times are lognormal (Luce 1986, *Response Times*): a median near 250 ms for a reaction to
  a new stimulus, shorter for the pause between two actions of one plan.
* Movement time follows Fitts' law ``MT = a + b log2(D / W + 1)`` (Fitts 1954; MacKenzie 1992's Shannon form).
* The hand's path is the minimum-jerk profile ``x(tau) = x0 + (x1 - x0)(10 tau^3 - 15 tau^4 + 6 tau^5)``
  (Flash & Hogan 1985).
* An aimed click lands around the aim point with Gaussian scatter of sd ``W / divisor`` per axis (about ``W / 6``
  for a careful hand: nearly every click inside the target).
* A cursor that settles outside its target gets a corrective submovement, up to a limit (Meyer et al. 1988's
  stochastic optimised submovements).

The float operations keep the order the games had before these were shared: the games' trajectories are the
same bit for bit (``benchmarks/fingerprint.py``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .jit import NO_NRT
from .rng import lognormal, normal


@njit(inline="always", **NO_NRT)
def reaction_time(rng_state: np.ndarray, index: int, median: float, sigma: float) -> float:
    """A reaction delay to a new stimulus: lognormal with this median and log-space sd, in the median's unit."""
    return lognormal(rng_state, index, median, sigma)


@njit(inline="always", **NO_NRT)
def pause_time(rng_state: np.ndarray, index: int, median: float, sigma: float) -> float:
    """The pause between two actions of one plan (or a key's hold): lognormal like a reaction, a shorter median."""
    return lognormal(rng_state, index, median, sigma)


@njit(inline="always", **NO_NRT)
def fitts_time(distance: float, width: float, a: float, b: float) -> float:
    """Fitts'-law movement time ``a + b * log2(distance / width + 1)`` for a target ``width`` wide."""
    return a + b * math.log2(distance / width + 1.0)


@njit(inline="always", **NO_NRT)
def minimum_jerk_position(start: float, end: float, tau: float) -> float:
    """The point at time fraction ``tau`` in [0, 1] of a minimum-jerk movement from ``start`` to ``end``."""
    return start + (end - start) * (tau * tau * tau * (10.0 - 15.0 * tau + 6.0 * tau * tau))


@njit(inline="always", **NO_NRT)
def click_scatter(rng_state: np.ndarray, index: int, width: float, divisor: float) -> float:
    """Where an aimed click lands relative to the aim point, one axis: ``N(0, (width / divisor)^2)``."""
    return normal(rng_state, index) * width / divisor


@njit(inline="always", **NO_NRT)
def needs_correction(miss_distance: float, radius: float, corrections: int, max_corrections: int) -> bool:
    """Whether a cursor settled ``miss_distance`` from a target of click ``radius`` makes a corrective
    submovement rather than the click: it missed, and it has corrections left."""
    return miss_distance > radius and corrections < max_corrections
