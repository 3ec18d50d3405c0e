"""Augmentation between preprocessing and the HU window (there are few patients, so it is heavy).

Spatial: rotation, isotropic scale, shift and a smooth elastic field, one warp for all channels
and labels. No flips: the liver is always on the patient's right and the model may rely on it.
Intensity (in HU, before the window): contrast/brightness, Gaussian noise, slight blur.
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter, map_coordinates, zoom


def _elastic(rng, size: int, amp_px: float, grid: int = 6) -> np.ndarray:
    coarse = rng.normal(size=(2, grid, grid)) * amp_px
    return np.stack([zoom(c, size / grid, order=3)[:size, :size] for c in coarse])


def spatial(rng, slab: np.ndarray, labels: list, fill: float, p: float = 0.85,
            max_rot_deg: float = 15.0, scale=(0.85, 1.15), max_shift_px: float = 10.0,
            elastic_px: float = 3.0):
    if rng.random() > p:
        return slab, labels
    c, h, w = slab.shape
    th = np.deg2rad(rng.uniform(-max_rot_deg, max_rot_deg))
    s = rng.uniform(*scale)
    a = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]]) / s
    yy, xx = np.meshgrid(np.arange(h, dtype=float), np.arange(w, dtype=float), indexing="ij")
    ctr = np.array([(h - 1) / 2, (w - 1) / 2])
    shift = rng.uniform(-max_shift_px, max_shift_px, size=2)
    d = np.stack([yy - ctr[0], xx - ctr[1]]).reshape(2, -1)
    src = (a @ d).reshape(2, h, w) + ctr[:, None, None] + shift[:, None, None]
    if rng.random() < 0.5:
        src = src + _elastic(rng, h, rng.uniform(0.5, elastic_px))
    out = np.stack([map_coordinates(ch, src, order=1, mode="constant", cval=fill) for ch in slab])
    labs = [map_coordinates(l.astype(np.float32), src, order=0, mode="constant", cval=0).astype(l.dtype)
            for l in labels]
    return out, labs


def intensity(rng, slab: np.ndarray) -> np.ndarray:
    x = slab
    if rng.random() < 0.8:   # scanner / contrast-phase differences around soft tissue
        x = (x - 40.0) * rng.uniform(0.85, 1.15) + 40.0 + rng.uniform(-30, 30)
    if rng.random() < 0.5:
        x = x + rng.normal(0, rng.uniform(2, 18), size=x.shape)
    if rng.random() < 0.2:
        x = gaussian_filter(x, sigma=(0, *(2 * [rng.uniform(0.4, 1.0)])))
    return x
