"""Tiny synthetic volumes for the tests (no repo data needed)."""
import numpy as np


def body_volume(shape=(40, 36, 12), liver_centre=(26, 18, 6), liver_r=(8, 7, 4)):
    """RAS [X, Y, Z] HU volume: air, a soft-tissue body ellipse, a liver ellipsoid on the right."""
    x, y, z = np.meshgrid(*[np.arange(s) for s in shape], indexing="ij")
    cx, cy = (shape[0] - 1) / 2, (shape[1] - 1) / 2
    body = ((x - cx) / (shape[0] * 0.45)) ** 2 + ((y - cy) / (shape[1] * 0.45)) ** 2 <= 1
    liver = sum(((a - c) / r) ** 2 for a, c, r in zip((x, y, z), liver_centre, liver_r)) <= 1
    hu = np.where(body, 30.0, -1000.0)
    hu[liver] = 60.0
    return hu.astype(np.float32), liver.astype(np.uint8)


def save_nii(path, data, affine=None):
    import nibabel as nib
    nib.save(nib.Nifti1Image(data, np.eye(4) if affine is None else affine), path)
