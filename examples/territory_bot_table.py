"""Every scripted Territory bot from seat 0 against the others: win rate and mean placement, per rule set.

Each bot plays ``--seeds`` games (seeds 0..N-1 of ``rng.batch_seeds``) in the standard preset (128x128, 5 players)
against the mixed opponents, and in the duel preset (64x64) against expander. A game not finished after 1,000
decisions of 4 ticks (the registered truncation) is ranked by ``core.placements``, as the envs rank it.

    python examples/territory_bot_table.py --rules 2        # ~1-3 minutes on one core after numba caching
"""

from __future__ import annotations

import argparse

import numpy as np

from botarena.envs.common import rng
from botarena.envs.territory import bots, core, mapgen

SETTINGS = {"standard vs mixed": (128, 5, None), "duel vs expander": (64, 2, bots.BOT_EXPANDER)}


def play(bot: int, size: int, players: int, opponent: int | None, seeds: int, rules: int,
         decisions: int = 1000) -> np.ndarray:
    """Seat 0's placement in each of ``seeds`` games."""
    s = core.TerritoryState.allocate(seeds, size, size, players, rules)
    s.rng_state[:] = rng.seed_words(rng.batch_seeds(0, seeds))
    mapgen.reset_envs(s, np.ones(seeds, np.uint8), np.zeros((1, 1), np.uint8), False)
    others = [opponent if opponent is not None else bots.mixed_cycle(rules)[i % 4] for i in range(players - 1)]
    policies = np.tile(np.array([bot, *others], np.int8), (seeds, 1))
    actions = np.zeros((seeds, players, 3), np.int64)
    for _ in range(decisions):
        if s.done.all():
            break
        bots.bot_actions(s, policies, actions)
        core.step_envs(s, actions, 4)
    places = np.zeros(players, np.int64)
    out = np.zeros(seeds, np.int64)
    for n in range(seeds):
        core.placements(s, n, places)
        out[n] = places[0]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=2, choices=[1, 2])
    parser.add_argument("--seeds", type=int, default=24)
    parser.add_argument("--decisions", type=int, default=1000, help="truncation (the registered envs: 1,000)")
    args = parser.parse_args()
    print(f"Territory rules v{args.rules}, seat 0, {args.seeds} seeds: win rate (mean placement)\n")
    print("| bot | " + " | ".join(SETTINGS) + " |")
    print("|---|" + "---|" * len(SETTINGS))
    for bot, name in enumerate(bots.BOT_NAMES):
        cells = []
        for size, players, opponent in SETTINGS.values():
            place = play(bot, size, players, opponent, args.seeds, args.rules, args.decisions)
            cells.append(f"{(place == 1).mean():.0%} ({place.mean():.2f})")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
