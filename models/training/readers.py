"""Dataset readers. Each returns a list of `Case`; loading is lazy so that a large folder
(LiTS: 131 volumes, AbdomenAtlas: thousands) is listed instantly and read one at a time.

Label convention after reading: 0 background, 1 liver, 2 tumour, 3 "liver or tumour, not
separable" (the 2-D MSD JPEG masks). Every volume is returned in RAS+ canonical orientation
as [X, Y, Z] arrays plus voxel spacing; the model grid is applied later (preprocess.py).
"""
from __future__ import annotations

import glob
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .preprocess import canonical_arrays

UNION = 3  # label value: liver or tumour (not separable)


@dataclass
class Case:
    id: str
    patient: str                 # splits are by patient, never by slice
    source: str                  # fixtures | lits | atlas | slices2d
    load: Callable               # () -> (hu [X,Y,Z] float32, labels [X,Y,Z] uint8, spacing)
    real_tumour_labels: bool = False
    weight: float = 1.0          # relative sampling weight of the case
    meta: dict = field(default_factory=dict)


def _warn(msg: str) -> None:
    print(f"[readers] {msg}", file=sys.stderr)


def _nii(path: str):
    import nibabel as nib
    return nib.load(path)


def _label_on_image_grid(img, lab_img) -> np.ndarray:
    """Label voxels on the image's canonical grid. Same grid: taken as is. Otherwise resampled
    by the two affines (nearest) - AbdomenAtlas masks are not always on the CT grid."""
    import nibabel as nib
    from scipy.ndimage import map_coordinates

    ci, cl = nib.as_closest_canonical(img), nib.as_closest_canonical(lab_img)
    lab = np.rint(np.asanyarray(cl.dataobj)).astype(np.int16)
    if ci.shape[:3] == cl.shape[:3] and np.allclose(ci.affine, cl.affine, atol=1e-3):
        return lab
    vox2vox = np.linalg.inv(cl.affine) @ ci.affine
    grid = np.indices(ci.shape[:3], dtype=np.float32).reshape(3, -1)
    src = vox2vox[:3, :3] @ grid + vox2vox[:3, 3:4]
    out = map_coordinates(lab, src, order=0, mode="constant", cval=0)
    return out.reshape(ci.shape[:3]).astype(np.int16)


def _load_pair(image_path: str, label_fn: Callable):
    """Generic loader: label_fn(image nibabel obj) -> labels [X,Y,Z] on the canonical grid."""
    def load():
        img = _nii(image_path)
        hu, spacing, _ = canonical_arrays(img)
        return hu, label_fn(img).astype(np.uint8), spacing
    return load


# ------------------------------------------------------------------ repo fixtures

def _dicom_series(folder: str):
    """Patient B: DICOM series -> RAS canonical [X,Y,Z] HU + spacing (+ nibabel image).
    Slices sorted by ImagePositionPatient along the slice normal (the series' SliceThickness
    is wrong); the affine is built in LPS then flipped to RAS."""
    import nibabel as nib
    import pydicom

    ds = [pydicom.dcmread(f) for f in sorted(glob.glob(os.path.join(folder, "*")))
          if os.path.isfile(f)]
    iop = np.array(ds[0].ImageOrientationPatient, float)
    rowdir, coldir = iop[:3], iop[3:]
    normal = np.cross(rowdir, coldir)
    ds.sort(key=lambda d: float(normal @ np.array(d.ImagePositionPatient, float)))
    pos = np.array([np.array(d.ImagePositionPatient, float) for d in ds])
    arr = np.stack([d.pixel_array.astype(np.float32) * float(getattr(d, "RescaleSlope", 1))
                    + float(getattr(d, "RescaleIntercept", 0)) for d in ds], -1)  # [row, col, k]
    dr, dc = (float(v) for v in ds[0].PixelSpacing)
    step = (pos[-1] - pos[0]) / max(len(ds) - 1, 1)
    aff = np.eye(4)
    aff[:3, 0], aff[:3, 1], aff[:3, 2], aff[:3, 3] = rowdir * dc, coldir * dr, step, pos[0]
    aff = np.diag([-1.0, -1.0, 1.0, 1.0]) @ aff
    return nib.Nifti1Image(np.transpose(arr, (1, 0, 2)), aff)


