"""What every benchmark script shares: pinning to one core, and timing the same code without numba.

Imported by the ``bench_*.py`` scripts beside it (they run with this folder first on ``sys.path``).
"""

from __future__ import annotations

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def pin_one_core() -> str:
    """Pin this process to one CPU (the benchmarks' aims are per core); says where, for the printout."""
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


def without_jit(module: str, expression: str, **env_vars: str) -> float:
    """Evaluate ``expression`` (a rate, using ``module`` imported as ``b``) in a subprocess under
    ``NUMBA_DISABLE_JIT=1``: the pure-Python speed of the same code."""
    code = f"import sys; sys.path.insert(0, {HERE!r}); import {module} as b; print({expression})"
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONWARNINGS="ignore", **env_vars)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])
