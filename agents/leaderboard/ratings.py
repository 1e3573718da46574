"""Ratings from game outcomes: Plackett-Luce (free-for-all placements), Bradley-Terry (duels), OpenSkill.

Plackett-Luce: a game's finishing order is drawn by picking the winner with probability proportional
to strength ``gamma_i``, then the runner-up among the rest, and so on. The maximum-likelihood strengths
come from Hunter's (2004) minorise-maximise iteration, which increases the likelihood at every step.
An agent that wins every game has no finite MLE, so a weak Gamma(2, 1) prior on each strength (Caron &
Doucet 2012: the MM update simply gains ``a - 1`` wins and ``b`` exposure) keeps every rating finite
and changes well-separated ratings little. Bradley-Terry is Plackett-Luce on games of two.

Ratings are reported on an Elo-like scale: ``1500 + 400 * log10(gamma_i / geometric_mean(gamma))``,
so a 400-point gap means 10:1 odds in a head-to-head.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .stats import BOOTSTRAP_SEED, Interval

__all__ = ["plackett_luce", "bradley_terry", "elo_scale", "bootstrap_plackett_luce", "bootstrap_bradley_terry",
           "openskill_ratings", "PRIOR_SHAPE", "PRIOR_RATE"]

PRIOR_SHAPE = 2.0  # Gamma prior shape a: one virtual win for every agent
PRIOR_RATE = 1.0   # Gamma prior rate b


def plackett_luce(rankings: Sequence[Sequence[int]], num_items: int, *, max_iter: int = 20_000,
                  tol: float = 1e-9) -> np.ndarray:
    """MAP log-strengths (centred to mean 0) from rankings, each a list of item indices best-first."""
    games = [np.asarray(r, dtype=np.int64) for r in rankings if len(r) >= 2]
    for g in games:
        if g.min() < 0 or g.max() >= num_items or len(set(g.tolist())) != len(g):
            raise ValueError(f"a ranking must list distinct items in [0, {num_items}), got {g.tolist()}")
    # Games of equal length share one [games, places] matrix so each MM step is a few array operations.
    by_length: dict[int, list[np.ndarray]] = {}
    for g in games:
        by_length.setdefault(len(g), []).append(g)
    blocks = [np.stack(gs) for gs in by_length.values()]
    # wins[i]: how often i was chosen at some stage (every place but the last), plus the prior's a - 1.
    wins = np.full(num_items, PRIOR_SHAPE - 1.0)
    for block in blocks:
        wins += np.bincount(block[:, :-1].ravel(), minlength=num_items)
    gamma = np.ones(num_items)
    for _ in range(max_iter):
        exposure = np.full(num_items, PRIOR_RATE)
        for block in blocks:
            # Stage s chooses among places s..end; every item still in is exposed to 1 / their total.
            tail = np.cumsum(gamma[block][:, ::-1], axis=1)[:, ::-1]
            inv = 1.0 / tail[:, :-1]  # the last stage has one candidate: no choice, no information
            per_place = np.concatenate([np.cumsum(inv, axis=1), inv.sum(axis=1, keepdims=True)], axis=1)
            exposure += np.bincount(block.ravel(), weights=per_place.ravel(), minlength=num_items)
        new = wins / exposure
        done = np.max(np.abs(np.log(new) - np.log(gamma))) < tol
        gamma = new
        if done:
            break
    log_gamma = np.log(gamma)
    return log_gamma - log_gamma.mean()


def bradley_terry(scores: np.ndarray, *, max_iter: int = 20_000, tol: float = 1e-9) -> np.ndarray:
    """MAP log-strengths (centred) from a head-to-head score matrix, with draws.

    ``scores[i, j]`` is what ``i`` scored against ``j``: 1 per win and 1/2 per draw, so
    ``scores + scores.T`` is the number of games between each pair. Hunter's MM update with the same
    Gamma prior as :func:`plackett_luce` (on decisive games the two agree exactly); a draw counts as half
    a win each way, the usual Bradley-Terry treatment of ties in chess ratings.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2 or scores.shape[0] != scores.shape[1] or np.any(scores < 0) or np.any(np.diag(scores) != 0):
        raise ValueError(f"scores must be a square non-negative matrix with a zero diagonal, got {scores!r}")
    games = scores + scores.T
    wins = scores.sum(axis=1) + PRIOR_SHAPE - 1.0
    gamma = np.ones(len(scores))
    for _ in range(max_iter):
        new = wins / (PRIOR_RATE + (games / (gamma[:, None] + gamma[None, :])).sum(axis=1))
        done = np.max(np.abs(np.log(new) - np.log(gamma))) < tol
        gamma = new
        if done:
            break
    log_gamma = np.log(gamma)
    return log_gamma - log_gamma.mean()


