// A deterministic synthetic abdomen-like CT for benchmarks: air, a body ellipse with soft-tissue
// noise, a liver-like region, a spine. Not for accuracy claims; for size and speed only.
import type { Volume } from "../lib/imaging/types";

export function syntheticCT(nx = 512, ny = 512, nz = 300): Volume<Int16Array> {
  const data = new Int16Array(nx * ny * nz);
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) - 0.5;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const y = (j - ny / 2) / (ny * 0.35);
      for (let i = 0; i < nx; i++) {
        const x = (i - nx / 2) / (nx * 0.42);
        let hu = -1000;
        if (x * x + y * y < 1) {
          hu = 40 + 30 * rnd();
          const lx = (i - nx * 0.35) / (nx * 0.16);
          const ly = (j - ny * 0.45) / (ny * 0.14);
          if (lx * lx + ly * ly < 1 && k > nz * 0.2 && k < nz * 0.7) hu = 60 + 20 * rnd();
          const sx = (i - nx / 2) / 22;
          const sy = (j - ny * 0.75) / 22;
          if (sx * sx + sy * sy < 1) hu = 700 + 100 * rnd();
        }
        data[i + nx * (j + ny * k)] = hu;
      }
    }
  }
  // 0.7 mm pixels, 1.5 mm slices, RAS
  const affine = [0.7, 0, 0, -179, 0, 0.7, 0, -179, 0, 0, 1.5, -225, 0, 0, 0, 1];
  return { dims: [nx, ny, nz], spacing: [0.7, 0.7, 1.5], affine, data };
}
