"""The ClickArena executor ablation: mamba vs lstm vs gru at the same budget, behind the same upper levels.

The strategist and tactician are the ones a finished behaviour-cloning round left (a run's ``run.pt`` saved
after ``round0/evaluate``); only the executor changes. For each core this trains a fresh executor on that run's
round-0 demonstrations with the run's own settings (steps, batch streams, chunk, lr, seed), the way
``botarena train click_arena`` does, then evaluates the agent on the held-out seeds with the same evaluation.
It prints, per core: executor parameters, one executor step at batch 1 on one thread (median ms), training
ms per step, the normalised score with its 95 % CI, aim error, click precision / recall. The run's own core,
evaluated with the run's hand, is not retrained: its row is the run's round 0 (trained exactly so).
``--no-hold-gate`` trains executors whose aim starts from the tactician's target instead of the gated point
(``HierarchyConfig.executor_hold_gate``); ``--data`` takes several rounds' files, ``--executor-steps`` another
budget:

    python benchmarks/click_arena_executor_ablation.py --snapshot runs/click-arena-s6-gru/run.pt --cores gru \
        --data runs/click-arena-s6-gru/round0.npz,runs/click-arena-s6-gru/round1.npz --executor-steps 3000 \
        --no-hold-gate --out runs/click-arena-no-hold-gate

    # a run's state after behaviour cloning, e.g. copied from runs/click-arena-s5/run.pt before round 1 starts
    python benchmarks/click_arena_executor_ablation.py --snapshot runs/click-arena-s5-round0-run.pt \
        --data runs/click-arena-s5/round0.npz --out runs/click-arena-executor-ablation --hand direct
    # the same rows with another training seed for the executors
    python benchmarks/click_arena_executor_ablation.py ... --seed 1
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from harness import times_ms


def ablate(core: str, snapshot: Path, data_paths: list[Path], out: Path, eval_hand: str, threads: int | None,
           hold_gate: bool = True, executor_steps: int | None = None, seed: int | None = None) -> dict:
    from botarena.agents.click_arena.hierarchical import EXECUTOR_IN
    from botarena.agents.click_arena.train import Run, TrainConfig
    from botarena.agents.common.checkpoint import load_checkpoint

    state_dict, card, extra = load_checkpoint(snapshot, expected_name="click_arena/hierarchical")
    saved = json.loads(extra["train_config"])
    if "round0/evaluate" not in json.loads(extra["finished"]):
        raise SystemExit(f"{snapshot}: behaviour cloning has not finished (round0/evaluate missing)")
    folder = _folder(core, seed)
    config = TrainConfig(**{**saved, "out": str(out / folder), "rounds": 1, "hand": eval_hand,
                            "seed": saved["seed"] if seed is None else seed,
                            "threads": threads or saved["threads"],
                            "executor_steps": executor_steps or saved["executor_steps"],
                            "model": {**saved["model"], "executor_core": core, "executor_hold_gate": hold_gate}})
    run = Run(config, command=f"executor ablation: {core}")
    as_the_run = (core == saved["model"]["executor_core"] and eval_hand == saved["hand"] and hold_gate
                  and config.seed == saved["seed"]
                  and config.executor_steps == saved["executor_steps"]
                  and [p.name for p in data_paths] == ["round0.npz"])
    if as_the_run:
        # The run's own executor was trained exactly so, and evaluated so: its row is the run's round 0.
        run.model.load_state_dict(state_dict)
        run.ema.load_state_dict(extra["ema"])
        report, train_ms = card.metrics["rounds"][0], None
    else:
        report, train_ms = _train_executor(run, state_dict, extra, data_paths)
    torch.set_num_threads(1)
    executor = run.ema.executor.eval()
    with torch.inference_mode():
        state, x = executor.initial_state(1), torch.rand(1, EXECUTOR_IN)
        step_ms = float(np.median(times_ms(lambda: executor.step(x, state), 1000)))
    row = {"core": folder, "executor_parameters": sum(p.numel() for p in executor.parameters()),
           "step_ms": step_ms, "train_ms_per_step": train_ms, **report}
    (out / folder / "report.json").write_text(json.dumps(row, indent=1))
    return row


def _folder(core: str, seed: int | None) -> str:
    """A row's folder under ``--out`` (and its name in the table): the core, and the training seed if given."""
    return core if seed is None else f"{core}-seed{seed}"


def _train_executor(run, state_dict: dict, extra: dict, data_paths: list[Path]) -> tuple[dict, float]:
    """A fresh executor behind the snapshot's strategist and tactician, trained and evaluated as the run does."""
    from botarena.agents.click_arena.data import Demonstrations

    upper = ("strategist.", "tactician.")
    for target, weights in ((run.model, state_dict), (run.ema, extra["ema"])):
        missing = target.load_state_dict({k: v for k, v in weights.items() if k.startswith(upper)}, strict=False)
        assert not missing.unexpected_keys, missing.unexpected_keys
    run.references = json.loads(extra["references"])
    torch.manual_seed(run.config.seed)
    torch.set_num_threads(run.config.threads)
    data = Demonstrations.concatenate([Demonstrations.load(path) for path in data_paths])
    started = time.perf_counter()
    run.train_executor(data, 0)
    train_ms = (time.perf_counter() - started) * 1000 / run.config.executor_steps
    run.finish("round0/executor")  # <out>/<core>/run.pt
    report = run.evaluate(0)
    run.reports.append(report)
    run.finish("round0/evaluate")
    run.export()  # <out>/<core>/click-arena-hierarchical.pt: this agent, for evaluate / diagnose / humanlike
    return report, train_ms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--snapshot", type=Path, required=True, help="a run.pt saved after round0/evaluate")
    parser.add_argument("--data", required=True,
                        help="that run's round0.npz (or several rounds' files, comma-separated, aggregated)")
    parser.add_argument("--executor-steps", type=int, default=None, help="default: the run's")
    parser.add_argument("--no-hold-gate", action="store_true",
                        help="executors without the hold gate (HierarchyConfig.executor_hold_gate=False)")
    parser.add_argument("--out", type=Path, default=Path("runs/click-arena-executor-ablation"))
    parser.add_argument("--cores", default="mamba,lstm,gru")
    parser.add_argument("--hand", default="human", help="the hand the evaluation plays with (default human)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: the run's)")
    parser.add_argument("--seed", type=int, default=None,
                        help="the executor's training seed (its initial weights and batch order; default: the "
                             "run's); rows go to <out>/<core>-seed<seed>")
    args = parser.parse_args(argv)
    rows = []
    for core in args.cores.split(","):
        done = args.out / _folder(core, args.seed) / "report.json"
        rows.append(json.loads(done.read_text()) if done.exists()
                    else ablate(core, args.snapshot, [Path(p) for p in args.data.split(",")], args.out, args.hand,
                                args.threads, not args.no_hold_gate, args.executor_steps, args.seed))
    print(f"\n| executor core | parameters | step ms (batch 1, 1 thread) | train ms/step | normalised score "
          f"({args.hand} hand) | aim error px | click precision / recall |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        low, high = r["normalised_ci95"]
        train_ms = "the run's" if r["train_ms_per_step"] is None else f"{r['train_ms_per_step']:.0f}"
        print(f"| {r['core']} | {r['executor_parameters']:,} | {r['step_ms']:.3f} | {train_ms} | "
              f"{r['normalised_score']:.2f} [{low:.2f}, {high:.2f}] | {r['aim_error_px']:.0f} | "
              f"{r['click_precision']:.2f} / {r['click_recall']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
