"""The shared human motor model: each kernel's formula and the distributions of its random draws."""

from __future__ import annotations

import math

import numpy as np
import pytest

from botarena.envs.common import motor
from botarena.envs.common.rng import seed_words


def _stream(seed: int) -> np.ndarray:
    return seed_words([seed])


def test_fitts_time_is_shannon_form():
    assert motor.fitts_time(0.0, 20.0, 0.1, 0.15) == pytest.approx(0.1)
    assert motor.fitts_time(300.0, 20.0, 0.1, 0.15) == pytest.approx(0.1 + 0.15 * math.log2(16.0))
    # Farther or smaller targets take longer.
    assert motor.fitts_time(400.0, 20.0, 0.1, 0.15) > motor.fitts_time(200.0, 20.0, 0.1, 0.15)
    assert motor.fitts_time(200.0, 10.0, 0.1, 0.15) > motor.fitts_time(200.0, 20.0, 0.1, 0.15)


def test_minimum_jerk_path_starts_ends_and_is_symmetric():
    assert motor.minimum_jerk_position(3.0, 13.0, 0.0) == 3.0
    assert motor.minimum_jerk_position(3.0, 13.0, 1.0) == pytest.approx(13.0)
    assert motor.minimum_jerk_position(3.0, 13.0, 0.5) == pytest.approx(8.0)
    taus = np.linspace(0.0, 1.0, 101)
    path = np.array([motor.minimum_jerk_position(0.0, 1.0, t) for t in taus])
    assert np.all(np.diff(path) >= 0.0)  # monotone: no overshoot
    speed = np.diff(path)
    assert speed.argmax() in (49, 50)  # bell-shaped speed, peak at mid-movement
    assert speed[0] < 0.01 * speed.max() and speed[-1] < 0.01 * speed.max()


def test_reaction_and_pause_times_are_lognormal_with_their_median():
    state = _stream(7)
    draws = np.array([motor.reaction_time(state, 0, 250.0, 0.3) for _ in range(20_000)])
    assert np.all(draws > 0.0)
    assert np.median(draws) == pytest.approx(250.0, rel=0.03)
    assert np.std(np.log(draws)) == pytest.approx(0.3, rel=0.05)
    pauses = np.array([motor.pause_time(state, 0, 70.0, 0.4) for _ in range(20_000)])
    assert np.median(pauses) == pytest.approx(70.0, rel=0.03)


def test_click_scatter_has_sd_width_over_divisor():
    state = _stream(3)
    draws = np.array([motor.click_scatter(state, 0, 30.0, 6.0) for _ in range(20_000)])
    assert abs(draws.mean()) < 0.1
    assert draws.std() == pytest.approx(5.0, rel=0.03)


def test_draws_follow_the_seed_alone():
    a, b = _stream(11), _stream(11)
    assert [motor.click_scatter(a, 0, 10.0, 4.0) for _ in range(5)] == \
        [motor.click_scatter(b, 0, 10.0, 4.0) for _ in range(5)]


def test_needs_correction_only_after_a_miss_and_within_the_limit():
    assert motor.needs_correction(12.0, 10.0, 0, 2)
    assert not motor.needs_correction(8.0, 10.0, 0, 2)
    assert not motor.needs_correction(12.0, 10.0, 2, 2)
