"""Train the probabilistic U-Net and export it (ONNX pair + manifest + references + card).

  /usr/bin/python3 -m models.training.train --data fixtures:data/ct --out models/my-model
  /usr/bin/python3 -m models.training.train --data lits:/data/Task03_Liver --data atlas:/data/AbdomenAtlas \
      --out models/my-model --iters 20000 --batch 16 --device cuda

--data kind:/path[:weight] may repeat (kinds: fixtures, lits|msd, atlas, slices2d).
Splits are by patient: --val-patients a,b holds those patients out for checkpoint selection
and temperature calibration; without it a patient-disjoint split is made when there are at
least 4 patients with a liver, else the top 20% of each liver's slices is held out (same
patients: optimistic, and the manifest says so).
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import shlex
import sys
import time

import numpy as np
import torch

from . import calibrate, clicks as clk, export, metrics
from .dataset import PreparedCase, Sampler, SamplerConfig, fixed_set, prepare_all
from .figures import save_figure
from .infer import codes_for, encode, with_clicks
from .losses import one_hot_ref, seg_losses
from .model import ProbUNet, kl_gauss, reparam
from .preprocess import PreprocessSpec
from .readers import read_spec


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", action="append", required=True, help="kind:/path[:weight], repeatable")
    ap.add_argument("--out", required=True, help="model folder, e.g. models/uair-liver-v1")
    ap.add_argument("--name", default=None)
    ap.add_argument("--version", default="0.1.0")
    ap.add_argument("--note", default="", help="a line for the model card (e.g. 'smoke run: not for use')")
    ap.add_argument("--iters", type=int, default=2500)
    ap.add_argument("--time-limit", type=float, default=0, help="seconds; stop training early and export")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--size", type=int, default=192)
    ap.add_argument("--spacing", type=float, default=2.0)
    ap.add_argument("--base", type=int, default=16)
    ap.add_argument("--levels", type=int, default=4)
    ap.add_argument("--latent", type=int, default=6)
    ap.add_argument("--beta", type=float, default=5e-3, help="KL weight after annealing (loss terms are per-pixel means)")
    ap.add_argument("--kl-anneal", type=float, default=0.4, help="fraction of the run to ramp beta up")
    ap.add_argument("--free-bits", type=float, default=0.0, help="nats per sample the KL term does not charge "
                                                                 "(keeps z in use; 0 = plain KL)")
    ap.add_argument("--init", default=None, help="checkpoint.pt to start from (same architecture): fine-tuning")
    ap.add_argument("--no-clicks", action="store_true", help="no click channels in the encoder input")
    ap.add_argument("--p-click", type=float, default=0.3, help="fraction of samples trained with clicks")
    ap.add_argument("--p-lesion", type=float, default=0.7)
    ap.add_argument("--val-patients", default="auto", help="comma list, 'auto' or 'none'")
    ap.add_argument("--exclude-patients", default="", help="comma list kept out of training and validation "
                                                             "(the test patient of a cross-patient run)")
    ap.add_argument("--val-size", type=int, default=48, help="validation slices")
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--samples", type=int, default=16, help="codes per slice for the diversity metrics")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--workers", type=int, default=0, help="sampler processes (GPU runs: the numpy sampler, "
                                                           "~14 ms per 192px sample, becomes the bottleneck)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fixtures", default=None, help="data/ct folder for the preprocessing references "
                                                       "(default: the repo's data/ct)")
    return ap.parse_args(argv)


# ------------------------------------------------------------------ splits

def _block_split(pc: PreparedCase, frac: float = 0.2):
    """Top `frac` of the liver slices -> validation view; the rest -> training view."""
    if len(pc.liver_slices) < 10:
        return pc, None
    cut = int(pc.liver_slices[int(len(pc.liver_slices) * (1 - frac))])

    def view(lo, hi):
        keep = (pc.liver_pts[:, 0] >= lo) & (pc.liver_pts[:, 0] < hi)
        pts = pc.liver_pts[keep].copy()
        pts[:, 0] -= lo
        ls = pc.liver_slices[(pc.liver_slices >= lo) & (pc.liver_slices < hi)] - lo
        return PreparedCase(pc.id, pc.patient, pc.source, pc.hu[lo:hi], pc.labels[lo:hi], pc.sz, pc.weight,
                            pc.real_tumour_labels, ls, pts, pc.liver_edt[keep], meta=dict(pc.meta, z_range=[lo, hi]))
    return view(0, cut), view(cut, pc.hu.shape[0])


def split(prepared, val_patients: str, seed: int):
    liver_patients = sorted({p.patient for p in prepared if p.has_liver and p.source != "slices2d"})
    if val_patients not in ("auto", "none"):
        held = set(val_patients.split(","))
        missing = held - {p.patient for p in prepared}
        if missing:
            raise SystemExit(f"--val-patients: unknown patients {sorted(missing)}")
        return ([p for p in prepared if p.patient not in held], [p for p in prepared if p.patient in held],
                f"patients held out: {sorted(held)}")
    if val_patients == "none":
        return prepared, prepared, "none: validation on training data (in-sample, optimistic)"
    if len(liver_patients) >= 4:
        rng = np.random.default_rng(seed)
        n = max(1, round(0.15 * len(liver_patients)))
        held = set(rng.choice(liver_patients, n, replace=False))
        return ([p for p in prepared if p.patient not in held], [p for p in prepared if p.patient in held],
                f"patients held out at random (seed {seed}): {sorted(held)}")
    train, val = [], []
    for p in prepared:
        a, b = _block_split(p) if p.has_liver and p.source != "slices2d" else (p, None)
        train.append(a)
        if b is not None:
            val.append(b)
    return train, val or prepared, ("top 20% of each liver's slices held out (same patients: optimistic; "
                                    "fewer than 4 patients with a liver)")


# ------------------------------------------------------------------ clicks during training

def training_clicks(model, img, targets, rng, spec, p_click, device):
    """RITM-style: first clicks against an empty prediction, then (half the time) one more
    click at the deepest error of the current model's prediction. Most samples: no clicks."""
    b = len(img)
    maps = np.zeros((b, 2, spec.size, spec.size), np.float32)
    if not spec.clicks:
        return maps
    chosen, structures = [], {}
    for i in range(b):
        if rng.random() < p_click:
            maps[i], structures[i], _ = clk.first_clicks(rng, targets[i], spec.size, spec.click_radius_px)
            if rng.random() < 0.5:
                chosen.append(i)
    if chosen:
        with torch.no_grad():
            x = torch.from_numpy(np.concatenate([img[chosen], maps[chosen]], 1)).to(device)
            f, mu, _ = model.encode(x)
            pred = model.decode(f, mu).argmax(1).cpu().numpy()
        for j, i in enumerate(chosen):
            gt = clk.target_mask(targets[i], structures[i])
            cl = clk.next_click(clk.target_mask(pred[j], structures[i]), gt, rng, jitter=0.3)
            if cl is not None:
                r, c, pos = cl
                maps[i] = np.maximum(maps[i], clk.click_maps([cl], spec.size, spec.click_radius_px))
    return maps


