"""Bad actions never reach a kernel: each gets a ValueError naming the space, the value and the range."""

from __future__ import annotations

import re

import numpy as np
import pytest
from gymnasium import spaces

from botarena.envs.common.validation import check_int, validate_action, validate_batch_action


def test_discrete_accepts_integers_and_integral_floats():
    space = spaces.Discrete(5)
    assert validate_action(space, 3) == 3
    assert validate_action(space, np.float32(4.0)).dtype == np.int64
    assert validate_batch_action(space, [0, 4, 2], 3).tolist() == [0, 4, 2]


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (5, r"5 is outside Discrete\(5\): allowed integers in \[0, 4\]"),
        (-1, r"outside Discrete\(5\)"),
        (np.nan, "NaN or inf"),
        (2.5, "must hold integers"),
        ([1, 2], r"must have shape \(\)"),
        ("left", "must be numeric"),
    ],
)
def test_discrete_rejects_bad_actions_with_a_clear_message(action, message):
    with pytest.raises(ValueError, match=message):
        validate_action(spaces.Discrete(5), action)


def test_box_checks_shape_nan_and_bounds_per_element():
    space = spaces.Box(0.0, 1.0, (4,), np.float32)
    out = validate_action(space, [0.0, 0.5, 1.0, 0.25])
    assert out.dtype == np.float32 and out.flags.c_contiguous
    with pytest.raises(ValueError, match=r"shape \(4,\), got shape \(3,\)"):
        validate_action(space, [0.0, 0.5, 1.0])
    with pytest.raises(ValueError, match="NaN"):
        validate_action(space, [0.0, np.nan, 1.0, 0.0])
    with pytest.raises(ValueError, match=r"element \(2,\) is 1.5, allowed \[0.0, 1.0\]"):
        validate_action(space, [0.0, 0.5, 1.5, 0.0])


def test_batched_box_names_the_env_and_element():
    space = spaces.Box(-1.0, 1.0, (2,), np.float32)
    with pytest.raises(ValueError, match=r"element \(1, 0\) is -2.0"):
        validate_batch_action(space, [[0, 0], [-2, 0]], 2)
    with pytest.raises(ValueError, match=r"shape \(3, 2\)"):
        validate_batch_action(space, [[0, 0], [0, 0]], 3)


def test_multidiscrete_checks_each_factor_against_its_own_range():
    space = spaces.MultiDiscrete([10, 5])
    assert validate_action(space, [9, 4]).tolist() == [9, 4]
    with pytest.raises(ValueError, match=r"element \(1,\) is 5, allowed \[0, 4\]"):
        validate_action(space, [9, 5])


def test_dict_space_checks_keys_then_each_part():
    space = spaces.Dict({"n": spaces.Discrete(3), "events": spaces.Box(0, 1, (2, 2), np.float32)})
    good = validate_action(space, {"n": 1, "events": np.zeros((2, 2))})
    assert good["events"].dtype == np.float32
    with pytest.raises(ValueError, match=r"missing \['events'\]"):
        validate_action(space, {"n": 1})
    with pytest.raises(ValueError, match=r"action\['n'\] 3 is outside Discrete\(3\)"):
        validate_action(space, {"n": 3, "events": np.zeros((2, 2))})
    with pytest.raises(ValueError, match="must be a dict"):
        validate_action(space, [1, 2])


def test_validated_arrays_never_alias_the_callers_array():
    action = np.array([0.1, 0.2], np.float32)
    out = validate_action(spaces.Box(0, 1, (2,), np.float32), action)
    out[0] = 0.9
    assert action[0] == np.float32(0.1)


def test_check_int_returns_a_python_int_and_names_the_argument_and_range():
    assert check_int("num_envs", np.int64(3), 1, 8) == 3 and type(check_int("num_envs", np.int64(3), 1)) is int
    assert check_int("max_cycles", None, 1, optional=True) is None
    for bad in (True, 0, 9, 2.0, "3", None):
        with pytest.raises(ValueError, match=r"num_envs must be an int in \[1, 8\], got"):
            check_int("num_envs", bad, 1, 8)
    with pytest.raises(ValueError, match="max_cycles must be None or an int >= 1, got 0"):
        check_int("max_cycles", 0, 1, optional=True)


@pytest.mark.filterwarnings("error")  # a NumPy cast warning before the error fails the test
@pytest.mark.parametrize(
    ("space", "action", "named"),
    [
        (spaces.Discrete(5), 1e30, "1e+30"),
        (spaces.Discrete(5), -(2.0**63), "-9.223372036854776e+18"),
        (spaces.Discrete(5), np.uint64(2**63 + 5), "9223372036854775813"),  # would wrap negative in int64
        (spaces.MultiDiscrete([3, 4]), np.array([1.0, 1e300]), "1e+300"),
        (spaces.Box(0.0, 1.0, (2,), np.float32), np.array([0.5, 1e300]), "1e+300"),  # float32 overflow
        (spaces.Box(0, 10, (1,), np.int32), np.array([2**40]), "1099511627776"),  # int32 wraparound
    ],
)
def test_values_beyond_the_kernel_dtype_are_refused_before_the_cast_naming_the_value_sent(space, action, named):
    with pytest.raises(ValueError, match=rf"outside .*{re.escape(named)}|{re.escape(named)} is outside"):
        validate_action(space, action)
