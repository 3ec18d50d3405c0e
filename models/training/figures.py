"""Figure of synthetic lesions for the model card.

Each row is one lesion, in a 96 x 96 model-pixel window around it (nearest x2):
  column 1: the real slice, column 2: the same slice with the lesion,
  column 3: lesion with the tight reference (green) and the generous reference (orange) outlines,
  column 4: the silver liver label (blue) with both references filled (tight green over orange).
Rows go small, small, medium, medium, large, large (hypo/hyper and capsule at random).
Shown in the radiological convention (anterior up, the patient's right on the image left): the
model grid itself has anterior down and right on the right (preprocess.py step 2).

  /usr/bin/python3 -m models.training.figures --data fixtures:data/ct --out models/smoke/figures
"""
from __future__ import annotations

import argparse
import os

import numpy as np
from scipy.ndimage import binary_erosion

from .dataset import prepare_case
from .png import write_png
from .preprocess import PreprocessSpec, window_normalise
from .readers import read_spec
from .synth_tumour import choose_sites, render, sample_lesion

GREEN, ORANGE, BLUE = (40, 220, 60), (255, 150, 20), (60, 120, 255)


def _gray(hu, window):
    g = (window_normalise(hu, window) + 1) * 127.5
    return np.repeat(g[..., None], 3, -1)


def _outline(img, mask, color):
    edge = mask & ~binary_erosion(mask)
    img[edge] = color
    return img


def _radiological(panel):
    return panel[::-1, ::-1]


def lesion_rows(pc, spec: PreprocessSpec, seed: int = 7, classes=("small", "small", "medium", "medium", "large", "large"),
                half: int = 48):
    half = min(half, spec.size // 2)
    rng = np.random.default_rng(seed)
    rows = []
    for cls in classes:
        les = sample_lesion(rng, (0, 0, 0), cls)
        site = choose_sites(rng, pc.liver_pts, pc.liver_edt, les.mean_radius)
        les.centre = site * np.array([pc.sz, spec.spacing_mm, spec.spacing_mm])
        k = int(site[0])
        r = render([les], pc.hu[[k]].astype(np.float64), pc.labels[[k]], [k], pc.sz, spec.spacing_mm)
        y, x = int(site[1]), int(site[2])
        y0 = int(np.clip(y - half, 0, spec.size - 2 * half))
        x0 = int(np.clip(x - half, 0, spec.size - 2 * half))
        win = np.s_[y0:y0 + 2 * half, x0:x0 + 2 * half]
        before = _gray(pc.hu[k][win], spec.window)
        after = _gray(r.hu[0][win], spec.window)
        t, g = r.tight[0][win], r.generous[0][win]
        c3 = _outline(_outline(after.copy(), g, ORANGE), t, GREEN)
        c4 = after.copy() * 0.5
        c4[r.labels[0][win] > 0] = np.array(BLUE) * 0.6 + c4[r.labels[0][win] > 0] * 0.4
        c4[g] = ORANGE
        c4[t] = GREEN
        rows.append(np.concatenate([_radiological(p) for p in (before, after, c3, c4)], 1))
    return rows


def save_figure(pc, spec: PreprocessSpec, path: str, seed: int = 7) -> str:
    rows = lesion_rows(pc, spec, seed)
    sep = np.full((2, rows[0].shape[1], 3), 255.0)
    fig = np.concatenate([np.concatenate([r, sep]) for r in rows])
    fig = fig.repeat(2, 0).repeat(2, 1)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    write_png(path, fig)
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="fixtures:data/ct")
    ap.add_argument("--case", default="patient-a")
    ap.add_argument("--out", required=True, help="folder for synthetic_tumours.png")
    ap.add_argument("--size", type=int, default=192)
    ap.add_argument("--spacing", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args(argv)
    spec = PreprocessSpec(size=a.size, spacing_mm=a.spacing)
    case = next(c for c in read_spec(a.data) if c.id == a.case)
    print(save_figure(prepare_case(case, spec), spec, os.path.join(a.out, "synthetic_tumours.png"), a.seed))


if __name__ == "__main__":
    main()
