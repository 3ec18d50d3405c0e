import os
import tempfile
import unittest

import numpy as np

from models.training.readers import read_atlas, read_fixtures, read_lits, read_spec
from models.training.tests.helpers import body_volume, save_nii

REPO_CT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "data", "ct")


class LayoutTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = self.tmp.name
        self.hu, self.liver = body_volume()
        self.lab = self.liver.copy()
        self.lab[24:27, 17:20, 5:7] = 2                       # a tumour inside the liver

    def tearDown(self):
        self.tmp.cleanup()

    def _mk(self, *parts):
        p = os.path.join(self.root, *parts)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    def test_msd_layout(self):
        save_nii(self._mk("imagesTr", "liver_0.nii.gz"), self.hu)
        save_nii(self._mk("labelsTr", "liver_0.nii.gz"), self.lab)
        open(self._mk("imagesTr", "._liver_0.nii.gz"), "wb").write(b"junk")   # macOS fork in the MSD tar
        cases = read_lits(self.root)
        self.assertEqual([c.id for c in cases], ["liver_0"])
        hu, lab, spacing = cases[0].load()
        self.assertEqual(hu.shape, self.hu.shape)
        self.assertEqual(set(np.unique(lab)), {0, 1, 2})
        self.assertEqual(int((lab == 2).sum()), int((self.lab == 2).sum()))
        self.assertTrue(cases[0].real_tumour_labels)

    def test_lits_challenge_layout(self):
        save_nii(self._mk("batch1", "volume-7.nii"), self.hu)
        save_nii(self._mk("batch1", "segmentation-7.nii"), self.lab)
        cases = read_lits(self.root)
        self.assertEqual([c.id for c in cases], ["lits-7"])

    def test_atlas_layout_with_and_without_tumour(self):
        save_nii(self._mk("BDMAP_1", "ct.nii.gz"), self.hu)
        save_nii(self._mk("BDMAP_1", "segmentations", "liver.nii.gz"), (self.lab > 0).astype(np.uint8))
        save_nii(self._mk("BDMAP_1", "segmentations", "liver_lesion.nii.gz"), (self.lab == 2).astype(np.uint8))
        save_nii(self._mk("BDMAP_2", "ct.nii.gz"), self.hu)
        save_nii(self._mk("BDMAP_2", "segmentations", "liver.nii.gz"), self.liver)
        cases = {c.id: c for c in read_atlas(self.root)}
        self.assertEqual(sorted(cases), ["BDMAP_1", "BDMAP_2"])
        self.assertTrue(cases["BDMAP_1"].real_tumour_labels)
        self.assertFalse(cases["BDMAP_2"].real_tumour_labels)
        _, lab, _ = cases["BDMAP_1"].load()
        np.testing.assert_array_equal(lab, self.lab)

    def test_atlas_split_trees_and_mask_on_other_grid(self):
        """ct/<case>/ct.nii.gz + label/<case>/segmentations; the mask stored flipped (LAS)."""
        save_nii(self._mk("ct", "C1", "ct.nii.gz"), self.hu)
        aff = np.eye(4)
        aff[0, 0], aff[0, 3] = -1.0, self.hu.shape[0] - 1
        save_nii(self._mk("label", "C1", "segmentations", "liver.nii.gz"), self.liver[::-1].copy(), aff)
        cases = read_atlas(self.root)
        self.assertEqual(len(cases), 1)
        _, lab, _ = cases[0].load()
        np.testing.assert_array_equal(lab, self.liver)

    def test_spec_weight(self):
        save_nii(self._mk("imagesTr", "a.nii.gz"), self.hu)
        save_nii(self._mk("labelsTr", "a.nii.gz"), self.lab)
        cases = read_spec(f"lits:{self.root}:2.5")
        self.assertEqual(cases[0].weight, 2.5)
        with self.assertRaises(SystemExit):
            read_spec("nope:/x")


@unittest.skipUnless(os.path.isdir(REPO_CT), "repo fixtures not present")
class FixturesTest(unittest.TestCase):
    """Pins the alignment numbers of data/ct/README.md: a wrong orientation moves the mean HU."""

    def test_fixture_liver_mean_hu(self):
        cases = {c.id: c for c in read_fixtures(REPO_CT)}
        hu, lab, spacing = cases["patient-a"].load()
        self.assertAlmostEqual(float(hu[lab == 1].mean()), 44.3, delta=1.0)
        self.assertEqual(spacing, (3.0, 3.0, 3.0))
        hu, lab, _ = cases["patient-a-crop"].load()
        self.assertAlmostEqual(float(hu[lab == 1].mean()), 45.3, delta=1.0)
        if "patient-b" in cases:
            hu, lab, spacing = cases["patient-b"].load()
            self.assertAlmostEqual(float(hu[lab == 1].mean()), 89.3, delta=1.0)
            self.assertAlmostEqual(spacing[2], 2.0, places=3)
        hu, lab, _ = cases["no-liver"].load()
        self.assertEqual(int(lab.sum()), 0)
        self.assertEqual(cases["patient-a"].patient, cases["patient-a-crop"].patient)

    def test_2d_slices_liver_on_the_right_like_the_volumes(self):
        cases = [c for c in read_fixtures(REPO_CT) if c.source == "slices2d"]
        if not cases:
            self.skipTest("python3-pil missing")
        for c in cases:
            hu, lab, _ = c.load()
            sl = lab[:, :, 0].T                 # model slice [y, x]
            rows, cols = np.nonzero(sl)
            self.assertGreater(cols.mean(), sl.shape[1] / 2, c.id)   # patient's right = image right
            self.assertEqual(set(np.unique(lab)) - {0}, {3})


if __name__ == "__main__":
    unittest.main()
