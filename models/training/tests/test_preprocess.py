import unittest

import numpy as np

from models.training.preprocess import (PreprocessSpec, body_centre, canonical_arrays, click_maps, model_input,
                                        prepare_volume, sample_coords, slab_hu, to_slices, voxel_to_model,
                                        window_normalise)
from models.training.tests.helpers import body_volume


class PreprocessTest(unittest.TestCase):
    def setUp(self):
        self.spec = PreprocessSpec(size=48, spacing_mm=2.0, clicks=True)

    def test_shapes_and_range(self):
        hu, lab = body_volume()
        pv = prepare_volume(hu, (1.5, 1.5, 3.0), self.spec, lab)
        self.assertEqual(pv.hu.shape, (12, 48, 48))
        self.assertEqual(pv.labels.shape, (12, 48, 48))
        x = model_input(pv, 5, self.spec)
        self.assertEqual(x.shape, (5, 48, 48))
        self.assertEqual(x.dtype, np.float32)
        self.assertLessEqual(x[:3].max(), 1.0)
        self.assertGreaterEqual(x[:3].min(), -1.0)
        self.assertTrue((x[3:] == 0).all())          # no clicks -> zero click channels

    def test_window_values(self):
        w = (-160.0, 240.0)
        np.testing.assert_allclose(window_normalise(np.array([-1000, -160, 40, 240, 3000.0]), w),
                                   [-1, -1, 0, 1, 1])

    def test_bilinear_exact_on_linear_ramp_and_fill_outside(self):
        nx, ny = 30, 20
        ramp = np.broadcast_to(np.arange(nx, dtype=np.float32)[:, None, None] * 3.0, (nx, ny, 2)).copy()
        spec = PreprocessSpec(size=64, spacing_mm=0.5)
        pv = prepare_volume(ramp, (1.0, 1.0, 1.0), spec)
        ys, xs = sample_coords(spec, pv.centre, 1.0, 1.0)
        inside = (xs >= 0) & (xs <= nx - 1)
        row = pv.hu[0, 32]
        np.testing.assert_allclose(row[inside], 3.0 * xs[inside], atol=1e-4)
        # far outside the slice (more than one pixel) -> fill value
        far = (xs < -1) | (xs > nx)
        self.assertTrue(far.any() or spec.size * spec.spacing_mm <= nx)
        np.testing.assert_allclose(pv.hu[0][:, far], spec.fill_hu)

    def test_reorientation_is_invisible(self):
        """The same anatomy stored RAS or flipped (LPI) gives the same model input."""
        import nibabel as nib
        hu, _ = body_volume()
        aff = np.diag([1.5, 1.5, 3.0, 1.0])
        ras = nib.Nifti1Image(hu, aff)
        flip = np.diag([-1.0, -1.0, -1.0, 1.0])
        shape = np.array(hu.shape)
        aff2 = aff @ np.block([[flip[:3, :3], ((shape - 1))[:, None]], [np.zeros((1, 3)), np.ones((1, 1))]])
        lpi = nib.Nifti1Image(hu[::-1, ::-1, ::-1].copy(), aff2)
        self.assertEqual(nib.aff2axcodes(lpi.affine), ("L", "P", "I"))
        a = prepare_volume(*canonical_arrays(ras)[:2], self.spec)
        b = prepare_volume(*canonical_arrays(lpi)[:2], self.spec)
        np.testing.assert_allclose(a.hu, b.hu, atol=1e-4)

    def test_liver_on_the_right_of_the_image(self):
        hu, lab = body_volume()             # liver at larger x = patient's right in RAS
        pv = prepare_volume(hu, (1.5, 1.5, 3.0), self.spec, lab)
        cols = np.nonzero(pv.labels.any(axis=(0, 1)))[0]
        self.assertGreater(cols.mean(), self.spec.size / 2)

    def test_slab_linear_in_z_and_clamped(self):
        nz = 8
        vol = np.broadcast_to(np.arange(nz, dtype=np.float32) * 10.0, (6, 6, nz)).copy()
        s = slab_hu(to_slices(vol), 3, 2.0, (-3.0, 0.0, 3.0))   # 2 mm slices: +-1.5 slices
        np.testing.assert_allclose(s[:, 0, 0], [15.0, 30.0, 45.0])
        s = slab_hu(to_slices(vol), 0, 2.0, (-3.0, 0.0, 3.0))
        np.testing.assert_allclose(s[:, 0, 0], [0.0, 0.0, 15.0])
        s = slab_hu(to_slices(vol), nz - 1, 2.0, (-3.0, 0.0, 3.0))
        np.testing.assert_allclose(s[:, 0, 0], [55.0, 70.0, 70.0])

    def test_body_centre_and_inverse_mapping(self):
        hu, _ = body_volume()
        sl = to_slices(hu)
        cy, cx = body_centre(sl, -500)
        self.assertAlmostEqual(cy, (hu.shape[1] - 1) / 2, places=5)
        self.assertAlmostEqual(cx, (hu.shape[0] - 1) / 2, places=5)
        pv = prepare_volume(hu, (1.5, 1.25, 3.0), self.spec)
        ys, xs = sample_coords(self.spec, pv.centre, 1.25, 1.5)
        r, c = voxel_to_model(pv, self.spec, ys[7], xs[30])
        self.assertAlmostEqual(r, 7.0, places=6)
        self.assertAlmostEqual(c, 30.0, places=6)

    def test_click_disk(self):
        m = click_maps([(10, 10, True), (30, 5, False)], 48, 3.0)
        self.assertEqual(int(m[0].sum()), 29)        # pixels with d^2 <= 9
        self.assertEqual(m[1, 30, 5], 1.0)
        self.assertEqual(m[0, 30, 5], 0.0)


if __name__ == "__main__":
    unittest.main()
