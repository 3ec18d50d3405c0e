// Import of a label map made elsewhere (NIfTI or DICOM SEG) as an annotation of a READY case.
// A bad file fails the job with the reason and leaves the case and its annotations as they were.
import path from "node:path";
import type { Prisma } from "@prisma/client";
import { importLabel } from "../../lib/imaging/label-import";
import { writeNifti } from "../../lib/imaging/nifti-write";
import { isImagingError, type Vec3 } from "../../lib/imaging/types";
import { audit, sha256Hex } from "../../server/worker-api";
import { UserFacingError, type JobHelpers, type WorkerContext } from "../job";
import { measureVersion } from "./measure";

export interface ImportLabelPayload {
  jobRunId: string;
  caseId: string;
  key: string;
  name: string;
  /** the value that means liver in the file (e.g. 5 for TotalSegmentator); absent: 0/1/2 as ours */
  sourceValue?: number | null;
  actorId?: string | null;
}

/** Decodes, moves onto the case's grid, stores the mask and records annotation version n+1. */
export async function storeImportedLabel(ctx: WorkerContext, p: Omit<ImportLabelPayload, "jobRunId">, bytes: Uint8Array) {
  const volume = await ctx.db.volume.findUnique({ where: { caseId: p.caseId }, include: { case: { include: { project: true } } } });
  if (!volume) throw new UserFacingError("The case has no CT volume yet; import its CT first.");
  const affine = (volume.metadata as { affine?: number[] }).affine;
  if (!affine) throw new Error(`volume of case ${p.caseId} has no affine in its metadata`);
  const grid = { dims: volume.dims as Vec3, spacing: volume.spacing as Vec3, affine };
  const r = importLabel(bytes, grid, { sourceValue: p.sourceValue ?? undefined });
  const maskBytes = writeNifti(r.mask, { isLabel: true, description: p.name.slice(0, 79) });
  const sha256 = sha256Hex(maskBytes);
  const maskKey = `masks/${sha256}.nii.gz`;
  await ctx.storage.put(maskKey, maskBytes);
  const provenance = {
    importedFrom: path.basename(p.key),
    format: r.format,
    sourceValue: p.sourceValue ?? null,
    counts: r.counts,
    aligned: r.aligned,
    warnings: r.warnings,
  } satisfies Prisma.InputJsonValue;
  // new annotation, or a new version of the one with that name
  const annotation = await ctx.db.annotation.upsert({
    where: { caseId_name: { caseId: p.caseId, name: p.name } },
    create: { caseId: p.caseId, name: p.name, source: "IMPORTED" },
    update: {},
    include: { versions: { orderBy: { version: "desc" }, take: 1 } },
  });
  const version = await ctx.db.annotationVersion.create({
    data: { annotationId: annotation.id, version: (annotation.versions[0]?.version ?? 0) + 1, maskKey, sha256, provenance, createdById: p.actorId ?? null },
  });
  await audit(ctx.db, {
    actorId: p.actorId ?? null,
    institutionId: volume.case.project.institutionId,
    action: "annotation.import",
    entityType: "annotation",
    entityId: annotation.id,
    data: { version: version.version, ...provenance },
  });
  // every version is measured (volumes, lesions, RECIST) where it is made
  const measured = await measureVersion(ctx, version.id);
  return { annotationId: annotation.id, versionId: version.id, version: version.version, ...provenance, lesionCount: measured.lesionCount };
}

export const importLabelTask = (ctx: WorkerContext) => async (p: ImportLabelPayload, h: JobHelpers) => {
  await h.progress("reading", 10);
  const bytes = await ctx.storage.get(p.key);
  await h.progress("decoding and aligning", 30);
  try {
    return await storeImportedLabel(ctx, p, bytes);
  } catch (e) {
    if (isImagingError(e)) throw new UserFacingError(e.message);
    throw e;
  }
};
