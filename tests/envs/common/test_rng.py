"""The counter RNG: SplitMix64 bit-exact, seeded through SeedSequence, same stream in any process."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from botarena.envs.common import rng

MASK64 = (1 << 64) - 1


def splitmix64_reference(state: int) -> tuple[int, int]:
    """Steele et al.'s SplitMix64 in plain Python integers: the slow truth."""
    state = (state + 0x9E3779B97F4A7C15) & MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return state, z ^ (z >> 31)


def test_next_u64_matches_the_published_splitmix64_sequence():
    state = np.zeros(1, np.uint64)
    # First output of SplitMix64 from state 0 (the value every reference implementation prints).
    assert int(rng.next_u64(state, 0)) == 0xE220A8397B1DCDAF
    ref_state = 0x9E3779B97F4A7C15
    for _ in range(1000):
        ref_state, want = splitmix64_reference(ref_state)
        assert int(rng.next_u64(state, 0)) == want
    assert int(state[0]) == ref_state


def test_each_env_advances_only_its_own_word():
    state = rng.seed_words([1, 2, 3])
    before = state.copy()
    rng.uniform(state, 1)
    assert state[0] == before[0] and state[2] == before[2] and state[1] != before[1]


def test_same_seed_same_stream_and_different_seeds_differ():
    a, b, c = rng.seed_words([7]), rng.seed_words([7]), rng.seed_words([8])
    draws_a = [rng.uniform(a, 0) for _ in range(50)]
    assert draws_a == [rng.uniform(b, 0) for _ in range(50)]
    assert draws_a != [rng.uniform(c, 0) for _ in range(50)]


def test_distributions_have_the_right_moments():
    state = rng.seed_words([123])
    u = np.array([rng.uniform(state, 0) for _ in range(20000)])
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.01
    k = np.array([rng.randint(state, 0, 6) for _ in range(12000)])
    assert set(np.unique(k)) == set(range(6))
    assert np.all(np.abs(np.bincount(k) / len(k) - 1 / 6) < 0.02)
    z = np.array([rng.normal(state, 0) for _ in range(20000)])
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1.0) < 0.03
    values = np.arange(10)
    rng.shuffle_inplace(state, 0, values)
    assert sorted(values.tolist()) == list(range(10))


def test_batch_seeds_follow_gymnasiums_seed_plus_index_convention():
    assert rng.batch_seeds(10, 3).tolist() == [10, 11, 12]
    assert rng.seed_words([11])[0] == rng.seed_words(rng.batch_seeds(10, 3))[1]
    with pytest.raises(ValueError, match=r"seed must be an int >= 0, got -1"):
        rng.batch_seeds(-1, 2)


def test_the_stream_is_the_same_in_another_process():
    code = ("from botarena.envs.common import rng; s = rng.seed_words([42]); "
            "print([int(rng.next_u64(s, 0)) for _ in range(5)])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    state = rng.seed_words([42])
    assert out.strip() == str([int(rng.next_u64(state, 0)) for _ in range(5)])
