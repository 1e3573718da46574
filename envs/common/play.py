"""What every game's ``botarena play`` shares: the session options, the seed, and saving the recording.

A game's ``play.py`` adds its own options (preset, difficulty, who plays) and its input handling; these
helpers keep the common flags spelled and checked the same way in every game.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

__all__ = ["add_session_args", "session_seed", "save_recording"]


def add_session_args(parser: argparse.ArgumentParser, game: str, *, unit: str, fps: float) -> None:
    """``--seed``, ``--fps``, ``--record``, ``--max-steps`` and ``--screenshot``; ``unit`` names one step
    ("frames", "decisions") and ``fps`` is the default pace in those units per second."""
    parser.add_argument("--seed", type=int, default=None, help="game seed (default: from the clock)")
    parser.add_argument("--fps", type=float, default=fps,
                        help=f"{unit} per second (default {fps:g}; 0 = unthrottled)")
    parser.add_argument("--record", type=Path, default=None,
                        help=f"where to save the recording (default runs/replays/{game}-<time>.npz)")
    parser.add_argument("--max-steps", type=int, default=None, help=f"stop after this many {unit}")
    parser.add_argument("--screenshot", type=Path, default=None,
                        help="save the window as an image when the game ends")


def session_seed(args: argparse.Namespace) -> int:
    """Check the session options; the game's seed (``--seed``, else one from the clock)."""
    if args.fps < 0:
        raise ValueError(f"--fps must be >= 0, got {args.fps}")
    if args.max_steps is not None and args.max_steps < 1:
        raise ValueError(f"--max-steps must be >= 1, got {args.max_steps}")
    return args.seed if args.seed is not None else int(time.time()) % 1_000_000


def save_recording(recording: Any, record: Path | None, game: str) -> Path:
    """Save an ``EpisodeRecording`` to ``record`` (default ``runs/replays/<game>-<time>.npz``); its path."""
    path = record or Path("runs/replays") / f"{game}-{time.strftime('%Y%m%d-%H%M%S')}.npz"
    recording.save(path)
    return path
