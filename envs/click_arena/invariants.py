"""ClickArena's state invariants (see ``envs/common/invariants.py`` for how they are used).

After every step, for every env of the batch (arrays as in ``core``'s module docstring; S seats in play):

* Every float array is finite.
* Ships: ``1 <= num_ships <= MAX_SHIPS``; a ship in play is alive exactly while its hull is above 0, seats beyond
  ``num_ships`` are empty; hull in ``[0, SHIP_HULL]``, shield in ``[0, SHIP_SHIELD]``; position and fly target on
  the map, cursor and commanded point on the screen; laser cooldown in ``[0, LASER_COOLDOWN]``; a lock names
  a slot of its kind (an alien slot, or another ship in play), ``-1`` with ``LOCK_NONE``; a box to collect is a box
  slot or -1; credits, kills and damage this episode never negative.
* Aliens: at most ``params[P_ALIENS]`` of them, only in the first slots; hit points in ``(0, kind's maximum]``
  while alive (the kind's ``ALIEN_HP`` times ``params[P_ALIEN_HP]``); position on the map; a target is a ship
  seat or -1; the kind is one of the three.
* Boxes: only the first ``params[P_BOXES]`` slots are ever alive, on the map; a dead box waits to respawn.

Checked against the state before the step (``previous``): the frame counter advances by one (or restarts at 0 on
a reset), the episode's credits, kills and damage never decrease within an episode, and ``rng_state`` moves
forward by whole SplitMix64 draws.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from botarena.envs.common.invariants import Checks

from . import core

__all__ = ["violations"]

_FLOATS = ("ship_x", "ship_y", "ship_vx", "ship_vy", "ship_tx", "ship_ty", "ship_hull", "ship_shield", "ship_cooldown",
           "ship_cursor_x", "ship_cursor_y", "ship_cmd_x", "ship_cmd_y", "ship_since_combat", "ship_credits",
           "ship_damage", "al_x", "al_y", "al_vx", "al_vy", "al_hp", "al_cooldown", "al_respawn", "box_x", "box_y",
           "box_respawn")


def _between(values: np.ndarray, low: float, high: float) -> np.ndarray:
    return (values >= low) & (values <= high)


def violations(s: core.ArenaState, previous: core.ArenaState | None = None, env: Any = None) -> list[str]:
    """Each invariant of the module docstring that ``s`` breaks, as a sentence naming the envs; [] when sound.

    ``env`` (the env holding ``s``) is taken so that every game's check is called alike; this game needs nothing
    from it.
    """
    c = Checks()
    c.finite(s, _FLOATS)
    seats = np.arange(core.MAX_SHIPS)[None, :]
    in_play = seats < s.num_ships[:, None]
    alive = s.ship_alive.astype(bool)
    c.check((s.num_ships >= 1) & (s.num_ships <= core.MAX_SHIPS), "1 <= num_ships <= MAX_SHIPS")
    c.check(np.where(in_play, alive == (s.ship_hull > 0), ~alive), "a ship in play is alive exactly while hull > 0")
    c.check(_between(s.ship_hull, 0.0, core.SHIP_HULL), "hull in [0, SHIP_HULL]")
    c.check(_between(s.ship_shield, 0.0, core.SHIP_SHIELD), "shield in [0, SHIP_SHIELD]")
    on_map = (_between(s.ship_x, 0.0, core.MAP_W) & _between(s.ship_y, 0.0, core.MAP_H)
              & _between(s.ship_tx, 0.0, core.MAP_W) & _between(s.ship_ty, 0.0, core.MAP_H))
    c.check(~in_play | on_map, "ships and their fly targets are on the map")
    on_screen = (_between(s.ship_cursor_x, 0.0, core.VIEW_W) & _between(s.ship_cursor_y, 0.0, core.VIEW_H)
                 & _between(s.ship_cmd_x, 0.0, core.VIEW_W) & _between(s.ship_cmd_y, 0.0, core.VIEW_H))
    c.check(~in_play | on_screen, "cursors and commanded points are on the screen")
    c.check(_between(s.ship_cooldown, 0.0, core.LASER_COOLDOWN), "laser cooldown in [0, LASER_COOLDOWN]")
    kind, idx = s.ship_lock_kind, s.ship_lock_idx
    lock_ok = np.select([kind == core.LOCK_NONE, kind == core.LOCK_ALIEN, kind == core.LOCK_SHIP],
                        [idx == -1, (idx >= 0) & (idx < core.MAX_ALIENS),
                         (idx >= 0) & (idx < s.num_ships[:, None]) & (idx != seats)], False)
    c.check(lock_ok, "a lock names an alien slot or another ship, -1 with LOCK_NONE")
    c.check((s.ship_collect >= -1) & (s.ship_collect < core.MAX_BOXES), "a box to collect is a box slot or -1")
    c.check((s.ship_credits >= 0) & (s.ship_kills >= 0) & (s.ship_damage >= 0),
            "credits, kills and damage are never negative")

    slots = np.arange(core.MAX_ALIENS)[None, :]
    al_alive = s.al_alive.astype(bool)
    c.check(~al_alive | (slots < s.params[:, core.P_ALIENS, None]),
            "aliens live only in the first params[P_ALIENS] slots")
    c.check((s.al_kind >= core.KIND_FAST) & (s.al_kind <= core.KIND_TANK), "an alien's kind is one of the three")
    max_hp = core.ALIEN_HP[np.clip(s.al_kind, 0, 2)] * s.params[:, core.P_ALIEN_HP, None]
    c.check(~al_alive | ((s.al_hp > 0) & (s.al_hp <= max_hp * (1 + 1e-9))), "a live alien's hit points in (0, max]")
    c.check(~al_alive | (_between(s.al_x, 0.0, core.MAP_W) & _between(s.al_y, 0.0, core.MAP_H)),
            "aliens are on the map")
    c.check((s.al_target >= -1) & (s.al_target < core.MAX_SHIPS), "an alien's target is a ship seat or -1")

    boxes = np.arange(core.MAX_BOXES)[None, :]
    box_alive = s.box_alive.astype(bool)
    c.check(~box_alive | (boxes < s.params[:, core.P_BOXES, None]),
            "boxes live only in the first params[P_BOXES] slots")
    c.check(~box_alive | (_between(s.box_x, 0.0, core.MAP_W) & _between(s.box_y, 0.0, core.MAP_H)),
            "boxes are on the map")
    c.check(box_alive | (s.box_respawn >= 0), "a dead box waits to respawn")

    if previous is not None:
        restarted = s.tick == 0
        c.check(restarted | (s.tick == previous.tick + 1), "the frame counter advances by one per step")
        same_episode = ~restarted[:, None]
        c.check(~same_episode | ((s.ship_credits >= previous.ship_credits) & (s.ship_kills >= previous.ship_kills)
                                 & (s.ship_damage >= previous.ship_damage)),
                "credits, kills and damage never decrease within an episode")
        c.rng_advanced(previous.rng_state, s.rng_state)
    return c.failures
