// `npm run model:eval [-- --model DIR --cases patient-b,no-liver --samples 16 --json out.json]`
// Runs an exported model in onnxruntime-node (the runtime the workers use) over the repo's CT
// fixtures, maps its output back to each CT's own grid and scores it against the silver liver
// labels. Synthetic-tumour metrics come from models/training/evaluate.py (they need the lesion
// generator); this checks what the product will actually compute.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { bestOfDice, dice, maskOf, meanPairwiseDice } from "../lib/metrics/overlap";
import { labelsToVolume, prepareVolume, seededNormals, segmentVolume } from "../lib/model";
import { loadModel } from "../workers/model/load";
import { FIXTURE_IDS, loadFixture } from "./ct-fixtures";

const { values: a } = parseArgs({
  options: {
    model: { type: "string", default: "models/uair-liver-v1" },
    cases: { type: "string", default: FIXTURE_IDS.join(",") },
    samples: { type: "string", default: "16" },
    seed: { type: "string", default: "1" },
    threads: { type: "string" },
    device: { type: "string", default: process.env.UAIR_DEVICE ?? "cpu" },
    json: { type: "string" },
  },
});

const model = await loadModel(path.resolve(a.model!), { device: a.device as "cpu" | "cuda", threads: a.threads ? Number(a.threads) : undefined });
const m = model.manifest;
const nSamples = Number(a.samples);
console.log(`${m.name} ${m.version}: ${m.preprocessing.size}² at ${m.preprocessing.spacing_mm} mm, latent ${m.latent_size}, ${model.device}; loaded in ${model.loadMs.toFixed(0)} ms`);
const trained = (m.training?.data as { id: string; split: string }[] | undefined) ?? [];

const results = [];
for (const id of a.cases!.split(",")) {
  const fx = await loadFixture(id);
  const t0 = performance.now();
  const prep = prepareVolume(fx.ct, m.preprocessing);
  const seg = await segmentVolume(model, prep, { eps: seededNormals(Number(a.seed), nSamples * m.latent_size), priorMean: true });
  const totalMs = performance.now() - t0;
  const back = (labels: Uint8Array) => labelsToVolume(labels, prep, m.preprocessing);
  const meanLabels = back(seg.mean!);
  const sampleLabels = seg.samples.map(back);
  const organ = (l: Uint8Array) => l.map((v) => (v > 0 ? 1 : 0)); // liver = liver ∪ tumour
  const voxelMl = fx.ct.spacing.reduce((p, s) => p * s, 1) / 1000;
  const count = (mask: Uint8Array) => mask.reduce((n, v) => n + (v ? 1 : 0), 0);
  const sampleOrgans = sampleLabels.map(organ);
  const hasLiver = count(fx.liver) > 0;
  const r = {
    case: id,
    note: fx.note,
    in_training_data: trained.filter((t) => t.id.startsWith(id)).map((t) => `${t.id}: ${t.split}`),
    dims: fx.ct.dims,
    silver_liver_ml: +(count(fx.liver) * voxelMl).toFixed(1),
    predicted_liver_ml: +(count(organ(meanLabels)) * voxelMl).toFixed(1),
    predicted_tumour_ml: +(count(maskOf(meanLabels, 2)) * voxelMl).toFixed(2),
    ...(hasLiver
      ? {
          liver_dice_prior_mean: +dice(organ(meanLabels), fx.liver).toFixed(4),
          liver_dice_mean_single_sample: +(sampleOrgans.reduce((s, o) => s + dice(o, fx.liver), 0) / nSamples).toFixed(4),
          [`liver_dice_best_of_${nSamples}`]: +bestOfDice(sampleOrgans, fx.liver).toFixed(4),
        }
      : { predicted_liver_voxels: count(organ(meanLabels)) }),
    liver_mean_pairwise_dice: +meanPairwiseDice(sampleOrgans).toFixed(4),
    ms_total: Math.round(totalMs),
    ms_encode_per_slice: +(seg.timings.encodeMs / prep.nz).toFixed(1),
    ms_decode_per_code_per_slice: +(seg.timings.decodeMs / prep.nz / (nSamples + 1)).toFixed(2),
  };
  results.push(r);
  console.log(JSON.stringify(r));
}
await model.release();

const table = ["| case | liver Dice (prior mean) | best-of-N | pairwise | pred. liver mL / silver | pred. tumour mL | s |", "|---|---|---|---|---|---|---|"];
for (const r of results as Record<string, unknown>[]) {
  table.push(
    `| ${r.case} | ${r.liver_dice_prior_mean ?? `— (${r.predicted_liver_voxels} liver voxels)`} | ${r[`liver_dice_best_of_${nSamples}`] ?? "—"} | ${r.liver_mean_pairwise_dice} | ${r.predicted_liver_ml} / ${r.silver_liver_ml} | ${r.predicted_tumour_ml} | ${((r.ms_total as number) / 1000).toFixed(1)} |`,
  );
}
console.log(table.join("\n"));
if (a.json) writeFileSync(a.json, JSON.stringify({ model: `${m.name} ${m.version}`, dir: a.model, samples: nSamples, seed: Number(a.seed), results }, null, 2));
