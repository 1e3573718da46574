"""Shared pytest set-up: headless pygame, and numba kernels compiled once per session."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Kernels cache inside the running virtual environment (the Makefile sets the same path), so a fresh
# clone compiles afresh instead of trusting __pycache__ files from some other checkout.
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(sys.prefix) / "numba_cache"))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """Run the suite with one torch thread, as rollout and evaluation workers do.

    On a shared 2-core machine torch's second OpenMP thread waits for a busy core: single small ops that
    take 0.3 ms alone were measured at 0.5 s. One thread is also faster for tensors this small.
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session", autouse=True)
def warm_numba_kernels():
    """Compile (or load from NUMBA_CACHE_DIR) every game's kernels once, before the first test.

    Without this the first test of each game pays the compile and timing-sensitive tests look slow.
    """
    import gymnasium as gym

    from botarena.envs import GAMES

    for spec in GAMES.values():
        envs = gym.make_vec(spec.env_id, num_envs=2)
        envs.reset(seed=0)
        envs.action_space.seed(0)
        envs.step(envs.action_space.sample())
        envs.close()
    yield
