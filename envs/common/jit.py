"""How botarena compiles its numba kernels.

``@njit(**NO_NRT)`` compiles a kernel with ``cache=True`` and ``nogil=True`` and without numba's runtime
(NRT) reference counting. With NRT on, every array view, and every helper that takes arrays (or a state
``NamedTuple`` of arrays) and is not optimised away, pays an atomic incref/decref pair per array. In hot
loops that was most of the cost: 27 % of a Territory step under perf, and turning it off made TickDuel's
rules 4x and ClickArena's expert bot 3x faster, with every game unchanged bit for bit (the jit-vs-pure-Python
tests compare them).

The price is that such a kernel cannot allocate: numba refuses to compile ``np.zeros`` (or anything that
returns a new array) without NRT. That holds for the kernel's own code and its ``inline="always"`` helpers. A
helper that is *not* inlined is compiled on its own, and if it was first compiled with NRT (called from Python,
from an NRT kernel, or loaded from the cache), a ``NO_NRT`` kernel links that version, reference counting and
all. So every non-inlined helper a ``NO_NRT`` kernel calls is ``NO_NRT`` too; ``tests/envs/common/test_no_nrt.py``
checks it for every game. Kernels that must allocate (map generation, wrappers that make a scratch array) use
plain ``@njit(cache=True, nogil=True)`` and may call ``NO_NRT`` kernels, not the other way round.

Compile time: a kernel called from another kernel is compiled once per distinct argument *type*, and numba
types a Python int or bool constant as a literal (``Literal[int](3)``), so ``helper(x, 3)`` and ``helper(x, 4)``
are two compiles. Even ``best = -1`` followed by ``best = q`` in a loop can make numba compile a literal copy
before it settles on int64. Pass plain numpy scalars between kernels instead: named ``np.int64(...)`` /
``np.bool_(...)`` constants, ``np.int64(0)`` initialisers, ``np.int64(arr[i])`` for a narrow array element.
In Territory this cut a cold compile from 108 s to 75 s (``_try_cell`` alone had ten copies); list a game's
duplicate compiles with ``[d for d in kernels if len(d.overloads) > 1]`` after one warm-up.

``@kernel_helper`` is ``NO_NRT`` for a function that only other kernels call. numba gives every compiled function
a CPython entry wrapper that unboxes its arguments; for a state ``NamedTuple`` of 30 to 40 arrays that wrapper
alone took about 0.3 s of each helper's cold compile, and a helper never called from Python does not need it.
Calling a helper from Python raises ``TypeError`` (numba itself would crash: there is no entry point to call).
Cold compiles of each game's warm-up on one core (2026-12-07): Territory 41.5 -> 36.0 s, ClickArena 32.7 -> 24.6 s,
TickDuel 64-72 -> 62 s (the rest of TickDuel's is its rules, inlined into one kernel).
Inlining costs compile time too: an ``inline="always"`` helper is pasted into its caller's numba IR, so the
caller's type inference grows with it. That stays where the speed needs it (TickDuel's rules ran 3.6x slower
with their helpers called instead of inlined; LLVM does not inline numba calls that carry a whole state).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numba import config
from numba.core.registry import CPUDispatcher

NO_NRT = {"cache": True, "nogil": True, "_nrt": False}


class KernelHelperDispatcher(CPUDispatcher):
    """A ``NO_NRT`` dispatcher compiled without a Python entry point: kernels call it, Python cannot."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{self.py_func.__module__}.{self.py_func.__qualname__} is a @kernel_helper: it has no "
                        "Python entry point, so call it from a numba kernel (or under NUMBA_DISABLE_JIT=1)")


def kernel_helper(func: Callable[..., Any]) -> Callable[..., Any]:
    """Compile ``func`` like ``@njit(**NO_NRT)``, to be called from other kernels only (see the module docstring)."""
    if config.DISABLE_JIT:
        return func
    helper = KernelHelperDispatcher(py_func=func, targetoptions={"nogil": True, "_nrt": False,
                                                                 "no_cpython_wrapper": True,
                                                                 "no_cfunc_wrapper": True})
    helper.enable_caching()
    return helper
