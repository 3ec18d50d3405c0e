"""Export: encoder.onnx + decoder.onnx (opset 17, dynamic batch), reference tensors for the
conformance test, manifest.json (with the sha256 of every other file) and MODEL_CARD.md."""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import platform

import numpy as np
import torch

from .infer import with_clicks
from .model import DecoderGraph, EncoderGraph, NUM_CLASSES
from .preprocess import PreprocessSpec, click_maps, model_input, prepare_volume, canonical_arrays

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OPSET = 17
FORMAT = "uair-model/1"
CLASSES = ["background", "liver", "tumour"]


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _file_entry(out_dir, rel):
    p = os.path.join(out_dir, rel)
    return {"path": rel, "sha256": sha256(p), "bytes": os.path.getsize(p)}


def export_onnx(model, spec: PreprocessSpec, out_dir: str) -> dict:
    model.eval()
    c, s, d = spec.in_channels, spec.size, model.latent
    x = torch.zeros(2, c, s, s)
    enc_p = os.path.join(out_dir, "encoder.onnx")
    dec_p = os.path.join(out_dir, "decoder.onnx")
    torch.onnx.export(EncoderGraph(model), (x,), enc_p, opset_version=OPSET, do_constant_folding=True,
                      input_names=["image"], output_names=["features", "prior_mu", "prior_logvar"],
                      dynamic_axes={"image": {0: "batch"}, "features": {0: "batch"},
                                    "prior_mu": {0: "batch"}, "prior_logvar": {0: "batch"}})
    model.eval()   # platform-notes: export leaves wrapped modules in training mode
    f = torch.zeros(1, model.config["base"], s, s)
    z = torch.zeros(3, d)
    torch.onnx.export(DecoderGraph(model), (f, z), dec_p, opset_version=OPSET, do_constant_folding=True,
                      input_names=["features", "z"], output_names=["logits"],
                      # the head is pointwise (1x1 convs), so height and width are free: a worker decodes only
                      # the pixels around the liver
                      dynamic_axes={"features": {0: "feature_batch", 2: "height", 3: "width"}, "z": {0: "codes"},
                                    "logits": {0: "codes", 2: "height", 3: "width"}})
    model.eval()
    import onnx
    for p in (enc_p, dec_p):
        onnx.checker.check_model(onnx.load(p))
    return {"encoder": enc_p, "decoder": dec_p}


