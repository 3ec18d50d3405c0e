// `npm run bench:model [-- --model DIR --threads N]`: onnxruntime-node timings of the shipped
// model on this machine. Targets (issue 4, 2-core machine): encoder ≤ 40 ms per slice at the
// model's input size; decoder ≤ 4 ms per code per slice with N = 24 codes in one batch.
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { featureChannels, inputChannels, modelInput, prepareVolume, seededNormals, segmentVolume } from "../lib/model";
import { loadModel } from "../workers/model/load";
import { loadFixture } from "../scripts/ct-fixtures";

const { values: a } = parseArgs({
  options: {
    model: { type: "string", default: "models/uair-liver-v1" },
    threads: { type: "string" },
    runs: { type: "string", default: "30" },
    device: { type: "string", default: process.env.UAIR_DEVICE ?? "cpu" },
  },
});
const runs = Number(a.runs);
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const p90 = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length * 0.9)];
async function timed(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 3; i++) await fn(); // warm-up: first runs allocate arenas
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

const model = await loadModel(path.resolve(a.model!), { device: a.device as "cpu" | "cuda", threads: a.threads ? Number(a.threads) : undefined });
const m = model.manifest;
const s = m.preprocessing.size;
const d = m.latent_size;
console.log(`bench:model ${m.name} ${m.version} on ${model.device}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), threads ${a.threads ?? "default"}`);
console.log(`input ${inputChannels(m.preprocessing)}x${s}x${s}, features ${featureChannels(m)}x${s}x${s}, latent ${d}; load ${model.loadMs.toFixed(0)} ms`);

const fx = await loadFixture("patient-a");
const prep = prepareVolume(fx.ct, m.preprocessing);
const k = Math.floor(prep.nz * 0.7);
const one = modelInput(prep, k, m.preprocessing);
const enc1 = await timed(runs, () => model.encode(one, 1));
const four = new Float32Array(one.length * 4);
for (let i = 0; i < 4; i++) four.set(one, i * one.length);
const enc4 = await timed(Math.ceil(runs / 2), () => model.encode(four, 4));
const { features } = await model.encode(one, 1);
const rows: [string, string, string][] = [];
const eMed = median(enc1);
rows.push(["encoder, 1 slice per call", `${eMed.toFixed(1)} ms/slice (p90 ${p90(enc1).toFixed(1)})`, `≤ 40 ms: ${eMed <= 40 ? "met" : "MISSED"}`]);
rows.push(["encoder, 4 slices per call", `${(median(enc4) / 4).toFixed(1)} ms/slice`, ""]);
for (const n of [1, 8, 24]) {
  const z = seededNormals(n, n * d);
  const t = await timed(runs, () => model.decode(features, 1, z, n));
  const per = median(t) / n;
  rows.push([`decoder, N = ${n} codes per call`, `${per.toFixed(2)} ms/code/slice (${median(t).toFixed(1)} ms per call)`, n === 24 ? `≤ 4 ms: ${per <= 4 ? "met" : "MISSED"}` : ""]);
}
const t0 = performance.now();
const seg = await segmentVolume(model, prep, { eps: seededNormals(3, 16 * d), priorMean: false });
const vol = performance.now() - t0;
rows.push([`whole volume ${prep.nz} slices x 16 candidates`, `${(vol / 1000).toFixed(2)} s (encode ${(seg.timings.encodeMs / 1000).toFixed(2)} s, decode ${(seg.timings.decodeMs / 1000).toFixed(2)} s, preprocess ${(seg.timings.preprocessMs / 1000).toFixed(2)} s)`, ""]);
await model.release();

const w = Math.max(...rows.map((r) => r[0].length));
for (const [what, value, target] of rows) console.log(`${what.padEnd(w)}  ${value}${target ? `  [${target}]` : ""}`);
