// A small windowed grey-level picture of a volume's middle axial slice, in radiological display
// convention (patient's right on the image's left, anterior up), for case lists.
import type { Volume } from "./types";

export interface GreyImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Soft-tissue window by default (W 400, L 50). `size` bounds the longer side, aspect kept. */
export function axialThumbnail(ras: Volume, opts: { size?: number; width?: number; level?: number } = {}): GreyImage {
  const [nx, ny, nz] = ras.dims;
  const [sx, sy] = ras.spacing;
  const size = opts.size ?? 160;
  const ww = opts.width ?? 400;
  const lo = (opts.level ?? 50) - ww / 2;
  // physical aspect, so anisotropic pixels are not stretched
  const physW = nx * sx;
  const physH = ny * sy;
  const scale = size / Math.max(physW, physH);
  const width = Math.max(1, Math.round(physW * scale));
  const height = Math.max(1, Math.round(physH * scale));
  const k = Math.floor(nz / 2);
  const out = new Uint8Array(width * height);
  const plane = nx * ny * k;
  for (let r = 0; r < height; r++) {
    // RAS: j grows anteriorly, so the top row is the largest j
    const j = ny - 1 - Math.min(ny - 1, Math.floor(((r + 0.5) * ny) / height));
    for (let c = 0; c < width; c++) {
      // i grows toward the patient's right, which radiological display puts on the left
      const i = nx - 1 - Math.min(nx - 1, Math.floor(((c + 0.5) * nx) / width));
      const v = (ras.data[plane + j * nx + i] - lo) / ww;
      out[r * width + c] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
    }
  }
  return { width, height, data: out };
}
