"""Interval estimates for returns, the way rliable computes them, in NumPy.

Agarwal et al. (2021), "Deep RL at the Edge of the Statistical Precipice": report the interquartile mean
(IQM) and the mean with 95% *stratified* bootstrap confidence intervals (runs are resampled within each
task, so every task keeps its weight), normalised scores, and the probability of improvement. rliable
itself pins an old ``arch`` that breaks with pandas 3 (FIELD_NOTES), so these few functions reproduce
its estimators; the tests check their coverage on synthetic data with known answers.

Score matrices are ``[num_runs, num_tasks]``: a task is a game and its runs are the evaluation episodes
(one per committed seed). For one game that is a single column; the overall table stacks the games'
normalised scores as columns, so each game keeps its weight when episodes are resampled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Interval", "iqm", "mean", "stratified_bootstrap", "normalized_bootstrap", "probability_of_improvement",
           "normalize", "intervals_overlap"]

BOOTSTRAP_SEED = 20261125  # fixed: the same data always gives the same intervals


@dataclass(frozen=True)
class Interval:
    """A point estimate with a ``confidence`` interval ``[low, high]``."""

    value: float
    low: float
    high: float
    confidence: float = 0.95

    def as_dict(self) -> dict[str, float]:
        return {"value": self.value, "low": self.low, "high": self.high}


def iqm(scores: np.ndarray) -> float:
    """Interquartile mean over all entries: the mean of the middle 50% (rliable's ``trim_mean(x, 0.25)``)."""
    flat = np.sort(np.asarray(scores, dtype=np.float64).ravel())
    n = flat.size
    if n == 0:
        return float("nan")
    cut = int(0.25 * n)  # scipy.stats.trim_mean drops floor(0.25 n) from each end
    return float(flat[cut:n - cut].mean())


def mean(scores: np.ndarray) -> float:
    return float(np.mean(scores))


def stratified_bootstrap(scores: np.ndarray, statistic: Callable[[np.ndarray], float] = iqm, *,
                         reps: int = 2000, confidence: float = 0.95, seed: int = BOOTSTRAP_SEED) -> Interval:
    """Percentile bootstrap CI of ``statistic`` resampling runs (rows) independently within each task column."""
    x = _as_matrix(scores)
    n_runs, n_tasks = x.shape
    rng = np.random.default_rng(seed)
    estimates = np.empty(reps)
    columns = np.arange(n_tasks)
    for r in range(reps):
        rows = rng.integers(0, n_runs, size=(n_runs, n_tasks))
        estimates[r] = statistic(x[rows, columns])
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(estimates, [alpha, 1.0 - alpha])
    return Interval(float(statistic(x)), float(low), float(high), confidence)


def normalized_bootstrap(scores: np.ndarray, random_scores: np.ndarray, expert_scores: np.ndarray,
                         statistic: Callable[[np.ndarray], float] = iqm, *, reps: int = 2000,
                         confidence: float = 0.95, seed: int = BOOTSTRAP_SEED) -> Interval:
    """``statistic`` of scores normalised per task (random agent's mean 0, expert's mean 1), with a CI that
    includes the references' own uncertainty.

    The three matrices are ``[runs, tasks]`` and paired: row ``k`` of each is the same evaluation seed. Each
    bootstrap resample draws rows within every task and takes them from all three, so the random and expert
    means are re-estimated with the scores they normalise. A resample in which the two references tie on
    some task cannot be normalised and is left out of the quantiles.
    """
    x, r, e = _as_matrix(scores), _as_matrix(random_scores), _as_matrix(expert_scores)
    if not x.shape == r.shape == e.shape:
        raise ValueError(f"scores and both references must be paired [runs, tasks] matrices, got {x.shape}, "
                         f"{r.shape}, {e.shape}")

    def normalized(xs: np.ndarray, rs: np.ndarray, es: np.ndarray) -> float:
        span = es.mean(axis=0) - rs.mean(axis=0)
        if np.any(np.abs(span) < 1e-12):
            return float("nan")
        return statistic((xs - rs.mean(axis=0)) / span)

    point = normalized(x, r, e)
    if not np.isfinite(point):
        raise ValueError("cannot normalise: the expert and random agents score the same on some task")
    n_runs, n_tasks = x.shape
    rng = np.random.default_rng(seed)
    columns = np.arange(n_tasks)
    estimates = np.empty(reps)
    for k in range(reps):
        rows = rng.integers(0, n_runs, size=(n_runs, n_tasks))
        estimates[k] = normalized(x[rows, columns], r[rows, columns], e[rows, columns])
    alpha = (1.0 - confidence) / 2.0
    low, high = np.nanquantile(estimates, [alpha, 1.0 - alpha])
    return Interval(point, float(low), float(high), confidence)


def probability_of_improvement(x: np.ndarray, y: np.ndarray, *, reps: int = 1000, confidence: float = 0.95,
                               seed: int = BOOTSTRAP_SEED) -> Interval:
    """P(X > Y) averaged over tasks (Mann-Whitney U / (n m), ties count half), with a stratified bootstrap CI.

    ``x`` and ``y`` are ``[runs, tasks]`` score matrices of two agents on the same tasks.
    """
    x, y = _as_matrix(x), _as_matrix(y)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must share their tasks (columns): {x.shape} vs {y.shape}")

    def poi(a: np.ndarray, b: np.ndarray) -> float:
        greater = (a[:, None, :] > b[None, :, :]).mean(axis=(0, 1))
        ties = (a[:, None, :] == b[None, :, :]).mean(axis=(0, 1))
        return float(np.mean(greater + 0.5 * ties))

    rng = np.random.default_rng(seed)
    cols = np.arange(x.shape[1])
    estimates = np.empty(reps)
    for r in range(reps):
        xi = x[rng.integers(0, x.shape[0], size=x.shape), cols]
        yi = y[rng.integers(0, y.shape[0], size=y.shape), cols]
        estimates[r] = poi(xi, yi)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(estimates, [alpha, 1.0 - alpha])
    return Interval(poi(x, y), float(low), float(high), confidence)


def normalize(scores: np.ndarray, random_score: float, expert_score: float) -> np.ndarray:
    """Scores on a scale where the random agent is 0 and the scripted expert is 1."""
    span = expert_score - random_score
    if not np.isfinite(span) or abs(span) < 1e-12:
        raise ValueError(f"cannot normalise: expert ({expert_score}) and random ({random_score}) score the same")
    return (np.asarray(scores, dtype=np.float64) - random_score) / span


def intervals_overlap(a: Interval, b: Interval) -> bool:
    """True when two intervals share a point: the table marks such neighbours as statistically tied."""
    return a.low <= b.high and b.low <= a.high


def _as_matrix(scores: np.ndarray) -> np.ndarray:
    x = np.asarray(scores, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.size == 0:
        raise ValueError(f"scores must be a non-empty [runs, tasks] matrix, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("scores contain NaN or inf")
    return x
