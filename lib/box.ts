/** An axis-aligned box of a volume: voxels x0..x0+w-1, y0..y0+h-1, z0..z0+d-1. */
export interface Box3 {
  x0: number;
  y0: number;
  z0: number;
  w: number;
  h: number;
  d: number;
}
