// The paper's comparison (method §6) on cases with reference labels, with simulated readers:
// a selection reader (perfect, and noisy) driving the UAIR loop, a click reader (RITM protocol)
// on the same model's click channels, and the automatic single prediction. Targets: the
// reference, and its 1-voxel erosion (tight reader) and dilation (generous reader). Everything
// runs on the model grid with the worker's runtime (onnxruntime-node).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { readNifti, toCanonicalCT, transferLabelToGrid, type Volume } from "../../lib/imaging";
import { dice, meanPairwiseDice } from "../../lib/metrics/overlap";
import { decodeSlices, emptyEncoding, encodeSlices, prepareLabels, prepareVolume, type ModelClick } from "../../lib/model";
import {
  buildRound,
  createRng,
  interactionsToReach,
  nextClick,
  pickToVotes,
  planRound,
  simulatedPick,
  standardMixture,
  structureMask,
  updateFromVotes,
  type Structure,
} from "../../lib/uair";
import { loadModel } from "../../workers/model/load";
import { loadFixture } from "../ct-fixtures";
import { dicePlot } from "./plot";
import { morph2d } from "./targets";

export interface EvalOptions {
  model: string;
  /** fixture ids (liver, targets by erosion/dilation) or, with `data`, case folders there */
  cases: string[];
  /** a folder of <case>/ct.nii.gz + tight.nii.gz + generous.nii.gz (tumour; models/training/export_eval_cases.py) */
  data?: string;
  samples: number;
  k: number;
  /** interactions per method (method: 6) */
  rounds: number;
  seed: number;
  /** round 0 samples eps with this standard deviation (1 = the model's prior) */
  spread?: number;
  out?: string;
  log?: (line: string) => void;
}

export type Method = "selection (perfect)" | "selection (noisy)" | "clicks (RITM)" | "automatic";
export interface Step {
  interaction: number;
  dice: number;
  /** selection: the best Dice any shown mask reached (ceiling of a perfect chooser) */
  bestOfK?: number;
  regret?: number;
  /** selection: 1 - mean pairwise Dice of the shown candidates */
  diversity?: number;
  shown?: number;
  ms: number;
}
export interface Run {
  case: string;
  target: "reference" | "tight" | "generous";
  method: Method;
  /** Dice before any interaction (the automatic prediction) */
  start: number;
  steps: Step[];
  toReach: Record<string, number>;
}

// method §6 thresholds per structure
const THRESHOLDS: Record<Structure, number[]> = { liver: [0.9, 0.93, 0.95], tumour: [0.7, 0.75, 0.8] };

interface EvalCase {
  ct: Volume;
  /** label maps (0/1/2) on the CT grid, one per preference target */
  targets: Partial<Record<Run["target"], Uint8Array>>;
  /** liver of the reference, for the slices worth decoding */
  liver: Uint8Array;
}

const nifti = (file: string) => readNifti(new Uint8Array(readFileSync(file)));

async function loadCase(id: string, data: string | undefined): Promise<EvalCase> {
  if (!data) {
    const fx = await loadFixture(id);
    return { ct: fx.ct, targets: { reference: fx.liver }, liver: fx.liver };
  }
  const ct = toCanonicalCT(nifti(path.join(data, id, "ct.nii.gz")));
  const label = (name: string) => transferLabelToGrid(nifti(path.join(data, id, `${name}.nii.gz`)), ct).data as Uint8Array;
  const tight = label("tight");
  const generous = label("generous");
  return { ct, targets: { tight, generous }, liver: tight.map((v) => (v > 0 ? 1 : 0)) };
}

