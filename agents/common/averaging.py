"""Polyak averaging: an exponential moving average of a module's weights, the copy a training run plays with."""

from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def average_into(averaged: nn.Module, model: nn.Module, decay: float) -> None:
    """One step of the moving average: each parameter of ``averaged`` moves ``1 - decay`` of the way to
    ``model``'s (the two modules of one architecture)."""
    for mean, weight in zip(averaged.parameters(), model.parameters(), strict=True):
        mean.lerp_(weight, 1.0 - decay)


def warmed_up_decay(decay: float, step: int) -> float:
    """The decay after update ``step`` (0-based) with a warm-up, min(decay, (1 + step) / (10 + step)): the first
    updates' weights, still near the random start, fade within tens of steps rather than 1 / (1 - decay)."""
    return min(decay, (1.0 + step) / (10.0 + step))