def _jpeg_slice_case(img_path: str) -> Case:
    """2-D MSD Task03 slices: 8-bit = HU clipped to 0..255, stored transposed and mirrored
    relative to our slice convention (the spine is on the left, the liver at the top).
    ours[r, c] = jpeg[N-1-c, r]. Pixel spacing is not recorded: 1.5 mm assumed (512 px at
    ~0.75 mm halved). The mask is liver plus tumour, so it becomes label 3 (union)."""
    mask_path = img_path.replace("-image.jpg", "-mask.jpg")
    m = re.search(r"(\d{5})_(\d+)-image", os.path.basename(img_path))
    pid = m.group(1) if m else os.path.basename(img_path)

    def load():
        from PIL import Image
        img = np.asarray(Image.open(img_path).convert("L"), np.float32)
        msk = np.asarray(Image.open(mask_path).convert("L")) > 127   # drop JPEG fringe
        ours = img.T[:, ::-1]
        lab = np.where(msk.T[:, ::-1], UNION, 0).astype(np.uint8)
        # [Y, X] slice -> [X, Y, 1] canonical volume
        return (np.ascontiguousarray(ours.T[:, :, None]), np.ascontiguousarray(lab.T[:, :, None]),
                (1.5, 1.5, 1.0))
    return Case(id=f"msd-{os.path.basename(img_path)[:-10]}", patient=f"msd-{pid}",
                source="slices2d", load=load, weight=0.1)


def read_fixtures(root: str, include_2d: bool = True) -> list:
    """The real CT fixtures in the repo (data/ct): liver = label 5 in TotalSegmentator maps."""
    cases = []
    pa = os.path.join(root, "patient-a")
    if os.path.exists(os.path.join(pa, "ct.nii.gz")):
        cases.append(Case("patient-a", "patient-a", "fixtures", _load_pair(
            os.path.join(pa, "ct.nii.gz"),
            lambda img: (_label_on_image_grid(img, _nii(os.path.join(pa, "totalseg-v1.nii.gz"))) == 5)),
            meta={"label": "TotalSegmentator v1 (silver)"}))
    if os.path.exists(os.path.join(pa, "ct-crop.nii.gz")):
        # Same patient and slices as ct.nii.gz (a crop, with a v2 label): half weight, same split.
        cases.append(Case("patient-a-crop", "patient-a", "fixtures", _load_pair(
            os.path.join(pa, "ct-crop.nii.gz"),
            lambda img: (_label_on_image_grid(img, _nii(os.path.join(pa, "ct-crop-totalseg-v2.nii.gz"))) == 5)),
            weight=0.5, meta={"label": "TotalSegmentator v2 (silver)"}))
    pb = os.path.join(root, "patient-b")
    if os.path.isdir(os.path.join(pb, "dicom")):
        try:
            import pydicom  # noqa: F401  (JPEG 2000 pixel data also needs Pillow with openjpeg)

            def load_b():
                img = _dicom_series(os.path.join(pb, "dicom"))
                hu, spacing, _ = canonical_arrays(img)
                lab = _label_on_image_grid(img, _nii(os.path.join(pb, "totalseg-v2.nii.gz"))) == 5
                return hu, lab.astype(np.uint8), spacing
            cases.append(Case("patient-b", "patient-b", "fixtures", load_b,
                              meta={"label": "TotalSegmentator v2 (silver)"}))
        except ImportError:
            _warn("patient-b skipped: python3-pydicom / python3-pil not installed")
    nl = os.path.join(root, "no-liver", "ct.nii.gz")
    if os.path.exists(nl):
        # A negative: the lesion mask there is not liver, so every label is background.
        def load_nl():
            hu, spacing, _ = canonical_arrays(_nii(nl))
            return hu, np.zeros(hu.shape, np.uint8), spacing
        cases.append(Case("no-liver", "deeplesion-no-liver", "fixtures", load_nl, weight=0.3,
                          meta={"negative": True}))
    if include_2d:
        imgs = sorted(glob.glob(os.path.join(root, "slices-2d", "*-image.jpg")))
        try:
            import PIL  # noqa: F401
            cases += [_jpeg_slice_case(p) for p in imgs]
        except ImportError:
            if imgs:
                _warn("slices-2d skipped: python3-pil not installed")
    return cases


# ------------------------------------------------------------------ MSD / LiTS

def _strip_nii(name: str) -> str:
    return re.sub(r"\.nii(\.gz)?$", "", name)


