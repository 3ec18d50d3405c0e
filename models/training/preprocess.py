"""The one definition of the model-input preprocessing.

Training, evaluation, the exported reference tensors and (by re-implementation from the
manifest's `preprocessing` block) the TypeScript runtime all use exactly these steps:

1. Reorient to RAS+ (nibabel `as_closest_canonical`); apply the NIfTI scaling (HU).
2. Slice k of the canonical volume V[x, y, z] is the 2-D array S_k[y, x] (H = anterior axis,
   W = right axis, both increasing with the index) - the Fortran memory order of a NIfTI
   slice, so a TS reader can take a slice as one contiguous block.
3. Crop centre (cy, cx) = mean (y, x) index of all voxels > body_threshold_hu in the whole
   volume (float64); the grid centre when there are none. One centre per volume so that
   every slice shares the model grid and 3-D candidates stack without shifting.
4. Model pixel (r, c) samples y = cy + (r - (size-1)/2) * spacing/sy,
   x = cx + (c - (size-1)/2) * spacing/sx, bilinear, the slice extended by fill_hu outside.
   (Labels: nearest, index floor(v + 0.5), 0 outside.)
5. 2.5-D: channel i samples the volume at z = clamp(k + offset_mm[i]/sz, 0, nz-1), linear
   between the two nearest slices, so neighbours are at the same physical distance whatever
   the slice thickness.
6. HU window: x = (clip(hu, lo, hi) - (lo+hi)/2) / ((hi-lo)/2), i.e. [-1, 1].
7. Optional click channels (positive, negative): 1 inside a disk of click_radius_px around
   each click (in model pixels, (r-rc)^2 + (c-cc)^2 <= radius^2), else 0.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

PREPROCESS_VERSION = "uair-preprocess/1"


@dataclass
class PreprocessSpec:
    size: int = 192                      # model input H = W
    spacing_mm: float = 2.0              # in-plane spacing of the model grid
    window: tuple = (-160.0, 240.0)      # HU window (liver soft tissue plus body context)
    slab_offsets_mm: tuple = (-3.0, 0.0, 3.0)
    body_threshold_hu: float = -500.0
    fill_hu: float = -1024.0
    clicks: bool = True
    click_radius_px: float = 3.0

    @property
    def image_channels(self) -> int:
        return len(self.slab_offsets_mm)

    @property
    def in_channels(self) -> int:
        return self.image_channels + (2 if self.clicks else 0)

    def channel_names(self) -> list:
        names = [f"ct{o:+g}mm" for o in self.slab_offsets_mm]
        return names + (["click_pos", "click_neg"] if self.clicks else [])

    def to_manifest(self) -> dict:
        d = dataclasses.asdict(self)
        d["window"] = list(self.window)
        d["slab_offsets_mm"] = list(self.slab_offsets_mm)
        d["version"] = PREPROCESS_VERSION
        d["channels"] = self.channel_names()
        d["steps"] = [
            "reorient to RAS+ (nearest canonical axes), HU = stored * scl_slope + scl_inter",
            "slice k: S_k[y][x] = V[x][y][k]; H = y (anterior), W = x (right)",
            "centre (cy, cx) = mean index of voxels with HU > body_threshold_hu over the whole volume; grid centre if none",
            "pixel (r, c) <- y = cy + (r - (size-1)/2) * spacing_mm/sy, x = cx + (c - (size-1)/2) * spacing_mm/sx; bilinear, fill_hu outside the slice",
            "channel i: z = clamp(k + slab_offsets_mm[i]/sz, 0, nz-1), linear between floor(z) and min(floor(z)+1, nz-1)",
            "x = (clip(hu, lo, hi) - (lo+hi)/2) / ((hi-lo)/2)",
            "clicks (if enabled): channel click_pos / click_neg = 1 where (r-rc)^2 + (c-cc)^2 <= click_radius_px^2",
        ]
        return d

    @classmethod
    def from_manifest(cls, d: dict) -> "PreprocessSpec":
        keys = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in d.items() if k in keys}
        kw["window"] = tuple(kw.get("window", cls.window))
        kw["slab_offsets_mm"] = tuple(kw.get("slab_offsets_mm", cls.slab_offsets_mm))
        return cls(**kw)


# ---------------------------------------------------------------- volume level

def canonical_arrays(img, is_label: bool = False):
    """RAS+ canonical array [X, Y, Z] and voxel spacing (sx, sy, sz) of a nibabel image."""
    import nibabel as nib

    c = nib.as_closest_canonical(img)
    if is_label:
        data = np.rint(np.asanyarray(c.dataobj)).astype(np.int16)
    else:
        data = c.get_fdata(dtype=np.float64).astype(np.float32)
    zooms = tuple(float(z) for z in c.header.get_zooms()[:3])
    return data, zooms, c.affine


def to_slices(vol_xyz: np.ndarray) -> np.ndarray:
    """[X, Y, Z] canonical volume -> [Z, Y, X] stack of model-oriented slices."""
    return np.ascontiguousarray(np.transpose(vol_xyz, (2, 1, 0)))


def body_centre(slices_zyx: np.ndarray, threshold: float) -> tuple:
    nz, ny, nx = slices_zyx.shape
    m = slices_zyx > threshold
    n = int(m.sum())
    if n == 0:
        return ((ny - 1) / 2.0, (nx - 1) / 2.0)
    # Sums of indices via per-axis counts: exact and cheap.
    cy = float((m.sum(axis=(0, 2)).astype(np.float64) * np.arange(ny)).sum() / n)
    cx = float((m.sum(axis=(0, 1)).astype(np.float64) * np.arange(nx)).sum() / n)
    return (cy, cx)


def sample_coords(spec: PreprocessSpec, centre: tuple, sy: float, sx: float):
    """Source coordinates (ys over rows, xs over columns) of the model grid."""
    half = (spec.size - 1) / 2.0
    idx = np.arange(spec.size, dtype=np.float64) - half
    ys = centre[0] + idx * (spec.spacing_mm / sy)
    xs = centre[1] + idx * (spec.spacing_mm / sx)
    return ys, xs


def _bilinear_1d(n: int, coords: np.ndarray):
    i0 = np.floor(coords).astype(np.int64)
    w = coords - i0
    i1 = i0 + 1
    v0 = (i0 >= 0) & (i0 < n)
    v1 = (i1 >= 0) & (i1 < n)
    return np.clip(i0, 0, n - 1), np.clip(i1, 0, n - 1), w, v0, v1


def resample_slices(slices: np.ndarray, ys: np.ndarray, xs: np.ndarray, fill: float) -> np.ndarray:
    """Bilinear in-plane resampling of every slice [Z, Y, X] -> [Z, size, size] (float64 math)."""
    nz, ny, nx = slices.shape
    y0, y1, wy, vy0, vy1 = _bilinear_1d(ny, ys)
    x0, x1, wx, vx0, vx1 = _bilinear_1d(nx, xs)
    s = slices.astype(np.float64)
    r0 = np.where(vy0[None, :, None], s[:, y0, :], fill)
    r1 = np.where(vy1[None, :, None], s[:, y1, :], fill)
    rows = (1.0 - wy)[None, :, None] * r0 + wy[None, :, None] * r1      # [Z, size, X]
    c0 = np.where(vx0[None, None, :], rows[:, :, x0], fill)
    c1 = np.where(vx1[None, None, :], rows[:, :, x1], fill)
    return (1.0 - wx)[None, None, :] * c0 + wx[None, None, :] * c1


def resample_labels(slices: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    nz, ny, nx = slices.shape
    yi = np.floor(ys + 0.5).astype(np.int64)
    xi = np.floor(xs + 0.5).astype(np.int64)
    vy = (yi >= 0) & (yi < ny)
    vx = (xi >= 0) & (xi < nx)
    out = slices[:, np.clip(yi, 0, ny - 1), :][:, :, np.clip(xi, 0, nx - 1)]
    return np.where(vy[None, :, None] & vx[None, None, :], out, 0).astype(np.uint8)


@dataclass
class PreparedVolume:
    """A volume on the model grid: HU slices [Z, size, size] plus what is needed to map back."""
    hu: np.ndarray
    sz: float
    centre: tuple
    spacing_xyz: tuple
    shape_xyz: tuple
    labels: np.ndarray | None = None
    meta: dict = field(default_factory=dict)


def prepare_volume(vol_xyz: np.ndarray, spacing_xyz: tuple, spec: PreprocessSpec,
                   labels_xyz: np.ndarray | None = None) -> PreparedVolume:
    sx, sy, sz = spacing_xyz
    sl = to_slices(vol_xyz)
    centre = body_centre(sl, spec.body_threshold_hu)
    ys, xs = sample_coords(spec, centre, sy, sx)
    hu = resample_slices(sl, ys, xs, spec.fill_hu).astype(np.float32)
    lab = resample_labels(to_slices(labels_xyz), ys, xs) if labels_xyz is not None else None
    return PreparedVolume(hu=hu, sz=float(sz), centre=centre, spacing_xyz=tuple(spacing_xyz),
                          shape_xyz=tuple(vol_xyz.shape), labels=lab)


# ---------------------------------------------------------------- slice level

def slab_positions(k: int, nz: int, sz: float, offsets_mm) -> list:
    """(z0, z1, t) per channel: value = (1-t)*S[z0] + t*S[z1]."""
    out = []
    for o in offsets_mm:
        z = min(max(k + o / sz, 0.0), nz - 1.0)
        z0 = int(math.floor(z))
        z1 = min(z0 + 1, nz - 1)
        out.append((z0, z1, z - z0))
    return out


def slab_hu(hu: np.ndarray, k: int, sz: float, offsets_mm) -> np.ndarray:
    nz = hu.shape[0]
    chans = []
    for z0, z1, t in slab_positions(k, nz, sz, offsets_mm):
        a = hu[z0].astype(np.float64)
        chans.append(a if t == 0.0 else (1.0 - t) * a + t * hu[z1].astype(np.float64))
    return np.stack(chans)


def window_normalise(hu, window) -> np.ndarray:
    lo, hi = float(window[0]), float(window[1])
    return (np.clip(hu, lo, hi) - (lo + hi) / 2.0) / ((hi - lo) / 2.0)


def click_maps(clicks, size: int, radius: float) -> np.ndarray:
    """clicks: iterable of (row, col, positive) in model pixels -> [2, size, size] float32."""
    maps = np.zeros((2, size, size), np.float32)
    rr = np.arange(size)[:, None]
    cc = np.arange(size)[None, :]
    for r, c, positive in clicks:
        disk = (rr - r) ** 2 + (cc - c) ** 2 <= radius * radius
        maps[0 if positive else 1][disk] = 1.0
    return maps


def model_input(prep: PreparedVolume, k: int, spec: PreprocessSpec, clicks=()) -> np.ndarray:
    """The encoder input [C, size, size] float32 for slice k of a prepared volume."""
    x = window_normalise(slab_hu(prep.hu, k, prep.sz, spec.slab_offsets_mm), spec.window)
    if spec.clicks:
        x = np.concatenate([x, click_maps(clicks, spec.size, spec.click_radius_px)])
    return x.astype(np.float32)


def voxel_to_model(prep: PreparedVolume, spec: PreprocessSpec, y: float, x: float) -> tuple:
    """Canonical voxel (y, x) -> model pixel (r, c): the inverse of step 4 (for clicks)."""
    sx, sy, _ = prep.spacing_xyz
    half = (spec.size - 1) / 2.0
    return ((y - prep.centre[0]) * sy / spec.spacing_mm + half,
            (x - prep.centre[1]) * sx / spec.spacing_mm + half)


def preprocess_nifti(path: str, spec: PreprocessSpec) -> PreparedVolume:
    import nibabel as nib

    vol, spacing, _ = canonical_arrays(nib.load(path))
    return prepare_volume(vol, spacing, spec)
