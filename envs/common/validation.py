"""Check actions against their space before they reach a numba kernel.

A numba kernel given a float where it expects an int, an index out of range or a NaN does not raise: it
reads past an array or silently corrupts the state. So every env validates at the Python boundary and
hands the kernel arrays of exactly the dtype it was compiled for. Errors name the space, what was
received and what is allowed, so the user can fix the call without reading our source.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

__all__ = ["validate_action", "validate_batch_action", "kernel_dtype", "describe_space", "check_int"]


def check_int(name: str, value: Any, low: int | None = None, high: int | None = None, *,
              optional: bool = False) -> int | None:
    """``value`` as a Python int, or a ``ValueError`` naming the argument, the value and the allowed range.

    Accepts Python and NumPy integers (never ``bool``, which Python counts as an int). ``low`` and ``high`` are
    inclusive; ``optional=True`` lets ``None`` through unchanged.
    """
    if value is None and optional:
        return None
    in_range = (low is None or value >= low) and (high is None or value <= high) if _is_int(value) else False
    if not in_range:
        if low is not None and high is not None:
            allowed = f"an int in [{low}, {high}]"
        elif low is not None:
            allowed = f"an int >= {low}"
        elif high is not None:
            allowed = f"an int <= {high}"
        else:
            allowed = "an int"
        raise ValueError(f"{name} must be {'None or ' if optional else ''}{allowed}, got {value!r}")
    return int(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def describe_space(space: spaces.Space) -> str:
    """The space, short: a Box with per-element bounds is named by shape and dtype, not its whole bound arrays."""
    if isinstance(space, spaces.Box) and space.low.size > 8:
        low, high = np.unique(space.low), np.unique(space.high)
        if low.size == 1 and high.size == 1:
            return f"Box({low[0]}, {high[0]}, {space.shape}, {space.dtype})"
        return f"Box(shape={space.shape}, dtype={space.dtype}, per-element bounds)"
    if isinstance(space, spaces.Dict):
        return "Dict(" + ", ".join(f"{k!r}: {describe_space(v)}" for k, v in space.spaces.items()) + ")"
    return str(space)


def _brief(value: Any) -> str:
    """A value for an error message: large arrays are summarised, not printed whole."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        return repr(value)[:200]
    if arr.dtype != object and arr.size > 16:
        return np.array2string(arr, threshold=16, edgeitems=2)
    return repr(value)[:200]


def kernel_dtype(space: spaces.Space) -> np.dtype:
    """The dtype a kernel receives for a space: int64 for discrete spaces, the space's dtype for a Box."""
    if isinstance(space, (spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary)):
        return np.dtype(np.int64)
    if isinstance(space, spaces.Box):
        return space.dtype
    raise TypeError(f"no kernel dtype for space {describe_space(space)}")


def validate_action(space: spaces.Space, action: Any, *, name: str = "action") -> Any:
    """Validate one (unbatched) action against ``space``; return it as contiguous kernel-dtype arrays."""
    return _validate(space, action, batch_shape=(), name=name)


def validate_batch_action(space: spaces.Space, actions: Any, num_envs: int, *, name: str = "actions") -> Any:
    """Validate a batch of actions, one per env, against the *single* action ``space``."""
    return _validate(space, actions, batch_shape=(num_envs,), name=name)


