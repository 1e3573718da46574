"""Every helper a ``NO_NRT`` kernel calls without inlining is ``NO_NRT`` too (see ``envs/common/jit.py``).

A non-inlined helper first compiled with NRT would be linked into the ``NO_NRT`` kernel as it is, reference
counting and allocations included, so the kernel would lose both its speed and its no-allocation guarantee
depending on compile order.
"""

from __future__ import annotations

import types

import pytest
from numba.core.registry import CPUDispatcher

from botarena.envs.click_arena import bots as arena_bots
from botarena.envs.click_arena import core as arena_core
from botarena.envs.click_arena import observe as arena_observe
from botarena.envs.common import motor, rng
from botarena.envs.common.jit import KernelHelperDispatcher
from botarena.envs.territory import bots as territory_bots
from botarena.envs.territory import core as territory_core
from botarena.envs.territory import observe as territory_observe
from botarena.envs.tick_duel import bots as duel_bots
from botarena.envs.tick_duel import core as duel_core
from botarena.envs.tick_duel import observe as duel_observe

MODULES = (territory_core, territory_observe, territory_bots, arena_core, arena_observe, arena_bots, duel_core,
           duel_observe, duel_bots, motor, rng)


def _is_no_nrt(d: CPUDispatcher) -> bool:
    return d.targetoptions.get("_nrt") is False


def _is_inlined(d: CPUDispatcher) -> bool:
    return d.targetoptions.get("inline") == "always"


def _callees(d: CPUDispatcher) -> set[CPUDispatcher]:
    """The jitted functions ``d``'s source names: globals, and attributes of the modules it imports."""
    code = d.py_func.__code__
    names = set(code.co_names)
    for const in code.co_consts:  # nested code objects (comprehensions, closures) name callees too
        if isinstance(const, types.CodeType):
            names |= set(const.co_names)
    found = set()
    for name in names:
        obj = d.py_func.__globals__.get(name)
        if isinstance(obj, CPUDispatcher):
            found.add(obj)
        elif isinstance(obj, types.ModuleType):
            for attr in names:
                sub = getattr(obj, attr, None)
                if isinstance(sub, CPUDispatcher):
                    found.add(sub)
    return found


def test_no_nrt_kernels_only_call_no_nrt_or_inlined_helpers():
    kernels = {obj for m in MODULES for obj in vars(m).values() if isinstance(obj, CPUDispatcher)}
    if not kernels:
        pytest.skip("NUMBA_DISABLE_JIT=1: nothing is compiled")
    roots = [k for k in kernels if _is_no_nrt(k)]
    assert len(roots) > 50  # the step paths of all three games
    problems = set()
    for root in roots:
        seen, todo = set(), [root]
        while todo:
            d = todo.pop()
            for callee in _callees(d):
                if callee in seen or callee is d:
                    continue
                seen.add(callee)
                if _is_inlined(callee):
                    todo.append(callee)  # compiled into the caller: its own callees count
                elif not _is_no_nrt(callee):
                    problems.add(f"{root.__name__} -> {callee.__module__}.{callee.__name__}")
    assert not problems, "NO_NRT kernels call helpers compiled with NRT: " + ", ".join(sorted(problems))


def test_a_kernel_helper_runs_inside_kernels_and_refuses_a_call_from_python():
    helpers = [obj for m in MODULES for obj in vars(m).values() if isinstance(obj, KernelHelperDispatcher)]
    if not helpers:
        pytest.skip("NUMBA_DISABLE_JIT=1: helpers are plain functions")
    assert len(helpers) > 40  # the games' inner helpers, compiled without a Python entry point
    assert all(_is_no_nrt(h) for h in helpers)
    assert territory_core.capture_enclaves in helpers  # every Territory step runs it (the games' own tests)
    with pytest.raises(TypeError, match=r"core\.capture_enclaves is a @kernel_helper.*call it from a numba kernel"):
        territory_core.capture_enclaves(None, 0)  # numba alone would crash the interpreter here
