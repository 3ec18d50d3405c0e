// QA of several contour sets of one case: pairwise Dice, HD95 and surface Dice of the structure,
// the STAPLE consensus (stored as a mask) with each reader's sensitivity and specificity,
// disagreement hot spots (connected regions where readers differ, largest first) and per-lesion
// agreement against the consensus. The thin shell around lib/metrics and lib/consensus.
import { readNifti } from "../../lib/imaging/nifti-read";
import { writeNifti } from "../../lib/imaging/nifti-write";
import type { Vec3 } from "../../lib/imaging/types";
import { majorityBinary, stapleBinary } from "../../lib/consensus";
import { dice, matchLesions, surfaceDistances } from "../../lib/metrics";
import { connectedComponents3d, structureMask, type Structure } from "../../lib/uair";
import { asJson, audit, sha256Hex } from "../../server/worker-api";
import { UserFacingError, type JobHelpers, type WorkerContext } from "../job";

export interface QaPayload {
  jobRunId: string;
  caseId: string;
  analysisId: string;
}

/** surface Dice tolerance, mm: about one voxel of a typical abdominal CT in-plane */
const SURFACE_TOLERANCE_MM = 2;
const HOT_SPOTS = 10;

const round3 = (v: number | null) => (v === null || !Number.isFinite(v) ? null : Math.round(v * 1000) / 1000);

export const qaAnalyzeTask = (ctx: WorkerContext) => async (p: QaPayload, h: JobHelpers) => {
  try {
    return await analyze(ctx, p, h);
  } catch (e) {
    // the analysis says it failed; the job row keeps the reason
    await ctx.db.qaAnalysis.updateMany({ where: { id: p.analysisId, status: "COMPUTING" }, data: { status: "FAILED" } });
    throw e;
  }
};

