"""Rank agents from Python: plan seeded episodes, play them, aggregate with confidence intervals, write reports.

    python examples/leaderboard.py [--game click_arena] [--episodes 2] [--out runs/leaderboard-example]
    botarena leaderboard --quick                   # every game, every agent: the same runner from the shell

Every episode is appended to ``<out>/episodes.jsonl`` as it finishes, so a rerun with the same ``--out`` plays
only what is missing (raise ``--episodes`` and rerun to add seeds). The reports (Markdown, CSV, HTML with plots)
land in ``<out>``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from botarena.agents import list_agents
from botarena.agents.leaderboard.cli import run_leaderboard
from botarena.agents.leaderboard.games import GAME_ADAPTERS
from botarena.agents.leaderboard.report import markdown_tables


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--game", default="click_arena", choices=["territory", "click_arena", "tick_duel"])
    parser.add_argument("--episodes", type=int, default=2, help="evaluation seeds per table")
    parser.add_argument("--agents", default=None, help="comma-separated agent names (default: all of the game's)")
    parser.add_argument("--out", type=Path, default=Path("runs/leaderboard-example"))
    args = parser.parse_args(argv)

    names = args.agents or ",".join(spec.name for spec in list_agents(args.game))
    print(f"ranking {names} on {args.episodes} seeds of {args.game}")
    start = time.perf_counter()
    tables = [name for name, table in GAME_ADAPTERS.items() if table.game == args.game]  # TickDuel has two
    board = run_leaderboard(tables=tables, agents_arg=names, episodes=args.episodes, quick=False,
                            backend="serial", out=args.out, progress=False)
    print(markdown_tables(board))
    print(f"{time.perf_counter() - start:.1f} s; episodes and reports in {args.out}")


if __name__ == "__main__":
    main()
