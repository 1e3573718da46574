"""Latency of the hierarchical ClickArena agent on one CPU thread at batch 1 (what a live 60 Hz game needs).

Prints (never asserts), for each executor core (mamba, lstm, gru) with the shipped sizes:

* each level's call, median and 99th percentile, milliseconds (strategist 1 Hz, tactician 10 Hz, executor 60 Hz);
* the agent's ``act`` per frame, amortised over whole seconds of play (60 frames: one strategist call, ten
  tactician calls, sixty executor steps, plus the observation checks), and its worst frame (all three levels);
* parameters per level.

Aims: amortised <= 1 ms per frame, the worst frame <= 8 ms (half a 60 Hz frame). Weights are untrained: the
cost does not depend on their values.

    python benchmarks/bench_click_arena_agent.py            # ~1 minute
    python benchmarks/bench_click_arena_agent.py --quick    # smoke run
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import torch
from harness import pin_one_core, times_ms


def measure(core: str, obs: dict[str, np.ndarray], seconds: int, repeats: int) -> None:
    """Print one executor core's figures."""
    from botarena.agents.click_arena import features as fx
    from botarena.agents.click_arena.hierarchical import EXECUTOR_IN, GOAL_DIM, Hierarchy, HierarchyConfig
    from botarena.agents.click_arena.policy import HierarchicalAgent

    torch.manual_seed(0)
    model = Hierarchy(HierarchyConfig(executor_core=core)).eval()
    history = torch.randn(1, fx.HISTORY_SECONDS, fx.SUMMARY_FEATURES)
    objects, mask, goal = torch.randn(1, 16, 20), torch.ones(1, 16), torch.randn(1, GOAL_DIM)
    x = torch.rand(1, EXECUTOR_IN)
    state = model.executor.initial_state(1)
    with torch.inference_mode():
        levels = {
            "strategist": times_ms(lambda: model.strategist(history), repeats),
            "tactician": times_ms(lambda: model.tactician(objects, mask, goal), repeats),
            "executor": times_ms(lambda: model.executor.step(x, state), repeats * 5),
        }
    agent = HierarchicalAgent(model=model)
    agent.reset(0)
    for _ in range(60):  # warm-up second
        agent.act(obs)
    frames = times_ms(lambda: agent.act(obs), seconds * 60)
    counts = model.parameter_counts()
    print(f"\nexecutor core: {core} (parameters: strategist {counts['strategist']:,}, tactician "
          f"{counts['tactician']:,}, executor {counts['executor']:,}, total {counts['total']:,})")
    for name, t in levels.items():
        print(f"  {name:<11} median {np.median(t):6.3f} ms   p99 {np.percentile(t, 99):6.3f} ms")
    worst_frames = frames[::60]  # frame 0 of every second runs all three levels
    print(f"  agent.act amortised over {seconds} s of play: {frames.mean():.3f} ms per frame (aim <= 1 ms)")
    print(f"  frames with all three levels: median {np.median(worst_frames):.3f} ms, worst "
          f"{worst_frames.max():.3f} ms (aim <= 8 ms)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few repeats: a smoke run, not figures")
    args = parser.parse_args(argv)
    where = pin_one_core()
    torch.set_num_threads(1)
    seconds = 2 if args.quick else 20
    repeats = 20 if args.quick else 300
    print(f"hierarchical ClickArena agent, batch 1, one torch thread; {where}; torch {torch.__version__}"
          + (" (QUICK SMOKE RUN: figures mean nothing)" if args.quick else ""))
    rng = np.random.default_rng(0)
    obs = {"objects": rng.random((16, 20), np.float32), "object_mask": np.ones(16, np.int8),
           "state": rng.random(64, np.float32)}
    for core in ("mamba", "lstm", "gru"):
        measure(core, obs, seconds, repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
