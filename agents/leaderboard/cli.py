"""``botarena leaderboard`` and ``botarena eval``: plan, play (resumably), aggregate, report."""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from botarena.envs.common.io import atomic_write_text

from .aggregate import aggregate
from .games import GAME_ADAPTERS
from .report import markdown_tables, write_reports
from .runner import ROW_FORMAT, Job, append_rows, checkpoint_hash, plan_jobs, read_rows, run_jobs, warm_tables
from .seeds import seed_list_hash

__all__ = ["leaderboard_main", "eval_main", "run_leaderboard"]

# Seeds per table: each table's ``episodes`` (``quick_episodes`` with --quick), in games.py. An FFA seed is
# played in every seat rotation (num_seats games per group of agents), a single-player seed in every variant
# (TickDuel: 3 builds), a duel seed in every variant and both seat orders of every pair.
# Episodes take milliseconds to a second; in a fresh clone `--quick` is mostly numba compiling the games.


def _tables(arg: str | None) -> list[str]:
    """Leaderboard tables for the requested games or tables (a game selects all its tables, e.g. TickDuel's two)."""
    from botarena.envs import GAMES

    available = [name for name, adapter in GAME_ADAPTERS.items() if adapter.game in GAMES]
    if arg is None:
        return available
    wanted = [g.strip() for g in arg.split(",") if g.strip()]
    games = {GAME_ADAPTERS[name].game for name in available}
    unknown = [g for g in wanted if g not in games and g not in available]
    if unknown:
        raise ValueError(f"unknown or unavailable games {unknown}; games: {sorted(games)}, tables: {available}")
    return [name for name in available if name in wanted or GAME_ADAPTERS[name].game in wanted]


def _agents(arg: str | None, game: str) -> list[str]:
    from botarena.agents.common.registry import agent_spec, list_agents

    if arg is None:
        return [s.name for s in list_agents(game)]
    names = [a.strip() for a in arg.split(",") if a.strip()]
    for name in names:
        agent_spec(name)  # unknown names fail here with the list of known ones
    return [n for n in names if n.startswith(f"{game}/")]


def run_leaderboard(*, tables: list[str], agents_arg: str | None, episodes: int | None, quick: bool,
                    backend: str, out: Path, ray_address: str | None = None, workers: int | None = None,
                    progress: bool = True, argv: list[str] | None = None) -> dict[str, Any]:
    """Play every missing episode of ``tables`` into ``out/episodes.jsonl``, then write the reports.

    Returns the board.
    """
    out.mkdir(parents=True, exist_ok=True)
    episodes_path = out / "episodes.jsonl"
    # Keep only whole episodes (a crash can cut an episode's rows, or its last line, short) and rewrite the
    # file from them, so that appends start on a clean line and nothing is counted twice.
    # Episodes that would not be played the same way today (another game version or agent checkpoint, or rows
    # of an older runner's format) are not resumed: they move to episodes.stale-<time>.jsonl (kept, never mixed
    # into today's tables) and are played again.
    current, stale = _split_stale(read_rows(episodes_path))
    if stale:
        stale_path = out / f"episodes.stale-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
        append_rows(stale_path, [row for row, _ in stale])
        reasons = Counter({row["key"]: reason for row, reason in stale}.values())  # episodes per reason
        print(f"{sum(reasons.values())} episodes in {episodes_path} were set aside in {stale_path.name} and will "
              f"be played again: " + "; ".join(f"{n} {reason}" for reason, n in sorted(reasons.items())) + ".",
              file=sys.stderr)
    seen = Counter(r["key"] for r in current)
    rows = [r for r in current if seen[r["key"]] == len(r["seats"])]
    atomic_write_text(episodes_path, "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
    done = {r["key"] for r in rows}

    plans: dict[str, list[Job]] = {}
    for table in tables:
        adapter = GAME_ADAPTERS[table]
        count = episodes if episodes is not None else (adapter.quick_episodes if quick else adapter.episodes)
        names = _agents(agents_arg, adapter.game)
        if names:
            plans[table] = plan_jobs(table, names, count)
    all_jobs = [job for jobs in plans.values() for job in jobs]
    todo = [job for job in all_jobs if job.key not in done]

    if backend == "process" and todo:
        # Forked workers inherit compiled kernels: compiling once here saves each worker its own compile.
        if progress:
            print("Loading the games' numba kernels (the first run in a new environment compiles them: about a "
                  "minute or two; later runs load them from the cache in seconds)...", file=sys.stderr, flush=True)
        warm_tables({job.table for job in todo}, workers)

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(all_jobs), initial=len(all_jobs) - len(todo), unit="episode", dynamic_ncols=True,
                   desc="leaderboard")
    per_table = Counter(job.table for job in all_jobs)
    finished = Counter(job.table for job in all_jobs if job.key in done)
    try:
        for episode_rows in run_jobs(todo, backend, workers=workers, ray_address=ray_address):
            append_rows(episodes_path, episode_rows)
            finished[episode_rows[0]["table"]] += 1
            if bar is not None:
                bar.set_postfix({t: f"{finished[t]}/{per_table[t]}" for t in per_table})
                bar.update(1)
    except KeyboardInterrupt:
        if bar is not None:
            bar.close()
        print(f"\nStopped. {sum(finished.values())} finished episodes are kept in {episodes_path}; "
              f"rerun with --out {out} to resume.", file=sys.stderr)
        raise
    if bar is not None:
        bar.close()

    keys = {job.key for job in all_jobs}
    board = aggregate([r for r in read_rows(episodes_path) if r["key"] in keys])
    write_reports(board, out)
    _write_manifest(out, tables, argv if argv is not None else sys.argv)
    return board