def bootstrap_bradley_terry(scores_by_block: np.ndarray, *, reps: int = 200, confidence: float = 0.95,
                            seed: int = BOOTSTRAP_SEED) -> list[Interval]:
    """Elo-scale Bradley-Terry ratings with percentile CIs from resampling blocks (seeds).

    ``scores_by_block[k]`` is the score matrix of every game played on seed ``k`` (both seat orders).
    """
    blocks = np.asarray(scores_by_block, dtype=np.float64)
    if blocks.ndim != 3 or len(blocks) == 0:
        raise ValueError(f"scores_by_block must be [blocks, agents, agents] with a block or more, got {blocks.shape}")
    point = elo_scale(bradley_terry(blocks.sum(axis=0)))
    rng = np.random.default_rng(seed)
    n = len(blocks)
    samples = np.stack([elo_scale(bradley_terry(blocks[rng.integers(0, n, size=n)].sum(axis=0)))
                        for _ in range(reps)])
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(samples, [alpha, 1.0 - alpha], axis=0)
    return [Interval(float(point[i]), float(low[i]), float(high[i]), confidence) for i in range(len(point))]


def elo_scale(log_strength: np.ndarray) -> np.ndarray:
    """Log-strengths to an Elo-like scale centred on 1500 (400 points = 10:1 odds)."""
    return 1500.0 + 400.0 / np.log(10.0) * (np.asarray(log_strength) - np.mean(log_strength))


def bootstrap_plackett_luce(rankings_by_block: Sequence[Sequence[Sequence[int]]], num_items: int, *,
                            reps: int = 200, confidence: float = 0.95,
                            seed: int = BOOTSTRAP_SEED) -> list[Interval]:
    """Elo-scale Plackett-Luce ratings with percentile CIs from resampling whole blocks (map seeds).

    A block is every game played on one map seed (all its seat rotations), so resampling blocks keeps
    the seat balance of each seed intact.
    """
    if not rankings_by_block:
        raise ValueError("no games to rate")
    point = elo_scale(plackett_luce([r for block in rankings_by_block for r in block], num_items))
    rng = np.random.default_rng(seed)
    samples = np.empty((reps, num_items))
    n = len(rankings_by_block)
    for k in range(reps):
        picked = rng.integers(0, n, size=n)
        games = [r for b in picked for r in rankings_by_block[b]]
        samples[k] = elo_scale(plackett_luce(games, num_items))
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(samples, [alpha, 1.0 - alpha], axis=0)
    return [Interval(float(point[i]), float(low[i]), float(high[i]), confidence) for i in range(num_items)]


def openskill_ratings(rankings: Sequence[Sequence[int]], num_items: int) -> list[dict[str, float]]:
    """OpenSkill Plackett-Luce (tau=0) ``mu``, ``sigma``, ``ordinal`` after the games in the given order.

    The caller passes games in a fixed, sorted order: OpenSkill is sequential, so order changes results.
    """
    from openskill.models import PlackettLuce

    model = PlackettLuce(tau=0)
    ratings = [model.rating(name=str(i)) for i in range(num_items)]
    for ranking in rankings:
        teams = [[ratings[i]] for i in ranking]
        updated = model.rate(teams, ranks=list(range(len(ranking))))
        for i, team in zip(ranking, updated, strict=True):
            ratings[i] = team[0]
    return [{"mu": float(r.mu), "sigma": float(r.sigma), "ordinal": float(r.ordinal())} for r in ratings]
