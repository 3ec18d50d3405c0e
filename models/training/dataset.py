"""Training samples: a case on the model grid -> (optional synthetic lesions) -> 2.5-D slab ->
augmentation -> HU window. The slab and the window are the preprocess.py functions, so a
training input differs from an inference input only by the augmentation in between.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import binary_dilation, binary_erosion, distance_transform_edt

from . import augment
from .preprocess import PreprocessSpec, prepare_volume, slab_positions, window_normalise
from .readers import UNION, Case
from .synth_tumour import choose_sites, render, sample_lesion


@dataclass
class PreparedCase:
    id: str
    patient: str
    source: str
    hu: np.ndarray                 # [Z, size, size] float32 HU on the model grid
    labels: np.ndarray             # [Z, size, size] uint8
    sz: float
    weight: float
    real_tumour_labels: bool
    liver_slices: np.ndarray
    liver_pts: np.ndarray          # [N, 3] (z, r, c) sample of liver voxels (for lesion sites)
    liver_edt: np.ndarray          # [N] their depth inside the liver, mm
    meta: dict = field(default_factory=dict)

    @property
    def has_liver(self) -> bool:
        return len(self.liver_slices) > 0


def prepare_case(case: Case, spec: PreprocessSpec, max_pts: int = 20000, seed: int = 0) -> PreparedCase:
    hu, lab, spacing = case.load()
    pv = prepare_volume(hu, spacing, spec, lab)
    labels = pv.labels
    liver = labels > 0
    liver_slices = np.nonzero(liver.any(axis=(1, 2)))[0]
    pts = np.zeros((0, 3), np.int32)
    edt = np.zeros((0,), np.float32)
    if len(liver_slices) and labels.max() < UNION:   # no lesions in 2-D union-label slices
        d = distance_transform_edt(liver, sampling=(pv.sz, spec.spacing_mm, spec.spacing_mm))
        pts = np.argwhere(liver).astype(np.int32)
        rng = np.random.default_rng(seed)
        if len(pts) > max_pts:
            pts = pts[rng.choice(len(pts), max_pts, replace=False)]
        edt = d[pts[:, 0], pts[:, 1], pts[:, 2]].astype(np.float32)
    return PreparedCase(case.id, case.patient, case.source, pv.hu, labels, pv.sz, case.weight,
                        case.real_tumour_labels, liver_slices, pts, edt,
                        meta=dict(case.meta, centre=pv.centre, spacing=pv.spacing_xyz, shape=pv.shape_xyz))


def prepare_all(cases, spec: PreprocessSpec, log=print) -> list:
    out = []
    for c in cases:
        t = time.time()
        try:
            pc = prepare_case(c, spec)
        except Exception as e:  # one unreadable volume must not stop a long run
            print(f"[dataset] skipping {c.id}: {e}", file=sys.stderr)
            continue
        log(f"  prepared {c.id:<28} slices={pc.hu.shape[0]:4d} liver_slices={len(pc.liver_slices):4d} "
            f"({time.time() - t:.1f}s)")
        out.append(pc)
    return out


@dataclass
class SamplerConfig:
    p_lesion: float = 0.7            # synthetic lesions on a liver case without real tumour labels
    max_lesions: int = 3
    p_liver_slice: float = 0.85      # otherwise any slice (negatives, edges)
    p_reader_jitter: float = 0.5     # real tumour labels: make a tight/generous variant
    augment: bool = True


class Sampler:
    """Draws training samples. Each sample: image [C_img, H, W] (windowed), and two label maps
    (tight and generous reference; equal when the sample has no tumour ambiguity)."""

    def __init__(self, cases, spec: PreprocessSpec, cfg: SamplerConfig, seed: int = 0):
        self.cases, self.spec, self.cfg = cases, spec, cfg
        self.rng = np.random.default_rng(seed)
        w = np.array([c.weight for c in cases], float)
        self.p = w / w.sum()

    def sample(self) -> dict:
        c = self.cases[self.rng.choice(len(self.cases), p=self.p)]
        return make_sample(c, self.spec, self.cfg, self.rng)

    def batch(self, n: int) -> dict:
        items = [self.sample() for _ in range(n)]
        return {k: np.stack([it[k] for it in items]) for k in ("image", "tight", "generous", "lesion")}


def make_sample(c: PreparedCase, spec: PreprocessSpec, cfg: SamplerConfig, rng, k: int | None = None) -> dict:
    nz = c.hu.shape[0]
    lesions = []
    if (c.has_liver and not c.real_tumour_labels and len(c.liver_pts) and k is None
            and rng.random() < cfg.p_lesion):
        first = sample_lesion(rng, (0, 0, 0))
        site = choose_sites(rng, c.liver_pts, c.liver_edt, first.mean_radius)
        first.centre = site * np.array([c.sz, spec.spacing_mm, spec.spacing_mm])
        lesions.append(first)
        # the slice: somewhere through the lesion (its inner 70% along z)
        dz = int(round(rng.uniform(-0.7, 0.7) * first.radii.min() / c.sz))
        k = int(np.clip(site[0] + dz, 0, nz - 1))
        near = np.abs(c.liver_pts[:, 0] - k) * c.sz < 15      # extra lesions near slice k
        for _ in range(rng.integers(0, cfg.max_lesions)):
            if not near.any():
                break
            les = sample_lesion(rng, (0, 0, 0))
            s2 = choose_sites(rng, c.liver_pts[near], c.liver_edt[near], les.mean_radius)
            les.centre = s2 * np.array([c.sz, spec.spacing_mm, spec.spacing_mm])
            lesions.append(les)
    if k is None:
        if c.has_liver and rng.random() < cfg.p_liver_slice:
            k = int(rng.choice(c.liver_slices))
        else:
            k = int(rng.integers(0, nz))

    pos = slab_positions(k, nz, c.sz, spec.slab_offsets_mm)
    src = sorted({z for z0, z1, _ in pos for z in (z0, z1)} | {k})
    hu = c.hu[src].astype(np.float64)
    lab = c.labels[src].copy()
    tight = generous = None
    if lesions:
        r = render(lesions, hu, lab, src, c.sz, spec.spacing_mm)
        hu, lab, tight, generous = r.hu, r.labels, r.tight, r.generous
    # 2.5-D slab, linear in z, exactly as preprocess.slab_hu does for inference
    idx = {z: i for i, z in enumerate(src)}
    slab = np.stack([(1 - t) * hu[idx[z0]] + t * hu[idx[z1]] for z0, z1, t in pos])
    base = lab[idx[k]].astype(np.int64)
    lab_t, lab_g = base.copy(), base.copy()
    if lesions:
        lab_t[tight[idx[k]]] = 2
        lab_g[generous[idx[k]]] = 2
    elif c.real_tumour_labels and (base == 2).any() and rng.random() < cfg.p_reader_jitter:
        # One real reference only: make a tighter and a more generous reader by 1 pixel.
        tum, organ = base == 2, base > 0
        lab_t = np.where(tum & ~binary_erosion(tum), 1, base)
        lab_g = np.where(binary_dilation(tum) & organ, 2, base)
    if cfg.augment:
        slab, (lab_t, lab_g) = augment.spatial(rng, slab, [lab_t, lab_g], spec.fill_hu)
        slab = augment.intensity(rng, slab)
    img = window_normalise(slab, spec.window).astype(np.float32)
    return {"image": img, "tight": lab_t.astype(np.int64), "generous": lab_g.astype(np.int64),
            "lesion": np.int64(bool((lab_g == 2).any())), "k": k, "case": c.id}


def fixed_set(cases, spec: PreprocessSpec, n: int, seed: int) -> dict:
    """A deterministic validation set (lesions yes, augmentation no)."""
    cfg = SamplerConfig(augment=False, p_reader_jitter=0.0)
    s = Sampler(cases, spec, cfg, seed=seed)
    return s.batch(n)
