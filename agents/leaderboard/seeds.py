"""Evaluation seeds: committed lists, kept apart from every training seed, and per-episode agent seeds.

Map/episode seeds are fixed lists generated once from ``np.random.SeedSequence(EVAL_ENTROPY)`` and
written out in full below, so that a change of NumPy cannot move them. They lie in
``[2**40, 2**41)``; training code draws its seeds below ``2**32`` (``TRAINING_SEED_LIMIT``), so no
evaluation game is ever seen in training. Every agent plays the same seeds (paired comparisons).

An agent's own randomness per episode comes from ``SeedSequence`` keyed by (agent, game, episode),
with the names turned into integers by SHA-256, never Python's salted ``hash()``.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["EVAL_SEEDS", "eval_seeds", "agent_seed", "seed_list_hash", "TRAINING_SEED_LIMIT"]

TRAINING_SEED_LIMIT = 2**32
EVAL_ENTROPY = 0x0B07A12E_4A_2026  # documents where the lists below came from

# np.random.SeedSequence(EVAL_ENTROPY).generate_state(64, np.uint64) % 2**40 + 2**40, per game offset.
EVAL_SEEDS: dict[str, tuple[int, ...]] = {}


def _generate(game_index: int, count: int = 64) -> tuple[int, ...]:
    words = np.random.SeedSequence([EVAL_ENTROPY, game_index]).generate_state(count, dtype=np.uint64)
    return tuple(int(w) % 2**40 + 2**40 for w in words)


# A game's index is part of its seeds, so it is written here, not taken from the order of botarena.envs.GAMES
# (which may change): a new game takes the next free index; an index is never reused.
EVAL_SEED_INDEX = {"territory": 0, "click_arena": 1, "tick_duel": 2}
for _game, _index in EVAL_SEED_INDEX.items():
    EVAL_SEEDS[_game] = _generate(_index)


def eval_seeds(game: str, count: int) -> list[int]:
    """The first ``count`` evaluation seeds of ``game``."""
    if game not in EVAL_SEEDS:
        raise KeyError(f"no evaluation seeds for game {game!r}; games: {sorted(EVAL_SEEDS)}")
    seeds = EVAL_SEEDS[game]
    if not 1 <= count <= len(seeds):
        raise ValueError(f"episodes must be in [1, {len(seeds)}] for {game}, got {count}")
    return list(seeds[:count])


def _name_int(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")


def agent_seed(agent: str, game: str, episode: int) -> int:
    """The seed an agent is reset with for one evaluation episode."""
    seq = np.random.SeedSequence([_name_int(agent), _name_int(game), int(episode)])
    return int(seq.generate_state(1, dtype=np.uint32)[0])


def seed_list_hash(games: list[str]) -> str:
    """SHA-256 of the seed lists used, recorded in manifest.json."""
    digest = hashlib.sha256()
    for game in sorted(games):
        digest.update(f"{game}:{','.join(map(str, EVAL_SEEDS[game]))};".encode())
    return digest.hexdigest()
