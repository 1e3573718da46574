"""ClickArena throughput: the Gymnasium batch, the kernels with and without observations, bots, pure Python.

Prints (never asserts), for a 64-env batch on "standard" (16 aliens, 6 boxes, one ship), pinned to one core:

* env-steps/s through ``ClickArenaVectorEnv.step`` (observations, rewards, autoreset, copies), with a fixed
  cycle of pre-drawn random actions, for ``obs_mode="objects"`` and ``"pixels"``;
* env-steps/s of the kernels alone: rules + observations (``step_envs`` + ``write_observations``), and rules
  only;
* the cost of each scripted bot per env-step (``bot_actions`` for one seat), in microseconds;
* the pure-Python speed of the same kernels (``NUMBA_DISABLE_JIT=1``, in a subprocess, a few frames from the
  same warmed-up arenas) and the jitted speed-up, without and with the expert bot.

Arenas are first played for ``--warmup`` frames by the expert so the figures describe a game in progress.

    python benchmarks/bench_click_arena.py            # ~1 minute on a 2-core machine (after numba caching)
    python benchmarks/bench_click_arena.py --quick    # smoke run
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
from harness import pin_one_core, without_jit

NUM_ENVS = 64


def kernel_batch(num_envs: int, warmup: int, seed: int = 0):
    """A batch played ``warmup`` frames by the expert: (state, bot state, expert policies, actions).

    With ``CLICK_ARENA_BENCH_STATE`` set (the pure-Python subprocess), the batch is loaded from that file
    instead, so both runs time the very same mid-game arenas.
    """
    from botarena.envs.click_arena import bots, core
    from botarena.envs.common import rng

    s = core.ArenaState.allocate(num_envs, core.make_params("standard", "human"), 1)
    s.rng_state[:] = rng.seed_words(rng.batch_seeds(seed, num_envs))
    b = bots.BotState.allocate(num_envs)
    every = np.ones(num_envs, np.uint8)
    pol = bots.policy_ids({0: "expert"}, num_envs)
    actions = np.zeros((num_envs, core.MAX_SHIPS, 4), np.float32)
    saved = os.environ.get("CLICK_ARENA_BENCH_STATE")
    if saved:
        with np.load(saved) as f:
            s = core.ArenaState(*(f[f"s_{name}"] for name in core.ArenaState._fields))
            b = bots.BotState(*(f[f"b_{name}"] for name in bots.BotState._fields))
        return s, b, pol, actions
    core.reset_envs(s, every)
    bots.reset_bots(s, b, every)
    for _ in range(warmup):
        bots.bot_actions(s, b, pol, actions, every)
        core.step_envs(s, actions, every)
        _reset_dead(s, b)
    return s, b, pol, actions


def _reset_dead(s, b) -> None:
    from botarena.envs.click_arena import bots, core

    dead = s.ship_alive[:, 0] == 0
    if dead.any():
        m = dead.astype(np.uint8)
        core.reset_envs(s, m)
        bots.reset_bots(s, b, m)


def run_kernels(steps: int, warmup: int, num_envs: int = NUM_ENVS, with_obs: bool = True,
                with_expert: bool = False) -> float:
    """Env-steps/s of rules (+ observations) under a cycle of pre-drawn random actions, or (``with_expert``)
    of the expert bot + rules + observations."""
    from botarena.envs.click_arena import bots, core, observe

    s, b, pol, actions = kernel_batch(num_envs, warmup)
    gen = np.random.default_rng(0)
    cycle = gen.random((64, num_envs, core.MAX_SHIPS, 4)).astype(np.float32)
    cycle[..., 2] = (cycle[..., 2] < 0.05).astype(np.float32)
    every = np.ones(num_envs, np.uint8)
    seats = np.zeros(num_envs, np.int64)
    objects = np.zeros((num_envs, core.NUM_OBJECTS, core.OBJECT_FEATURES), np.float32)
    mask = np.zeros((num_envs, core.NUM_OBJECTS), np.int8)
    st = np.zeros((num_envs, core.STATE_FEATURES), np.float32)
    start = time.perf_counter()
    for t in range(steps):
        if with_expert:
            bots.bot_actions(s, b, pol, actions, every)
            core.step_envs(s, actions, every)
        else:
            core.step_envs(s, cycle[t % 64], every)
        if with_obs:
            observe.write_observations(s, seats, objects, mask, st, every)
        _reset_dead(s, b)
    return steps * num_envs / (time.perf_counter() - start)


def bench_bots(steps: int, warmup: int) -> dict[str, float]:
    """Microseconds per env-step of each bot's decision for one seat."""
    from botarena.envs.click_arena import bots, core

    out = {}
    for name in bots.BOT_NAMES:
        s, b, _, actions = kernel_batch(NUM_ENVS, warmup)
        pol = bots.policy_ids({0: name}, NUM_ENVS)
        every = np.ones(NUM_ENVS, np.uint8)
        t_bot = 0.0
        for _ in range(steps):
            t0 = time.perf_counter()
            bots.bot_actions(s, b, pol, actions, every)
            t_bot += time.perf_counter() - t0
            core.step_envs(s, actions, every)
            _reset_dead(s, b)
        out[name] = t_bot / (steps * NUM_ENVS) * 1e6
    return out


