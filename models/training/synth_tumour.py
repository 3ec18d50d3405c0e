"""Synthetic liver tumours inserted into real livers (method.md section 7, after Hu et al.,
CVPR 2023 "Label-Free Liver Tumor Segmentation").

A lesion is an analytic object in millimetre space (an elastically deformed, rotated
ellipsoid with a low-frequency texture), so it can be evaluated on any set of slices - the few
slices a 2.5-D training slab needs, or a whole volume for evaluation - and stays coherent in 3-D.

Its edge is soft: occupancy s = logistic(-signed_distance / blur). The blurred rim is where
readers disagree, so each lesion gets two references from the same soft boundary:
tight = s >= t_tight (0.6-0.8) and generous = s >= t_generous (0.2-0.4): with an edge
scale of 0.8-3.3 mm the readers sit about 0.7-2.8 mm inside and outside the 50% boundary
(method.md section 6: 1-2 voxels). Since
t_generous < t_tight, tight is a subset of generous by construction; both are clipped to the
liver, so tumour never leaves the liver.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter, map_coordinates

# (name, probability, radius range in mm) - method.md: small 3-10 mm ... large 20-40 mm
SIZE_CLASSES = (("small", 0.45, (3.0, 10.0)), ("medium", 0.35, (10.0, 20.0)), ("large", 0.20, (20.0, 40.0)))


@dataclass
class Lesion:
    centre: np.ndarray          # (z, y, x) mm on the model grid
    radii: np.ndarray           # ellipsoid semi-axes, mm
    rot: np.ndarray             # 3x3 rotation (rows: lesion axes)
    warp_k: np.ndarray          # [M, 3] wave vectors of the elastic displacement (rad/mm)
    warp_phase: np.ndarray      # [M]
    warp_dir: np.ndarray        # [M, 3] displacement amplitudes, mm
    tex_k: np.ndarray           # [T, 3] texture wave vectors
    tex_phase: np.ndarray
    blur: float                 # logistic edge scale, mm
    contrast: float             # HU relative to the local liver mean (<0 hypo, >0 hyper)
    texture_hu: float
    capsule_hu: float           # 0 = no capsule
    capsule_mm: float
    mass_effect: float          # 0 = none; fraction of radius the surroundings are pushed
    t_tight: float
    t_generous: float
    size_class: str

    @property
    def mean_radius(self) -> float:
        return float(np.mean(self.radii))

    @property
    def extent(self) -> float:
        """Radius in mm beyond which the lesion (rim, capsule, warp) has no effect."""
        return float(self.radii.max() * 1.35 + 6 * self.blur + 3 * self.capsule_mm + 2)


def _random_rotation(rng) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    return q * np.sign(np.diag(r))


def sample_lesion(rng: np.random.Generator, centre_mm, size_class: str | None = None) -> Lesion:
    names = [s[0] for s in SIZE_CLASSES]
    if size_class is None:
        size_class = names[rng.choice(len(SIZE_CLASSES), p=[s[1] for s in SIZE_CLASSES])]
    lo, hi = dict((s[0], s[2]) for s in SIZE_CLASSES)[size_class]
    r = rng.uniform(lo, hi)
    radii = r * rng.uniform(0.75, 1.25, size=3)
    # Elastic shape: a smooth random displacement (wavelengths ~1-3 radii, amplitude ~15% r).
    m = 6
    dirs = rng.normal(size=(m, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    warp_k = dirs * (2 * np.pi / (r * rng.uniform(1.0, 3.0, size=(m, 1))))
    warp_dir = rng.normal(size=(m, 3)) * r * rng.uniform(0.04, 0.12)
    # Texture: low-frequency field (wavelength 6-20 mm: above the 2 mm grid Nyquist), unit variance.
    t = 8
    tdirs = rng.normal(size=(t, 3))
    tdirs /= np.linalg.norm(tdirs, axis=1, keepdims=True)
    tex_k = tdirs * (2 * np.pi / rng.uniform(6.0, 20.0, size=(t, 1)))
    hypo = rng.random() < 0.75          # most liver lesions on portal-venous CT are hypodense
    contrast = -rng.uniform(20, 80) if hypo else rng.uniform(15, 50)
    has_capsule = rng.random() < 0.3
    return Lesion(
        centre=np.asarray(centre_mm, float), radii=radii, rot=_random_rotation(rng),
        warp_k=warp_k, warp_phase=rng.uniform(0, 2 * np.pi, m), warp_dir=warp_dir,
        tex_k=tex_k, tex_phase=rng.uniform(0, 2 * np.pi, t),
        blur=rng.uniform(0.8, 2.5) * (1.0 if size_class == "small" else 1.3),
        contrast=contrast, texture_hu=rng.uniform(4, 15),
        capsule_hu=rng.uniform(20, 50) if has_capsule else 0.0, capsule_mm=rng.uniform(0.8, 1.6),
        mass_effect=rng.uniform(0.05, 0.25) if (size_class != "small" and rng.random() < 0.4) else 0.0,
        t_tight=rng.uniform(0.6, 0.8), t_generous=rng.uniform(0.2, 0.4), size_class=size_class)


def lesion_fields(les: Lesion, pts_mm: np.ndarray):
    """Signed distance (mm, <0 inside) and unit texture at points [N, 3] (z, y, x mm)."""
    p = (pts_mm - les.centre) @ les.rot.T
    p = p + np.sin(p @ les.warp_k.T + les.warp_phase) @ les.warp_dir
    rho = np.sqrt(((p / les.radii) ** 2).sum(-1))
    sd = (rho - 1.0) * les.mean_radius
    tex = np.sqrt(2.0 / len(les.tex_phase)) * np.cos(pts_mm @ les.tex_k.T + les.tex_phase).sum(-1)
    return sd, tex


def occupancy(sd: np.ndarray, blur: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(np.clip(sd / blur, -50, 50)))


@dataclass
class Rendered:
    hu: np.ndarray          # [n, H, W] with lesions
    labels: np.ndarray      # [n, H, W] silver labels after mass effect (liver may bulge)
    tight: np.ndarray       # [n, H, W] bool
    generous: np.ndarray    # [n, H, W] bool


def _box(les: Lesion, z_mm, spacing, shape_hw):
    e = les.extent
    cy, cx = les.centre[1] / spacing, les.centre[2] / spacing
    h = e / spacing
    y0, y1 = max(int(cy - h), 0), min(int(cy + h) + 2, shape_hw[0])
    x0, x1 = max(int(cx - h), 0), min(int(cx + h) + 2, shape_hw[1])
    zsel = np.nonzero(np.abs(np.asarray(z_mm) - les.centre[0]) <= e)[0]
    return zsel, y0, y1, x0, x1


def render(lesions, hu: np.ndarray, labels: np.ndarray, z_idx, sz: float, spacing: float) -> Rendered:
    """Insert lesions into slices hu[n, H, W] (HU on the model grid) whose slice indices in the
    volume are z_idx. labels: 0 bg, 1 liver, 2 tumour, 3 liver-or-tumour."""
    hu = hu.astype(np.float64).copy()
    labels = labels.copy()
    tight = np.zeros(hu.shape, bool)
    generous = np.zeros(hu.shape, bool)
    z_mm = np.asarray(z_idx, float) * sz
    for les in lesions:
        zsel, y0, y1, x0, x1 = _box(les, z_mm, spacing, hu.shape[1:])
        if len(zsel) == 0 or y1 <= y0 or x1 <= x0:
            continue
        sub = np.s_[zsel[0]:zsel[-1] + 1, y0:y1, x0:x1]
        h, lab = hu[sub], labels[sub]
        liver = lab > 0
        if not liver.any():
            continue
        if les.mass_effect > 0:
            h, lab = _mass_effect(les, h, lab, z_mm[zsel], y0, x0, spacing)
            liver = lab > 0
        zz, yy, xx = np.meshgrid(z_mm[zsel], (np.arange(y0, y1)) * spacing, (np.arange(x0, x1)) * spacing,
                                 indexing="ij")
        pts = np.stack([zz, yy, xx], -1).reshape(-1, 3)
        sd, tex = (a.reshape(h.shape) for a in lesion_fields(les, pts))
        s = occupancy(sd, les.blur) * liver
        mu = float(h[liver].mean())       # local liver mean (within the lesion's box)
        # Keep the scanner noise (high-pass residual) but replace the local anatomy.
        resid = h - gaussian_filter(h, sigma=(0, 1.5, 1.5))
        value = mu + les.contrast + les.texture_hu * tex + resid
        out = (1 - s) * h + s * value
        if les.capsule_hu > 0:
            ring = np.exp(-((sd - 0.5 * les.blur) / les.capsule_mm) ** 2) * liver
            out = out + les.capsule_hu * ring
        hu[sub] = out
        labels[sub] = lab
        tight[sub] |= (s >= les.t_tight) & liver
        generous[sub] |= (s >= les.t_generous) & liver
    return Rendered(hu=hu, labels=labels, tight=tight, generous=generous)


def _mass_effect(les, h, lab, z_mm, y0, x0, spacing):
    """Push the surroundings outward (in-plane) around the lesion: content at distance d is
    sampled from d * (1 - m * exp(-(d / 1.5R)^2)), so the lesion region is expanded."""
    n, hh, ww = h.shape
    yy, xx = np.meshgrid(np.arange(hh, dtype=float), np.arange(ww, dtype=float), indexing="ij")
    cy, cx = les.centre[1] / spacing - y0, les.centre[2] / spacing - x0
    dy, dx = yy - cy, xx - cx
    d_mm = np.hypot(dy, dx) * spacing
    out_h, out_l = h.copy(), lab.copy()
    for i in range(n):
        dz = abs(z_mm[i] - les.centre[0])
        rz = les.mean_radius * np.sqrt(max(0.0, 1 - (dz / les.mean_radius) ** 2)) if dz < les.mean_radius else 0
        if rz <= 0:
            continue
        f = 1 - les.mass_effect * np.exp(-(d_mm / (1.5 * rz)) ** 2)
        coords = np.stack([cy + dy * f, cx + dx * f])
        out_h[i] = map_coordinates(h[i], coords, order=1, mode="nearest")
        out_l[i] = map_coordinates(lab[i], coords, order=0, mode="nearest")
    return out_h, out_l


def choose_sites(rng, liver_pts: np.ndarray, liver_edt: np.ndarray, radius: float) -> np.ndarray | None:
    """A lesion centre (z, r, c index) inside the eroded liver: distance to the liver surface at
    least 0.6 R, or the deepest 20% of the liver for lesions too large for it."""
    if len(liver_pts) == 0:
        return None
    need = min(0.6 * radius, 0.8 * float(liver_edt.max()))
    ok = np.nonzero(liver_edt >= need)[0]
    if len(ok) == 0:
        ok = np.arange(len(liver_pts))
    return liver_pts[rng.choice(ok)]
