// `node --import tsx bench/metrics-measure.ts`: time of `measureLabels` (lib/measure) on a final
// annotation of a 512×512×300 CT (0.8×0.8×2.5 mm): an ellipsoidal liver of about 1.5 L holding
// five ellipsoid lesions of 5 to 40 mm. Target: under 1 s. Synthetic and deterministic; for speed
// only (the diameters printed are a sanity check against the nominal sizes, not an accuracy claim).
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { measureLabels, type MeasureInput } from "../lib/measure";

const DIMS: [number, number, number] = [512, 512, 300];
const SPACING: [number, number, number] = [0.8, 0.8, 2.5];
/** liver: centre (mm, from the volume's corner) and semi-axes: 4/3·π·100·75·48 mm³ ≈ 1.51 L */
const LIVER = { c: [190, 210, 375], r: [100, 75, 48] };
/** lesions: offset from the liver centre (mm), nominal long diameter (mm), in-plane rotation (deg) */
const LESIONS = [
  { at: [40, 5, 0], d: 40, deg: 20 },
  { at: [-50, 20, 6], d: 30, deg: -35 },
  { at: [10, -40, -12], d: 20, deg: 70 },
  { at: [-25, -25, 22], d: 12, deg: 0 },
  { at: [60, -20, -20], d: 5, deg: 45 },
];

function syntheticAnnotation(): MeasureInput {
  const [nx, ny, nz] = DIMS;
  const [sx, sy, sz] = SPACING;
  const n = nx * ny * nz;
  const labels = new Uint8Array(n);
  const hu = new Int16Array(n);
  let seed = 20240611;
  const noise = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 41) - 20;
  for (let i = 0; i < n; i++) hu[i] = -1000 + noise();
  const paint = (c: number[], r: number[], deg: number, value: number, base: number) => {
    const t = (deg * Math.PI) / 180;
    const [ct, st] = [Math.cos(t), Math.sin(t)];
    const reach = Math.max(r[0], r[1]);
    const lo = (k: number, s: number, rr: number) => Math.max(0, Math.floor((c[k] - rr) / s));
    const hi = (k: number, s: number, rr: number, m: number) => Math.min(m - 1, Math.ceil((c[k] + rr) / s));
    for (let z = lo(2, sz, r[2]); z <= hi(2, sz, r[2], nz); z++)
      for (let y = lo(1, sy, reach); y <= hi(1, sy, reach, ny); y++)
        for (let x = lo(0, sx, reach); x <= hi(0, sx, reach, nx); x++) {
          const dx = x * sx - c[0];
          const dy = y * sy - c[1];
          const dz = z * sz - c[2];
          const p = dx * ct + dy * st;
          const q = -dx * st + dy * ct;
          if ((p / r[0]) ** 2 + (q / r[1]) ** 2 + (dz / r[2]) ** 2 <= 1) {
            const i = x + nx * (y + ny * z);
            labels[i] = value;
            hu[i] = base + noise();
          }
        }
  };
  paint(LIVER.c, LIVER.r, 0, 1, 60);
  for (const l of LESIONS) {
    const a = l.d / 2;
    paint(LIVER.c.map((v, k) => v + l.at[k]), [a, 0.75 * a, 0.6 * a], l.deg, 2, 25);
  }
  const affine = [sx, 0, 0, -200, 0, sy, 0, -200, 0, 0, sz, -400, 0, 0, 0, 1];
  return { labels, hu, dims: DIMS, spacing: SPACING, affine };
}

/** Lines to print: what was measured, the timing (median of 3) against the 1 s target. */
export async function runMeasureBench(): Promise<string[]> {
  const input = syntheticAnnotation();
  const times: number[] = [];
  const t0 = performance.now();
  let m = measureLabels(input); // the first call of a process: a worker measuring one annotation
  const cold = performance.now() - t0;
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    m = measureLabels(input);
    times.push(performance.now() - t);
  }
  const median = [...times].sort((a, b) => a - b)[1];
  const lines = [
    `bench:measure ${DIMS.join("x")} (${SPACING.join("x")} mm), liver ${m.liverMl.toFixed(0)} mL, tumour ${m.tumourMl.toFixed(1)} mL (burden ${(100 * (m.burden ?? 0)).toFixed(1)} %), ${m.lesionCount} lesions; ${os.cpus().length} CPUs`,
    `measureLabels: ${median.toFixed(0)} ms median of 3 (runs ${times.map((t) => t.toFixed(0)).join(", ")} ms after a first call of ${cold.toFixed(0)} ms)  [≤ 1000 ms: ${median <= 1000 ? "met" : "MISSED"}]`,
  ];
  for (const l of m.lesions) {
    const target = m.targets.indexOf(m.lesions.indexOf(l));
    lines.push(
      `  lesion ${l.id}: ${l.volumeMl.toFixed(2)} mL, HU ${l.huMean.toFixed(1)} ± ${l.huSd.toFixed(1)}, long ${l.longAxisMm.toFixed(1)} mm × short ${l.shortAxisMm.toFixed(1)} mm on slice ${l.slice}${target >= 0 ? `, target ${target + 1}` : ""}`,
    );
  }
  lines.push(`  nominal long diameters: ${LESIONS.map((l) => l.d).join(", ")} mm; RECIST sum of target diameters ${m.targetSumMm.toFixed(1)} mm`);
  return lines;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const line of await runMeasureBench()) console.log(line);
}
