import unittest

import numpy as np
from scipy.ndimage import distance_transform_edt

from models.training.synth_tumour import SIZE_CLASSES, choose_sites, render, sample_lesion


def liver_phantom(nz=16, size=64, sz=3.0, sp=2.0):
    z, y, x = np.meshgrid(np.arange(nz), np.arange(size), np.arange(size), indexing="ij")
    liver = ((z - nz / 2) * sz / 25) ** 2 + ((y - 32) * sp / 40) ** 2 + ((x - 36) * sp / 50) ** 2 <= 1
    rng = np.random.default_rng(1)
    hu = np.where(liver, 60.0, 20.0) + rng.normal(0, 8, liver.shape)
    return hu, liver.astype(np.uint8)


class SynthTumourTest(unittest.TestCase):
    sz, sp = 3.0, 2.0

    def _lesions(self, rng, liver, n):
        d = distance_transform_edt(liver, sampling=(self.sz, self.sp, self.sp))
        pts = np.argwhere(liver)
        out = []
        for _ in range(n):
            les = sample_lesion(rng, (0, 0, 0))
            site = choose_sites(rng, pts, d[liver > 0], les.mean_radius)
            les.centre = site * np.array([self.sz, self.sp, self.sp])
            out.append(les)
        return out

    def test_inside_liver_and_tight_subset_of_generous(self):
        hu, liver = liver_phantom()
        rng = np.random.default_rng(0)
        nonempty = 0
        for trial in range(25):
            les = self._lesions(rng, liver, int(rng.integers(1, 4)))
            r = render(les, hu, liver, np.arange(hu.shape[0]), self.sz, self.sp)
            self.assertFalse((r.tight & ~r.generous).any(), "tight must be inside generous")
            self.assertFalse((r.generous & ~(r.labels > 0)).any(), "tumour must stay inside the liver")
            self.assertEqual(r.hu.shape, hu.shape)
            nonempty += r.generous.any()
            if r.tight.any():
                self.assertGreaterEqual(r.generous.sum(), r.tight.sum())
        self.assertGreater(nonempty, 20)

    def test_attenuation_and_locality(self):
        hu, liver = liver_phantom()
        rng = np.random.default_rng(3)
        for _ in range(10):
            les = self._lesions(rng, liver, 1)[0]
            les.size_class, les.mass_effect, les.capsule_hu = "medium", 0.0, 0.0
            les.radii = np.array([12.0, 12.0, 12.0])
            r = render([les], hu, liver, np.arange(hu.shape[0]), self.sz, self.sp)
            if r.tight.sum() < 20:
                continue
            delta = r.hu[r.tight].mean() - hu[r.tight].mean()
            self.assertEqual(np.sign(delta), np.sign(les.contrast))     # hypo darker, hyper brighter
            far = distance_transform_edt(~r.generous, sampling=(self.sz, self.sp, self.sp)) > les.extent + 5
            np.testing.assert_allclose(r.hu[far], hu[far])               # nothing changes far away

    def test_size_classes(self):
        rng = np.random.default_rng(0)
        for name, _, (lo, hi) in SIZE_CLASSES:
            for _ in range(20):
                les = sample_lesion(rng, (0, 0, 0), name)
                self.assertTrue(lo * 0.75 - 1e-9 <= les.radii.min() and les.radii.max() <= hi * 1.25 + 1e-9)
                self.assertLess(les.t_generous, les.t_tight)


if __name__ == "__main__":
    unittest.main()