# ------------------------------------------------------------------ validation

@torch.no_grad()
def validate(model, val: dict, spec, n_samples: int = 0, temperature: float = 1.0, device="cpu", seed=0):
    """2-D validation on a fixed set. Always: Dice with z = prior mean. With n_samples: sample
    diversity metrics on slices with tumour, and the logits needed for calibration."""
    model.eval()
    x = with_clicks(val["image"], spec)
    f, mu, lv = encode(model.to(device), x)
    logits = torch.cat([model.decode(f[i:i + 8], mu[i:i + 8]) for i in range(0, len(x), 8)]).cpu().numpy()
    pred = logits.argmax(1)
    tight, gen = val["tight"], val["generous"]
    organ_ref = tight > 0
    out = {"liver_dice": metrics.dice(pred > 0, organ_ref)}
    # tumour metrics: mean over slices whose reference has tumour (an empty-vs-empty 1.0 says nothing)
    les = ((tight == 2).reshape(len(x), -1).any(1)) & ((gen == 2).reshape(len(x), -1).any(1))
    if les.any():
        out["tumour_dice_tight"] = float(np.mean([metrics.dice(pred[i] == 2, tight[i] == 2) for i in np.nonzero(les)[0]]))
        out["tumour_dice_generous"] = float(np.mean([metrics.dice(pred[i] == 2, gen[i] == 2) for i in np.nonzero(les)[0]]))
        out["tumour_slices"] = int(les.sum())
    neg = ~organ_ref.reshape(len(x), -1).any(1)
    if neg.any():
        out["negative_slices_liver_pixels"] = float((pred[neg] > 0).reshape(neg.sum(), -1).sum(1).mean())
    if n_samples:
        g = torch.Generator().manual_seed(seed)
        eps = torch.randn(n_samples, model.latent, generator=g)
        best_t, best_g, single_t, single_g, pair, ged = [], [], [], [], [], []
        samp_logits = np.zeros_like(logits)
        for i in range(len(x)):
            lg = model.decode(f[i:i + 1], codes_for(mu[i], lv[i], eps)).cpu().numpy()
            samp_logits[i] = lg[i % n_samples]     # one prior sample per slice, for calibration
            if not les[i]:
                continue
            tum = [l.argmax(0) == 2 for l in lg]
            rt, rg = tight[i] == 2, gen[i] == 2
            best_t.append(metrics.best_of(tum, rt))
            best_g.append(metrics.best_of(tum, rg))
            single_t.append(np.mean([metrics.dice(t, rt) for t in tum]))
            single_g.append(np.mean([metrics.dice(t, rg) for t in tum]))
            pair.append(metrics.mean_pairwise_dice(tum))
            ged.append(metrics.generalised_energy_distance(tum, [rt, rg]))
        if best_t:
            out.update({f"tumour_single_sample_dice_tight": float(np.mean(single_t)),
                        f"tumour_single_sample_dice_generous": float(np.mean(single_g)),
                        f"tumour_best_of_{n_samples}_dice_tight": float(np.mean(best_t)),
                        f"tumour_best_of_{n_samples}_dice_generous": float(np.mean(best_g)),
                        "tumour_mean_pairwise_dice": float(np.mean(pair)),
                        "tumour_ged": float(np.mean(ged))})
        # calibration pixels: a random reference per slice (the two readers' mixture)
        ref = np.where(np.random.default_rng(seed).random(len(x))[:, None, None] < 0.5, tight, gen)
        out["_calib"] = calibrate.roi_pixels(samp_logits, ref)
    model.train()
    return out


