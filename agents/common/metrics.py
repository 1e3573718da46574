"""Classification metrics the imitation agents report (never raw accuracy alone on imbalanced classes)."""

from __future__ import annotations

import numpy as np

__all__ = ["balanced_accuracy", "confusion", "macro_f1"]


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
