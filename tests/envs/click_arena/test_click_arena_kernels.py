"""The jitted kernels against pure-Python runs, determinism, and the scripted bots' strength."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from click_arena_helpers import play_bot_game

from botarena.envs.click_arena import bots, core
from botarena.envs.common import rng

HERE = Path(__file__).parent


def test_jitted_kernels_equal_pure_python_runs():
    # Three arenas on "hard", expert / aimbot / random ships two by two, 600 frames (10 s), with observations
    # and pixels hashed every 100 frames.
    jitted = play_bot_game(600, seed=7)
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONWARNINGS="ignore")
    out = subprocess.run([sys.executable, str(HERE / "click_arena_helpers.py"), "600", "7"],
                         capture_output=True, text=True, env=env, timeout=900, check=True)
    assert out.stdout.split() == jitted


def test_same_seed_same_game_and_different_seeds_differ():
    assert play_bot_game(300, seed=3) == play_bot_game(300, seed=3)
    assert play_bot_game(300, seed=3) != play_bot_game(300, seed=4)


def _bot_scores(name: str, num_envs: int = 8, seconds: int = 120, seed: int = 100) -> np.ndarray:
    s = core.ArenaState.allocate(num_envs, core.make_params("standard", "human"), 1)
    s.rng_state[:] = rng.seed_words(rng.batch_seeds(seed, num_envs))
    b = bots.BotState.allocate(num_envs)
    mask = np.ones(num_envs, np.uint8)
    core.reset_envs(s, mask)
    bots.reset_bots(s, b, mask)
    pol = bots.policy_ids({0: name}, num_envs)
    actions = np.zeros((num_envs, core.MAX_SHIPS, 4), np.float32)
    for _ in range(seconds * core.FPS):
        alive = s.ship_alive[:, 0].copy()
        bots.bot_actions(s, b, pol, actions, alive)
        core.step_envs(s, actions, alive)
    return s.ship_credits[:, 0].copy()


def test_expert_and_aimbot_beat_random_by_a_wide_margin():
    expert = _bot_scores("expert")
    random = _bot_scores("random")
    aimbot = _bot_scores("aimbot")
    # credits after two minutes on "standard", eight arenas: the expert earns about 15,000, random about 500
    assert expert.mean() > 10 * max(random.mean(), 400.0)
    assert (expert > random).all()
    assert aimbot.mean() > 10 * max(random.mean(), 400.0)


def test_the_expert_hand_needs_corrections_and_the_teleporting_aimbot_never_misses():
    # Clicks aimed at aliens: how many lock one, and (expert) how many needed a corrective submovement.
    n = 8
    for name, cursor in (("expert", "human"), ("aimbot", "teleport")):
        s = core.ArenaState.allocate(n, core.make_params("standard", cursor), 1)
        s.rng_state[:] = rng.seed_words(rng.batch_seeds(0, n))
        b = bots.BotState.allocate(n)
        mask = np.ones(n, np.uint8)
        core.reset_envs(s, mask)
        bots.reset_bots(s, b, mask)
        pol = bots.policy_ids({0: name}, n)
        actions = np.zeros((n, core.MAX_SHIPS, 4), np.float32)
        alien_clicks = hits = corrected = 0
        for _ in range(60 * core.FPS):
            alive = s.ship_alive[:, 0].copy()
            bots.bot_actions(s, b, pol, actions, alive)
            press = (actions[:, 0, 2] > 0.5) & (s.ship_click_prev[:, 0] == 0) & (alive == 1)
            aiming_alien = press & (b.operation_kind[:, 0] == bots.TARGET_ALIEN)
            core.step_envs(s, actions, alive)
            alien_clicks += int(aiming_alien.sum())
            hits += int((aiming_alien & (s.ship_lock_kind[:, 0] == core.LOCK_ALIEN)).sum())
            corrected += int((aiming_alien & (b.corrections[:, 0] > 0)).sum())
        assert alien_clicks > 50
        if name == "expert":
            assert hits / alien_clicks > 0.9
            assert 0.02 < corrected / alien_clicks < 0.8, corrected / alien_clicks
        else:
            assert hits == alien_clicks
