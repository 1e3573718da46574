"""Helpers shared by the Territory tests: hand-built states and a seeded bot game that prints its hashes.

Run as a script (``python territory_helpers.py SIZE PLAYERS STEPS SEED``) it plays a bot game and prints one
state hash per 50 steps; the jit-vs-Python test runs it under ``NUMBA_DISABLE_JIT=1``.
"""

from __future__ import annotations

import hashlib
import sys

import numpy as np

from botarena.envs.common import rng
from botarena.envs.territory import bots, core, mapgen, observe

CHARS = {".": (core.PLAINS, core.NEUTRAL), "h": (core.HILLS, core.NEUTRAL), "c": (core.CITY, core.NEUTRAL),
         "~": (core.WATER, core.IMPASSABLE), "^": (core.MOUNTAIN, core.IMPASSABLE)}


def build_state(rows: list[str], num_players: int = 2, troops: int | list[int] = 10_000,
                tile_scale: float = 1.0, rules: int = core.RULES_V1) -> core.TerritoryState:
    """One env from a picture: '.' plains, 'h' hills, 'c' city, '~' water, '^' mountain, '0'-'7' owned plains.

    Upper-case 'A'-'H' are cities owned by players 0-7. ``tile_scale`` is forced (1.0 makes a neutral plains
    tile cost exactly 80 / 5 = 16 troops). Mountains are impassable under ``rules`` v1, neutral land under v2.
    """
    h = len(rows)
    w = len(rows[0])
    s = core.TerritoryState.allocate(1, max(h, 12), max(w, 12), num_players, rules)
    s.terrain[0] = core.WATER
    s.owner[0] = core.IMPASSABLE
    for y, row in enumerate(rows):
        assert len(row) == w
        for x, ch in enumerate(row):
            if ch in CHARS:
                s.terrain[0, y, x], s.owner[0, y, x] = CHARS[ch]
            elif ch.isdigit():
                s.terrain[0, y, x], s.owner[0, y, x] = core.PLAINS, int(ch)
            else:
                s.terrain[0, y, x], s.owner[0, y, x] = core.CITY, ord(ch) - ord("A")
    core.rebuild_derived(s, 0)
    s.tile_scale[0] = tile_scale
    s.troops[0] = troops
    s.att_target[:] = core.NO_ATTACK
    return s


def waits(num_envs: int, num_players: int) -> np.ndarray:
    actions = np.zeros((num_envs, num_players, 3), np.int64)
    actions[:, :, 0] = core.MODE_DIRECTION
    actions[:, :, 1] = core.WAIT
    return actions


def copy_state(s: core.TerritoryState) -> core.TerritoryState:
    return core.TerritoryState(*[a.copy() for a in s])


def seeded_batch(num_envs: int, size: int, num_players: int, seed: int,
                 rules: int = core.LATEST_RULES) -> core.TerritoryState:
    s = core.TerritoryState.allocate(num_envs, size, size, num_players, rules)
    s.rng_state[:] = rng.seed_words(rng.batch_seeds(seed, num_envs))
    mapgen.reset_envs(s, np.ones(num_envs, np.uint8), np.zeros((1, 1), np.uint8), False)
    return s


def play_bot_game(size: int, num_players: int, steps: int, seed: int, every: int = 50,
                  rules: int = core.LATEST_RULES) -> list[str]:
    """A bot-only game (one policy per seat); returns the state hash (plus observation bytes) every ``every``
    steps."""
    s = seeded_batch(2, size, num_players, seed, rules)
    # Seats take the policies from the last (nation) backwards, so even 3 players run the newest bots.
    kinds = len(bots.BOT_NAMES)
    policies = np.array([[(kinds - 1 - p) % kinds for p in range(num_players)]] * 2, np.int8)
    actions = waits(2, num_players)
    seats = np.zeros(2, np.int64)
    map_out = np.zeros((2, observe.obs_channels(rules), size, size), np.uint8)
    glob = np.zeros((2, observe.global_features(rules)), np.float32)
    masks = np.zeros((2, 45), np.int8)
    cmask = np.zeros((2, size * size + 6), np.int8)
    hashes = []
    for t in range(1, steps + 1):
        bots.bot_actions(s, policies, actions)
        core.step_envs(s, actions, 4)
        if t % every == 0:
            observe.write_observations(s, seats, map_out, glob, 4000)
            observe.write_direction_masks(s, seats, masks)
            observe.write_cell_masks(s, seats, cmask)
            digest = hashlib.sha256(s.state_hash().encode())
            for arr in (map_out, glob, masks, cmask):
                digest.update(arr.tobytes())
            hashes.append(digest.hexdigest()[:16])
    return hashes


if __name__ == "__main__":
    size, players, steps, seed, rules = (int(a) for a in sys.argv[1:6])
    print(" ".join(play_bot_game(size, players, steps, seed, rules=rules)))
