"""Territory throughput: the Gymnasium batch, the kernels with and without observations, pure Python.

Prints (never asserts), for a 64-env batch at 128x128 with 5 players (1 learner seat + 4 mixed bots), pinned
to one core, for Territory-v2 (the registered default) and then v1, in the same run:

* env-steps/s through ``TerritoryVectorEnv.step`` (full observations, masks, rewards, autoreset, copies);
* env-steps/s of the kernels alone: bots + rules + observations + masks, and bots + rules only;
* the time to write one observation batch against the time to merely copy it (the ratio), both for a full
  write (``write_observations``) and for the env's path (``write_observations_for``: the terrain channel is
  rewritten only after a reset, as ``TerritoryVectorEnv`` does), and the whole env step against the copy;
* the pure-Python speed of the same rules (``NUMBA_DISABLE_JIT=1``, in a subprocess) on a small map, and the
  jitted speed-up on that map;
* last, unpinned: the env with ``num_threads`` = the CPUs this process may use (when more than one).

Games are first played for ``--warmup`` steps so the figures describe a mid-game board, not the empty start.

    python benchmarks/bench_territory.py            # ~2-4 minutes on a 2-core machine (after numba caching)
    python benchmarks/bench_territory.py --quick    # smoke run
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from harness import pin_one_core, unpin, without_jit

NUM_ENVS = 64
SIZE = 128
PLAYERS = 5


def kernel_batch(num_envs: int, size: int, players: int, seed: int, rules: int):
    from botarena.envs.common import rng
    from botarena.envs.territory import bots, core, mapgen

    s = core.TerritoryState.allocate(num_envs, size, size, players, rules)
    s.rng_state[:] = rng.seed_words(rng.batch_seeds(seed, num_envs))
    mapgen.reset_envs(s, np.ones(num_envs, np.uint8), np.zeros((1, 1), np.uint8), False)
    policies = np.tile(np.array([bots.mixed_cycle(rules)[p % 4] for p in range(players)], np.int8), (num_envs, 1))
    actions = np.zeros((num_envs, players, 3), np.int64)
    return s, policies, actions


def run_rules(size: int, players: int, steps: int, warmup: int, num_envs: int, seed: int = 0,
              rules: int = 2) -> float:
    """Env-steps/s of bots + rules (every seat a bot) under rule set ``rules`` (1 = Territory-v1, 2 = v2).
    Finished games are reset, as an env would."""
    from botarena.envs.territory import bots, core, mapgen

    s, policies, actions = kernel_batch(num_envs, size, players, seed, rules)
    fixed = np.zeros((1, 1), np.uint8)
    for _ in range(warmup):
        bots.bot_actions(s, policies, actions)
        core.step_envs(s, actions, 4)
        if s.done.any():
            mapgen.reset_envs(s, s.done.copy(), fixed, False)
    start = time.perf_counter()
    for _ in range(steps):
        bots.bot_actions(s, policies, actions)
        core.step_envs(s, actions, 4)
        if s.done.any():
            mapgen.reset_envs(s, s.done.copy(), fixed, False)
    return steps * num_envs / (time.perf_counter() - start)


def bench_kernels(steps: int, warmup: int, rules: int) -> dict[str, float]:
    from botarena.envs.territory import bots, core, mapgen, observe

    s, policies, actions = kernel_batch(NUM_ENVS, SIZE, PLAYERS, seed=0, rules=rules)
    fixed = np.zeros((1, 1), np.uint8)
    seats = np.zeros(NUM_ENVS, np.int64)
    map_out = np.zeros((NUM_ENVS, observe.obs_channels(rules), SIZE, SIZE), np.uint8)
    glob = np.zeros((NUM_ENVS, observe.global_features(rules)), np.float32)
    masks = np.zeros((NUM_ENVS, 45), np.int8)
    every = np.ones(NUM_ENVS, np.bool_)
    was_reset = np.zeros(NUM_ENVS, np.bool_)
    scratch = bots.new_scratch()
    for _ in range(warmup):
        bots.bot_actions(s, policies, actions)
        core.step_envs(s, actions, 4)
        if s.done.any():
            mapgen.reset_envs(s, s.done.copy(), fixed, False)
    observe.write_observations(s, seats, map_out, glob, 4000)
    t_rules = t_obs = t_copy = t_full = t_planes = 0.0
    running_attacks = 0
    for _ in range(steps):
        t0 = time.perf_counter()
        bots.bot_actions(s, policies, actions, None, scratch)
        core.step_envs(s, actions, 4)
        was_reset[:] = s.done
        if s.done.any():
            mapgen.reset_envs(s, s.done.copy(), fixed, False)
        t1 = time.perf_counter()
        observe.write_observations_for(s, seats, map_out, glob, 4000, every, was_reset)
        observe.write_direction_masks(s, seats, masks)
        t2 = time.perf_counter()
        _ = (map_out.copy(), glob.copy(), masks.copy())
        t3 = time.perf_counter()
        observe.write_observations(s, seats, map_out, glob, 4000)
        t4 = time.perf_counter()
        observe.write_direction_masks(s, seats, masks)
        t5 = time.perf_counter()
        t_rules += t1 - t0
        t_obs += t2 - t1
        t_copy += t3 - t2
        t_planes += t4 - t3
        t_full += t5 - t3
        running_attacks += np.count_nonzero(s.att_target != core.NO_ATTACK)
    n = steps * NUM_ENVS
    return {"rules": n / t_rules, "rules+obs": n / (t_rules + t_obs), "obs_ms": t_obs / steps * 1e3,
            "copy_ms": t_copy / steps * 1e3, "full_ms": t_full / steps * 1e3, "planes_ms": t_planes / steps * 1e3,
            "attacks": running_attacks / n, "rules_ms": t_rules / steps * 1e3}


def bench_env(steps: int, warmup: int, rules: int, num_threads: int = 1) -> float:
    from botarena.envs.territory import TerritoryVectorEnv

    env = TerritoryVectorEnv(num_envs=NUM_ENVS, preset="standard", num_threads=num_threads, rules=rules)
    obs, _ = env.reset(seed=0)
    rows = np.arange(NUM_ENVS)

    def policy(o):
        # First valid attack of each env (WAIT when none): cheap, and keeps the board busy.
        m = o["action_mask"].copy()
        m[:, 40:] = 0
        a = m.argmax(axis=1)
        return np.where(m[rows, a] > 0, a, 40)

    for _ in range(warmup):
        obs, *_ = env.step(policy(obs))
    start = time.perf_counter()
    for _ in range(steps):
        obs, *_ = env.step(policy(obs))
    rate = steps * NUM_ENVS / (time.perf_counter() - start)
    env.close()
    return rate


def warm_env() -> None:
    """Compile (or load) every kernel the env calls, including those first met when a game ends."""
    from botarena.envs.territory import TerritoryVectorEnv

    env = TerritoryVectorEnv(num_envs=2, preset="duel", max_episode_steps=3)
    env.reset(seed=0)
    for _ in range(4):
        env.step(np.full(2, 40))
    env.state.alive[0, 0] = 0  # an elimination: the placement kernel runs too
    env.invalidate_cache()
    env.step(np.full(2, 40))
    env.close()


def pure_python(size: int, players: int, steps: int, warmup: int, num_envs: int) -> float:
    return without_jit("bench_territory", f"b.run_rules({size}, {players}, {steps}, {warmup}, {num_envs})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few steps of everything (smoke test)")
    args = parser.parse_args()
    steps, warmup = (5, 5) if args.quick else (150, 200)
    where = pin_one_core()
    print(f"Territory benchmark: {NUM_ENVS} envs, {SIZE}x{SIZE}, {PLAYERS} players, 4 ticks/step; {where}; "
          f"python {sys.version.split()[0]}")
    t = time.perf_counter()
    run_rules(16, 2, 2, 0, 1, rules=1)
    run_rules(16, 2, 2, 0, 1, rules=2)  # load the numba cache (or compile) outside the timings
    bench_kernels(1, 1, rules=1)
    bench_kernels(1, 1, rules=2)
    warm_env()
    print(f"  (numba load/compile {time.perf_counter() - t:.1f} s)")

    env_rates = {}
    for rules in (2, 1):
        print(f"Territory-v{rules}:")
        env_rate = env_rates[rules] = bench_env(steps, warmup, rules)
        print(f"  TerritoryVectorEnv.step, full observations:     {env_rate:12,.0f} env-steps/s")
        k = bench_kernels(steps, warmup, rules)
        print(f"  kernels: bots + rules + observations + masks:    {k['rules+obs']:12,.0f} env-steps/s")
        print(f"  kernels: bots + rules only:                      {k['rules']:12,.0f} env-steps/s "
              f"({k['attacks']:.2f} attacks running per env; {k['rules_ms'] * 1e3 / NUM_ENVS / k['attacks']:.1f} us "
              f"of bots + rules per running attack per env-step)")
        print(f"  write one observation batch: {k['full_ms']:.2f} ms; copy it: {k['copy_ms']:.2f} ms; "
              f"ratio {k['full_ms'] / k['copy_ms']:.1f}x (map and global alone {k['planes_ms']:.2f} ms, "
              f"{k['planes_ms'] / k['copy_ms']:.1f}x; the rest is the exact action masks)")
        print(f"  the env's path (terrain only after a reset): {k['obs_ms']:.2f} ms; "
              f"ratio {k['obs_ms'] / k['copy_ms']:.1f}x")
        step_ms = NUM_ENVS / env_rate * 1e3
        print(f"  one TerritoryVectorEnv.step of the batch: {step_ms:.2f} ms = {step_ms / k['copy_ms']:.1f}x the copy")
    print(f"v2's env step takes {env_rates[1] / env_rates[2]:.2f}x v1's time")

    # Same games, same mid-game start (30 warm-up decisions), the same 64-env batch for both.
    small, players, py_steps, small_warmup = 32, 4, (2 if args.quick else 20), (2 if args.quick else 30)
    jit_rate = run_rules(small, players, 20 if args.quick else 300, small_warmup, NUM_ENVS)
    py_rate = pure_python(small, players, py_steps, small_warmup, NUM_ENVS)
    print(f"  {small}x{small}, {players} players, bots + rules: jitted {jit_rate:,.0f} env-steps/s, "
          f"NUMBA_DISABLE_JIT=1 {py_rate:,.1f} env-steps/s: speed-up {jit_rate / py_rate:,.0f}x")

    cores = unpin()
    if cores > 1:
        threaded = bench_env(steps, warmup, 2, num_threads=cores)
        print(f"  Territory-v2 TerritoryVectorEnv(num_threads={cores}) on {cores} cores: {threaded:12,.0f} "
              f"env-steps/s ({threaded / env_rates[2]:.1f}x the pinned single thread)")


if __name__ == "__main__":
    main()
