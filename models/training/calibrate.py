"""One temperature T for softmax(logits / T), fitted by minimising the NLL on validation pixels
(the runtime divides decoder logits by T before the softmax; the ONNX graphs stay raw)."""
from __future__ import annotations

import numpy as np

from .metrics import ece


def _softmax(x, t):
    z = x / t
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def nll(logits: np.ndarray, labels: np.ndarray, t: float) -> float:
    p = _softmax(logits, t)
    return float(-np.log(np.clip(p[np.arange(len(labels)), labels], 1e-12, None)).mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray, lo=0.05, hi=20.0) -> float:
    """logits [N, C], labels [N] (known labels only). Golden-section search on log T."""
    a, b = np.log(lo), np.log(hi)
    g = (np.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = nll(logits, labels, np.exp(c)), nll(logits, labels, np.exp(d))
    for _ in range(40):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = nll(logits, labels, np.exp(c))
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = nll(logits, labels, np.exp(d))
    return float(np.exp((a + b) / 2))


def calibration_report(logits: np.ndarray, labels: np.ndarray, t: float) -> dict:
    return {"temperature": t,
            "nll_before": nll(logits, labels, 1.0), "nll_after": nll(logits, labels, t),
            "ece_before": ece(_softmax(logits, 1.0), labels), "ece_after": ece(_softmax(logits, t), labels)}


def roi_pixels(logits: np.ndarray, labels: np.ndarray, max_pixels: int = 400000, seed: int = 0):
    """logits [B, C, H, W], labels [B, H, W] -> [N, C], [N]: pixels where the answer is not
    trivially background (reference or prediction foreground, dilated), because the ECE over
    every pixel of a slice is dominated by easy air and says nothing."""
    from scipy.ndimage import binary_dilation

    fg = (labels > 0) | (logits.argmax(1) > 0)
    roi = np.stack([binary_dilation(m, iterations=8) for m in fg]) & (labels < 3)
    if not roi.any():
        roi = labels < 3
    x = np.moveaxis(logits, 1, -1)[roi]
    y = labels[roi]
    if len(y) > max_pixels:
        idx = np.random.default_rng(seed).choice(len(y), max_pixels, replace=False)
        x, y = x[idx], y[idx]
    return x.astype(np.float64), y.astype(np.int64)
