import unittest

import numpy as np
import torch

from models.training.clicks import first_clicks, next_click
from models.training.losses import one_hot_ref, seg_losses
from models.training.model import ProbUNet, kl_gauss


class ModelTest(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        self.m = ProbUNet(in_ch=5, image_ch=3, base=4, levels=3, latent=6).eval()

    def test_shapes_and_broadcast(self):
        x = torch.randn(2, 5, 32, 32)
        f, mu, lv = self.m.encode(x)
        self.assertEqual(tuple(f.shape), (2, 4, 32, 32))
        self.assertEqual(tuple(mu.shape), (2, 6))
        z = torch.randn(5, 6)
        a = self.m.decode(f[:1], z)                     # one slice, five codes
        b = self.m.decode(f[:1].expand(5, -1, -1, -1), z)
        self.assertEqual(tuple(a.shape), (5, 3, 32, 32))
        torch.testing.assert_close(a, b)

    def test_kl(self):
        mu, lv = torch.randn(3, 6), torch.randn(3, 6)
        torch.testing.assert_close(kl_gauss(mu, lv, mu, lv), torch.zeros(3))
        self.assertTrue((kl_gauss(mu + 1, lv, mu, lv) > 0).all())


class LossTest(unittest.TestCase):
    def test_union_label_and_perfect_prediction(self):
        t = torch.zeros(1, 8, 8, dtype=torch.long)
        t[0, 2:6, 2:6] = 1
        t[0, 3:5, 3:5] = 2
        logits = torch.nn.functional.one_hot(t, 3).permute(0, 3, 1, 2).float() * 50
        ce, dl = seg_losses(logits, t)
        self.assertLess(ce.item(), 1e-6)
        self.assertLess(dl.item(), 0.02)
        u = torch.where(t > 0, torch.tensor(3), t)      # liver-or-tumour: either class is right
        ce_u, _ = seg_losses(logits, u)
        self.assertLess(ce_u.item(), 1e-6)
        oh = one_hot_ref(u)
        torch.testing.assert_close(oh.sum(1), torch.ones(1, 8, 8))


class ClickTest(unittest.TestCase):
    def test_deepest_point_of_largest_error(self):
        gt = np.zeros((40, 40), bool)
        gt[5:25, 5:25] = True          # big missed square
        pred = np.zeros_like(gt)
        pred[30:33, 30:33] = True      # small false positive
        r, c, pos = next_click(pred, gt)
        self.assertTrue(pos)
        self.assertTrue(14 <= r <= 15 and 14 <= c <= 15)
        r, c, pos = next_click(gt | np.pad(np.ones((10, 10), bool), ((28, 2), (28, 2))), gt)
        self.assertFalse(pos)
        self.assertIsNone(next_click(gt, gt))

    def test_first_clicks_positive_inside(self):
        lab = np.zeros((32, 32), np.int64)
        lab[8:24, 8:24] = 1
        maps, structure, cl = first_clicks(np.random.default_rng(0), lab, 32, 2.0)
        self.assertEqual(structure, 1)
        self.assertTrue(cl and cl[0][2])
        self.assertTrue((maps[0] > 0).any())
        self.assertEqual(lab[cl[0][0], cl[0][1]], 1)


if __name__ == "__main__":
    unittest.main()