def read_lits(root: str) -> list:
    """MSD Task03 (imagesTr/, labelsTr/) or the LiTS challenge layout (volume-N.nii,
    segmentation-N.nii). Labels: 1 liver, 2 tumour."""
    pairs = []
    if os.path.isdir(os.path.join(root, "imagesTr")):
        for p in sorted(glob.glob(os.path.join(root, "imagesTr", "*.nii*"))):
            base = os.path.basename(p)
            if base.startswith("._"):          # macOS resource forks ship inside the MSD tar
                continue
            name = _strip_nii(base)
            lab = [q for q in glob.glob(os.path.join(root, "labelsTr", name + ".nii*"))]
            if not lab:   # nnU-Net naming: case_0000.nii.gz -> case.nii.gz
                lab = glob.glob(os.path.join(root, "labelsTr", re.sub(r"_0000$", "", name) + ".nii*"))
            if lab:
                pairs.append((name, p, lab[0]))
    else:
        for p in sorted(glob.glob(os.path.join(root, "**", "volume-*.nii*"), recursive=True)):
            n = re.search(r"volume-(\d+)", p).group(1)
            lab = glob.glob(os.path.join(root, "**", f"segmentation-{n}.nii*"), recursive=True)
            if lab:
                pairs.append((f"lits-{n}", p, lab[0]))
    cases = []
    for name, img_p, lab_p in pairs:
        def lab_fn(img, lab_p=lab_p):
            lab = _label_on_image_grid(img, _nii(lab_p))
            return np.where(lab == 2, 2, np.where(lab == 1, 1, 0))
        cases.append(Case(name, name, "lits", _load_pair(img_p, lab_fn), real_tumour_labels=True))
    if not cases:
        _warn(f"no MSD/LiTS cases found under {root}")
    return cases


# ------------------------------------------------------------------ AbdomenAtlas

TUMOUR_MASK_NAMES = ("liver_lesion", "liver_tumor", "liver_tumour", "liver_tumors", "hepatic_tumor")


def _atlas_seg_dir(root: str, ct_path: str) -> str | None:
    case_dir = os.path.dirname(ct_path)
    cid = os.path.basename(case_dir)
    cands = [os.path.join(case_dir, "segmentations")]
    # AbdomenAtlas 2.0 and some mirrors keep images and masks in parallel trees.
    for sub in ("label", "labels", "mask", "masks"):
        cands.append(os.path.join(root, sub, cid, "segmentations"))
    for c in cands:
        if os.path.exists(os.path.join(c, "liver.nii.gz")) or os.path.exists(os.path.join(c, "liver.nii")):
            return c
    return None


def read_atlas(root: str) -> list:
    """AbdomenAtlas: <case>/ct.nii.gz + <case>/segmentations/liver.nii.gz, plus a liver tumour
    mask when present (liver_lesion.nii.gz in 2.0, liver_tumor.nii.gz in older releases).
    Also accepts ct/<case>/ct.nii.gz with label/<case>/segmentations/."""
    cts = sorted(set(glob.glob(os.path.join(root, "*", "ct.nii*"))
                     + glob.glob(os.path.join(root, "*", "*", "ct.nii*"))))
    cases = []
    for ct in cts:
        seg = _atlas_seg_dir(root, ct)
        if seg is None:
            continue
        cid = os.path.basename(os.path.dirname(ct))
        tum = next((p for n in TUMOUR_MASK_NAMES for p in glob.glob(os.path.join(seg, n + ".nii*"))), None)

        def lab_fn(img, seg=seg, tum=tum):
            liver = _label_on_image_grid(img, _nii(glob.glob(os.path.join(seg, "liver.nii*"))[0])) > 0
            lab = liver.astype(np.uint8)
            if tum is not None:
                lab[_label_on_image_grid(img, _nii(tum)) > 0] = 2   # tumour lies inside liver
            return lab
        cases.append(Case(cid, cid, "atlas", _load_pair(ct, lab_fn), real_tumour_labels=tum is not None))
    if not cases:
        _warn(f"no AbdomenAtlas cases found under {root}")
    return cases


# ------------------------------------------------------------------ CLI specs

READERS = {"fixtures": read_fixtures, "lits": read_lits, "msd": read_lits, "atlas": read_atlas,
           "slices2d": lambda root: [_jpeg_slice_case(p) for p in
                                     sorted(glob.glob(os.path.join(root, "*-image.jpg")))]}


def read_spec(spec: str) -> list:
    """'kind:/path[:weight]' e.g. 'lits:/data/Task03_Liver', 'atlas:/data/AbdomenAtlas:2'."""
    kind, _, rest = spec.partition(":")
    if kind not in READERS or not rest:
        raise SystemExit(f"--data {spec!r}: expected one of {sorted(READERS)} as kind:/path[:weight]")
    path, weight = rest, 1.0
    m = re.match(r"^(.*):([0-9.]+)$", rest)
    if m and not os.path.exists(rest):
        path, weight = m.group(1), float(m.group(2))
    if not os.path.isdir(path):
        raise SystemExit(f"--data {spec!r}: {path} is not a folder")
    cases = READERS[kind](path)
    for c in cases:
        c.weight *= weight
    return cases