async function analyze(ctx: WorkerContext, p: QaPayload, h: JobHelpers) {
  const t0 = performance.now();
  const a = await ctx.db.qaAnalysis.findUnique({ where: { id: p.analysisId } });
  if (!a) throw new UserFacingError("This QA analysis no longer exists.");
  const volume = await ctx.db.volume.findUnique({ where: { caseId: a.caseId }, include: { case: { include: { project: true } } } });
  if (!volume) throw new UserFacingError("The case has no CT volume.");
  const versions = await ctx.db.annotationVersion.findMany({ where: { id: { in: a.versionIds } }, include: { annotation: true } });
  const byId = new Map(versions.map((v) => [v.id, v]));
  const missing = a.versionIds.filter((id) => !byId.has(id));
  if (missing.length) throw new UserFacingError(`${missing.length} of the contour sets were deleted; start the analysis again.`);
  await h.progress("reading contour sets", 5);
  const dims = volume.dims as Vec3;
  const spacing = volume.spacing as Vec3;
  const voxelMl = (spacing[0] * spacing[1] * spacing[2]) / 1000;
  const masks: Uint8Array[] = [];
  // the structure not under QA, so the consensus is a whole label map (a tumour consensus keeps a
  // liver to measure the burden against): by majority of the same readers
  const other: Structure = a.structure === "liver" ? "tumour" : "liver";
  const others: Uint8Array[] = [];
  for (const id of a.versionIds) {
    const m = readNifti(await ctx.storage.get(byId.get(id)!.maskKey));
    if (m.dims.join() !== dims.join()) throw new UserFacingError(`${byId.get(id)!.annotation.name} is not on the case's grid.`);
    masks.push(structureMask(m.data, a.structure as Structure));
    others.push(structureMask(m.data, other));
  }
  const n = masks.length;

  await h.progress("pairwise agreement", 20);
  const matrix = () => Array.from({ length: n }, () => new Array<number | null>(n).fill(null));
  const diceM = matrix();
  const hd95M = matrix();
  const surfaceDiceM = matrix();
  for (let i = 0; i < n; i++) {
    diceM[i][i] = 1;
    hd95M[i][i] = 0;
    surfaceDiceM[i][i] = 1;
    for (let j = i + 1; j < n; j++) {
      const d = dice(masks[i], masks[j]);
      const s = surfaceDistances(masks[i], masks[j], dims, spacing);
      diceM[i][j] = diceM[j][i] = round3(d);
      hd95M[i][j] = hd95M[j][i] = round3(s.hd95Mm);
      surfaceDiceM[i][j] = surfaceDiceM[j][i] = round3(s.surfaceDiceAt(SURFACE_TOLERANCE_MM));
    }
  }
  const pairs = diceM.flatMap((row, i) => row.slice(i + 1).map((v) => v ?? 0));
  const agreement = pairs.reduce((s, v) => s + v, 0) / Math.max(1, pairs.length);

  await h.progress("STAPLE consensus", 50);
  const staple = stapleBinary(masks);
  const consensus = staple.consensus;
  const consensusVoxels = consensus.reduce((s, v) => s + v, 0);

  await h.progress("hot spots and lesions", 75);
  // voxels where readers differ (some yes, some no), as 3-D regions ranked by size
  const votes = new Uint8Array(consensus.length);
  for (const m of masks) for (let i = 0; i < m.length; i++) votes[i] += m[i];
  const differ = Uint8Array.from(votes, (v) => (v > 0 && v < n ? 1 : 0));
  const { labels: regions, sizes } = connectedComponents3d(differ, dims);
  const ranked = sizes.map((size, k) => ({ k: k + 1, size })).sort((x, y) => y.size - x.size).slice(0, HOT_SPOTS);
  const stats = new Map(ranked.map((r) => [r.k, { x: 0, y: 0, z: 0, votes: 0 }]));
  const [nx, ny] = dims;
  for (let i = 0; i < regions.length; i++) {
    const st = regions[i] ? stats.get(regions[i]) : undefined;
    if (!st) continue;
    st.x += i % nx;
    st.y += Math.floor(i / nx) % ny;
    st.z += Math.floor(i / (nx * ny));
    st.votes += votes[i];
  }
  const affine = (volume.metadata as { affine: number[] }).affine;
  const world = (x: number, y: number, z: number) => [0, 1, 2].map((r) => round3(affine[r * 4] * x + affine[r * 4 + 1] * y + affine[r * 4 + 2] * z + affine[r * 4 + 3])!);
  const hotSpots = ranked.map((r, rank) => {
    const st = stats.get(r.k)!;
    const c = [st.x / r.size, st.y / r.size, st.z / r.size];
    return { rank: rank + 1, voxels: r.size, volumeMl: round3(r.size * voxelMl), slice: Math.round(c[2]), centroidMm: world(c[0], c[1], c[2]), meanReaders: round3(st.votes / r.size) };
  });
  // per lesion of the consensus: which reader found it, and how well
  const perReader = masks.map((m) => matchLesions(consensus, m, dims, spacing));
  const lesions = (perReader[0]?.reference ?? []).map((lesion) => ({
    id: lesion.id,
    volumeMl: round3(lesion.volumeMl),
    centroidMm: lesion.centroidMm.map((v) => round3(v)),
    detectedBy: perReader.map((mr) => mr.detected.includes(lesion.id)),
    dice: perReader.map((mr) => round3(mr.reference.find((l) => l.id === lesion.id)?.dice ?? 0)),
  }));

  await h.progress("storing the consensus", 90);
  const otherMajority = majorityBinary(others);
  // tumour lies inside the liver: tumour wherever the tumour mask says so, liver where either does
  const labels = Uint8Array.from(consensus, (v, i) => {
    const tumour = a.structure === "tumour" ? v : otherMajority[i];
    const liver = a.structure === "liver" ? v : otherMajority[i];
    return tumour ? 2 : liver ? 1 : 0;
  });
  const bytes = writeNifti({ dims, spacing, affine, data: labels }, { isLabel: true, description: `STAPLE consensus (${a.structure}), ${other} by majority` });
  const consensusKey = `qa/${a.id}/consensus.nii.gz`;
  await ctx.storage.put(consensusKey, bytes);
  const result = {
    structure: a.structure,
    readers: a.versionIds.map((id) => ({ versionId: id, name: byId.get(id)!.annotation.name, version: byId.get(id)!.version, volumeMl: round3(masks[a.versionIds.indexOf(id)].reduce((s, v) => s + v, 0) * voxelMl) })),
    pairwise: { dice: diceM, hd95Mm: hd95M, surfaceDice: surfaceDiceM, surfaceToleranceMm: SURFACE_TOLERANCE_MM },
    meanPairwiseDice: round3(agreement),
    staple: {
      sensitivity: staple.sensitivity.map(round3),
      specificity: staple.specificity.map(round3),
      iterations: staple.iterations,
      converged: staple.converged,
      consensusMl: round3(consensusVoxels * voxelMl),
      diceToConsensus: masks.map((m) => round3(dice(m, consensus))),
    },
    hotSpots,
    lesions,
    consensusSha256: sha256Hex(bytes),
    ms: Math.round(performance.now() - t0),
  };
  await ctx.db.qaAnalysis.update({ where: { id: a.id }, data: { status: "DONE", agreement: round3(agreement), result: asJson(result), consensusKey } });
  await audit(ctx.db, { actorId: null, institutionId: volume.case.project.institutionId, action: "qa.analysis", entityType: "case", entityId: a.caseId, data: { analysisId: a.id, agreement: round3(agreement), readers: n, ms: result.ms } });
  await ctx.realtime.publish({ type: "case", caseId: a.caseId, projectId: volume.case.projectId, status: volume.case.status, failureReason: null });
  return { analysisId: a.id, agreement: round3(agreement), ms: result.ms };
}
