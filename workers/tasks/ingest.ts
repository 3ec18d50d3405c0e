// Ingest: an upload (NIfTI file or DICOM series) becomes the case's canonical volume
// (gzip NIfTI, RAS, int16 HU, affine kept), with metadata in PostgreSQL; the case ends READY,
// or FAILED with the reason the uploader needs to fix the file.
import path from "node:path";
import type { CaseStatus, Prisma } from "@prisma/client";
import { isImagingError } from "../../lib/imaging/types";
import { audit } from "../../server/worker-api";
import { processUploadInThread } from "../ingest/thread";
import { storeImportedLabel } from "./import-label";
import { UserFacingError, type JobHelpers, type WorkerContext } from "../job";

export interface IngestPayload {
  jobRunId: string;
  caseId: string;
  uploadKeys: string[];
  /** a label map to import as an annotation once the volume is in (demo seed, QA imports) */
  demoLabel?: { key: string; sourceValue: number; name: string } | null;
}

async function setStatus(ctx: WorkerContext, caseId: string, status: CaseStatus, failureReason: string | null) {
  const kase = await ctx.db.case.update({ where: { id: caseId }, data: { status, failureReason } });
  await ctx.realtime.publish({ type: "case", caseId, projectId: kase.projectId, status, failureReason });
  return kase;
}

export const ingest = (ctx: WorkerContext) => async (p: IngestPayload, h: JobHelpers) => {
  const kase = await setStatus(ctx, p.caseId, "INGESTING", null);
  const project = await ctx.db.project.findUniqueOrThrow({ where: { id: kase.projectId } });
  try {
    const files: { name: string; bytes: Uint8Array }[] = [];
    for (const [i, key] of p.uploadKeys.entries()) {
      files.push({ name: path.basename(key), bytes: await ctx.storage.get(key) });
      await h.progress("reading upload", 2 + (13 * (i + 1)) / p.uploadKeys.length);
    }
    const r = await processUploadInThread(
      files,
      { maxExpandedBytes: ctx.env.UAIR_MAX_UPLOAD_MB * 2 ** 20, maxRatio: 100 },
      (stage, percent) => void h.progress(stage, percent).catch(() => undefined),
    );
    const { sourceOrientation, canonical, range, sha256 } = r;
    const storageKey = `volumes/${sha256}.nii.gz`;
    const thumbnailKey = `thumbnails/${sha256}.png`;
    await ctx.storage.put(storageKey, r.niftiGz);
    await ctx.storage.put(thumbnailKey, r.thumbnailPng);
    const previewKey = `previews/${sha256}.nii.gz`;
    await ctx.storage.put(previewKey, r.previewGz);
    const displayKey = r.displayGz ? `displays/${sha256}.nii.gz` : null;
    if (displayKey && r.displayGz) await ctx.storage.put(displayKey, r.displayGz);
    await h.progress("recording metadata", 85);

    {
      const data = {
        storageKey,
        sha256,
        sizeBytes: BigInt(r.niftiGz.byteLength),
        sourceFormat: r.format,
        dims: canonical.dims,
        spacing: canonical.spacing,
        orientation: sourceOrientation,
        huMin: range.min,
        huMax: range.max,
        seriesUids: r.seriesUids,
        metadata: {
          affine: canonical.affine,
          sourceAffine: r.sourceGrid.affine,
          sourceDims: r.sourceGrid.dims,
          thumbnailKey,
          previewKey,
          displayKey,
          timings: r.timings,
          ...r.metadata,
        } as Prisma.InputJsonValue,
      };
      // a batch transaction: no interactive-transaction timer to miss while another job holds the CPU
      await ctx.db.$transaction([
        ctx.db.volume.upsert({ where: { caseId: p.caseId }, create: { caseId: p.caseId, ...data }, update: data }),
        audit(ctx.db, {
        actorId: null,
        institutionId: project.institutionId,
        action: "case.ingested",
        entityType: "case",
        entityId: p.caseId,
          data: { sha256, format: r.format, dims: canonical.dims, orientation: sourceOrientation, timings: r.timings },
        }),
      ]);
    }

    if (p.demoLabel) {
      await h.progress("importing label", 92);
      await storeImportedLabel(
        ctx,
        { caseId: p.caseId, key: p.demoLabel.key, name: p.demoLabel.name, sourceValue: p.demoLabel.sourceValue },
        await ctx.storage.get(p.demoLabel.key),
      );
    }
    await setStatus(ctx, p.caseId, "READY", null);
    return { sha256, dims: canonical.dims, spacing: canonical.spacing, orientation: sourceOrientation };
  } catch (e) {
    const reason = isImagingError(e) ? e.message : `Import failed unexpectedly: ${(e as Error).message}`;
    await setStatus(ctx, p.caseId, "FAILED", reason);
    await audit(ctx.db, {
      actorId: null,
      institutionId: project.institutionId,
      action: "case.ingest-failed",
      entityType: "case",
      entityId: p.caseId,
      data: { reason, code: isImagingError(e) ? e.code : "INTERNAL" },
    });
    throw isImagingError(e) ? new UserFacingError(reason) : e;
  }
};