def score(v: dict) -> float:
    t = [v[k] for k in ("tumour_dice_tight", "tumour_dice_generous") if k in v]
    return v["liver_dice"] + (float(np.mean(t)) if t else 0.0)


class _BatchStream(torch.utils.data.IterableDataset):
    """Endless batches from a Sampler in each worker process (own seed per worker)."""

    def __init__(self, cases, spec, cfg, seed, batch):
        super().__init__()
        self.cases, self.spec, self.cfg, self.seed, self.batch = cases, spec, cfg, seed, batch

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        s = Sampler(self.cases, self.spec, self.cfg, seed=self.seed + 1000 * (info.id + 1 if info else 0))
        while True:
            yield s.batch(self.batch)


def batches(train_cases, spec, cfg, seed, batch, workers):
    if workers <= 0:
        s = Sampler(train_cases, spec, cfg, seed=seed)
        while True:
            yield s.batch(batch)
    loader = torch.utils.data.DataLoader(_BatchStream(train_cases, spec, cfg, seed, batch), batch_size=None,
                                         num_workers=workers, persistent_workers=True, prefetch_factor=4)
    for b in loader:
        yield {k: (v.numpy() if torch.is_tensor(v) else v) for k, v in b.items()}


# ------------------------------------------------------------------ main

def main(argv=None):
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    t_start = time.time()
    os.makedirs(a.out, exist_ok=True)
    name = a.name or os.path.basename(os.path.normpath(a.out))
    spec = PreprocessSpec(size=a.size, spacing_mm=a.spacing, clicks=not a.no_clicks)
    log_f = open(os.path.join(a.out, "train_log.jsonl"), "w")

    def log(msg, **kv):
        print(msg, flush=True)
        if kv:
            log_f.write(json.dumps(kv) + "\n")
            log_f.flush()

    cases = [c for spec_s in a.data for c in read_spec(spec_s)]
    excluded = set(filter(None, a.exclude_patients.split(",")))
    if excluded - {c.patient for c in cases}:
        raise SystemExit(f"--exclude-patients: unknown {sorted(excluded - {c.patient for c in cases})}")
    cases = [c for c in cases if c.patient not in excluded]
    log(f"{len(cases)} cases from {a.data}; preparing on the model grid ({a.size}px at {a.spacing} mm)")
    prepared = prepare_all(cases, spec, log=log)
    train_cases, val_cases, val_desc = split(prepared, a.val_patients, a.seed)
    log(f"train: {[p.id for p in train_cases]}\nval:   {[p.id for p in val_cases]} ({val_desc})")
    if not train_cases:
        raise SystemExit("no training cases")

    device = torch.device(a.device)
    model = ProbUNet(spec.in_channels, spec.image_channels, a.base, a.levels, a.latent).to(device)
    if a.init:
        ck = torch.load(a.init, map_location="cpu")
        if ck["config"] != model.config:
            raise SystemExit(f"--init {a.init}: its architecture {ck['config']} differs from this run's {model.config}")
        model.load_state_dict(ck["state_dict"])
        log(f"initialised from {a.init}")
    opt = torch.optim.Adam(model.parameters(), lr=a.lr, weight_decay=1e-5)
    stream = batches(train_cases, spec, SamplerConfig(p_lesion=a.p_lesion), a.seed, a.batch, a.workers)
    val = fixed_set(val_cases, spec, a.val_size, seed=a.seed + 1)
    log(f"model: {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters "
        f"(exported part {sum(p.numel() for n, p in model.named_parameters() if not n.startswith('posterior')) / 1e6:.2f} M); "
        f"val slices {len(val['image'])} with lesion {int(val['lesion'].sum())}")

    best = (-1.0, None, 0)
    t_train = time.time()
    it = 0
    for it in range(1, a.iters + 1):
        lr = a.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * (it - 1) / a.iters)))
        for gp in opt.param_groups:
            gp["lr"] = lr
        b = next(stream)
        # the posterior sees one reader at random, so z has to carry the reader's preference
        use_gen = rng.random(a.batch) < 0.5
        target = np.where(use_gen[:, None, None], b["generous"], b["tight"])
        cl = training_clicks(model, b["image"], target, rng, spec, a.p_click, device)
        img = torch.from_numpy(b["image"]).to(device)
        tgt = torch.from_numpy(target).to(device)
        x = torch.cat([img, torch.from_numpy(cl).to(device)], 1) if spec.clicks else img
        feats, mu_p, lv_p = model.encode(x)
        mu_q, lv_q = model.posterior_dist(img, one_hot_ref(tgt))
        logits = model.decode(feats, reparam(mu_q, lv_q))
        ce, dl = seg_losses(logits, tgt)
        kl = kl_gauss(mu_q, lv_q, mu_p, lv_p, a.free_bits).mean()
        beta = a.beta * min(1.0, it / max(1.0, a.kl_anneal * a.iters))
        loss = ce + dl + beta * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        elapsed = time.time() - t_train
        if it % 10 == 0 or it == 1:
            log(f"it {it:5d}  loss {loss.item():.4f}  ce {ce.item():.4f}  dice {dl.item():.4f}  kl {kl.item():.3f}  "
                f"beta {beta:.1e}  lr {lr:.1e}  {elapsed / it:.2f} s/it",
                it=it, loss=loss.item(), ce=ce.item(), dice=dl.item(), kl=kl.item(), beta=beta, t=elapsed)
        stop = a.time_limit and (time.time() - t_start) > a.time_limit
        if it % a.eval_every == 0 or it == a.iters or stop:
            v = validate(model, val, spec, device=device)
            s = score(v)
            log(f"  val @ {it}: " + "  ".join(f"{k} {v[k]:.3f}" for k in v) + f"  score {s:.3f}",
                it=it, val=v, score=s)
            if s >= best[0]:   # ties (e.g. all zero early on): keep the later model
                best = (s, copy.deepcopy(model.state_dict()), it)
        if stop:
            log(f"time limit {a.time_limit}s reached at iteration {it}")
            break
    train_time = time.time() - t_train
    if best[1] is not None:
        model.load_state_dict(best[1])
    model.eval()

    # temperature calibration + validation metrics on the best checkpoint
    v = validate(model, val, spec, n_samples=a.samples, device=device, seed=a.seed + 2)
    cx, cy = v.pop("_calib")
    t = calibrate.fit_temperature(cx, cy)
    cal = calibrate.calibration_report(cx, cy, t)
    cal["fitted_on"] = f"{len(cy)} validation pixels near liver/tumour, one prior sample per slice ({val_desc})"
    log(f"final val: {json.dumps(v)}\ncalibration: {json.dumps(cal)}")

    model.cpu().eval()
    torch.save({"config": model.config, "state_dict": model.state_dict(), "spec": spec.to_manifest()},
               os.path.join(a.out, "checkpoint.pt"))
    export.export_onnx(model, spec, a.out)
    fixtures = a.fixtures or os.path.join(export.REPO_ROOT, "data", "ct")
    refs = export.preprocessing_references(spec, a.out, fixtures)
    ref_img = val["image"][int(np.argmax(val["lesion"]))] if len(val["image"]) else None
    if refs:   # prefer a real fixture slice as the model reference input
        ref_img = np.load(os.path.join(a.out, refs[0]["path"]))
    model_refs = export.model_references(model, spec, a.out, ref_img, seed=a.seed)
    model_refs["preprocessing"] = refs
    model_refs["preprocessing_atol"] = 1e-5
    fig_case = next((p for p in train_cases + val_cases if len(p.liver_pts)), None)
    if fig_case is not None:
        save_figure(fig_case, spec, os.path.join(a.out, "figures", "synthetic_tumours.png"), seed=a.seed + 7)
    split_of = {p.id: "train" for p in train_cases}
    for p in val_cases:
        split_of[p.id] = "val" if p.id not in split_of else "train+val (slice block)"
    training = {
        "note": a.note,
        "command": "/usr/bin/python3 -m models.training.train " + " ".join(shlex.quote(s) for s in (argv or sys.argv[1:])),
        "data": [{"id": p.id, "source": p.source, "patient": p.patient, "split": split_of.get(p.id, ""),
                  "slices": int(p.hu.shape[0]), "label": p.meta.get("label", "")} for p in prepared],
        "validation": val_desc,
        "excluded_patients": sorted(excluded),
        "iterations": it, "best_iteration": best[2], "batch": a.batch, "lr": a.lr,
        "beta": a.beta, "kl_anneal_fraction": a.kl_anneal, "free_bits": a.free_bits, "init": a.init, "p_click": a.p_click if spec.clicks else 0,
        "p_lesion": a.p_lesion, "seed": a.seed, "time_s": round(train_time, 1),
        "hardware": export.hardware(),
        "synthetic_tumours": "method.md section 7: sizes small 3-10 / medium 10-20 / large 20-40 mm radius, "
                             "tight reference s>=0.6-0.8, generous s>=0.2-0.4 of the soft boundary (about +-0.7-2.8 mm around s=0.5)",
    }
    mets = {"validation_2d": {k: round(float(x), 4) for k, x in v.items()},
            "validation_2d_note": f"{len(val['image'])} validation slices, z = prior mean for Dice; "
                                  f"{a.samples} prior samples per slice for best-of / GED / pairwise; "
                                  "3-D held-out metrics: models/training/evaluate.py"}
    man = export.write_manifest(a.out, name, a.version, model, spec, cal, training, mets, model_refs)
    export.write_model_card(a.out, man)
    log(f"exported {a.out}: " + ", ".join(f"{k} {e['bytes'] / 1e6:.2f} MB" for k, e in man["files"].items())
        + f"; total {time.time() - t_start:.0f}s")
    log_f.close()
    return man


if __name__ == "__main__":
    main()
