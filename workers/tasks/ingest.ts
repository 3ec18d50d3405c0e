// Ingest: an upload (NIfTI file or DICOM series) becomes the case's canonical volume
// (gzip NIfTI, RAS, int16 HU, affine kept), with metadata in PostgreSQL; the case ends READY,
// or FAILED with the reason the uploader needs to fix the file.
import path from "node:path";
import type { CaseStatus } from "@prisma/client";
import { binarise, transferLabelToGrid } from "../../lib/imaging/labels";
import { toCanonicalCT } from "../../lib/imaging/canonical";
import { readNifti } from "../../lib/imaging/nifti-read";
import { writeNifti } from "../../lib/imaging/nifti-write";
import { orientationCode } from "../../lib/imaging/orientation";
import { huRange } from "../../lib/imaging/stats";
import { isImagingError } from "../../lib/imaging/types";
import { decodeUpload } from "../../lib/imaging/upload";
import { audit, sha256Hex } from "../../server/worker-api";
import { openjpegDecoder } from "../codecs/openjpeg";
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
    await h.progress("parsing", 15);
    const source = decodeUpload(files, {
      decodeFrame: await openjpegDecoder(),
      zipLimits: { maxExpandedBytes: ctx.env.UAIR_MAX_UPLOAD_MB * 2 ** 20, maxRatio: 100 },
    });
    await h.progress("converting to RAS int16 HU", 45);
    const sourceOrientation = orientationCode(source.volume.affine);
    const canonical = toCanonicalCT(source.volume);
    const range = huRange(canonical);
    await h.progress("compressing", 60);
    const bytes = writeNifti(canonical, { description: "UAIR canonical CT (RAS, int16 HU)" });
    const sha256 = sha256Hex(bytes);
    const storageKey = `volumes/${sha256}.nii.gz`;
    await ctx.storage.put(storageKey, bytes);
    await h.progress("recording metadata", 85);

    {
      const data = {
        storageKey,
        sha256,
        sizeBytes: BigInt(bytes.byteLength),
        sourceFormat: source.format,
        dims: canonical.dims,
        spacing: canonical.spacing,
        orientation: sourceOrientation,
        huMin: range.min,
        huMax: range.max,
        seriesUids: source.seriesUids,
        metadata: { affine: canonical.affine, sourceAffine: source.volume.affine, ...source.metadata },
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
          data: { sha256, format: source.format, dims: canonical.dims, orientation: sourceOrientation },
        }),
      ]);
    }

    if (p.demoLabel) {
      await h.progress("importing label", 92);
      const label = readNifti(await ctx.storage.get(p.demoLabel.key));
      const onGrid = transferLabelToGrid(binarise(label, p.demoLabel.sourceValue, 1), canonical);
      const maskBytes = writeNifti(onGrid, { isLabel: true, description: p.demoLabel.name.slice(0, 79) });
      const maskSha = sha256Hex(maskBytes);
      await ctx.storage.put(`masks/${maskSha}.nii.gz`, maskBytes);
      await ctx.db.annotation.create({
        data: {
          caseId: p.caseId,
          name: p.demoLabel.name,
          source: "IMPORTED",
          versions: {
            create: {
              version: 1,
              maskKey: `masks/${maskSha}.nii.gz`,
              sha256: maskSha,
              provenance: { importedFrom: path.basename(p.demoLabel.key), sourceValue: p.demoLabel.sourceValue },
            },
          },
        },
      });
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
