// Measurements of an annotation version on its CT (lib/measure): liver and tumour volumes, burden,
// lesions with HU statistics, centroids and RECIST diameters, target lesions. Stored on the
// version, so reports and exports read them instead of recomputing.
import type { Prisma } from "@prisma/client";
import { readNifti } from "../../lib/imaging/nifti-read";
import { measureLabels } from "../../lib/measure";
import { UserFacingError, type JobHelpers, type WorkerContext } from "../job";

export interface MeasurePayload {
  jobRunId: string;
  caseId: string;
  versionId: string;
}

export async function measureVersion(ctx: WorkerContext, versionId: string) {
  const version = await ctx.db.annotationVersion.findUnique({ where: { id: versionId }, include: { annotation: true } });
  if (!version) throw new UserFacingError("That annotation version no longer exists.");
  const volume = await ctx.db.volume.findUnique({ where: { caseId: version.annotation.caseId } });
  if (!volume) throw new UserFacingError("The case has no CT volume to measure on.");
  const t0 = performance.now();
  const [ct, mask] = await Promise.all([ctx.storage.get(volume.storageKey).then(readNifti), ctx.storage.get(version.maskKey).then(readNifti)]);
  const result = measureLabels({
    labels: mask.data as Uint8Array,
    hu: ct.data,
    dims: ct.dims,
    spacing: ct.spacing,
    affine: ct.affine,
  });
  const measurements = { ...result, ms: Math.round(performance.now() - t0), measuredAt: new Date().toISOString() };
  await ctx.db.annotationVersion.update({ where: { id: version.id }, data: { measurements: measurements as unknown as Prisma.InputJsonValue } });
  return measurements;
}

export const measureTask = (ctx: WorkerContext) => async (p: MeasurePayload, h: JobHelpers) => {
  await h.progress("measuring", 20);
  const m = await measureVersion(ctx, p.versionId);
  const project = await ctx.db.case.findUnique({ where: { id: p.caseId }, select: { projectId: true, status: true } });
  if (project) await ctx.realtime.publish({ type: "case", caseId: p.caseId, projectId: project.projectId, status: project.status, failureReason: null });
  return { versionId: p.versionId, liverMl: m.liverMl, tumourMl: m.tumourMl, lesionCount: m.lesionCount, ms: m.ms };
};
