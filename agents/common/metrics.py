"""Classification metrics the imitation agents report (never raw accuracy alone on imbalanced classes)."""

from __future__ import annotations

import math

import numpy as np


def wilson(successes: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion (``successes`` may count draws as halves)."""
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


__all__ = ["balanced_accuracy", "confusion", "macro_f1", "wilson"]


def macro_f1(predicted: np.ndarray, actual: np.ndarray, classes: int) -> float:
    """Mean F1 over the classes present in ``actual`` or ``predicted``."""
    scores = []
    for k in range(classes):
        tp = np.sum((predicted == k) & (actual == k))
        fp = np.sum((predicted == k) & (actual != k))
        fn = np.sum((predicted != k) & (actual == k))
        if tp + fp + fn:
            scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else 0.0


def balanced_accuracy(predicted: np.ndarray, actual: np.ndarray, classes: int) -> float:
    """Mean recall over the classes present in ``actual``."""
    recalls = [np.mean(predicted[actual == k] == k) for k in range(classes) if np.any(actual == k)]
    return float(np.mean(recalls)) if recalls else 0.0


def confusion(predicted: np.ndarray, actual: np.ndarray, classes: int) -> np.ndarray:
    """int64 [classes, classes]: row the true class, column the predicted one."""
    out = np.zeros((classes, classes), np.int64)
    np.add.at(out, (actual.astype(np.int64), predicted.astype(np.int64)), 1)
    return out
