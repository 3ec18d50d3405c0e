"""Simulated clicks (method.md section 6, RITM protocol): each click goes to the pixel deepest
inside the largest error region; positive when that region is missed foreground, negative when
it is false foreground. During training most samples get no click at all, so the click
channels stay optional: the same model serves the selection loop (no clicks) and the
positional-prompting baseline.
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import distance_transform_edt, label

from .preprocess import click_maps


def next_click(pred: np.ndarray, gt: np.ndarray, rng=None, jitter: float = 0.0):
    """(row, col, positive) for the next click, or None when there is no error.
    jitter > 0 picks at random among pixels at least (1 - jitter) x the maximum depth
    (training variety); jitter = 0 is the deterministic protocol."""
    best = None
    for positive, err in ((True, gt & ~pred), (False, pred & ~gt)):
        if not err.any():
            continue
        comp, n = label(err)
        sizes = np.bincount(comp.ravel())[1:]
        big = comp == (np.argmax(sizes) + 1)
        if best is None or sizes.max() > best[0]:
            best = (sizes.max(), big, positive)
    if best is None:
        return None
    _, region, positive = best
    dt = distance_transform_edt(np.pad(region, 1))[1:-1, 1:-1]
    if jitter > 0 and rng is not None:
        cand = np.argwhere(dt >= (1 - jitter) * dt.max())
        r, c = cand[rng.integers(len(cand))]
    else:
        r, c = np.unravel_index(np.argmax(dt), dt.shape)
    return int(r), int(c), positive


def target_mask(labels: np.ndarray, structure: int) -> np.ndarray:
    """structure 2: tumour; 1: the liver organ including tumour (and union label 3)."""
    return labels == 2 if structure == 2 else labels > 0


def first_clicks(rng, labels: np.ndarray, size: int, radius: float, max_clicks: int = 3):
    """Clicks against an empty prediction plus a few random-error rounds (no model needed):
    returns (maps [2, H, W], structure, clicks)."""
    structure = 2 if (labels == 2).any() and rng.random() < 0.7 else 1
    gt = target_mask(labels, structure)
    if not gt.any():
        return np.zeros((2, size, size), np.float32), structure, []
    pred = np.zeros_like(gt)
    clicks = []
    for _ in range(rng.integers(1, max_clicks + 1)):
        cl = next_click(pred, gt, rng, jitter=0.3)
        if cl is None:
            break
        clicks.append(cl)
        r, c, positive = cl
        # pretend the model fixed a disk around the click, leaving the rest of the error
        rr, cc = np.ogrid[:size, :size]
        disk = (rr - r) ** 2 + (cc - c) ** 2 <= (rng.uniform(4, 20)) ** 2
        pred = np.where(disk, gt, pred)
    return click_maps(clicks, size, radius), structure, clicks
