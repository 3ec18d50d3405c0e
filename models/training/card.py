"""Attach held-out (cross-patient) evaluations and runtime figures to a model's manifest and
rewrite its MODEL_CARD.md; refresh the sha256 of the files the manifest lists.

  /usr/bin/python3 -m models.training.card --model models/uair-liver-v1 \
      --cross "train A, test B=/tmp/a2b" --cross "train B, test A=/tmp/b2a" \
      --extra "TypeScript eval (npm run model:eval)=/tmp/ts-eval.json" --extra "bench:model=/tmp/bench.txt"

Each --cross folder is a model trained with --exclude-patients and holding eval.json from
evaluate.py (and eval.cmd with the command lines that produced it). --extra attaches a JSON or
text file verbatim under metrics.extra.
"""
from __future__ import annotations

import argparse
import json
import os

from .export import _file_entry, write_model_card


def _cross_entry(label: str, folder: str) -> dict:
    with open(os.path.join(folder, "manifest.json")) as f:
        man = json.load(f)
    with open(os.path.join(folder, "eval.json")) as f:
        ev = json.load(f)
    cmd_file = os.path.join(folder, "eval.cmd")
    t = man["training"]
    return {
        "label": label,
        "train_command": t.get("command", ""),
        "eval_commands": open(cmd_file).read().strip().splitlines() if os.path.exists(cmd_file) else [],
        "excluded_patients": t.get("excluded_patients", []),
        "iterations": t.get("iterations"), "best_iteration": t.get("best_iteration"), "time_s": t.get("time_s"),
        "temperature": ev.get("temperature"), "samples": ev.get("samples"), "lesions_per_volume": ev.get("lesions_per_volume"),
        "cases": ev["cases"],
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--cross", action="append", default=[], help="'label=folder'")
    ap.add_argument("--extra", action="append", default=[], help="'label=file' (json or text)")
    ap.add_argument("--findings", default=None, help="markdown file: what the measurements mean, shown near the top")
    a = ap.parse_args(argv)
    path = os.path.join(a.model, "manifest.json")
    with open(path) as f:
        man = json.load(f)
    if a.cross:
        man["metrics"]["cross_patient"] = [_cross_entry(*c.split("=", 1)) for c in a.cross]
    for e in a.extra:
        label, file = e.split("=", 1)
        text = open(file).read()
        try:
            val = json.loads(text)
        except json.JSONDecodeError:
            val = text.strip()
        man["metrics"].setdefault("extra", {})[label] = val
    if a.findings:
        man["metrics"]["findings"] = open(a.findings).read().strip()
    for key, entry in man["files"].items():
        if key not in ("encoder", "decoder"):   # the weights keep the hash they were exported with
            man["files"][key] = _file_entry(a.model, entry["path"])
    with open(path, "w") as f:
        json.dump(man, f, indent=2)
    write_model_card(a.model, man)
    print(f"updated {path} and MODEL_CARD.md")


if __name__ == "__main__":
    main()
