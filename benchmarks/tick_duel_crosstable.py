"""TickDuel's scripted players head to head, under each rule set: the score rate of every pair.

Each pair plays ``--duels`` mirrored duels (builds max, zerker, pure in turn, the same for both seats) in each seat
order, 500 ticks at most; a duel that runs out of ticks goes to the larger share of hitpoints left, as on the
leaderboard. Prints a crosstable per rule set, the row bot's score rate (win 1, draw 1/2) against the column bot,
so TickDuel-v1 can be read beside TickDuel-v0 (the leaderboard itself plays only the current version).

    python benchmarks/tick_duel_crosstable.py            # ~1 minute on a 2-core machine (after numba caching)
"""

from __future__ import annotations

import argparse

import numpy as np

from botarena.envs.common.rng import batch_seeds, seed_words
from botarena.envs.tick_duel import bots, core

ORDER = (bots.BOT_TICK_PERFECT, bots.BOT_NH_FAST, bots.BOT_NH_EXPERT, bots.BOT_NH_SLOPPY, bots.BOT_RANDOM)
TICKS = 500


def score_rate(first: int, second: int, duels: int, rules: int, seed: int) -> float:
    """Seat 0's score rate over ``duels`` duels of bot ``first`` against bot ``second``."""
    s = core.DuelState.allocate(duels, rules)
    s.rng_state[:] = seed_words(batch_seeds(seed, duels))
    builds = np.array([[k % core.NUM_BUILDS] * 2 for k in range(duels)], np.int64)
    core.reset_envs(s, np.ones(duels, np.bool_), builds, np.zeros(duels, np.bool_))
    policies = np.tile(np.array([first, second], np.int8), (duels, 1))
    events = np.zeros((duels, 2, 64, core.EVENT_FIELDS), np.float32)
    counts = np.zeros((duels, 2), np.int64)
    active = np.ones(duels, np.bool_)
    plan, order = bots.new_plan(), np.zeros(64, np.int64)
    for _ in range(TICKS):
        counts[:] = 0
        bots.bot_events(s, policies, events, counts, active, plan)
        core.step_envs(s, events, counts, active, order)
    winner = s.winner.copy()
    timeout = winner == core.WINNER_NONE
    share0 = s.hp[:, 0] * s.stats[:, 1, core.S_HP]  # cross-multiplied shares of hitpoints left
    share1 = s.hp[:, 1] * s.stats[:, 0, core.S_HP]
    winner[timeout] = np.where(share0 > share1, 0, np.where(share1 > share0, 1, core.DRAW))[timeout]
    return float((winner == 0).mean() + 0.5 * (winner == core.DRAW).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duels", type=int, default=192, help="duels per pair and seat order (default 192)")
    args = parser.parse_args()
    names = [bots.BOT_NAMES[b] for b in ORDER]
    for rules in core.RULE_SETS:
        print(f"TickDuel-v{rules}: score rate of the row bot against the column bot ({args.duels} duels in each "
              "seat order, mirrored builds)")
        print(" " * 17 + "".join(f"{n:>18}" for n in names))
        for a in ORDER:
            cells = []
            for b in ORDER:
                if a == b:
                    cells.append(f"{'-':>18}")
                    continue
                as_first = score_rate(a, b, args.duels, rules, seed=11)
                as_second = 1.0 - score_rate(b, a, args.duels, rules, seed=12)
                cells.append(f"{(as_first + as_second) / 2:>18.2f}")
            print(f"{bots.BOT_NAMES[a]:>17}" + "".join(cells))


if __name__ == "__main__":
    main()
