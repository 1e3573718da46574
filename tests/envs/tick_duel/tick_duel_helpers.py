"""Helpers for the TickDuel tests: hand-built duels, event rows, and a bot game printed as per-tick digests.

Run as a script (``python tick_duel_helpers.py TICKS SEED``) it prints the digests of a short game; the
jit-vs-Python test runs it under ``NUMBA_DISABLE_JIT=1`` and compares with the jitted run.
"""

from __future__ import annotations

import hashlib
import sys

import numpy as np

from botarena.envs.common.rng import batch_seeds, seed_words
from botarena.envs.tick_duel import bots, core

E = 64


def fresh(build0: int = core.BUILD_MAX, build1: int = core.BUILD_MAX, seed: int = 0,
          rules: int = core.RULES_V0) -> core.DuelState:
    """One duel right after reset, seeded; under v0's rules unless ``rules`` says otherwise (the v1 rule tests
    live in ``test_tick_duel_rules_v1.py``)."""
    s = core.DuelState.allocate(1, rules)
    s.rng_state[:] = seed_words(batch_seeds(seed, 1))
    core.reset_envs(s, np.ones(1, np.bool_), np.array([[build0, build1]], np.int64), np.zeros(1, np.bool_))
    return s


def ev(t: float, etype: int, x: float = 0.0, y: float = 0.0, button: int = 0, key: int = 0,
       scroll: float = 0.0) -> tuple:
    return (t, etype, x, y, button, key, scroll)


def centre(rect: tuple) -> tuple[float, float]:
    x, y, w, h = rect
    return x + w / 2.0, y + h / 2.0


def click(t: float, rect: tuple) -> tuple:
    x, y = centre(rect)
    return ev(t, core.EV_LEFT_CLICK, x, y, 1)


def key(t: float, tab: int) -> tuple:
    """KEY_DOWN of the F-key that opens ``tab``."""
    return ev(t, core.EV_KEY_DOWN, key=tab + 1)


def tick(s: core.DuelState, p0: list | tuple = (), p1: list | tuple = ()) -> None:
    """One tick of env 0 with the given event rows for each player."""
    events = np.zeros((1, 2, E, 7), np.float32)
    counts = np.zeros((1, 2), np.int64)
    for p, rows in enumerate((p0, p1)):
        for k, row in enumerate(rows):
            events[0, p, k] = row
        counts[0, p] = len(rows)
    core.step_envs(s, events, counts, np.ones(1, np.bool_), np.zeros(E, np.int64))


def wear(s: core.DuelState, p: int, kind: int) -> None:
    """Put player ``p`` in gear set ``kind`` by hand (swapping items with the inventory, as clicks would)."""
    b = s.build[0, p]
    for slot in range(core.EQUIP_SLOTS):
        want = core.GEAR_SETS[b, kind, slot]
        if want == core.ITEM_EMPTY or s.equipment[0, p, slot] == want:
            continue
        k = int(np.flatnonzero(s.inventory[0, p] == want)[0])
        s.inventory[0, p, k] = s.equipment[0, p, slot]
        s.equipment[0, p, slot] = want


def place(s: core.DuelState, p: int, x: int, y: int) -> None:
    s.pos_x[0, p] = x
    s.pos_y[0, p] = y


class BotBatch:
    """``num_envs`` duels with a built-in bot in each seat, stepped a tick at a time: the event buffers of
    the tick stay readable in ``events`` / ``counts`` after ``tick()``."""

    def __init__(self, policies: tuple[int, int], builds: np.ndarray, seed: int,
                 rules: int = core.RULES_V0) -> None:
        num_envs = len(builds)
        self.s = core.DuelState.allocate(num_envs, rules)
        self.s.rng_state[:] = seed_words(batch_seeds(seed, num_envs))
        core.reset_envs(self.s, np.ones(num_envs, np.bool_), np.asarray(builds, np.int64),
                        np.zeros(num_envs, np.bool_))
        self.pol = np.tile(np.array(policies, np.int8), (num_envs, 1))
        self.events = np.zeros((num_envs, 2, E, 7), np.float32)
        self.counts = np.zeros((num_envs, 2), np.int64)
        self.active = np.ones(num_envs, np.bool_)
        self.plan = bots.new_plan()
        self.order = np.zeros(E, np.int64)

    def plan_tick(self) -> None:
        """The bots' events for this tick (into ``events`` / ``counts``), not yet played."""
        self.counts[:] = 0
        bots.bot_events(self.s, self.pol, self.events, self.counts, self.active, self.plan)

    def play_tick(self) -> None:
        core.step_envs(self.s, self.events, self.counts, self.active, self.order)


def play_bot_game(policies: tuple[int, int], num_envs: int, ticks: int, seed: int,
                  rules: int = core.RULES_V0) -> list[str]:
    """Digests of a bot-vs-bot batch every 10 ticks (state arrays and the events of the tick)."""
    b = BotBatch(policies, np.array([[k % 3, (k + 1) % 3] for k in range(num_envs)]), seed, rules)
    out = []
    h = hashlib.sha256()
    for t in range(ticks):
        b.plan_tick()
        for i in range(num_envs):
            for p in range(2):
                h.update(b.events[i, p, :b.counts[i, p]].tobytes())
        b.play_tick()
        if t % 10 == 9:
            for arr in b.s:
                h.update(np.ascontiguousarray(arr).tobytes())
            out.append(h.hexdigest()[:16])
    return out

if __name__ == "__main__":
    ticks, seed = int(sys.argv[1]), int(sys.argv[2])
    for rules in core.RULE_SETS:
        print(" ".join(play_bot_game((bots.BOT_NH_FAST, bots.BOT_NH_SLOPPY), 2, ticks, seed, rules)))
        print(" ".join(play_bot_game((bots.BOT_RANDOM, bots.BOT_TICK_PERFECT), 2, ticks, seed, rules)))
