"""Every training command survives SIGKILL: killed at random moments and resumed, it ends where an uninterrupted run
ends (the same step counts, updates, evaluations and phases), and after every kill its last checkpoint loads.

One parametrized test per training command (``botarena train territory``, ``click_arena`` and ``tick_duel``). Each
run is the command's ``--quick`` preset in a subprocess. A kill waits until the run has written a checkpoint of its
own (so it made progress), then a seeded random while (so it lands anywhere between two checkpoints, inside a
checkpoint write included) before SIGKILL; the next start passes ``--resume``.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

KILLS = 3
START_TIMEOUT_S = 240  # a cold numba cache compiles the kernels on the first start


@dataclass(frozen=True)
class Trainer:
    """A training command as the kill loop drives it."""

    game: str
    argv: tuple[str, ...]  # after `botarena train <game>`, without --out and --resume
    checkpoint: str  # the run checkpoint in --out
    max_delay_s: float  # kills land up to this long after a checkpoint (about two checkpoints apart)
    progress: Callable[[Path, list[str]], dict[str, Any]]  # loads the run checkpoint as --resume does
    uninterrupted: Callable[[Path, list[str]], dict[str, Any]]  # what an uninterrupted run ends with
    after_first_kill: Callable[[Path, list[str]], None] = field(default=lambda out, argv: None)
    run_argv: Callable[[Path], tuple[str, ...]] = field(default=lambda out: ())  # arguments naming the run's folders
    after_finish: Callable[[Path, list[str]], None] = field(default=lambda out, argv: None)


# ---------------------------------------------------------------------- territory
def territory_progress(out: Path, argv: list[str]) -> dict[str, Any]:
    from botarena.agents.territory.train import Run, parse_args

    config, _, _ = parse_args([*argv, "--out", str(out)])
    run = Run(config, "pytest")
    run.load()
    progress = {"steps": int(run.model.num_timesteps), "updates": int(run.model._n_updates),
                "evaluated_at": [row["step"] for row in run.history]}
    run.model.get_env().close()
    return progress


def territory_uninterrupted(out: Path, argv: list[str]) -> dict[str, Any]:
    from botarena.agents.territory.train import parse_args

    c, _, _ = parse_args([*argv, "--out", str(out)])
    rollout = c.n_steps * c.num_envs
    assert all(stage.steps % rollout == 0 for stage in c.stages), "the counts below assume whole rollouts"
    grid = list(range(0, c.total_steps + 1, c.eval_every))  # after behaviour cloning, then every eval_every
    return {"steps": c.total_steps, "updates": c.total_steps // rollout * c.n_epochs,
            "evaluated_at": grid if grid[-1] == c.total_steps else [*grid, c.total_steps]}


def territory_finalize_a_stopped_run(out: Path, argv: list[str]) -> None:
    from botarena.agents.territory.policy import TerritoryPolicyAgent
    from botarena.agents.territory.train import BEST_FILE, main

    # A stopped run's best checkpoint can get its final figures, and its card says the run was cut short.
    assert main([*argv, "--out", str(out), "--finalize"]) == 0
    card = TerritoryPolicyAgent(out / BEST_FILE).card
    assert card.metrics["final"]["episodes"] == 2 and "was stopped at step" in card.notes


def territory_refuses_another_config(out: Path, argv: list[str]) -> None:
    from botarena.agents.common.checkpoint import CheckpointError
    from botarena.agents.territory.train import main

    with pytest.raises(CheckpointError, match="another config"):
        main([*argv, "--out", str(out), "--resume", "--seed", "3"])


# ---------------------------------------------------------------------- click_arena
def click_arena_progress(out: Path, argv: list[str]) -> dict[str, Any]:
    from botarena.agents.click_arena.train import Run, parse_config

    config, _, _ = parse_config([*argv, "--out", str(out)])
    run = Run(config, resume=True)
    return {"finished": run.finished, "steps": run.global_step, "evaluated_rounds": [r["round"] for r in run.reports]}


def click_arena_uninterrupted(out: Path, argv: list[str]) -> dict[str, Any]:
    from botarena.agents.click_arena.train import LEVELS, parse_config

    c, _, _ = parse_config([*argv, "--out", str(out)])
    return {"finished": [f"round{r}/{phase}" for r in range(c.rounds)
                         for phase in ("collect", *LEVELS, "evaluate")],
            "steps": {level: sum(c.steps(level, r) for r in range(c.rounds)) for level in LEVELS},
            "evaluated_rounds": list(range(c.rounds))}


# ---------------------------------------------------------------------- tick_duel
def tick_duel_argv(out: Path) -> tuple[str, ...]:
    return ("--data", str(out.parent / "data"))  # the run's own datasets, not the shared default under runs/


def tick_duel_progress(out: Path, argv: list[str]) -> dict[str, Any]:
    import json

    from botarena.agents.common.checkpoint import load_checkpoint

    _, _, extra = load_checkpoint(out / "run.pt")
    step = int(extra["step"])
    metrics = out / "metrics.jsonl"  # not there yet when the kill lands between the first save and evaluation
    lines = metrics.read_text().splitlines() if metrics.exists() else []
    rows = [json.loads(line) for line in lines if line.strip()]
    return {"steps": step, "evaluated_at": sorted({r["step"] for r in rows if r["tag"] == "val" and r["step"] <= step}),
            "dagger_rounds": len(list(out.glob("dagger*.npz")))}


def tick_duel_uninterrupted(out: Path, argv: list[str]) -> dict[str, Any]:
    from botarena.agents.tick_duel.train import parse_config

    c, _, _, _ = parse_config([*argv, "--out", str(out)])
    grid = list(range(c.eval_every, c.total_steps + 1, c.eval_every))
    return {"steps": c.total_steps, "evaluated_at": grid if grid[-1] == c.total_steps else [*grid, c.total_steps],
            "dagger_rounds": c.dagger_rounds}


TRAINERS = [
    Trainer("territory", ("--quick", "--threads", "1"), "run.ckpt", 1.5, territory_progress, territory_uninterrupted,
            after_first_kill=territory_finalize_a_stopped_run, after_finish=territory_refuses_another_config),
    # Smaller than --quick (which takes ~13 s): every phase of both rounds still runs, on two envs and a few steps.
    Trainer("click_arena", ("--quick", "--threads", "1", "--num-envs", "2", "--frames", "240", "--eval-frames", "120",
                            "--strategist-steps", "5", "--tactician-steps", "5", "--executor-steps", "5",
                            "--strategist-batch", "8", "--tactician-batch", "8", "--executor-streams", "2"),
            "run.pt", 1.5, click_arena_progress, click_arena_uninterrupted),
    # 40 steps of behaviour cloning, then a DAgger round (two duels per player, 10 steps).
    Trainer("tick_duel", ("--quick", "--threads", "1", "--players", "nh_expert:fast,nh_expert:sloppy", "--steps", "40",
                          "--dagger-rounds", "1"),
            "run.pt", 1.0, tick_duel_progress, tick_duel_uninterrupted, run_argv=tick_duel_argv),
]


def _stamp(path: Path) -> tuple[int, int] | None:
    """Changes whenever the file is replaced (an atomic write makes a new inode)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def _start(trainer: Trainer, out: Path, log: Path) -> subprocess.Popen:
    resume = ["--resume"] if (out / trainer.checkpoint).exists() else []  # territory refuses --resume of nothing
    command = [sys.executable, "-m", "botarena.agents.cli", "train", trainer.game, *trainer.argv,
               *trainer.run_argv(out), "--out", str(out), *resume]
    with open(log, "a") as handle:
        handle.write(f"\n$ {' '.join(command)}\n")
        handle.flush()
        return subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT)


