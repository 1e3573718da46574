"""What each level of the hierarchical ClickArena agent reads, and the expert's labels in its terms.

The three levels run at three rates on one 60 Hz observation stream (``objects`` [16, 20], ``object_mask`` [16],
``state`` [64]; see ``botarena.envs.click_arena.env``):

* the strategist, once a second, reads the last ``HISTORY_SECONDS`` one-per-second *summaries* (``summarize``);
* the tactician, every ``FRAMES_PER_TACTICIAN`` frames, reads the object rows and the strategist's goal;
* the executor, every frame, reads ``state`` with the goal and the tactician's target information.

``summarize`` turns one observation into ``SUMMARY_FEATURES`` = 192 numbers:

=========  =====  ==================================================================================
columns    count  content
=========  =====  ==================================================================================
0-63       64     ``state`` as it is (hull, shield, lock, laser, combat, minimap, ...)
64-83      20     mean of the present object rows (``objects`` columns, see ``core.ObjectColumn``)
84-103     20     column-wise maximum of the present rows (0 when none)
104-183    80     the four most relevant rows as they are (the locked target first; zeros when absent)
184-189    6      objects on screen per kind (alien fast, medium, tank, credit box, repair box, ship) / 8
190        1      present rows / 16
191        1      1: a real second (0 marks the padding before the episode's first second)
=========  =====  ==================================================================================

Labels: the expert's tactician names its target by kind and index in the game state (``expert_labels()``);
``target_slots`` finds the observation row showing that object, the slot the tactician's attention must pick
(slot 0 is the *no object* slot: a point on the map, or nothing).
"""

from __future__ import annotations

import numpy as np

from botarena.envs.click_arena import bots, core
from botarena.envs.click_arena.core import ObjectColumn

EXECUTOR_HZ = core.FPS
TACTICIAN_HZ = 10
STRATEGIST_HZ = 1
FRAMES_PER_TACTICIAN = EXECUTOR_HZ // TACTICIAN_HZ  # 6
FRAMES_PER_STRATEGIST = EXECUTOR_HZ // STRATEGIST_HZ  # 60
HISTORY_SECONDS = 60

NUM_OBJECTS = core.NUM_OBJECTS
OBJECT_FEATURES = core.OBJECT_FEATURES
STATE_FEATURES = core.STATE_FEATURES
SUMMARY_FEATURES = 192
TOP_ROWS = 4
NUM_SLOTS = NUM_OBJECTS + 1  # the tactician's choices: no object, then the 16 rows
NO_OBJECT_SLOT = 0

NUM_MODES = len(bots.MODE_NAMES)
# The tactician's approach: what the executor is to do with the target.
APPROACH_NAMES = ("attack", "collect", "fly", "idle")
APPROACH_ATTACK, APPROACH_COLLECT, APPROACH_FLY, APPROACH_IDLE = range(4)
# bots.TARGET_* (none, alien, box, ship, point) -> approach
APPROACH_OF_TARGET = np.array([APPROACH_IDLE, APPROACH_ATTACK, APPROACH_COLLECT, APPROACH_ATTACK, APPROACH_FLY],
                              np.int64)
_KIND_COLUMNS = slice(ObjectColumn.IS_ALIEN_FAST, ObjectColumn.IS_SHIP + 1)


def summarize(objects: np.ndarray, object_mask: np.ndarray, state: np.ndarray) -> np.ndarray:
    """The strategist's summaries (table above) of a batch of observations: ``[..., 192]`` float32.

    ``objects`` is ``[..., 16, 20]``, ``object_mask`` ``[..., 16]``, ``state`` ``[..., 64]``; any leading axes.
    """
    objects = np.asarray(objects, np.float32)
    present = np.asarray(object_mask, np.float32)[..., None]
    count = present.sum(axis=-2)  # [..., 1]
    rows = objects * present
    mean = rows.sum(axis=-2) / np.maximum(count, 1.0)
    peak = np.where(present > 0, objects, -np.inf).max(axis=-2)
    peak = np.where(count > 0, peak, 0.0)
    top = rows[..., :TOP_ROWS, :].reshape(*rows.shape[:-2], TOP_ROWS * OBJECT_FEATURES)
    kinds = rows[..., _KIND_COLUMNS].sum(axis=-2) / 8.0
    real = np.ones_like(count)
    out = np.concatenate([np.asarray(state, np.float32), mean, peak, top, kinds, count / NUM_OBJECTS, real], axis=-1)
    assert out.shape[-1] == SUMMARY_FEATURES
    return out.astype(np.float32, copy=False)


