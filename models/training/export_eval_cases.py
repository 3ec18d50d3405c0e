"""Evaluation cases with synthetic lesions for `npm run eval` (method.md sections 6-7).

  /usr/bin/python3 -m models.training.export_eval_cases --data fixtures:data/ct --cases patient-a,patient-b \
      --out data/eval-synthetic

For each case: the real CT on the model grid (192 px at 2 mm, slice spacing kept) with synthetic
lesions inserted into its real liver (fixed seed, as in evaluate.py), written as <case>/ct.nii.gz
(RAS, HU), and two references as label maps (0 background, 1 liver, 2 tumour): <case>/tight.nii.gz
and <case>/generous.nii.gz, the conservative and the generous reader of the same lesions.
"""
from __future__ import annotations

import argparse
import os

import numpy as np

from .dataset import prepare_case
from .evaluate import insert_lesions
from .preprocess import PreprocessSpec
from .readers import read_spec


def _save(path, zyx, spacing, sz, dtype):
    import nibabel as nib

    vol = np.ascontiguousarray(np.transpose(zyx, (2, 1, 0))).astype(dtype)   # [Z, Y, X] -> V[x, y, z]
    img = nib.Nifti1Image(vol, np.diag([spacing, spacing, sz, 1.0]))
    img.header.set_xyzt_units("mm")
    nib.save(img, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", action="append", required=True)
    ap.add_argument("--cases", default="patient-a,patient-b")
    ap.add_argument("--out", required=True)
    ap.add_argument("--lesions", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--size", type=int, default=192)
    ap.add_argument("--spacing", type=float, default=2.0)
    a = ap.parse_args(argv)
    spec = PreprocessSpec(size=a.size, spacing_mm=a.spacing)
    wanted = a.cases.split(",")
    cases = [c for s in a.data for c in read_spec(s) if c.id in wanted]
    for c in cases:
        pc = prepare_case(c, spec)
        hu, labels, tight, generous = insert_lesions(pc, spec, a.lesions, np.random.default_rng(a.seed))
        if tight is None:
            print(f"{c.id}: no liver, skipped")
            continue
        d = os.path.join(a.out, c.id)
        os.makedirs(d, exist_ok=True)
        _save(os.path.join(d, "ct.nii.gz"), np.rint(hu), spec.spacing_mm, pc.sz, np.int16)
        liver = labels > 0
        for name, mask in (("tight", tight), ("generous", generous)):
            lab = np.where(mask, 2, np.where(liver, 1, 0)).astype(np.uint8)
            _save(os.path.join(d, f"{name}.nii.gz"), lab, spec.spacing_mm, pc.sz, np.uint8)
        print(f"{c.id}: {hu.shape[0]} slices, tumour voxels tight {int(tight.sum())} / generous {int(generous.sum())} -> {d}")


if __name__ == "__main__":
    main()