@pytest.mark.slow
@pytest.mark.parametrize("trainer", TRAINERS, ids=[t.game for t in TRAINERS])
def test_a_run_killed_at_random_moments_resumes_to_what_an_uninterrupted_run_reaches(trainer, tmp_path):
    out, log = tmp_path / "run", tmp_path / "train.log"
    argv = list(trainer.argv)
    checkpoint = out / trainer.checkpoint
    rng = random.Random(f"kill {trainer.game}")  # seeded: the same delays on every run of the test
    killed: list[dict[str, Any]] = []
    for _ in range(KILLS):
        before = _stamp(checkpoint)
        proc = _start(trainer, out, log)
        deadline = time.monotonic() + START_TIMEOUT_S
        while proc.poll() is None and _stamp(checkpoint) == before and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() in (None, 0), f"the run failed:\n{log.read_text()[-3000:]}"
        assert _stamp(checkpoint) != before, f"no checkpoint in {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}"
        time.sleep(rng.uniform(0.0, trainer.max_delay_s))
        if proc.poll() is not None:  # it finished first; nothing left to kill
            break
        proc.kill()  # SIGKILL: no handler, no cleanup
        proc.wait()
        progress = trainer.progress(out, argv)  # the checkpoint left behind loads as --resume loads it
        assert not killed or _not_behind(progress, killed[-1]), (progress, killed[-1])
        if not killed:
            trainer.after_first_kill(out, argv)
        killed.append(progress)
    assert killed, "every run finished before it could be killed"
    proc = _start(trainer, out, log)
    assert proc.wait(timeout=600) == 0, f"the resumed run failed:\n{log.read_text()[-3000:]}"
    assert trainer.progress(out, argv) == trainer.uninterrupted(out, argv), f"kills left {killed}"
    trainer.after_finish(out, argv)
    # Killed writers' temporary files are never loaded; the next write of the same file deleted them.
    assert not [p.name for p in out.iterdir() if p.name.startswith(f".{trainer.checkpoint}.")]


def _not_behind(now: dict[str, Any], before: dict[str, Any]) -> bool:
    """A later kill never finds an older checkpoint (the last good one is never replaced by less)."""
    def total(progress: dict[str, Any]) -> int:
        steps = progress["steps"]
        return sum(steps.values()) if isinstance(steps, dict) else steps

    return total(now) >= total(before)


def test_the_kill_loop_covers_every_training_command():
    from importlib.util import find_spec

    from botarena.envs import GAMES

    trainable = [name for name in GAMES if find_spec(f"botarena.agents.{name}") and
                 find_spec(f"botarena.agents.{name}.train")]  # `botarena train <game>` runs this module's main
    assert sorted(trainable) == sorted(t.game for t in TRAINERS), "a new training command needs a Trainer here"