def target_slots(s: core.ArenaState, labels: dict[str, np.ndarray], objects: np.ndarray,
                 object_mask: np.ndarray, seat: int = 0) -> np.ndarray:
    """The tactician slot of the expert's target in every env: 1 + the row showing it, or ``NO_OBJECT_SLOT``.

    The row is the one whose one-hot kind and position relative to the ship (float32, as ``observe`` wrote it)
    match the target's; a target object that is not among the 16 rows (off screen) gets the no-object slot.
    """
    n = np.arange(labels["target_kind"].shape[0])
    kind = labels["target_kind"]
    idx = np.maximum(labels["target_idx"], 0)
    x = np.zeros(n.shape[0])
    y = np.zeros(n.shape[0])
    column = np.full(n.shape[0], -1, np.int64)
    alien = kind == bots.TARGET_ALIEN
    box = kind == bots.TARGET_BOX
    ship = kind == bots.TARGET_SHIP
    x[alien], y[alien] = s.al_x[n[alien], idx[alien]], s.al_y[n[alien], idx[alien]]
    column[alien] = ObjectColumn.IS_ALIEN_FAST + s.al_kind[n[alien], idx[alien]]
    x[box], y[box] = s.box_x[n[box], idx[box]], s.box_y[n[box], idx[box]]
    column[box] = np.where(s.box_kind[n[box], idx[box]] == core.BOX_REPAIR, ObjectColumn.IS_BOX_REPAIR,
                           ObjectColumn.IS_BOX_CREDITS)
    x[ship], y[ship] = s.ship_x[n[ship], idx[ship]], s.ship_y[n[ship], idx[ship]]
    column[ship] = ObjectColumn.IS_SHIP
    rel_x = ((x - s.ship_x[:, seat]) / core.VIEW_W).astype(np.float32)
    rel_y = ((y - s.ship_y[:, seat]) / core.VIEW_H).astype(np.float32)
    same_place = ((np.abs(objects[:, :, ObjectColumn.REL_X] - rel_x[:, None]) < 1e-5)
                  & (np.abs(objects[:, :, ObjectColumn.REL_Y] - rel_y[:, None]) < 1e-5)
                  & (object_mask > 0))
    same_kind = objects[n[:, None], np.arange(NUM_OBJECTS)[None, :], np.maximum(column, 0)[:, None]] > 0.5
    hit = same_place & same_kind & (column >= 0)[:, None]
    return np.where(hit.any(axis=1), hit.argmax(axis=1) + 1, NO_OBJECT_SLOT).astype(np.int64)


def approach_of(labels: dict[str, np.ndarray]) -> np.ndarray:
    """The approach class (``APPROACH_*``) of the expert's target kind in every env."""
    return APPROACH_OF_TARGET[labels["target_kind"]]


def point_xy(labels: dict[str, np.ndarray]) -> np.ndarray:
    """The screen point the expert's hand is moving to, as fractions of the screen clipped to [0, 1]: ``[N, 2]``."""
    aim = np.asarray(labels["aim"], np.float64)
    return np.clip(aim / np.array([core.VIEW_W, core.VIEW_H]), 0.0, 1.0).astype(np.float32)


def goal_offset(s: core.ArenaState, labels: dict[str, np.ndarray], seat: int = 0) -> np.ndarray:
    """The world point the expert's tactician works on, relative to the ship, in screens: ``[N, 2]`` float32
    (clipped to +-4 screens). What the strategist's goal must encode besides the mode."""
    goal = np.asarray(labels["goal"], np.float64)
    offset = (goal - np.stack([s.ship_x[:, seat], s.ship_y[:, seat]], axis=1)) / np.array([core.VIEW_W, core.VIEW_H])
    return np.clip(offset, -4.0, 4.0).astype(np.float32)
