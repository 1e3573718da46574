"""Helpers shared by the ClickArena tests: hand-built states and a seeded bot game that prints its hashes.

Run as a script (``python click_arena_helpers.py STEPS SEED``) it plays a 3-env batch (expert, aimbot and
random ships, two per arena) and prints one state hash per 100 frames and one of the final rgb frame; the
jit-vs-Python test runs it under ``NUMBA_DISABLE_JIT=1``.
"""

from __future__ import annotations

import hashlib
import sys

import numpy as np

from botarena.envs.click_arena import bots, core, observe, render
from botarena.envs.common import rng


def empty_state(num_ships: int = 1, difficulty: str = "standard", cursor: str = "teleport") -> core.ArenaState:
    """One arena with no aliens and no boxes; ship 0 at the map centre with full hull and shield."""
    s = core.ArenaState.allocate(1, core.make_params(difficulty, cursor), num_ships)
    s.rng_state[:] = rng.seed_words([0])
    core.reset_envs(s, np.ones(1, np.uint8))
    s.al_alive[:] = 0
    s.al_respawn[:] = 1e9
    s.box_alive[:] = 0
    s.box_respawn[:] = 1e9
    s.ship_x[0, 0] = s.ship_y[0, 0] = 1000.0
    s.ship_tx[0, 0] = s.ship_ty[0, 0] = 1000.0
    return s


def put_alien(s: core.ArenaState, a: int, x: float, y: float, kind: int = core.KIND_MEDIUM) -> None:
    """A passive alien at (x, y) that stays put (its wander waypoint is where it is)."""
    s.al_alive[0, a] = 1
    s.al_kind[0, a] = kind
    s.al_x[0, a], s.al_y[0, a] = x, y
    s.al_wx[0, a], s.al_wy[0, a] = x, y
    s.al_hp[0, a] = core.alien_max_hp(s, 0, a)
    s.al_target[0, a] = -1
    s.al_respawn[0, a] = 1e9
    s.al_last_hit[0, a] = -1


def put_box(s: core.ArenaState, b: int, x: float, y: float, kind: int = core.BOX_CREDITS) -> None:
    s.box_alive[0, b] = 1
    s.box_kind[0, b] = kind
    s.box_x[0, b], s.box_y[0, b] = x, y


def act(s: core.ArenaState, sx: float, sy: float, click: bool = False, attack: bool = False,
        ship: int = 0) -> np.ndarray:
    """An action array [1, S, 4] for ``ship`` with the cursor at screen pixel (sx, sy); other seats idle."""
    a = np.zeros((1, core.MAX_SHIPS, 4), np.float32)
    a[:, :, :2] = 0.5
    a[0, ship] = (sx / core.VIEW_W, sy / core.VIEW_H, float(click), float(attack))
    return a


def step(s: core.ArenaState, actions: np.ndarray, frames: int = 1) -> None:
    for _ in range(frames):
        core.step_envs(s, actions, np.ones(1, np.uint8))


def screen_of(s: core.ArenaState, x: float, y: float) -> tuple[float, float]:
    return core.world_to_screen(s, 0, 0, x, y)


def play_bot_game(steps: int, seed: int, every: int = 100) -> list[str]:
    """Hashes of the whole state every ``every`` frames of a seeded 3-arena bot game (two ships each)."""
    n = 3
    s = core.ArenaState.allocate(n, core.make_params("hard", "human"), 2)
    s.rng_state[:] = rng.seed_words(rng.batch_seeds(seed, n))
    b = bots.BotState.allocate(n)
    mask = np.ones(n, np.uint8)
    core.reset_envs(s, mask)
    bots.reset_bots(s, b, mask)
    pol = np.full((n, core.MAX_SHIPS), bots.BOT_NONE, np.int8)
    pol[:, 0] = [bots.BOT_EXPERT, bots.BOT_AIMBOT, bots.BOT_RANDOM]
    pol[:, 1] = [bots.BOT_RANDOM, bots.BOT_EXPERT, bots.BOT_AIMBOT]
    actions = np.zeros((n, core.MAX_SHIPS, 4), np.float32)
    out = []
    objects = np.zeros((n, core.NUM_OBJECTS, core.OBJECT_FEATURES), np.float32)
    omask = np.zeros((n, core.NUM_OBJECTS), np.int8)
    st = np.zeros((n, core.STATE_FEATURES), np.float32)
    pixels = np.zeros((n, 3, core.PIXELS, core.PIXELS), np.uint8)
    seats = np.zeros(n, np.int64)
    for t in range(1, steps + 1):
        bots.bot_actions(s, b, pol, actions, mask)
        core.step_envs(s, actions, mask)
        if t % every == 0:
            observe.write_observations(s, seats, objects, omask, st, mask)
            observe.write_pixels(s, seats, pixels, mask)
            h = hashlib.sha256()
            for arr in (*s, *b, objects, omask, st, pixels):
                h.update(np.ascontiguousarray(arr).tobytes())
            out.append(h.hexdigest()[:16])
    # and one full rgb frame of the last arena, drawn by the render kernels
    out.append(hashlib.sha256(render.render_frame(s, n - 1, 0).tobytes()).hexdigest()[:16])
    return out


if __name__ == "__main__":
    print(" ".join(play_bot_game(int(sys.argv[1]), int(sys.argv[2]))))
