// Where the model is unsure: per voxel, how much the N samples disagree on the target structure.
// 2 min(p, 1 - p) with p the share of samples that include the voxel: 0 where all agree, 1 where
// they split evenly. As a percentage (uint8 0..100) it is a heat map a reader can overlay.
import { UairError } from "./errors";
import { checkStructure, type Structure } from "./masks";

export function disagreementMap(samples: readonly Uint8Array[], structure: Structure): Uint8Array {
  checkStructure(structure);
  const n = samples.length;
  if (n === 0) throw new UairError("EMPTY_SAMPLES", "no samples to measure disagreement on; decode at least one code first.");
  const len = samples[0].length;
  if (samples.some((s) => s.length !== len)) throw new UairError("DIMS_MISMATCH", "all samples must share one grid to measure their disagreement.");
  if (n > 65535) throw new UairError("BAD_INPUT", `disagreement of ${n} samples: at most 65535 are supported.`);
  const votes = new Uint16Array(len);
  for (const s of samples) {
    if (structure === "liver") for (let i = 0; i < len; i++) votes[i] += s[i] >= 1 ? 1 : 0;
    else for (let i = 0; i < len; i++) votes[i] += s[i] === 2 ? 1 : 0;
  }
  // one value per possible count, so the loop below is a lookup
  const table = Uint8Array.from({ length: n + 1 }, (_, k) => Math.round(200 * Math.min(k, n - k) / n));
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = table[votes[i]];
  return out;
}