def _save(out_dir, rel, arr) -> dict:
    p = os.path.join(out_dir, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    np.save(p, np.ascontiguousarray(arr))
    e = _file_entry(out_dir, rel)
    e.update(shape=list(arr.shape), dtype=str(arr.dtype))
    return e


def preprocessing_references(spec: PreprocessSpec, out_dir: str, fixtures_root: str | None) -> list:
    """Model inputs computed by preprocess.py from fixture files, for the TS preprocessing test
    (tolerance 1e-5). Covers RAS (patient A), PLI with 5 mm slices (no-liver) and a DICOM
    series with 2 mm slices (patient B)."""
    if not fixtures_root or not os.path.isdir(fixtures_root):
        return []
    import nibabel as nib

    refs = []
    wanted = [("patient-a", os.path.join(fixtures_root, "patient-a", "ct.nii.gz"), 85),
              ("no-liver", os.path.join(fixtures_root, "no-liver", "ct.nii.gz"), 6),
              ("patient-b", os.path.join(fixtures_root, "patient-b", "dicom"), 10)]
    for name, path, k in wanted:
        if not os.path.exists(path):
            continue
        try:
            if path.endswith("dicom"):
                from .readers import _dicom_series
                img = _dicom_series(path)
            else:
                img = nib.load(path)
        except Exception as e:  # pydicom missing, etc.
            print(f"[export] preprocessing reference {name} skipped: {e}")
            continue
        vol, spacing, _ = canonical_arrays(img)
        pv = prepare_volume(vol, spacing, spec)
        k = min(k, pv.hu.shape[0] - 1)
        x = model_input(pv, k, spec)[: spec.image_channels]
        e = _save(out_dir, f"reference/preprocess_{name}.npy", x)
        e.update(source=os.path.relpath(path, REPO_ROOT), slice=k, centre_yx=list(pv.centre),
                 canonical_shape_xyz=list(pv.shape_xyz), spacing_xyz=list(pv.spacing_xyz))
        refs.append(e)
    return refs


def model_references(model, spec: PreprocessSpec, out_dir: str, x_img: np.ndarray, seed: int = 0) -> dict:
    """Encoder on a batch of 2 (no click; one positive click), decoder on 3 codes."""
    model.eval()
    clicks = np.zeros((2, 2, spec.size, spec.size), np.float32)
    click = (spec.size // 2, spec.size // 2, True)
    if spec.clicks:
        clicks[1] = click_maps([click], spec.size, spec.click_radius_px)
    x = with_clicks(np.stack([x_img, x_img]), spec, clicks)
    with torch.no_grad():
        f, mu, lv = model.encode(torch.from_numpy(x))
        g = torch.Generator().manual_seed(seed)
        z = torch.randn(3, model.latent, generator=g)
        logits = model.decode(f[:1], z)
    return {
        "encoder": {"inputs": {"image": _save(out_dir, "reference/encoder_image.npy", x)},
                    "outputs": {"features": _save(out_dir, "reference/encoder_features.npy", f.numpy()),
                                "prior_mu": _save(out_dir, "reference/encoder_prior_mu.npy", mu.numpy()),
                                "prior_logvar": _save(out_dir, "reference/encoder_prior_logvar.npy", lv.numpy())},
                    "clicks": [[], [list(click)] if spec.clicks else []]},
        "decoder": {"inputs": {"features": _save(out_dir, "reference/decoder_features.npy", f[:1].numpy()),
                               "z": _save(out_dir, "reference/decoder_z.npy", z.numpy())},
                    "outputs": {"logits": _save(out_dir, "reference/decoder_logits.npy", logits.numpy())}},
        "atol": 1e-4,
    }


def write_manifest(out_dir: str, name: str, version: str, model, spec: PreprocessSpec, calibration: dict,
                   training: dict, metrics: dict, references: dict) -> dict:
    s, c, d, fch = spec.size, spec.in_channels, model.latent, model.config["base"]
    enc_params = sum(p.numel() for n, p in model.named_parameters() if not n.startswith("posterior"))
    files = {"encoder": _file_entry(out_dir, "encoder.onnx"), "decoder": _file_entry(out_dir, "decoder.onnx")}
    fig = os.path.join(out_dir, "figures", "synthetic_tumours.png")
    if os.path.exists(fig):
        files["figure_synthetic_tumours"] = _file_entry(out_dir, "figures/synthetic_tumours.png")
    man = {
        "format": FORMAT,
        "name": name,
        "version": version,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "architecture": {"family": "probabilistic-unet", "fusion": "late", **model.config,
                         "parameters_exported": int(enc_params)},
        "classes": CLASSES,
        "latent_size": d,
        "preprocessing": spec.to_manifest(),
        "onnx": {
            "opset": OPSET,
            "encoder": {"file": "encoder.onnx",
                        "inputs": [{"name": "image", "shape": ["batch", c, s, s], "dtype": "float32",
                                    "channels": spec.channel_names()}],
                        "outputs": [{"name": "features", "shape": ["batch", fch, s, s], "dtype": "float32"},
                                    {"name": "prior_mu", "shape": ["batch", d], "dtype": "float32"},
                                    {"name": "prior_logvar", "shape": ["batch", d], "dtype": "float32"}]},
            "decoder": {"file": "decoder.onnx",
                        "inputs": [{"name": "features", "shape": ["feature_batch", fch, "height", "width"], "dtype": "float32",
                                    "note": "feature_batch is 1 (broadcast over the codes) or equal to codes; "
                                            "the head is pointwise, so any crop of the encoder's features decodes "
                                            "to the same crop of the logits"},
                                   {"name": "z", "shape": ["codes", d], "dtype": "float32"}],
                        "outputs": [{"name": "logits", "shape": ["codes", NUM_CLASSES, "height", "width"], "dtype": "float32",
                                     "note": "raw logits: divide by calibration.temperature before softmax"}]},
            "sampling": "z = prior_mu + exp(0.5 * prior_logvar) * eps, eps ~ N(0, I); keep eps fixed across the "
                        "slices of a volume for one coherent 3-D candidate",
        },
        "calibration": calibration,
        "files": files,
        "reference": references,
        "training": training,
        "metrics": metrics,
        "intended_use": "research prototype for preference-aligned liver / liver-tumour segmentation; not a medical device",
    }
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(man, f, indent=2, default=_json_default)
    return man


def _json_default(o):
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(type(o))


def hardware() -> str:
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, " \
           f"{torch.get_num_threads()} threads" + (", CUDA " + torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")


def _fmt(v, nd=3):
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def _cross_patient_section(cross) -> list:
    """Held-out patients (models trained without them, evaluated in 3-D by evaluate.py)."""
    if not cross:
        return []
    lines = ["## Held-out patients (cross-patient runs)", "",
             "Each direction is a separate model trained with the test patient excluded, then evaluated in 3-D on",
             "that patient with synthetic lesions inserted into its real liver (fixed seed), "
             "16 codes per volume; the no-liver case is scored for false liver.", ""]
    n = cross[0].get("samples", 16)
    lines += ["| run | case | liver Dice (prior mean) | tumour Dice tight / generous (prior mean) | single sample tight / generous "
              f"| best-of-{n} tight / generous | GED | pairwise Dice | ECE before → after T | liver voxels on no-liver |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for run in cross:
        for c in run["cases"]:
            g = lambda k: c.get(k)
            lines.append(
                f"| {run['label']} | {c['case']} | {_fmt(g('liver_dice_prior_mean'))} "
                f"| {_fmt(g('tumour_dice_tight_prior_mean'))} / {_fmt(g('tumour_dice_generous_prior_mean'))} "
                f"| {_fmt(g('tumour_dice_tight_single_sample_mean'))} / {_fmt(g('tumour_dice_generous_single_sample_mean'))} "
                f"| {_fmt(g(f'tumour_dice_tight_best_of_{n}'))} / {_fmt(g(f'tumour_dice_generous_best_of_{n}'))} "
                f"| {_fmt(g('tumour_ged'))} | {_fmt(g('tumour_mean_pairwise_dice'))} "
                f"| {_fmt(g('ece_before'), 4)} → {_fmt(g('ece_after'), 4)} | {_fmt(g('no_liver_predicted_voxels_prior_mean'))} |")
    lines.append("")
    for run in cross:
        lines += [f"- **{run['label']}**: {run['iterations']} iterations (best {run['best_iteration']}), "
                  f"{(run.get('time_s') or 0) / 60:.0f} min, T = {_fmt(run.get('temperature'))}.",
                  f"  - train: `{run['train_command']}`"]
        lines += [f"  - eval: `{c}`" for c in run.get("eval_commands", [])]
    return lines + [""]


def _extra_section(extra) -> list:
    if not extra:
        return []
    lines = []
    for label, val in extra.items():
        lines += [f"## {label}", "", "```", val if isinstance(val, str) else json.dumps(val, indent=2, default=_json_default), "```", ""]
    return lines


def write_model_card(out_dir: str, man: dict) -> None:
    t, m, cal = man["training"], man["metrics"], man["calibration"]
    lines = [
        f"# {man['name']} {man['version']} - probabilistic liver + tumour segmenter",
        "",
        "Generated by `models/training/train.py` from `manifest.json`; numbers are copied from there.",
        "",
    ] + ([f"> {t['note']}", ""] if t.get("note") else []) + [
        "## Intended use and limits",
        "- Research prototype for the UAIR selection loop (diverse candidates from a latent z) and a click fallback.",
        "- **Not a medical device.** Liver labels are TotalSegmentator predictions (silver), tumours are synthetic",
        "  (method.md section 7); no real 3-D tumour label was used unless listed under data.",
        "- Dice against silver labels is a sanity bound, not a claim of accuracy.",
        "",
        "## Data and splits (by patient)",
        "| case | source | patient | split | slices |",
        "|---|---|---|---|---|",
    ]
    for c in t.get("data", []):
        lines.append(f"| {c['id']} | {c['source']} | {c['patient']} | {c['split']} | {c.get('slices', '')} |")
    lines += [
        "",
        f"Validation: {t.get('validation', '')}",
        "",
        "## Training",
        f"- Command: `{t.get('command', '')}`",
        f"- Iterations {t.get('iterations')} (best at {t.get('best_iteration')}), batch {t.get('batch')}, "
        f"{t.get('time_s', 0):.0f} s on {t.get('hardware', '')}",
        f"- Loss: CE + Dice + beta*KL (beta {t.get('beta')} annealed over {t.get('kl_anneal_fraction')} of the run); "
        f"posterior trained against the tight or the generous reference at random; clicks on {t.get('p_click')} of samples.",
        "",
    ] + (["## Findings (measured)", "", m["findings"], ""] if m.get("findings") else []) \
      + _cross_patient_section(m.get("cross_patient")) + [
        "## Validation metrics of this model (2-D, from training)",
        "```json",
        json.dumps({k: v for k, v in m.items() if k not in ("cross_patient", "extra", "findings")}, indent=2, default=_json_default),
        "```",
        "",
        f"Calibration: T = {cal.get('temperature', 1.0):.3f} ({cal.get('fitted_on', '')}); "
        f"ECE {cal.get('ece_before', float('nan')):.4f} -> {cal.get('ece_after', float('nan')):.4f}.",
        "",
    ] + _extra_section(m.get("extra")) + [
        "## Synthetic tumours",
        "![synthetic tumours](figures/synthetic_tumours.png)",
        "",
        "Rows: small, small, medium, medium, large, large lesions in real livers (radiological view: anterior up,",
        "patient's right on the left). Columns: real slice; with the lesion; tight (green) and generous (orange)",
        "reference outlines; silver liver (blue) with both references.",
    ]
    with open(os.path.join(out_dir, "MODEL_CARD.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
