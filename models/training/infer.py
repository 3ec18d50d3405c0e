"""Torch inference helpers shared by validation, evaluation and export (same contract as the
ONNX pair: encode once per slice, decode a batch of codes)."""
from __future__ import annotations

import numpy as np
import torch


def with_clicks(images: np.ndarray, spec, clicks: np.ndarray | None = None) -> np.ndarray:
    """Append click channels (zeros unless given) when the model takes them."""
    if not spec.clicks:
        return images
    if clicks is None:
        clicks = np.zeros((images.shape[0], 2) + images.shape[2:], np.float32)
    return np.concatenate([images, clicks], 1).astype(np.float32)


@torch.no_grad()
def encode(model, x: np.ndarray, chunk: int = 8):
    feats, mus, lvs = [], [], []
    for i in range(0, len(x), chunk):
        f, m, l = model.encode(torch.from_numpy(np.ascontiguousarray(x[i:i + chunk])))
        feats.append(f)
        mus.append(m)
        lvs.append(l)
    return torch.cat(feats), torch.cat(mus), torch.cat(lvs)


@torch.no_grad()
def decode_codes(model, feats_1: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """One slice's features [1, F, H, W] with codes [N, D] -> logits [N, 3, H, W]."""
    return model.decode(feats_1, z)


def codes_for(mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """z = mu + sigma * eps for one slice ([D]) and shared noise eps [N, D]: one fixed eps per
    candidate across the slices of a volume gives a coherent 3-D candidate."""
    return mu[None] + torch.exp(0.5 * logvar)[None] * eps
