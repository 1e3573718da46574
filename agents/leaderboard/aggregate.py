"""Turn episode rows into the leaderboard: sorted first, so any backend gives the same bytes.

``leaderboard.json`` (the source of truth) holds, per table, one entry per agent. Free-for-all tables:
average placement and win rate with 95% CIs (bootstrap over map seeds), a Plackett-Luce rating on an
Elo-like scale with CIs from the same block bootstrap, OpenSkill (PlackettLuce, tau=0) after the games
in sorted order. Single-player tables: mean and IQM return with stratified-bootstrap CIs, scores
normalised to the table's two references (``games.References``: the mean return of one agent is 0, of
another 1; ``normalization`` says which, their measured means and why), and the probability of improvement
over the next agent. Head-to-head tables (kind ``duel``): a Bradley-Terry rating (draws count half) with CIs
from a bootstrap over seeds, each agent's win/draw/loss record and score rate, and a crosstable of score
rates. Failed agents are listed with their first error. An agent that won every game, or never beat anyone,
has no finite maximum-likelihood rating: its rating comes from the prior and is marked ``prior_bound`` (a
bound, not an estimate; the bootstrap cannot show that uncertainty).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from . import ratings, stats
from .games import GAME_ADAPTERS

__all__ = ["aggregate"]

ROUND = 4
# The "normalization" of free-for-all and head-to-head tables: they rate agents against each other.
RATINGS_ONLY = {"status": "none", "why": "the ratings compare the agents at the table with each other, so there are "
                "no reference agents and no normalised score"}


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), ROUND)


def _interval(iv: stats.Interval) -> dict[str, float]:
    return {"value": _r(iv.value), "low": _r(iv.low), "high": _r(iv.high)}


def aggregate(rows: list[dict[str, Any]], *, reps: int = 1000) -> dict[str, Any]:
    """The board: ``{"format", "format_version", "tables": {table name: entry}}``, from episode rows."""
    rows = sorted(rows, key=lambda r: (r["table"], r["key"], r["seat"]))
    by_table: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_table[row["table"]].append(row)
    tables = {}
    for name, table_rows in sorted(by_table.items()):
        adapter = GAME_ADAPTERS[name]
        entry = {"game": adapter.game, "env_id": adapter.env_id, "game_version": adapter.version,
                 "kind": adapter.kind, "setting": adapter.setting, "episodes": len({r["key"] for r in table_rows})}
        if adapter.kind == "ffa":
            entry["agents"], entry["normalization"] = _ffa(table_rows, reps), dict(RATINGS_ONLY)
        elif adapter.kind == "single":
            entry["agents"], entry["normalization"] = _single(table_rows, adapter, reps)
        else:
            entry["agents"], entry["crosstable"] = _duel(table_rows, reps)
            entry["normalization"] = dict(RATINGS_ONLY)
        tables[name] = entry
    # Format 2: "tables" (format 1 called them "games"), each naming its game and, if single-player, its references.
    return {"format": "botarena-leaderboard", "format_version": 2, "tables": tables}


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
    # Blocks are map seeds: every game played on one seed, all its rotations and groups of agents.
    blocks: dict[int, list[list[int]]] = defaultdict(list)
    placements: dict[str, dict[int, list[int]]] = {a: defaultdict(list) for a in agents}
    outranked_someone: dict[str, list[bool]] = {a: [] for a in agents}
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
        worst = max(best.values())
        for agent, place in best.items():
            outranked_someone[agent].append(place < worst)
        blocks[seed].append(ranking)
        ordered_games.append(ranking)
        for agent, place in best.items():
            placements[agent][seed].append(place)
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
            places = np.concatenate(per_seed)
            entry = {"agent": a, "status": "ok", "games": int(places.size),
                     "placement": _interval(place_mean), "win_rate": _interval(win_rate),
                     "rating": _interval(pl[i]), "openskill": {k: _r(v) for k, v in skill[i].items()}}
            if np.all(places == 1):
                entry["prior_bound"] = "won every game"
            elif not np.any(outranked_someone[a]):
                entry["prior_bound"] = "never beat anyone"
            table.append(entry)
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


def _single(rows: list[dict[str, Any]], adapter: Any, reps: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Scores are a [seeds, variants] matrix per agent, paired across agents; variants are the strata.

    Returns the table and its ``normalization``: the references, their mean returns on these seeds, and why.
    """
    failed = _failures(rows)
    returns: dict[str, dict[tuple[int, str], float]] = defaultdict(dict)
    for r in rows:
        if not r["void"] and r["agent"] not in failed:
            returns[r["agent"]][(r["seed"], r.get("variant", ""))] = float(r["return"])
    variants = list(adapter.variants)
    # Only seeds every agent finished in every variant: the comparison stays paired.
    complete = [{s for s, _ in v if all((s, w) in v for w in variants)} for v in returns.values()]
    seeds = sorted(set.intersection(*complete)) if complete else []
    matrix = {a: np.array([[v[(s, w)] for w in variants] for s in seeds]) for a, v in returns.items()}
    normalization, ref_zero, ref_one = _references(adapter.references, matrix, variants, len(seeds))
    # Per task (variant), with the references resampled alongside: see stats.normalized_bootstrap.
    can_normalize = ref_zero is not None and ref_one is not None
    table = []
    for a in sorted(matrix):
        x = matrix[a]
        if x.size == 0:
            continue
        entry: dict[str, Any] = {"agent": a, "status": "ok", "games": int(x.size),
                                 "mean": _interval(stats.stratified_bootstrap(x, stats.mean, reps=reps)),
                                 "iqm": _interval(stats.stratified_bootstrap(x, stats.iqm, reps=reps))}
        if can_normalize:
            entry["normalized_iqm"] = _interval(stats.normalized_bootstrap(x, ref_zero, ref_one, stats.iqm, reps=reps))
        if len(variants) > 1:
            entry["per_variant_mean"] = {
                w: _interval(stats.stratified_bootstrap(x[:, [k]], stats.mean, reps=reps))
                for k, w in enumerate(variants)}
        table.append(entry)
    table.sort(key=lambda e: (-e["iqm"]["value"], e["agent"]))
    for upper, lower in zip(table, table[1:], strict=False):
        poi = stats.probability_of_improvement(matrix[upper["agent"]], matrix[lower["agent"]], reps=reps // 2)
        upper["p_improvement_over_next"] = _interval(poi)
    table.extend({"agent": a, "status": "failed", "error": err} for a, err in sorted(failed.items()))
    return table, normalization


def _references(references: Any, matrix: dict[str, np.ndarray], variants: list[str],
                num_seeds: int) -> tuple[dict[str, Any], np.ndarray | None, np.ndarray | None]:
    """The table's ``normalization`` entry, and the two references' score matrices (None where it cannot be).

    Scores are normalised only when both references were ranked on the same seeds and their mean returns
    differ on every variant; otherwise the entry says why not.
    """
    if references is None:
        return {"status": "none", "why": "this table names no reference agents"}, None, None
    entry: dict[str, Any] = {"zero": {"agent": references.zero}, "one": {"agent": references.one},
                             "why": references.why}
    zero, one = matrix.get(references.zero), matrix.get(references.one)
    missing = [r for r, m in ((references.zero, zero), (references.one, one)) if m is None or not m.size]
    if missing or num_seeds == 0:
        entry["status"] = f"not normalised: {', '.join(missing) or 'no agent'} not ranked on every seed here"
        return entry, None, None
    for side, scores in (("zero", zero), ("one", one)):
        entry[side]["mean_return"] = _r(scores.mean())
        if len(variants) > 1:
            entry[side]["mean_return_per_variant"] = {w: _r(scores[:, k].mean()) for k, w in enumerate(variants)}
    if not np.all(np.abs(one.mean(axis=0) - zero.mean(axis=0)) > 1e-12):
        entry["status"] = "not normalised: the references' mean returns are equal on a variant"
        return entry, None, None
    entry["status"] = "ok"
    return entry, zero, one


def _duel(rows: list[dict[str, Any]], reps: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Bradley-Terry over seeds (both seat orders of a pairing share a seed block) and a crosstable."""
    failed = _failures(rows)
    good = [r for r in rows if not r["void"]]
    agents = sorted({r["agent"] for r in good} - set(failed))
    index = {a: i for i, a in enumerate(agents)}
    n = len(agents)
    episodes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in good:
        episodes[row["key"]].append(row)
    blocks: dict[int, np.ndarray] = {}
    record = np.zeros((n, 3), dtype=np.int64)  # wins, draws, losses
    for key in sorted(episodes):
        seats = sorted(episodes[key], key=lambda r: r["seat"])
        if len(seats) != 2 or any(r["agent"] not in index for r in seats) or seats[0]["agent"] == seats[1]["agent"]:
            continue
        i, j = index[seats[0]["agent"]], index[seats[1]["agent"]]
        block = blocks.setdefault(seats[0]["seed"], np.zeros((n, n)))
        pi, pj = int(seats[0]["placement"]), int(seats[1]["placement"])
        if pi == pj:
            block[i, j] += 0.5
            block[j, i] += 0.5
            record[[i, j], 1] += 1
        else:
            winner, loser = (i, j) if pi < pj else (j, i)
            block[winner, loser] += 1.0
            record[winner, 0] += 1
            record[loser, 2] += 1
    table: list[dict[str, Any]] = []
    crosstable: dict[str, Any] = {"agents": [], "score_rate": []}
    if n >= 2 and blocks:
        stacked = np.stack([blocks[s] for s in sorted(blocks)])
        bt = ratings.bootstrap_bradley_terry(stacked, reps=min(reps, 200))
        total = stacked.sum(axis=0)
        played = total + total.T
        for a in agents:
            i = index[a]
            games = int(record[i].sum())
            entry = {"agent": a, "status": "ok", "games": games, "rating": _interval(bt[i]),
                     "wins": int(record[i, 0]), "draws": int(record[i, 1]), "losses": int(record[i, 2]),
                     "score_rate": _r(total[i].sum() / games) if games else None}
            if games and record[i, 0] == games:
                entry["prior_bound"] = "won every game"
            elif games and record[i, 0] + record[i, 1] == 0:
                entry["prior_bound"] = "never scored"
            table.append(entry)
        table.sort(key=lambda e: (-e["rating"]["value"], e["agent"]))
        order = [index[e["agent"]] for e in table]
        crosstable = {"agents": [agents[i] for i in order],
                      "score_rate": [[_r(total[i, j] / played[i, j]) if played[i, j] else None for j in order]
                                     for i in order]}
    table.extend({"agent": a, "status": "failed", "error": err} for a, err in sorted(failed.items()))
    return table, crosstable
