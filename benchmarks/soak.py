"""Soak: millions of steps per game on the native batch with autoreset, watching memory, numbers and time.

For each game, a ``num_envs`` batch (``gym.make_vec(..., vectorization_mode="vector_entry_point")``, the registered
defaults, SAME_STEP autoreset) plays random valid actions (a pool of pre-drawn batches, cycled, so drawing costs
nothing) for ``--steps`` env-steps, and reports:

* resident memory (``VmRSS``) at the end of the warm-up (the first 10 % of the steps) and its largest value after,
  as a drift in percent: a leak shows as growth; the aim is within 5 %;
* observations and rewards holding NaN or inf: counted on every step (aim: none);
* the game's state invariants (``envs/<game>/invariants.py``) on a sample of steps, against the state before;
* the time per env-step in the first and the last tenth after the warm-up, and their ratio (aim: flat, ~1.0).

Not part of ``make bench`` (the full run takes minutes per game); ``tests/test_soak.py`` runs a short version.

    python benchmarks/soak.py                           # 10,000,000 env-steps per game (~15 min on 2 cores)
    python benchmarks/soak.py --steps 200000 --games tick_duel
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

GAMES = ("territory", "click_arena", "tick_duel")
WARMUP_SHARE = 0.1
POOL = 64  # pre-drawn action batches, cycled


@dataclass
class SoakResult:
    game: str
    env_id: str
    num_envs: int
    env_steps: int
    episodes_ended: int
    seconds: float
    rss_warm_mib: float
    rss_peak_after_warm_mib: float
    rss_drift_percent: float
    nonfinite_steps: int
    invariant_checks: int
    invariant_violations: list[str]
    us_per_env_step_first: float
    us_per_env_step_last: float

    @property
    def time_ratio(self) -> float:
        return self.us_per_env_step_last / self.us_per_env_step_first


def resident_mib() -> float:
    """This process's resident memory in MiB (Linux ``/proc``; ``ru_maxrss``, a peak, elsewhere)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _checker(game: str) -> Callable[..., list[str]]:
    """The game's ``violations(state, previous, env=...)`` (``envs/<game>/invariants.py``)."""
    import importlib

    return importlib.import_module(f"botarena.envs.{game}.invariants").violations


def _floats(tree: Any) -> list[np.ndarray]:
    if isinstance(tree, dict):
        return [a for value in tree.values() for a in _floats(value)]
    return [tree] if tree.dtype.kind == "f" else []


def soak(game: str, steps: int, num_envs: int = 64, seed: int = 0, check_every: int = 1000) -> SoakResult:
    """Play ``steps`` env-steps of ``game`` on one batch and measure (see the module docstring)."""
    import gymnasium as gym

    from botarena.envs import GAMES as SPECS
    from botarena.envs.common.invariants import snapshot

    env_id = SPECS[game].env_id
    envs = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point")
    check = _checker(game)
    envs.reset(seed=seed)
    envs.action_space.seed(seed)
    pool = [envs.action_space.sample() for _ in range(POOL)]
    batches = max(1, steps // num_envs)
    warm = max(1, int(batches * WARMUP_SHARE))
    window = max(1, (batches - warm) // 10)

    rss_warm = rss_peak = 0.0
    nonfinite = ended = checks = 0
    violations: list[str] = []
    first = last = 0.0
    start = time.perf_counter()
    window_start = start
    for b in range(batches):
        before = snapshot(envs.state) if b % check_every == 0 else None
        obs, rewards, terminated, truncated, _ = envs.step(pool[b % POOL])
        if not np.isfinite(rewards).all() or not all(np.isfinite(a).all() for a in _floats(obs)):
            nonfinite += 1
        ended += int(terminated.sum() + truncated.sum())
        if before is not None:
            checks += 1
            violations.extend(f"step {b}: {v}" for v in check(envs.state, before, env=envs)[:3] if len(violations) < 20)
            before = None  # freed before memory is read: the copy is not a leak
        if b + 1 == warm:
            rss_warm = rss_peak = resident_mib()
            window_start = time.perf_counter()
        elif b + 1 > warm:
            if (b + 1 - warm) % 100 == 0:
                rss_peak = max(rss_peak, resident_mib())
            if b + 1 == warm + window:
                first = (time.perf_counter() - window_start) / (window * num_envs) * 1e6
            if b + 1 == batches - window:
                window_start = time.perf_counter()
    seconds = time.perf_counter() - start
    last = (time.perf_counter() - window_start) / (window * num_envs) * 1e6
    rss_peak = max(rss_peak, resident_mib())
    envs.close()
    return SoakResult(game, env_id, num_envs, batches * num_envs, ended, seconds, rss_warm, rss_peak,
                      100.0 * (rss_peak - rss_warm) / rss_warm if rss_warm else 0.0, nonfinite, checks, violations,
                      first or last, last)


def report(results: list[SoakResult]) -> str:
    lines = ["| game | env-steps | episodes ended | env-steps/s | RSS warm -> peak (MiB) | drift | non-finite steps | "
             "invariant checks (violations) | us/env-step first -> last tenth |",
             "|---|---:|---:|---:|---|---:|---:|---|---|"]
    for r in results:
        lines.append(f"| {r.game} | {r.env_steps:,} | {r.episodes_ended:,} | {r.env_steps / r.seconds:,.0f} | "
                     f"{r.rss_warm_mib:.1f} -> {r.rss_peak_after_warm_mib:.1f} | {r.rss_drift_percent:+.1f}% | "
                     f"{r.nonfinite_steps} | {r.invariant_checks:,} ({len(r.invariant_violations)}) | "
                     f"{r.us_per_env_step_first:.2f} -> {r.us_per_env_step_last:.2f} (x{r.time_ratio:.2f}) |")
    for r in results:
        lines.extend(f"  {r.game}: {v}" for v in r.invariant_violations)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000_000, help="env-steps per game (default 10^7)")
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--games", default=",".join(GAMES), help=f"comma-separated, from {', '.join(GAMES)}")
    parser.add_argument("--check-every", type=int, default=1000, help="check invariants every this many batches")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    games = [g.strip() for g in args.games.split(",") if g.strip()]
    unknown = sorted(set(games) - set(GAMES))
    if unknown:
        parser.error(f"unknown games {unknown}; choose from {', '.join(GAMES)}")
    results = []
    for game in games:
        results.append(soak(game, args.steps, args.num_envs, args.seed, args.check_every))
        print(f"{game}: {results[-1].env_steps:,} env-steps in {results[-1].seconds:.0f} s", file=sys.stderr,
              flush=True)
    print(report(results))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump([asdict(r) for r in results], handle, indent=2)
    bad = [r.game for r in results if r.nonfinite_steps or r.invariant_violations]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
