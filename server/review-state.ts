// The JSON a review round keeps in ReviewRound.state: written by the server (round 0's prior,
// the round a pick asks for) and by the worker (the codes it decoded), read by both. Validated
// on read so a malformed row fails loudly instead of decoding nonsense.
import type { Prisma } from "@prisma/client";
import { z } from "zod";

/** lib/uair's results are plain data; Prisma's JSON input type wants index signatures. */
export const asJson = (v: unknown) => v as Prisma.InputJsonValue;

const numbers = z.array(z.number());

export const roundStateSchema = z.object({
  /** lib/uair MixtureJSON: the preference distribution the round samples from */
  mixture: z.unknown().optional(),
  /** where round 0's prior came from ("model prior" or the institution profile's summary) */
  priorSource: z.string().optional(),
  /** rectify: the round whose votes move the mixture (applied by the worker) */
  rectifyFrom: z.string().optional(),
  /** the slice the requesting reader was looking at: decoded first */
  focusSlice: z.number().int().nonnegative().optional(),
  /** written by the worker */
  n: z.number().int().positive().optional(),
  codes: numbers.optional(),
  component: numbers.optional(),
  membership: numbers.optional(),
  /** whitened code of each candidate's medoid (its Δz when accepted) */
  candidateCodes: z.array(numbers).optional(),
  /** whitened prior mean is 0 by construction; kept for the profile's volume ratio */
  recommendedTargetVoxels: z.number().optional(),
  priorMeanTargetVoxels: z.number().optional(),
});

export type RoundState = z.infer<typeof roundStateSchema>;

export function readRoundState(json: unknown): RoundState {
  const r = roundStateSchema.safeParse(json);
  if (!r.success) throw new Error(`malformed review round state: ${r.error.issues[0].path.join(".")}: ${r.error.issues[0].message}`);
  return r.data;
}
