"""What every benchmark script shares: pinning to one core, timing calls, and timing the same code without numba.

Imported by the ``bench_*.py`` scripts beside it (they run with this folder first on ``sys.path``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
_ALL_CPUS: set[int] | None = None  # the affinity before pin_one_core, for the multi-core figures


def times_ms(fn, repeats: int) -> np.ndarray:
    """Milliseconds of each of ``repeats`` calls of ``fn()``."""
    out = np.empty(repeats)
    for i in range(repeats):
        start = time.perf_counter()
        fn()
        out[i] = time.perf_counter() - start
    return out * 1e3


def pin_one_core() -> str:
    """Pin this process to one CPU (the benchmarks' aims are per core); says where, for the printout."""
    global _ALL_CPUS
    if hasattr(os, "sched_setaffinity"):
        _ALL_CPUS = set(os.sched_getaffinity(0))
        cpu = min(_ALL_CPUS)
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


def unpin() -> int:
    """Undo ``pin_one_core``; returns how many CPUs this process may now use."""
    if _ALL_CPUS is not None:
        os.sched_setaffinity(0, _ALL_CPUS)
        return len(_ALL_CPUS)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def without_jit(module: str, expression: str, **env_vars: str) -> float:
    """Evaluate ``expression`` (a rate, using ``module`` imported as ``b``) in a subprocess under
    ``NUMBA_DISABLE_JIT=1``: the pure-Python speed of the same code."""
    code = f"import sys; sys.path.insert(0, {HERE!r}); import {module} as b; print({expression})"
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONWARNINGS="ignore", **env_vars)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])
