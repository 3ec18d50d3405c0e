// Consensus of several readers on a full-size grid: 5 simulated readers on 512 x 512 x 300
// (78.6M voxels), each a perturbed copy of a known truth (a liver-sized ellipsoid with a tumour
// inside): shifted and dilated/eroded ellipsoids plus scattered single-voxel noise. Times binary
// STAPLE (liver = label >= 1), binary majority, 3-label STAPLE and 3-label majority (median of 3
// runs each) and reports each consensus's Dice to the truth and the readers' estimated performance.
// Target (2 cores): STAPLE for 5 readers under 5 s.
//
// Run alone: `node --import tsx bench/metrics-staple.ts`; `runStapleBench()` returns the lines to
// print, for `npm run bench:metrics`.
import { pathToFileURL } from "node:url";
import { majorityBinary, majorityVote, readerReport, stapleBinary, stapleMulti } from "../lib/consensus";
import { createRng, type Rng } from "../lib/random";

const DIMS = [512, 512, 300] as const;
const READERS = 5;
const RUNS = 3;
const TARGET_S = 5;

interface Ellipsoid {
  c: [number, number, number];
  r: [number, number, number];
}

/** Sets `label` inside the ellipsoid, row by row (only the rows it crosses are visited). */
function fill(map: Uint8Array, e: Ellipsoid, label: number): void {
  const [w, h, d] = DIMS;
  const [cx, cy, cz] = e.c;
  const [rx, ry, rz] = e.r;
  for (let z = Math.max(0, Math.ceil(cz - rz)); z <= Math.min(d - 1, Math.floor(cz + rz)); z++) {
    const tz = (z - cz) / rz;
    for (let y = Math.max(0, Math.ceil(cy - ry)); y <= Math.min(h - 1, Math.floor(cy + ry)); y++) {
      const ty = (y - cy) / ry;
      const rest = 1 - tz * tz - ty * ty;
      if (rest < 0) continue;
      const half = rx * Math.sqrt(rest);
      const x0 = Math.max(0, Math.ceil(cx - half));
      const x1 = Math.min(w - 1, Math.floor(cx + half));
      if (x1 >= x0) map.fill(label, x0 + w * (y + h * z), x1 + 1 + w * (y + h * z));
    }
  }
}

const LIVER: Ellipsoid = { c: [250, 240, 150], r: [120, 85, 75] };
const TUMOUR: Ellipsoid = { c: [285, 225, 160], r: [22, 20, 18] };

function labelMap(liver: Ellipsoid, tumour: Ellipsoid): Uint8Array {
  const map = new Uint8Array(DIMS[0] * DIMS[1] * DIMS[2]);
  fill(map, liver, 1);
  fill(map, tumour, 2);
  return map;
}

function perturb(e: Ellipsoid, rng: Rng, shift: number, scale: number): Ellipsoid {
  const u = () => 2 * rng.uniform() - 1;
  return {
    c: [e.c[0] + shift * u(), e.c[1] + shift * u(), e.c[2] + shift * u()],
    r: [e.r[0] * (1 + scale * u()), e.r[1] * (1 + scale * u()), e.r[2] * (1 + scale * u())],
  };
}

/** A reader: perturbed liver and tumour, then `flips` random voxels set to another label. */
function reader(rng: Rng, flips: number): Uint8Array {
  const map = labelMap(perturb(LIVER, rng, 3, 0.04), perturb(TUMOUR, rng, 2, 0.12));
  for (let k = 0; k < flips; k++) {
    const i = Math.floor(rng.uniform() * map.length);
    map[i] = (map[i] + 1 + Math.floor(rng.uniform() * 2)) % 3;
  }
  return map;
}