def _validate(space: spaces.Space, value: Any, batch_shape: tuple[int, ...], name: str) -> Any:
    if isinstance(space, spaces.Dict):
        if not isinstance(value, dict):
            raise ValueError(f"{name} must be a dict with keys {sorted(space.spaces)} for {describe_space(space)}, "
                             f"got {type(value).__name__}")
        missing = set(space.spaces) - set(value)
        extra = set(value) - set(space.spaces)
        if missing or extra:
            raise ValueError(f"{name} keys do not match {describe_space(space)}: missing {sorted(missing)}, "
                             f"unexpected {sorted(extra)}")
        return {key: _validate(sub, value[key], batch_shape, f"{name}[{key!r}]")
                for key, sub in space.spaces.items()}
    if isinstance(space, spaces.Tuple):
        if not isinstance(value, (tuple, list)) or len(value) != len(space.spaces):
            raise ValueError(f"{name} must be a tuple of {len(space.spaces)} parts for {describe_space(space)}, "
                             f"got {_brief(value)}")
        return tuple(_validate(sub, v, batch_shape, f"{name}[{i}]")
                     for i, (sub, v) in enumerate(zip(space.spaces, value, strict=True)))
    # Integer actions are range-checked in the caller's dtype, then cast: a float or uint64 beyond int64 would
    # otherwise wrap (or warn) in the cast and the error would name a value the caller never sent.
    if isinstance(space, spaces.Discrete):
        arr = _as_integer_array(space, value, batch_shape, name)
        low, high = int(space.start), int(space.start + space.n - 1)
        _check_integer_range(space, arr, low, high, name)
        return _kernel_ints(arr)
    if isinstance(space, spaces.MultiDiscrete):
        arr = _as_integer_array(space, value, batch_shape + space.shape, name)
        low = np.asarray(space.start, dtype=np.int64)
        high = low + np.asarray(space.nvec, dtype=np.int64) - 1
        bad = (arr < low) | (arr > high)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(f"{name} is outside {describe_space(space)}: element {where} is {arr[where]}, allowed "
                             f"[{np.broadcast_to(low, arr.shape)[where]}, {np.broadcast_to(high, arr.shape)[where]}]")
        return _kernel_ints(arr)
    if isinstance(space, spaces.MultiBinary):
        arr = _as_integer_array(space, value, batch_shape + tuple(np.atleast_1d(space.n)), name)
        _check_integer_range(space, arr, 0, 1, name)
        return _kernel_ints(arr)
    if isinstance(space, spaces.Box):
        return _validate_box(space, value, batch_shape, name)
    raise TypeError(f"cannot validate {name} for unsupported space {describe_space(space)}")


def _as_array(space: spaces.Space, value: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} for {describe_space(space)} must be array-like of shape {shape}, "
                         f"got {_brief(value)}") from err
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} for {describe_space(space)} must be numeric, got dtype {arr.dtype} ({_brief(value)})")
    if arr.shape != shape:
        raise ValueError(f"{name} for {describe_space(space)} must have shape {shape}, got shape {arr.shape}")
    return arr


def _as_integer_array(space: spaces.Space, value: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
    """The value as a numeric array of the right shape holding whole numbers, still in the caller's dtype."""
    arr = _as_array(space, value, shape, name)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} for {describe_space(space)} contains NaN or inf: {_brief(value)}")
        if not np.all(arr == np.round(arr)):
            raise ValueError(f"{name} for {describe_space(space)} must hold integers, got {_brief(value)}")
    return arr


def _kernel_ints(arr: np.ndarray) -> np.ndarray:
    """A range-checked integer action as the kernels' int64, a copy: never aliases the caller's array."""
    return np.array(arr, dtype=np.int64, order="C")


def _check_integer_range(space: spaces.Space, arr: np.ndarray, low: int, high: int, name: str) -> None:
    bad = (arr < low) | (arr > high)
    if bad.any():
        first = arr[bad].flat[0]
        raise ValueError(f"{name} {first} is outside {describe_space(space)}: allowed integers in [{low}, {high}]")


def _validate_box(space: spaces.Box, value: Any, batch_shape: tuple[int, ...], name: str) -> np.ndarray:
    arr = _as_array(space, value, batch_shape + space.shape, name)
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise ValueError(f"{name} for {describe_space(space)} contains NaN or inf: element {where} is {arr[where]}")
    limits = np.finfo(space.dtype) if space.dtype.kind == "f" else np.iinfo(space.dtype)
    unrepresentable = (arr < limits.min) | (arr > limits.max)  # the cast would overflow (to inf, or wrap)
    if unrepresentable.any():
        where = tuple(int(i) for i in np.argwhere(unrepresentable)[0])
        raise ValueError(f"{name} is outside {describe_space(space)}: element {where} is {arr[where]}, "
                         f"allowed [{np.broadcast_to(space.low, arr.shape)[where]}, "
                         f"{np.broadcast_to(space.high, arr.shape)[where]}]")
    arr = np.array(arr, dtype=space.dtype, order="C")
    low = np.broadcast_to(space.low, arr.shape)
    high = np.broadcast_to(space.high, arr.shape)
    bad = (arr < low) | (arr > high)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name} is outside {describe_space(space)}: element {where} is {arr[where]}, "
                         f"allowed [{low[where]}, {high[where]}]")
    return arr
