"""Probabilistic U-Net (Kohl et al., NeurIPS 2018) with late fusion: z is joined only at the
last layers (platform-notes: deep fusion gave broken samples at this budget).

encoder(image[, clicks]) -> features [B, F, H, W], prior_mu [B, D], prior_logvar [B, D]
decoder(features [1 or N, F, H, W], z [N, D]) -> logits [N, 3, H, W]
The prior is read off the U-Net bottleneck (no second image encoder: the encoder must run in
about 40 ms per slice on 2 CPU cores); the posterior net (training only) sees image + reference.
The decoder adds a per-code bias to a per-pixel projection of the features, so one slice's
features broadcast over a batch of N codes without being copied N times.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

LOGVAR_MIN, LOGVAR_MAX = -8.0, 4.0
NUM_CLASSES = 3


def conv_bn(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class UNet(nn.Module):
    def __init__(self, in_ch: int, base: int = 16, levels: int = 4):
        super().__init__()
        chs = [base * 2 ** i for i in range(levels)]
        self.chs = chs
        self.down = nn.ModuleList()
        for i, c in enumerate(chs):
            cin = in_ch if i == 0 else chs[i - 1]
            self.down.append(nn.Sequential(conv_bn(cin, c), conv_bn(c, c)))
        self.up = nn.ModuleList()
        self.fuse = nn.ModuleList()
        for i in range(levels - 1, 0, -1):
            self.up.append(nn.ConvTranspose2d(chs[i], chs[i - 1], 2, stride=2))
            self.fuse.append(conv_bn(2 * chs[i - 1], chs[i - 1]))   # one conv: keeps the encoder fast

    def forward(self, x):
        skips = []
        for i, block in enumerate(self.down):
            if i > 0:
                x = F.max_pool2d(x, 2)
            x = block(x)
            skips.append(x)
        bottleneck = x
        for up, fuse, skip in zip(self.up, self.fuse, reversed(skips[:-1])):
            x = fuse(torch.cat([up(x), skip], 1))
        return x, bottleneck


class GaussianHead(nn.Module):
    """Global average pool -> 1x1 conv -> (mu, logvar) of an axis-aligned Gaussian."""

    def __init__(self, cin: int, latent: int):
        super().__init__()
        self.proj = nn.Conv2d(cin, 2 * latent, 1)
        nn.init.normal_(self.proj.weight, std=1e-3)   # start near N(0, 1): stable early KL
        nn.init.zeros_(self.proj.bias)
        self.latent = latent

    def forward(self, h):
        p = self.proj(h.mean(dim=(2, 3), keepdim=True)).flatten(1)
        mu, logvar = p[:, : self.latent], p[:, self.latent:]
        return mu, torch.clamp(logvar, LOGVAR_MIN, LOGVAR_MAX)


class PosteriorNet(nn.Module):
    """Conv encoder over image + one-hot reference (training only; not exported)."""

    def __init__(self, in_ch: int, base: int, levels: int, latent: int):
        super().__init__()
        layers, c = [], in_ch
        for i in range(levels):
            co = base * 2 ** i
            layers += [nn.Conv2d(c, co, 3, stride=1 if i == 0 else 2, padding=1), nn.ReLU(inplace=True),
                       nn.Conv2d(co, co, 3, padding=1), nn.ReLU(inplace=True)]
            c = co
        self.net = nn.Sequential(*layers)
        self.head = GaussianHead(c, latent)

    def forward(self, image, seg_onehot):
        return self.head(self.net(torch.cat([image, seg_onehot], 1)))


class LateFusionHead(nn.Module):
    """logits = W3 relu(W2 relu(Wf f + Wz z + b)) : three 1x1 layers as in Kohl et al."""

    def __init__(self, feat: int, latent: int, hidden: int):
        super().__init__()
        self.f_proj = nn.Conv2d(feat, hidden, 1)
        self.z_proj = nn.Linear(latent, hidden, bias=False)
        self.mid = nn.Conv2d(hidden, hidden, 1)
        self.out = nn.Conv2d(hidden, NUM_CLASSES, 1)

    def forward(self, features, z):
        h = self.f_proj(features) + self.z_proj(z)[:, :, None, None]   # broadcast 1 -> N
        h = F.relu(self.mid(F.relu(h)))
        return self.out(h)


class ProbUNet(nn.Module):
    def __init__(self, in_ch: int, image_ch: int, base: int = 16, levels: int = 4, latent: int = 6,
                 post_base: int | None = None):
        super().__init__()
        self.in_ch, self.image_ch, self.latent = in_ch, image_ch, latent
        self.config = dict(in_ch=in_ch, image_ch=image_ch, base=base, levels=levels, latent=latent,
                           post_base=post_base or base)
        self.unet = UNet(in_ch, base, levels)
        self.prior = GaussianHead(self.unet.chs[-1], latent)
        self.posterior = PosteriorNet(image_ch + NUM_CLASSES, post_base or base, levels, latent)
        self.head = LateFusionHead(base, latent, hidden=base)

    def encode(self, x):
        feats, bott = self.unet(x)
        mu, logvar = self.prior(bott)
        return feats, mu, logvar

    def decode(self, feats, z):
        return self.head(feats, z)

    def posterior_dist(self, image, seg_onehot):
        return self.posterior(image, seg_onehot)


def reparam(mu, logvar):
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)


def kl_gauss(mu_q, lv_q, mu_p, lv_p, free_bits: float = 0.0):
    """KL(q || p) for diagonal Gaussians, summed over the latent dims -> [B].

    free_bits > 0 (nats per sample, spread evenly over the dims) is the "free bits" objective of
    Kingma et al. 2016: the batch-mean KL of a dimension below free_bits / D costs nothing, so the
    posterior can carry the reader's preference (tight vs generous: about one bit) without the KL
    term pushing it back onto the prior (posterior collapse, seen at beta 5e-3 on this data)."""
    kl = 0.5 * (lv_p - lv_q + (torch.exp(lv_q) + (mu_q - mu_p) ** 2) / torch.exp(lv_p) - 1)
    if free_bits > 0:
        floor = free_bits / kl.shape[1]
        active = (kl.mean(0, keepdim=True) >= floor).to(kl.dtype)
        kl = kl * active + floor * (1 - active)   # a constant (no gradient) below the floor
    return kl.sum(1)


class EncoderGraph(nn.Module):
    def __init__(self, m: ProbUNet):
        super().__init__()
        self.m = m

    def forward(self, image):
        return self.m.encode(image)


class DecoderGraph(nn.Module):
    def __init__(self, m: ProbUNet):
        super().__init__()
        self.m = m

    def forward(self, features, z):
        return self.m.decode(features, z)
