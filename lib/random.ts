// Seeded randomness shared by the model runtime and the UAIR engine: mulberry32 + Box-Muller, so
// one seed means the same stream everywhere and every round is reproducible.
export interface Rng {
  /** uniform in [0, 1) */
  uniform(): number;
  /** standard normal; the second Box-Muller value is cached, not thrown away */
  normal(): number;
}

export function createRng(seed: number): Rng {
  let s = Math.trunc(seed) >>> 0;
  let spare: number | null = null;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    const u1 = Math.max(uniform(), 1e-12);
    const u2 = uniform();
    const rad = Math.sqrt(-2 * Math.log(u1));
    spare = rad * Math.sin(2 * Math.PI * u2);
    return rad * Math.cos(2 * Math.PI * u2);
  };
  return { uniform, normal };
}
