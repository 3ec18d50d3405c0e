// Overlap between binary masks (any typed array; non-zero = inside).
type Mask = ArrayLike<number>;

/** Dice 2|A∩B| / (|A|+|B|); two empty masks agree perfectly (1). */
export function dice(a: Mask, b: Mask): number {
  if (a.length !== b.length) throw new Error(`dice: masks of ${a.length} and ${b.length} voxels`);
  let inter = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] !== 0;
    const y = b[i] !== 0;
    if (x) na++;
    if (y) nb++;
    if (x && y) inter++;
  }
  return na + nb === 0 ? 1 : (2 * inter) / (na + nb);
}

/** Mean Dice over all pairs: 1 means the samples are identical (no diversity). */
export function meanPairwiseDice(masks: readonly Mask[]): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < masks.length; i++) {
    for (let j = i + 1; j < masks.length; j++) {
      sum += dice(masks[i], masks[j]);
      n++;
    }
  }
  return n ? sum / n : 1;
}

/** The best Dice any sample reaches against the reference (what a reader's pick can reach). */
export function bestOfDice(masks: readonly Mask[], ref: Mask): number {
  return masks.reduce((best, m) => Math.max(best, dice(m, ref)), 0);
}

/** A binary mask of voxels equal to `value`. */
export function maskOf(labels: ArrayLike<number>, value: number): Uint8Array {
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) out[i] = labels[i] === value ? 1 : 0;
  return out;
}
