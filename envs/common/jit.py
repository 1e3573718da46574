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
"""

from __future__ import annotations

NO_NRT = {"cache": True, "nogil": True, "_nrt": False}
