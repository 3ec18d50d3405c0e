"""Cross-entropy + soft Dice for 3 classes, with partial labels: label 3 means "liver or
tumour" (the 2-D MSD masks), supervised through the merged probability p1 + p2."""
from __future__ import annotations

import torch
import torch.nn.functional as F

UNION = 3


def one_hot_ref(target: torch.Tensor) -> torch.Tensor:
    """[B, H, W] labels -> [B, 3, H, W] posterior-net input (union label -> half liver, half tumour)."""
    oh = F.one_hot(target.clamp(max=2), 3).permute(0, 3, 1, 2).float()
    u = (target == UNION).unsqueeze(1).float()
    half = torch.tensor([0.0, 0.5, 0.5], device=target.device).view(1, 3, 1, 1)
    return oh * (1 - u) + half * u


def seg_losses(logits: torch.Tensor, target: torch.Tensor, class_weights=(1.0, 1.0, 3.0), smooth=1.0):
    """Returns (ce, dice_loss). Dice is computed over the whole batch (stable for small tumours)."""
    logp = F.log_softmax(logits, 1)
    p = logp.exp()
    known = target < UNION
    union = target == UNION
    w = torch.tensor(class_weights, device=logits.device)
    t = target.clamp(max=2)
    nll = -logp.gather(1, t.unsqueeze(1)).squeeze(1)
    pix_w = w[t] * known + union * w[1]
    nll_union = -torch.logsumexp(logp[:, 1:], 1)
    ce = ((nll * known + nll_union * union) * pix_w).sum() / pix_w.sum().clamp(min=1)

    def dice(prob, ref, mask):
        inter = (prob * ref * mask).sum()
        return 1 - (2 * inter + smooth) / ((prob * mask).sum() + (ref * mask).sum() + smooth)

    k = known.float()
    d_liver = dice(p[:, 1], (target == 1).float(), k)
    d_tum = dice(p[:, 2], (target == 2).float(), k)
    d_fg = dice(p[:, 1] + p[:, 2], (target > 0).float(), torch.ones_like(k))
    return ce, (d_liver + 2 * d_tum + d_fg) / 4
