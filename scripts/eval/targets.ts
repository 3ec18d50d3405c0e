// Preference targets for the simulated readers (method §6): the reference, and its erosion and
// dilation by one voxel in-plane (a conservative and a generous reader), on the model grid.
/** 4-neighbour binary erosion (grow = false) or dilation (grow = true) of every slice. */
export function morph2d(mask: Uint8Array, size: number, nz: number, grow: boolean): Uint8Array {
  const out = new Uint8Array(mask.length);
  const plane = size * size;
  for (let z = 0; z < nz; z++)
    for (let r = 0; r < size; r++)
      for (let c = 0; c < size; c++) {
        const i = z * plane + r * size + c;
        const nb = [r > 0 ? mask[i - size] : 0, r < size - 1 ? mask[i + size] : 0, c > 0 ? mask[i - 1] : 0, c < size - 1 ? mask[i + 1] : 0];
        out[i] = grow ? (mask[i] || nb.some(Boolean) ? 1 : 0) : mask[i] && nb.every(Boolean) ? 1 : 0;
      }
  return out;
}
