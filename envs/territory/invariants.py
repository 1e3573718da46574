"""Territory's state invariants (see ``envs/common/invariants.py`` for how they are used).

After every step, for every env of the batch (arrays as in ``core``'s module docstring):

* Ownership: ``owner`` is a player ``0..P-1``, ``NEUTRAL`` or ``IMPASSABLE``, and a tile is ``IMPASSABLE`` exactly
  when its terrain cannot be owned under the env's rules (water; mountains too under v1). ``land`` counts the
  passable tiles.
* Counts kept exact: ``tiles[p]`` is the number of tiles ``p`` owns, ``cities[p]`` its city tiles, ``sum_y[p]`` and
  ``sum_x[p]`` the sums of their coordinates; no more tiles are owned than there is land.
* Players: ``alive[p]`` exactly while ``tiles[p] > 0``; ``elim_tick[p]`` is -1 while alive and a tick no later
  than now once out; home troops are never negative, and a dead player has none.
* Attacks: a slot's target is ``NO_ATTACK``, ``NEUTRAL`` or another player; a free slot holds no troops, a live
  one holds a positive number; a dead player has no live attack.
* The end: ``done`` once a player holds ``WIN_PERCENT`` of the land or one player is left (never undone);
  ``winner`` is -1 while the game runs and the winning player after.

Checked against the state before the step (``previous``): the tick advances by at most ``ticks_per_step``
(stays put once ``done``, restarts at 0 on a reset), and ``rng_state`` moves forward by whole SplitMix64 draws.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from botarena.envs.common.invariants import Checks

from . import core

__all__ = ["violations"]


def violations(s: core.TerritoryState, previous: core.TerritoryState | None = None, env: Any = None) -> list[str]:
    """Each invariant of the module docstring that ``s`` breaks, as a sentence naming the envs; [] when sound.

    ``env`` is the env holding ``s`` (vector or PettingZoo): its ``ticks_per_step`` bounds the tick's advance.
    """
    c = Checks()
    n_envs, num_players = s.troops.shape
    owner = s.owner.reshape(n_envs, -1).astype(np.int64)
    terrain = s.terrain.reshape(n_envs, -1)
    c.check((owner >= core.IMPASSABLE) & (owner < num_players), "owner is a player, NEUTRAL or IMPASSABLE")
    passable = (terrain < core.WATER) | ((terrain == core.MOUNTAIN) & (s.rules[:, None] >= core.RULES_V2))
    c.check(passable == (owner != core.IMPASSABLE), "a tile is IMPASSABLE exactly when its terrain cannot be owned")
    c.check(s.land == passable.sum(axis=1), "land counts the passable tiles")

    ys, xs = np.divmod(np.arange(owner.shape[1]), s.owner.shape[2])
    city = terrain == core.CITY
    for p in range(num_players):
        mine = owner == p
        c.check(s.tiles[:, p] == mine.sum(axis=1), f"tiles[{p}] counts player {p}'s tiles")
        c.check(s.cities[:, p] == (mine & city).sum(axis=1), f"cities[{p}] counts player {p}'s city tiles")
        c.check((s.sum_y[:, p] == mine @ ys) & (s.sum_x[:, p] == mine @ xs),
                f"sum_y / sum_x of player {p} are the sums of its tile coordinates")
    c.check(s.tiles.sum(axis=1) <= s.land, "no more tiles are owned than there is land")

    alive = s.alive.astype(bool)
    c.check(alive == (s.tiles > 0), "alive exactly while a player owns a tile")
    c.check(np.where(alive, s.elim_tick == -1, (s.elim_tick >= 0) & (s.elim_tick <= s.tick[:, None])),
            "elim_tick is -1 while alive and a past tick once out")
    c.check(s.troops >= 0, "home troops are never negative")
    c.check(alive | (s.troops == 0), "a dead player has no troops")

    target = s.att_target.astype(np.int64)
    free = target == core.NO_ATTACK
    own = target == np.arange(num_players)[None, :, None]
    c.check(free | ((target >= core.NEUTRAL) & (target < num_players) & ~own),
            "an attack targets NEUTRAL or another player")
    c.check(np.where(free, s.att_troops == 0, s.att_troops > 0), "a free slot holds no troops, a live one some")
    c.check(alive[:, :, None] | free, "a dead player has no live attack")

    done = s.done.astype(bool)
    share_won = (s.tiles * 100 >= core.WIN_PERCENT * s.land[:, None]).any(axis=1)
    c.check(done | (~share_won & (alive.sum(axis=1) > 1)), "the game ends once the land share is won or one is left")
    c.check(np.where(done, (s.winner >= 0) & (s.winner < num_players), s.winner == -1),
            "winner is -1 while the game runs and a player after")

    if previous is not None:
        step = np.asarray(s.tick) - np.asarray(previous.tick)
        restarted = s.tick < previous.tick  # an autoreset or reset started a new game
        ticks_per_step = getattr(env, "ticks_per_step", None)
        limit = ticks_per_step if ticks_per_step is not None else np.iinfo(np.int64).max
        c.check(restarted | ((step >= 0) & (step <= limit)), "the tick advances by at most ticks_per_step")
        c.check(restarted | ~previous.done.astype(bool) | (step == 0), "a finished game stands still")
        c.rng_advanced(previous.rng_state, s.rng_state)
    return c.failures
