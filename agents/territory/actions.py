"""The learner's two Territory action spaces as training, cloning and evaluation read them.

``direction`` (``Discrete(45)``, the attention and flatten nets): 0-39 launch an attack (direction x intensity),
40 is WAIT, 41-44 recall an attack slot. ``cell`` (``MultiDiscrete([H*W + 1, 5])``, the gridnet): a frontier cell
or the no-op ``H*W``, and an intensity; (no-op, 0) is WAIT, (no-op, k >= 1) recalls slot k - 1. The mask is
flat in both (cell mode: the cell factor's ``H*W + 1`` entries, then the intensity factor's 5), so the map size
of a cell-mode batch is read off its mask's width.

*Idling*, the failure the training logs watch for, is a WAIT chosen while some attack was valid: a WAIT forced
by busy attack slots or too few troops is not idling, and a recall is a decision.
"""

from __future__ import annotations

import numpy as np

from botarena.envs.territory import core

DIRECTION_WAIT = core.WAIT * core.NUM_INTENSITIES  # 40
NUM_DIRECTION_ATTACKS = DIRECTION_WAIT  # 0-39


def cells_of(mask_width: int) -> int:
    """The map's H*W for a cell-mode mask of ``mask_width`` entries."""
    return mask_width - 1 - core.NUM_INTENSITIES


def can_attack(masks: np.ndarray, action_mode: str) -> np.ndarray:
    """bool ``[N]``: some attack is valid in each decision of a batch of masks ``[N, A]``."""
    masks = np.asarray(masks, bool)
    if action_mode == "direction":
        return masks[:, :NUM_DIRECTION_ATTACKS].any(axis=1)
    return masks[:, :cells_of(masks.shape[1])].any(axis=1)


def is_wait(actions: np.ndarray, action_mode: str, cells: int) -> np.ndarray:
    """bool ``[N]``: the action is WAIT (``[N]`` direction actions, or ``[N, 2]`` cell actions on ``cells`` cells)."""
    actions = np.asarray(actions)
    if action_mode == "direction":
        return actions == DIRECTION_WAIT
    return (actions[:, 0] == cells) & (actions[:, 1] == 0)


def is_launch(actions: np.ndarray, action_mode: str, cells: int) -> np.ndarray:
    """bool ``[N]``: the action launches (or reinforces) an attack, neither waiting nor recalling."""
    actions = np.asarray(actions)
    if action_mode == "direction":
        return actions < NUM_DIRECTION_ATTACKS
    return actions[:, 0] < cells


def idle_count(actions: np.ndarray, masks: np.ndarray, action_mode: str) -> tuple[int, int]:
    """(WAITs chosen while some attack was valid, decisions where some attack was valid) in a batch."""
    valid = can_attack(masks, action_mode)
    cells = cells_of(np.shape(masks)[1])
    return int((is_wait(actions, action_mode, cells) & valid).sum()), int(valid.sum())
