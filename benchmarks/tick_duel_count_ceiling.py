"""How predictable is a tick's event count at all? The demonstrators' own ceiling.

The scripted players' hands are random: mouse reports come every 16-50 ms, reactions and pauses are lognormal.
From one game state the same player makes a different number of events each time its hand is redrawn. So no
model, however good, predicts the count exactly every tick: the best possible exact-match rate at a state is the
probability of the most likely count there (Bayes' rule), and averaged over states it is the ceiling against
which the decoder's "events per tick exact" (target 70 %) and "within +-1" (target 90 %) should be read.

This script measures it: it plays ``--duels`` duels per (player, build) against ``nh_expert`` (seeds
``2**32 + 3e6`` on, held out), and at every ``--every``-th tick copies the state ``--draws`` times, gives each
copy a fresh stream for the player's hand and lets the player plan and move on it. Per state: the most likely
count's share (exact) and the best +-1 window's share (within 1), averaged over the states. A model that
*samples* its events (as the decoder's agent does) is matched against a second draw, not the mode: its ceiling
is the chance two independent hands agree (``sum p(c)^2``, and within 1), printed as the sampler's columns.

    python benchmarks/tick_duel_count_ceiling.py                 # about a minute on a 2-core machine
"""

from __future__ import annotations

import argparse

import numpy as np

from botarena.envs.tick_duel import TickDuelVectorEnv, bots, core

HELD_OUT = 2**32 + 3_000_000


def ceilings(player: str, build: str, duels: int, draws: int, every: int, seed: int) -> dict[str, float]:
    """The player's count ceilings over the states of ``duels`` duels (see the module docstring)."""
    env = TickDuelVectorEnv(duels, build=build, opponent="nh_expert", autoreset_mode="disabled")
    env.policies[:, 0] = bots.bot_id(player)
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    noop = {"n": np.zeros(duels, np.int64), "events": np.zeros((duels, env.max_events, 7), np.float32)}
    policies = np.tile(np.array([bots.bot_id(player), bots.BOT_NONE], np.int8), (draws, 1))
    events = np.zeros((draws, core.NUM_PLAYERS, env.max_events, core.EVENT_FIELDS), np.float32)
    counts = np.zeros((draws, core.NUM_PLAYERS), np.int64)
    plan = bots.new_plan()
    exact, within, mean_count, agree, agree_1 = [], [], [], [], []
    tick = 0
    running = np.ones(duels, np.bool_)
    while running.any():
        if tick % every == 0:
            for i in np.flatnonzero(running):
                copies = core.DuelState(*[np.repeat(a[i:i + 1], draws, axis=0) for a in env.state])
                copies.bot_rng[:, 0] = rng.integers(1, 2**63, draws, dtype=np.uint64)
                counts[:] = 0
                bots.bot_events(copies, policies, events, counts, np.ones(draws, np.bool_), plan)
                freq = np.bincount(counts[:, 0], minlength=env.max_events + 2) / draws
                exact.append(freq.max())
                window = np.convolve(freq, np.ones(3), "same")
                within.append(window.max())
                agree.append(float(freq @ freq))
                agree_1.append(float(freq @ window))
                mean_count.append(counts[:, 0].mean())
        _, _, terminated, truncated, _ = env.step(noop)
        running &= ~(terminated | truncated)
        tick += 1
    env.close()
    return {"states": len(exact), "exact": float(np.mean(exact)), "within_1": float(np.mean(within)),
            "sampler_exact": float(np.mean(agree)), "sampler_within_1": float(np.mean(agree_1)),
            "mean_events": float(np.mean(mean_count))}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--players", default="nh_expert:fast,nh_expert,nh_expert:sloppy")
    p.add_argument("--builds", default="max,zerker,pure")
    p.add_argument("--duels", type=int, default=4)
    p.add_argument("--draws", type=int, default=64)
    p.add_argument("--every", type=int, default=5)
    args = p.parse_args(argv)
    print(f"Events-per-tick ceilings: {args.draws} redraws of the hand per state, every {args.every}th tick of "
          f"{args.duels} held-out duels per (player, build)\n")
    print("| player | build | states | mean events | best exact | best within +-1 | sampler exact | sampler within +-1 "
          "|"
          "\n|---|---|---|---|---|---|---|---|")
    rows = []
    for k, player in enumerate(args.players.split(",")):
        for j, build in enumerate(args.builds.split(",")):
            r = ceilings(player, build, args.duels, args.draws, args.every, HELD_OUT + 100 * k + 10 * j)
            rows.append(r)
            print(f"| {player} | {build} | {r['states']} | {r['mean_events']:.1f} | {r['exact']:.1%} | "
                  f"{r['within_1']:.1%} | {r['sampler_exact']:.1%} | {r['sampler_within_1']:.1%} |", flush=True)
    weights = np.array([r["states"] for r in rows], float)
    for key, what in (("exact", "best exact"), ("within_1", "best within +-1"), ("sampler_exact", "sampler exact"),
                      ("sampler_within_1", "sampler within +-1")):
        values = [r[key] for r in rows]
        print(f"{what}: {np.mean(values):.1%} with every (player, build) weighted equally, "
              f"{np.average(values, weights=weights):.1%} per state")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
