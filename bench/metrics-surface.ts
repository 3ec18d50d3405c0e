// Surface-metric timing: HD95 + surface Dice for two 512 × 512 × 300 masks at 0.8 × 0.8 × 2.5 mm
// (two overlapping liver-sized ellipsoids, about 200 × 160 × 150 mm). Target: under 1 s together
// on 2 cores. Run: node --import tsx bench/metrics-surface.ts
import { pathToFileURL } from "node:url";
import { surfaceDice, surfaceDistances } from "../lib/metrics";
import type { Dims3, Spacing3 } from "../lib/metrics";

const DIMS: Dims3 = [512, 512, 300];
const SPACING: Spacing3 = [0.8, 0.8, 2.5];
const TOLERANCE_MM = 2;

/** Ellipsoid of centre c and semi-axes r (mm), filled row by row from its analytic x extent. */
function ellipsoid(c: readonly number[], r: readonly number[]): Uint8Array {
  const [nx, ny, nz] = DIMS;
  const [sx, sy, sz] = SPACING;
  const m = new Uint8Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) {
    const tz = (z * sz - c[2]) / r[2];
    for (let y = 0; y < ny; y++) {
      const ty = (y * sy - c[1]) / r[1];
      const rest = 1 - tz * tz - ty * ty;
      if (rest < 0) continue;
      const half = r[0] * Math.sqrt(rest);
      const x0 = Math.max(0, Math.ceil((c[0] - half) / sx));
      const x1 = Math.min(nx - 1, Math.floor((c[0] + half) / sx));
      if (x1 >= x0) m.fill(1, x0 + nx * (y + ny * z), x1 + 1 + nx * (y + ny * z));
    }
  }
  return m;
}

const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];

export async function runSurfaceBench(runs = 3): Promise<string[]> {
  const a = ellipsoid([200, 200, 375], [100, 80, 75]);
  const b = ellipsoid([204, 197, 380], [96, 84, 72]);
  const together: number[] = [];
  const diceOnly: number[] = [];
  let hd95 = 0;
  let sdsc = 0;
  let sdsc2 = 0;
  for (let k = 0; k < runs; k++) {
    let t = performance.now();
    const s = surfaceDistances(a, b, DIMS, SPACING);
    hd95 = s.hd95Mm;
    sdsc = s.surfaceDiceAt(TOLERANCE_MM);
    together.push(performance.now() - t);
    t = performance.now();
    sdsc2 = surfaceDice(a, b, DIMS, SPACING, TOLERANCE_MM);
    diceOnly.push(performance.now() - t);
  }
  if (sdsc2 !== sdsc) throw new Error(`surfaceDice ${sdsc2} disagrees with surfaceDiceAt ${sdsc}`);
  const ms = median(together);
  return [
    `metrics-surface: ${DIMS.join("x")} masks at ${SPACING.join("x")} mm, two ellipsoids ~200x160x150 mm`,
    `  HD95 ${hd95.toFixed(2)} mm, surface Dice @${TOLERANCE_MM} mm ${sdsc.toFixed(4)}`,
    `  HD95 + surface Dice: median ${ms.toFixed(0)} ms of ${runs} (${together.map((x) => x.toFixed(0)).join(", ")}) — target < 1000 ms ${ms < 1000 ? "OK" : "MISSED"}`,
    `  surfaceDice alone: median ${median(diceOnly).toFixed(0)} ms`,
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const line of await runSurfaceBench()) console.log(line);
}