def _split_stale(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[tuple[dict[str, Any], str]]]:
    """Rows that today's runner would write the same way, and the others, each with the reason it is stale.

    Rows of an older row format (before ``runner.ROW_FORMAT``) are set aside rather than converted: their
    episodes are the same games, but format 1 recorded 0.0 as the return of a Territory bot seat, so a resumed
    file would mix two meanings of ``return``; playing them again costs minutes.
    """
    hashes: dict[str, str | None] = {}

    def checkpoint(agent: str) -> str | None:
        if agent not in hashes:
            try:
                hashes[agent] = checkpoint_hash(agent)
            except KeyError:  # no longer registered
                hashes[agent] = "unregistered"
        return hashes[agent]

    current, stale = [], []
    for row in rows:
        adapter = GAME_ADAPTERS.get(row["table"]) if row.get("row_format") == ROW_FORMAT else None
        if row.get("row_format") != ROW_FORMAT:
            reason = f"written by an older runner (row format {row.get('row_format', 1)}, today {ROW_FORMAT})"
        elif adapter is None:
            reason = "of a table that no longer exists"
        elif row.get("env_id") != adapter.env_id or row.get("game_version") != adapter.version:
            reason = "played on another game version"
        elif row.get("checkpoint_sha256") != checkpoint(row["agent"]):
            reason = "played with another agent checkpoint"
        else:
            current.append(row)
            continue
        stale.append((row, reason))
    return current, stale


def _write_manifest(out: Path, tables: list[str], argv: list[str]) -> None:
    from botarena.agents.common.checkpoint import git_sha

    versions = {}
    for package in ("botarena", "numpy", "numba", "torch", "gymnasium", "pettingzoo", "stable-baselines3",
                    "openskill"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            continue
    manifest = {"command": " ".join(argv), "git_sha": git_sha(), "python": platform.python_version(),
                "packages": versions, "tables": tables,
                "seed_list_sha256": seed_list_hash(sorted({GAME_ADAPTERS[t].game for t in tables})),
                "written": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def _default_out(prefix: str) -> Path:
    return Path("runs") / f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}"


def leaderboard_main(args: argparse.Namespace) -> int:
    if args.backend == "ray":
        try:
            import ray  # noqa: F401
        except ImportError:
            raise ValueError("--backend ray needs the optional extra: pip install 'botarena[ray]'") from None
    tables = _tables(args.games)
    if not tables:
        print("No games with a leaderboard are registered yet.")
        return 0
    out = args.out or _default_out("leaderboard")
    start = time.perf_counter()
    try:
        board = run_leaderboard(tables=tables, agents_arg=args.agents, episodes=args.episodes, quick=args.quick,
                                backend=args.backend, out=out, ray_address=args.ray_address)
    except KeyboardInterrupt:
        return 130
    print()
    print(markdown_tables(board))
    print(f"Wrote {out}/leaderboard.json, leaderboard.csv, LEADERBOARD.md, leaderboard.html, intervals_*.png, "
          f"manifest.json and episodes.jsonl in {time.perf_counter() - start:.0f} s.")
    return 0


def eval_main(args: argparse.Namespace) -> int:
    """One agent on every table of one game, beside that game's random and scripted agents."""
    from botarena.agents.common.registry import agent_spec, list_agents

    spec = agent_spec(args.agent)
    tables = _tables(args.game)
    if spec.game not in {GAME_ADAPTERS[t].game for t in tables}:
        raise ValueError(f"agent {args.agent} plays {spec.game}, not {args.game}")
    # The game's random and scripted agents come along: opponents for free-for-all and head-to-head tables,
    # and the references (0 and 1) of the normalised single-player scores.
    names = [args.agent] + [s.name for s in list_agents(spec.game) if s.kind != "learned" and s.name != args.agent]
    out = args.out or _default_out(f"eval-{args.agent.replace('/', '-')}")
    board = run_leaderboard(tables=tables, agents_arg=",".join(names), episodes=args.episodes, quick=False,
                            backend="process", out=out)
    print()
    print(markdown_tables(board))
    print(f"{args.agent} was ranked beside {', '.join(names[1:]) or 'no other agent'}; every report is in {out}/.")
    return 0