def bench_env(steps: int, warmup: int, obs_mode: str) -> float:
    from botarena.envs.click_arena import ClickArenaVectorEnv

    env = ClickArenaVectorEnv(num_envs=NUM_ENVS, obs_mode=obs_mode)
    env.reset(seed=0)
    gen = np.random.default_rng(0)
    cycle = gen.random((64, NUM_ENVS, 4)).astype(np.float32)
    cycle[..., 2] = (cycle[..., 2] < 0.05).astype(np.float32)
    for t in range(warmup):
        env.step(cycle[t % 64])
    start = time.perf_counter()
    for t in range(steps):
        env.step(cycle[t % 64])
    return steps * NUM_ENVS / (time.perf_counter() - start)


def pure_python(steps: int, warmup: int, num_envs: int, with_expert: bool = False, with_obs: bool = True) -> float:
    """The same measurement under ``NUMBA_DISABLE_JIT=1``, from the same warmed-up arenas (saved to a file)."""
    import tempfile

    s, b, _, _ = kernel_batch(num_envs, warmup)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "state.npz")
        np.savez(path, **{f"s_{k}": v for k, v in s._asdict().items()}, **{f"b_{k}": v for k, v in b._asdict().items()})
        return without_jit("bench_click_arena", f"b.run_kernels({steps}, 0, {num_envs}, {with_obs}, {with_expert})",
                           CLICK_ARENA_BENCH_STATE=path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few steps of everything (smoke test)")
    parser.add_argument("--warmup", type=int, default=None, help="frames played before timing (default 600)")
    args = parser.parse_args()
    steps = 20 if args.quick else 3000
    warmup = args.warmup if args.warmup is not None else (5 if args.quick else 600)
    where = pin_one_core()
    print(f"ClickArena benchmark: {NUM_ENVS} envs, standard (16 aliens, 6 boxes, 1 ship), 60 Hz frames; {where}; "
          f"python {sys.version.split()[0]}")
    t = time.perf_counter()
    run_kernels(2, 1, 2)  # load the numba cache (or compile) outside the timings
    bench_bots(1, 1)
    bench_env(1, 1, "objects")
    bench_env(1, 1, "pixels")
    print(f"  (numba load/compile {time.perf_counter() - t:.1f} s)")

    env_rate = bench_env(steps, warmup, "objects")
    print(f"  ClickArenaVectorEnv.step, objects observation:   {env_rate:12,.0f} env-steps/s")
    pix_rate = bench_env(steps // 4 or 1, warmup, "pixels")
    print(f"  ClickArenaVectorEnv.step, + 96x96 pixels:        {pix_rate:12,.0f} env-steps/s")
    k_obs = run_kernels(steps, warmup)
    k_rules = run_kernels(steps, warmup, with_obs=False)
    print(f"  kernels: rules + observations:                   {k_obs:12,.0f} env-steps/s")
    print(f"  kernels: rules only:                             {k_rules:12,.0f} env-steps/s")
    for name, us in bench_bots(steps // 3 or 1, warmup).items():
        print(f"  bot {name + ':':8s} {us:8.3f} us per env-step (one seat)")

    # Pure Python on the same warmed-up arenas (jitted warm-up, state handed over in a file), fewer frames.
    py_steps = 2 if args.quick else 30
    py_rate = pure_python(py_steps, warmup, NUM_ENVS)
    print(f"  rules + observations: jitted {k_obs:,.0f} env-steps/s, NUMBA_DISABLE_JIT=1 {py_rate:,.1f} "
          f"env-steps/s ({py_steps} frames x {NUM_ENVS} envs): speed-up {k_obs / py_rate:,.0f}x")
    py_rules = pure_python(py_steps, warmup, NUM_ENVS, with_obs=False)
    print(f"  rules only: jitted {k_rules:,.0f} env-steps/s, NUMBA_DISABLE_JIT=1 {py_rules:,.1f} env-steps/s: "
          f"speed-up {k_rules / py_rules:,.0f}x")
    k_exp = run_kernels(steps, warmup, with_expert=True)
    py_exp = pure_python(py_steps, warmup, NUM_ENVS, with_expert=True)
    print(f"  expert + rules + observations: jitted {k_exp:,.0f} env-steps/s, NUMBA_DISABLE_JIT=1 {py_exp:,.1f} "
          f"env-steps/s: speed-up {k_exp / py_exp:,.0f}x")


if __name__ == "__main__":
    main()