export async function runEval(o: EvalOptions): Promise<{ runs: Run[]; table: string }> {
  const log = o.log ?? (() => undefined);
  const model = await loadModel(path.resolve(o.model));
  const spec = model.manifest.preprocessing;
  const S = spec.size;
  const plane = S * S;
  const D = model.manifest.latent_size;
  const STRUCTURE: Structure = o.data ? "tumour" : "liver";
  const runs: Run[] = [];
  try {
    for (const id of o.cases) {
      const fx = await loadCase(id, o.data);
      const prep = prepareVolume(fx.ct, spec);
      const nz = prep.nz;
      const dims = [S, S, nz] as const;
      const voxelMl = (spec.spacing_mm ** 2 * prep.sz) / 1000;
      const onGrid = (l: Uint8Array) => structureMask(prepareLabels({ ...fx.ct, data: l }, prep, spec), STRUCTURE);
      const liver = prepareLabels({ ...fx.ct, data: fx.liver }, prep, spec);
      const enc = emptyEncoding(model.manifest, nz);
      const all = Array.from({ length: nz }, (_, z) => z);
      await encodeSlices(model, prep, enc, all);
      const mean = new Uint8Array(nz * plane);
      await decodeSlices(model, enc, new Float32Array(0), all, [mean], { priorMean: true });
      const auto = structureMask(mean, STRUCTURE);
      const has = (m: Uint8Array, z: number) => m.subarray(z * plane, (z + 1) * plane).some((v) => v > 0);
      const roi = all.filter((z) => [-2, -1, 0, 1, 2].some((d) => z + d >= 0 && z + d < nz && (has(liver, z + d) || has(auto, z + d))));
      // fixtures: the reference and its 1-voxel erosion / dilation; a data folder: its two readers
      const targets: Partial<Record<Run["target"], Uint8Array>> = {};
      for (const [t, l] of Object.entries(fx.targets) as [Run["target"], Uint8Array][]) targets[t] = onGrid(l);
      if (targets.reference) {
        targets.tight = morph2d(targets.reference, S, nz, false);
        targets.generous = morph2d(targets.reference, S, nz, true);
      }

      for (const [tname, target] of Object.entries(targets) as [Run["target"], Uint8Array][]) {
        const start = dice(auto, target);
        runs.push({ case: id, target: tname, method: "automatic", start, steps: Array.from({ length: o.rounds }, (_, i) => ({ interaction: i + 1, dice: start, ms: 0 })), toReach: {} });

        for (const mode of ["perfect", "noisy"] as const) {
          const rng = createRng(o.seed * 7919 + (mode === "noisy" ? 1 : 0));
          let mixture = standardMixture(D);
          mixture.variances.fill((o.spread ?? 1) ** 2);
          const steps: Step[] = [];
          for (let r = 1; r <= o.rounds; r++) {
            const t0 = performance.now();
            const { codes, component } = planRound({ mixture, n: o.samples, seed: o.seed * 1000 + r });
            const samples = Array.from({ length: o.samples }, () => new Uint8Array(nz * plane));
            await decodeSlices(model, enc, codes, roi, samples);
            const round = buildRound({ samples, codes, component, dims, structure: STRUCTURE, voxelMl, k: o.k });
            const candidates = round.candidates.map((c) => structureMask(c.labels, STRUCTURE));
            const shown = [structureMask(round.recommended, STRUCTURE), ...candidates];
            const pick = simulatedPick(shown, target, { mode, rng });
            // the rectification follows the candidate the reader found closest (the recommended
            // mask is not a cluster; picking it moves q toward the closest candidate)
            const cDice = pick.dices.slice(1);
            const toward = pick.index >= 1 ? pick.index - 1 : cDice.indexOf(Math.max(...cDice));
            mixture = updateFromVotes(mixture, codes, component, round.membership, pickToVotes(toward)).mixture;
            const d = pick.dices[pick.index];
            steps.push({ interaction: r, dice: d, bestOfK: pick.best, regret: pick.best - d, diversity: 1 - meanPairwiseDice(candidates), shown: shown.length, ms: performance.now() - t0 });
          }
          runs.push({ case: id, target: tname, method: `selection (${mode})`, start, steps, toReach: {} });
        }

        // clicks on the model's click channels; a clicked slice is re-encoded with its clicks
        const pred = auto.slice();
        const clicks = new Map<number, ModelClick[]>();
        const steps: Step[] = [];
        for (let r = 1; r <= o.rounds; r++) {
          const t0 = performance.now();
          const c = nextClick(pred, target, dims);
          if (c) {
            clicks.set(c.z, [...(clicks.get(c.z) ?? []), { r: c.y, c: c.x, positive: c.positive }]);
            const one = emptyEncoding(model.manifest, nz);
            await encodeSlices(model, prep, one, [c.z], { clicks });
            const out = new Uint8Array(nz * plane);
            await decodeSlices(model, one, new Float32Array(0), [c.z], [out], { priorMean: true });
            pred.set(structureMask(out.subarray(c.z * plane, (c.z + 1) * plane), STRUCTURE), c.z * plane);
          }
          steps.push({ interaction: r, dice: dice(pred, target), ms: performance.now() - t0 });
        }
        runs.push({ case: id, target: tname, method: "clicks (RITM)", start, steps, toReach: {} });
        log(`${id} / ${tname}: done`);
      }
    }
  } finally {
    await model.release();
  }
  const thresholds = THRESHOLDS[STRUCTURE];
  for (const run of runs) for (const t of thresholds) run.toReach[t.toFixed(2)] = interactionsToReach(run.steps.map((s) => s.dice), t, 6, 10);

  const methods: Method[] = ["automatic", "selection (perfect)", "selection (noisy)", "clicks (RITM)"];
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const lines = [
    `| target | method | Dice @0 | @1 | @3 | @${o.rounds} | best-of-K @1 | regret (mean) | diversity (mean) | ${thresholds.map((t) => `to ${t}`).join(" | ")} | ms / interaction |`,
    `|---|---|---|---|---|---|---|---|---|${thresholds.map(() => "---").join("|")}|---|`,
  ];
  const plots: Record<string, string> = {};
  for (const target of ["reference", "tight", "generous"] as const) {
    if (!runs.some((r) => r.target === target)) continue;
    const series = [];
    for (const method of methods) {
      const rs = runs.filter((r) => r.target === target && r.method === method);
      if (!rs.length) continue;
      const at = (i: number) => avg(rs.map((r) => (i === 0 ? r.start : r.steps[Math.min(i, r.steps.length) - 1].dice)));
      const f = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? "—" : v.toFixed(3));
      const sel = method.startsWith("selection");
      lines.push(
        `| ${target} | ${method} | ${f(at(0))} | ${f(at(1))} | ${f(at(Math.min(3, o.rounds)))} | ${f(at(o.rounds))} | ${sel ? f(avg(rs.map((r) => r.steps[0].bestOfK ?? NaN))) : "—"} | ${sel ? f(avg(rs.flatMap((r) => r.steps.map((s) => s.regret ?? 0)))) : "—"} | ${sel ? f(avg(rs.flatMap((r) => r.steps.map((s) => s.diversity ?? 0)))) : "—"} | ${thresholds.map((t) => avg(rs.map((r) => r.toReach[t.toFixed(2)])).toFixed(1)).join(" | ")} | ${method === "automatic" ? "—" : avg(rs.flatMap((r) => r.steps.map((s) => s.ms))).toFixed(0)} |`,
      );
      series.push({ name: method, dice: Array.from({ length: o.rounds + 1 }, (_, i) => at(i)) });
    }
    plots[target] = dicePlot(`${STRUCTURE} Dice vs interactions, target: ${target} (${o.cases.join(", ")})`, series, o.rounds);
  }
  const table = lines.join("\n");
  if (o.out) {
    mkdirSync(o.out, { recursive: true });
    writeFileSync(path.join(o.out, "results.json"), JSON.stringify({ options: { ...o, log: undefined }, structure: STRUCTURE, thresholds, runs }, null, 2));
    writeFileSync(path.join(o.out, "table.md"), table + "\n");
    for (const [t, svg] of Object.entries(plots)) writeFileSync(path.join(o.out, `dice-${t}.svg`), svg);
  }
  return { runs, table };
}
