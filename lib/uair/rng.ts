// Seeded randomness: every round must be reproducible from its seed (no Math.random anywhere).
import { createRng as create, type Rng } from "../random";
import { UairError } from "./errors";

export type { Rng };

/** lib/random's generator (the same stream as lib/model's seededNormals), refusing a bad seed. */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new UairError("BAD_INPUT", `rng seed must be a finite number, got ${seed}.`);
  return create(seed);
}
