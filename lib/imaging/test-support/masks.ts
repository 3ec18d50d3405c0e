// Test support only: synthetic edits of real label maps.
import type { Volume } from "../types";

/** label 2 inside a sphere (radius in mm) around the label-1 centroid, only where label 1 is */
export function addTumour(mask: Volume<Uint8Array>, radiusMm: number): Volume<Uint8Array> {
  const [nx, ny, nz] = mask.dims;
  let si = 0, sj = 0, sk = 0, n = 0;
  for (let k = 0, o = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, o++) {
    if (mask.data[o] === 1) { si += i; sj += j; sk += k; n++; }
  }
  const c = [si / n, sj / n, sk / n];
  const [dx, dy, dz] = mask.spacing;
  const data = mask.data.slice();
  for (let k = 0, o = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, o++) {
    if (data[o] === 1 && Math.hypot((i - c[0]) * dx, (j - c[1]) * dy, (k - c[2]) * dz) <= radiusMm) data[o] = 2;
  }
  return { ...mask, data };
}
