// What a round leaves behind: label maps on the case's canonical grid in storage (content
// addressed by round), and the stale check that keeps a late job from touching a newer round.
import type { Prisma } from "@prisma/client";
import { writeNifti } from "../../lib/imaging/nifti-write";
import type { Vec3 } from "../../lib/imaging/types";
import type { Db, Storage } from "../../server/worker-api";

export interface CanonicalGrid {
  dims: Vec3;
  spacing: Vec3;
  affine: number[];
}

/** Store a label map (x fastest, on the grid) as gzip NIfTI; level 1: these are rewritten each round. */
export async function putLabels(storage: Storage, key: string, grid: CanonicalGrid, data: Uint8Array, description: string, isLabel = true): Promise<string> {
  await storage.put(key, writeNifti({ ...grid, data }, { isLabel, description: description.slice(0, 79), level: 1 }));
  return key;
}

type RoundWithCase = Prisma.ReviewRoundGetPayload<{ include: { case: true } }>;

/**
 * Why a round's job must not apply its result, or null when it still may: the round was closed
 * or superseded, a newer round exists, or the case left review.
 */
export async function staleReason(db: Pick<Db, "reviewRound">, round: RoundWithCase): Promise<string | null> {
  if (round.status !== "COMPUTING") return `round ${round.index} is ${round.status.toLowerCase()}`;
  if (round.case.status !== "IN_REVIEW") return `the case is ${round.case.status.toLowerCase().replace("_", " ")}, not in review`;
  const newer = await db.reviewRound.count({ where: { caseId: round.caseId, index: { gt: round.index } } });
  return newer ? `round ${round.index} was superseded by a newer round` : null;
}
