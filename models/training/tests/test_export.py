import json
import os
import tempfile
import unittest

import numpy as np
import onnx
import torch

from models.training import export
from models.training.model import ProbUNet
from models.training.preprocess import PreprocessSpec
from models.training.tests.helpers import body_volume, save_nii


def _dims(vi):
    return [d.dim_param or d.dim_value for d in vi.type.tensor_type.shape.dim]


class ExportTest(unittest.TestCase):
    def test_onnx_pair_shapes_and_dynamic_axes(self):
        spec = PreprocessSpec(size=32, spacing_mm=4.0)
        m = ProbUNet(spec.in_channels, spec.image_channels, base=4, levels=3, latent=6)
        with tempfile.TemporaryDirectory() as d:
            export.export_onnx(m, spec, d)
            self.assertFalse(m.training, "export must leave the model in eval mode")
            enc = onnx.load(os.path.join(d, "encoder.onnx"))
            dec = onnx.load(os.path.join(d, "decoder.onnx"))
            self.assertEqual(enc.opset_import[0].version, 17)
            self.assertEqual([i.name for i in enc.graph.input], ["image"])
            self.assertEqual(_dims(enc.graph.input[0]), ["batch", 5, 32, 32])
            outs = {o.name: _dims(o) for o in enc.graph.output}
            self.assertEqual(outs["features"], ["batch", 4, 32, 32])
            self.assertEqual(outs["prior_mu"], ["batch", 6])
            self.assertEqual(outs["prior_logvar"], ["batch", 6])
            ins = {i.name: _dims(i) for i in dec.graph.input}
            # the head is pointwise: any crop of the features decodes (workers decode only around the liver)
            self.assertEqual(ins["features"], ["feature_batch", 4, "height", "width"])
            self.assertEqual(ins["z"], ["codes", 6])
            self.assertEqual(_dims(dec.graph.output[0]), ["codes", 3, "height", "width"])


class EndToEndTest(unittest.TestCase):
    def test_tiny_training_run_writes_a_consistent_model_folder(self):
        from models.training import train

        hu, liver = body_volume(shape=(48, 40, 14), liver_centre=(31, 20, 7), liver_r=(10, 9, 5))
        with tempfile.TemporaryDirectory() as root:
            for i in range(2):
                os.makedirs(os.path.join(root, f"C{i}", "segmentations"))
                save_nii(os.path.join(root, f"C{i}", "ct.nii.gz"), hu, np.diag([3.0, 3.0, 3.0, 1.0]))
                save_nii(os.path.join(root, f"C{i}", "segmentations", "liver.nii.gz"), liver,
                         np.diag([3.0, 3.0, 3.0, 1.0]))
            out = os.path.join(root, "model")
            torch.manual_seed(0)
            man = train.main(["--data", f"atlas:{root}", "--out", out, "--iters", "3", "--batch", "2",
                              "--size", "32", "--spacing", "5", "--base", "4", "--levels", "3",
                              "--val-size", "4", "--samples", "3", "--threads", "1",
                              "--fixtures", os.path.join(root, "none")])
            with open(os.path.join(out, "manifest.json")) as f:
                disk = json.load(f)
            self.assertEqual(disk["name"], "model")
            self.assertEqual(disk["latent_size"], 6)
            self.assertEqual(disk["classes"], ["background", "liver", "tumour"])
            self.assertGreater(disk["calibration"]["temperature"], 0)
            for entry in list(disk["files"].values()) + [e for g in ("encoder", "decoder")
                                                         for io in ("inputs", "outputs")
                                                         for e in disk["reference"][g][io].values()]:
                self.assertEqual(export.sha256(os.path.join(out, entry["path"])), entry["sha256"])
            x = np.load(os.path.join(out, disk["reference"]["encoder"]["inputs"]["image"]["path"]))
            self.assertEqual(x.shape, (2, 5, 32, 32))
            self.assertTrue(os.path.exists(os.path.join(out, "MODEL_CARD.md")))
            self.assertEqual(man["training"]["iterations"], 3)


if __name__ == "__main__":
    unittest.main()
