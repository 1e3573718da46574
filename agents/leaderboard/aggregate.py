"""Turn episode rows into the leaderboard: sorted first, so any backend gives the same bytes.

``leaderboard.json`` (the source of truth) holds, per game, one entry per agent. Free-for-all games:
average placement and win rate with 95% CIs (bootstrap over map seeds), a Plackett-Luce rating on an
Elo-like scale with CIs from the same block bootstrap, OpenSkill (PlackettLuce, tau=0) after the games
in sorted order. Single-player games: mean and IQM return with stratified-bootstrap CIs, scores
normalised to random = 0 and scripted expert = 1, and the probability of improvement over the next agent.
Failed agents are listed with their first error.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from . import ratings, stats
from .games import GAME_ADAPTERS

__all__ = ["aggregate"]

ROUND = 4


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), ROUND)


def _interval(iv: stats.Interval) -> dict[str, float]:
    return {"value": _r(iv.value), "low": _r(iv.low), "high": _r(iv.high)}


def aggregate(rows: list[dict[str, Any]], *, reps: int = 1000) -> dict[str, Any]:
    rows = sorted(rows, key=lambda r: (r["game"], r["key"], r["seat"]))
    by_game: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_game[row["game"]].append(row)
    games = {}
    for game, game_rows in sorted(by_game.items()):
        adapter = GAME_ADAPTERS[game]
        table = _ffa(game_rows, reps) if adapter.kind == "ffa" else _single(game_rows, adapter, reps)
        games[game] = {"env_id": adapter.env_id, "game_version": adapter.version, "kind": adapter.kind,
                       "episodes": len({r["key"] for r in game_rows}), "agents": table}
    return {"format": "botarena-leaderboard", "format_version": 1, "games": games}


def _failures(rows: list[dict[str, Any]]) -> dict[str, str]:
    failed: dict[str, str] = {}
    for row in rows:
        if row["error"] is not None:
            failed.setdefault(row["agent"], row["error"])
    return failed


def _ffa(rows: list[dict[str, Any]], reps: int) -> list[dict[str, Any]]:
    failed = _failures(rows)
    # A void episode says nothing about the others at its table: drop it whole.
    good = [r for r in rows if not r["void"]]
    agents = sorted({r["agent"] for r in good} - set(failed))
    index = {a: i for i, a in enumerate(agents)}
    episodes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in good:
        episodes[row["key"]].append(row)
    # Blocks are map seeds: every game played on one seed, all its rotations and tables.
    blocks: dict[int, list[list[int]]] = defaultdict(list)
    placements: dict[str, dict[int, list[int]]] = {a: defaultdict(list) for a in agents}
    ordered_games: list[list[int]] = []
    for key in sorted(episodes):
        seats = sorted(episodes[key], key=lambda r: r["seat"])
        if any(r["agent"] not in index for r in seats):
            continue
        seed = seats[0]["seed"]
        # Copies of one agent at a table (fewer agents than seats) count once: its best seat.
        best: dict[str, int] = {}
        for r in seats:
            best[r["agent"]] = min(best.get(r["agent"], 10**9), int(r["placement"]))
        ranking = [index[a] for a, _ in sorted(best.items(), key=lambda kv: (kv[1], kv[0]))]
        blocks[seed].append(ranking)
        ordered_games.append(ranking)
        for r in seats:
            placements[r["agent"]][seed].append(int(r["placement"]))
    table = []
    if agents and ordered_games:
        block_list = [blocks[s] for s in sorted(blocks)]
        pl = ratings.bootstrap_plackett_luce(block_list, len(agents), reps=min(reps, 200))
        skill = ratings.openskill_ratings(ordered_games, len(agents))
        seeds = sorted(blocks)
        for a in agents:
            per_seed = [np.asarray(placements[a][s], float) for s in seeds]
            place_mean, win_rate = _block_ci(per_seed, np.mean, reps), _block_ci(per_seed, _win, reps)
            i = index[a]
            table.append({"agent": a, "status": "ok", "games": int(sum(len(p) for p in per_seed)),
                          "placement": _interval(place_mean), "win_rate": _interval(win_rate),
                          "rating": _interval(pl[i]),
                          "openskill": {k: _r(v) for k, v in skill[i].items()}})
        table.sort(key=lambda e: (-e["rating"]["value"], e["agent"]))
    table.extend({"agent": a, "status": "failed", "error": err} for a, err in sorted(failed.items()))
    return table


def _win(x: np.ndarray) -> float:
    return float(np.mean(x == 1))


def _block_ci(per_seed: list[np.ndarray], statistic: Any, reps: int) -> stats.Interval:
    """Bootstrap over map seeds (blocks), the statistic taken over all games of the resampled seeds."""
    rng = np.random.default_rng(stats.BOOTSTRAP_SEED)
    n = len(per_seed)
    point = statistic(np.concatenate(per_seed))
    samples = [statistic(np.concatenate([per_seed[k] for k in rng.integers(0, n, n)])) for _ in range(reps)]
    low, high = np.quantile(samples, [0.025, 0.975])
    return stats.Interval(float(point), float(low), float(high))


def _single(rows: list[dict[str, Any]], adapter: Any, reps: int) -> list[dict[str, Any]]:
    failed = _failures(rows)
    returns: dict[str, dict[int, float]] = defaultdict(dict)
    for r in rows:
        if not r["void"] and r["agent"] not in failed:
            returns[r["agent"]][r["seed"]] = float(r["return"])
    seeds = sorted(set.intersection(*(set(v) for v in returns.values()))) if returns else []
    matrix = {a: np.array([[v[s]] for s in seeds]) for a, v in returns.items()}
    ref_random = float(np.mean(matrix[adapter.random])) if adapter.random in matrix else None
    ref_expert = float(np.mean(matrix[adapter.expert])) if adapter.expert in matrix else None
    table = []
    for a in sorted(matrix):
        x = matrix[a]
        entry: dict[str, Any] = {"agent": a, "status": "ok", "games": len(seeds),
                                 "mean": _interval(stats.stratified_bootstrap(x, stats.mean, reps=reps)),
                                 "iqm": _interval(stats.stratified_bootstrap(x, stats.iqm, reps=reps))}
        if ref_random is not None and ref_expert is not None and abs(ref_expert - ref_random) > 1e-12:
            z = stats.normalize(x, ref_random, ref_expert)
            entry["normalized_iqm"] = _interval(stats.stratified_bootstrap(z, stats.iqm, reps=reps))
        table.append(entry)
    table.sort(key=lambda e: (-e["iqm"]["value"], e["agent"]))
    for upper, lower in zip(table, table[1:], strict=False):
        poi = stats.probability_of_improvement(matrix[upper["agent"]], matrix[lower["agent"]], reps=reps // 2)
        upper["p_improvement_over_next"] = _interval(poi)
    table.extend({"agent": a, "status": "failed", "error": err} for a, err in sorted(failed.items()))
    return table