function dice(a: Uint8Array, b: Uint8Array, label: number | "fg"): number {
  let inter = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = label === "fg" ? a[i] !== 0 : a[i] === label;
    const y = label === "fg" ? b[i] !== 0 : b[i] === label;
    if (x) na++;
    if (y) nb++;
    if (x && y) inter++;
  }
  return na + nb === 0 ? 1 : (2 * inter) / (na + nb);
}

function timed<T>(fn: () => T): { result: T; median: number; all: number[] } {
  const all: number[] = [];
  let result!: T;
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    result = fn();
    all.push((performance.now() - t0) / 1000);
  }
  const sorted = [...all].sort((a, b) => a - b);
  return { result, median: sorted[Math.floor(RUNS / 2)], all };
}

const secs = (t: { median: number; all: number[] }) => `${t.median.toFixed(3)} s (runs ${t.all.map((s) => s.toFixed(3)).join(", ")})`;

export async function runStapleBench(): Promise<string[]> {
  const lines: string[] = [];
  const t0 = performance.now();
  const rng = createRng(20240607);
  const truth = labelMap(LIVER, TUMOUR);
  const masks = Array.from({ length: READERS }, (_, j) => reader(rng, 20_000 * (j + 1)));
  const voxels = truth.length;
  lines.push(
    `consensus: ${READERS} readers on ${DIMS.join("x")} (${(voxels / 1e6).toFixed(1)}M voxels), ` +
      `truth liver ${(countFg(truth) / 1e6).toFixed(2)}M voxels, tumour ${(countLabel(truth, 2) / 1e3).toFixed(0)}k; inputs built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  lines.push(`  reader liver Dice to truth: ${masks.map((m) => dice(m, truth, "fg").toFixed(4)).join(", ")}`);
  lines.push(`  reader tumour Dice to truth: ${masks.map((m) => dice(m, truth, 2).toFixed(4)).join(", ")}`);

  const mb = timed(() => majorityBinary(masks));
  lines.push(`  majority, binary (liver):   ${secs(mb)}; Dice ${dice(mb.result, truth, "fg").toFixed(4)}`);
  const sb = timed(() => stapleBinary(masks));
  const b = sb.result;
  lines.push(
    `  STAPLE, binary (liver):     ${secs(sb)}; Dice ${dice(b.consensus, truth, "fg").toFixed(4)}; ` +
      `${b.patterns} patterns, ${b.iterations} iterations${b.converged ? "" : " (not converged)"}`,
  );
  for (const l of readerReport(b)) lines.push(`    ${l}`);
  const mm = timed(() => majorityVote(masks, { labels: 3 }));
  lines.push(`  majority, 3 labels:         ${secs(mm)}; Dice liver ${dice(mm.result, truth, "fg").toFixed(4)}, tumour ${dice(mm.result, truth, 2).toFixed(4)}`);
  const sm = timed(() => stapleMulti(masks, 3));
  const m = sm.result;
  lines.push(
    `  STAPLE, 3 labels:           ${secs(sm)}; Dice liver ${dice(m.consensus, truth, "fg").toFixed(4)}, tumour ${dice(m.consensus, truth, 2).toFixed(4)}; ` +
      `${m.patterns} patterns, ${m.iterations} iterations${m.converged ? "" : " (not converged)"}`,
  );
  for (const l of readerReport(m)) lines.push(`    ${l}`);
  const worst = Math.max(sb.median, sm.median);
  lines.push(`  target: STAPLE under ${TARGET_S} s: ${worst <= TARGET_S ? "met" : "MISSED"} (slowest median ${worst.toFixed(3)} s)`);
  return lines;
}

function countFg(m: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < m.length; i++) if (m[i] !== 0) n++;
  return n;
}

function countLabel(m: Uint8Array, label: number): number {
  let n = 0;
  for (let i = 0; i < m.length; i++) if (m[i] === label) n++;
  return n;
}

// run when executed directly, not when imported (no top-level await, so any importer can load it)
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runStapleBench().then(
    (lines) => {
      for (const line of lines) console.log(line);
    },
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
