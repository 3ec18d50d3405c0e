"""Segmentation and distribution metrics (numpy, on binary masks of any shape)."""
from __future__ import annotations

import numpy as np


def dice(a: np.ndarray, b: np.ndarray, empty: float = 1.0) -> float:
    a, b = a.astype(bool), b.astype(bool)
    s = a.sum() + b.sum()
    return empty if s == 0 else float(2 * (a & b).sum() / s)


def iou_distance(a, b) -> float:
    a, b = a.astype(bool), b.astype(bool)
    u = (a | b).sum()
    return 0.0 if u == 0 else float(1 - (a & b).sum() / u)


def generalised_energy_distance(samples, refs) -> float:
    """D^2_GED = 2 E[d(S, Y)] - E[d(S, S')] - E[d(Y, Y')] with d = 1 - IoU (Kohl et al.)."""
    sy = np.mean([iou_distance(s, y) for s in samples for y in refs])
    ss = np.mean([iou_distance(s, t) for s in samples for t in samples])
    yy = np.mean([iou_distance(y, t) for y in refs for t in refs])
    return float(2 * sy - ss - yy)


def mean_pairwise_dice(samples) -> float:
    n = len(samples)
    vals = [dice(samples[i], samples[j]) for i in range(n) for j in range(i + 1, n)]
    return float(np.mean(vals)) if vals else 1.0


def best_of(samples, ref) -> float:
    return max(dice(s, ref) for s in samples)


def ece(probs: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error of the top-class confidence. probs [N, C], labels [N]."""
    conf = probs.max(1)
    correct = probs.argmax(1) == labels
    edges = np.linspace(0, 1, bins + 1)
    e = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            e += m.mean() * abs(conf[m].mean() - correct[m].mean())
    return float(e)
