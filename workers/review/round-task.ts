// propose-round (round 0, from the model's prior or the institution's profile) and rectify
// (round t+1, the previous round's votes applied to its mixture): decode the round's codes, build
// the recommended mask and K diverse candidates, store them, open the round. The slices around
// the reader's focus are done first and published as a preview; the whole volume follows.
import { readNifti } from "../../lib/imaging/nifti-read";
import type { Vec3 } from "../../lib/imaging/types";
import { decodeSlices, decoderTakesCrops, encodeSlices, labelsToVolume, type EncodedVolume, type PreparedVolume, type Timings } from "../../lib/model";
import {
  buildRound,
  disagreementMap,
  embedLabels,
  embedRound,
  organBox,
  mixtureFromJSON,
  mixtureToJSON,
  planRound,
  structureVoxels,
  updateFromVotes,
  wholeBox,
  type Mixture,
  type Round,
  type Structure,
} from "../../lib/uair";
import { asJson, audit, readRoundState, type RoundState } from "../../server/worker-api";
import { UserFacingError, type JobHelpers, type WorkerContext } from "../job";
import type { LoadedModel } from "../model/load";
import { workerModel } from "../model/registry";
import { EncoderCache } from "./encoder-cache";
import { putLabels, staleReason, type CanonicalGrid } from "./round-store";

export interface RoundPayload {
  jobRunId: string;
  caseId: string;
  roundId: string;
}

const PREVIEW_HALF_SLAB = 2;
/** slices this far apart (mm) are encoded first to find the liver's slice range (a liver spans 100+ mm) */
const COARSE_MM = 10;
/** slices of margin around the liver where candidates are decoded */
const MARGIN = 2;
/** model-grid pixels (2 mm: 80 mm²) below which a slice's liver is noise, not liver */
const MIN_LIVER_PIXELS = 20;
/**
 * pixels (2 mm: 16 mm) around the prior mean's liver where the codes are decoded: samples differ
 * from the mean near its boundary, not across the abdomen; aligned to the clustering's 4x4 blocks
 */
const BOX_MARGIN = 8;
const BOX_ALIGN = 4;
let cache: EncoderCache | undefined;

const range = (a: number, b: number) => Array.from({ length: Math.max(0, b - a) }, (_, i) => a + i);

/**
 * The previous round's weights per candidate index: what its consensus closed on (a decision
 * weighs one candidate; a split, every voted candidate by its votes), else its PICK votes.
 */
async function votesOf(ctx: WorkerContext, round: { id: string; consensus: unknown }): Promise<Map<number, number>> {
  const closed = (round.consensus as { weights?: Record<string, number>; status?: string; choice?: string | null } | null) ?? null;
  if (closed?.status === "decided" && closed.choice?.startsWith("PICK:")) return new Map([[Number(closed.choice.slice(5)), 1]]);
  if (closed?.status === "split" && closed.weights) return new Map(Object.entries(closed.weights).map(([k, v]) => [Number(k), v]));
  const votes = await ctx.db.vote.findMany({ where: { roundId: round.id, kind: "PICK" }, include: { candidate: { select: { index: true } } } });
  const out = new Map<number, number>();
  for (const v of votes) if (v.candidate) out.set(v.candidate.index, (out.get(v.candidate.index) ?? 0) + 1);
  return out;
}

async function rectifiedMixture(ctx: WorkerContext, fromRoundId: string): Promise<Mixture> {
  const from = await ctx.db.reviewRound.findUniqueOrThrow({ where: { id: fromRoundId } });
  const s = readRoundState(from.state);
  if (!s.codes || !s.component || !s.membership) throw new Error(`round ${from.id} has no decoded codes to rectify from`);
  const votes = await votesOf(ctx, from);
  if (!votes.size) throw new UserFacingError(`Round ${from.index} has no picks to rectify from.`);
  return updateFromVotes(mixtureFromJSON(s.mixture), Float32Array.from(s.codes), Int32Array.from(s.component), Int32Array.from(s.membership), votes).mixture;
}

/** Model-grid labels of slices [k0, k1) on the canonical grid of those slices (affine shifted to k0). */
function slabToCanonical(labels: Uint8Array, prep: PreparedVolume, m: LoadedModel, grid: CanonicalGrid, k0: number, k1: number): { grid: CanonicalGrid; data: Uint8Array } {
  const nz = k1 - k0;
  const sub = { ...prep, nz, dims: [prep.dims[0], prep.dims[1], nz] as [number, number, number] };
  const data = labelsToVolume(labels, sub, m.manifest.preprocessing);
  const a = [...grid.affine];
  for (const r of [0, 1, 2]) a[r * 4 + 3] += a[r * 4 + 2] * k0;
  return { grid: { dims: [grid.dims[0], grid.dims[1], nz] as Vec3, spacing: grid.spacing, affine: a }, data };
}

async function storeRoundMasks(ctx: WorkerContext, prefix: string, round: Round, toGrid: (l: Uint8Array) => { grid: CanonicalGrid; data: Uint8Array }) {
  const rec = toGrid(round.recommended);
  const recommendedKey = await putLabels(ctx.storage, `${prefix}/recommended.nii.gz`, rec.grid, rec.data, "UAIR recommended (majority)");
  const candidateKeys: string[] = [];
  for (const [i, c] of round.candidates.entries()) {
    const v = toGrid(c.labels);
    candidateKeys.push(await putLabels(ctx.storage, `${prefix}/candidate-${i}.nii.gz`, v.grid, v.data, `UAIR candidate ${i + 1}`));
  }
  return { recommendedKey, candidateKeys };
}


/** Decode the codes inside the prior mean's box on `slices` and build the round there, put back into the whole volume. */
async function roundInBox(
  model: LoadedModel,
  enc: EncodedVolume,
  codes: Float32Array,
  component: Int32Array,
  slices: number[],
  mean: Uint8Array,
  opts: { dims: Vec3; structure: Structure; voxelMl: number; k: number; timings: Timings & Record<string, number>; onProgress?: (done: number, total: number) => void },
): Promise<{ round: Round; uncertainty: Uint8Array }> {
  const { dims, timings } = opts;
  const zLo = Math.min(...slices);
  const zHi = Math.max(...slices) + 1;
  const slab = { ...wholeBox(dims), z0: zLo, d: zHi - zLo };
  // a decoder with fixed height and width decodes whole slices; the box still bounds the slices
  const box = (decoderTakesCrops(model.manifest) && organBox(mean, dims, zLo, zHi, BOX_MARGIN, BOX_ALIGN)) || slab;
  const n = codes.length / model.manifest.latent_size;
  const samples = Array.from({ length: n }, () => new Uint8Array(box.w * box.h * box.d));
  await decodeSlices(model, enc, codes, slices, samples, { timings, onProgress: opts.onProgress, box });
  const t = performance.now();
  const inBox = buildRound({ samples, codes, component, dims: [box.w, box.h, box.d], structure: opts.structure, voxelMl: opts.voxelMl, k: opts.k });
  const round = embedRound(inBox, box, dims);
  const uncertainty = embedLabels(disagreementMap(samples, opts.structure), box, dims);
  timings.clusterMs += performance.now() - t;
  timings.boxVoxels = (timings.boxVoxels ?? 0) + box.w * box.h * box.d;
  return { round, uncertainty };
}

const roundedTimings = (t: Record<string, number>) => Object.fromEntries(Object.entries(t).map(([key, v]) => [key, Math.round(v)]));

const candidateSummary = (round: Round, i: number) => {
  const c = round.candidates[i];
  return { ...c.summary, spread: c.spread, members: c.members.length, absorbed: c.absorbed.length };
};

export const roundTask = (ctx: WorkerContext) => async (p: RoundPayload, h: JobHelpers) => {
  const t0 = performance.now();
  const timings: Timings & Record<string, number> = { preprocessMs: 0, encodeMs: 0, decodeMs: 0, clusterMs: 0, storeMs: 0 };
  const loadRound = () => ctx.db.reviewRound.findUnique({ where: { id: p.roundId }, include: { case: true } });
  let round = await loadRound();
  if (!round) throw new UserFacingError("This review round no longer exists.");
  const publish = (stage: "preview" | "ready" | "dropped", status: string) =>
    ctx.realtime.publish({ type: "round", caseId: round!.caseId, projectId: round!.case.projectId, roundId: round!.id, index: round!.index, status, stage });
  const drop = async (reason: string) => {
    await publish("dropped", round!.status);
    return { dropped: reason };
  };
  const stale = await staleReason(ctx.db, round);
  if (stale) return drop(stale);

  const model = await workerModel(ctx.env).catch((e: Error) => {
    throw new UserFacingError(`The segmentation model is unavailable on this worker: ${e.message}`);
  });
  const volume = await ctx.db.volume.findUnique({ where: { caseId: round.caseId } });
  if (!volume) throw new UserFacingError("The case has no CT volume; import it before starting a review.");
  const project = await ctx.db.project.findUniqueOrThrow({ where: { id: round.case.projectId } });
  const state = readRoundState(round.state);
  const structure = round.structure as Structure;
  const mixture = state.rectifyFrom ? await rectifiedMixture(ctx, state.rectifyFrom) : mixtureFromJSON(state.mixture);
  const n = ctx.env.UAIR_CANDIDATE_SAMPLES;
  const { codes, component } = planRound({ mixture, n, seed: round.seed });

  await h.progress("loading CT", 2);
  cache ??= new EncoderCache(ctx.env.UAIR_FEATURE_CACHE_MB * 2 ** 20);
  const cacheKey = `${round.caseId}:${volume.sha256}:${model.manifest.name}@${model.manifest.version}`;
  const tLoad = performance.now();
  const ce = await cache.get(cacheKey, model, async () => readNifti(await ctx.storage.get(volume.storageKey)));
  timings.loadMs = performance.now() - tLoad;
  const { prep, enc } = ce;
  const spec = model.manifest.preprocessing;
  const plane = spec.size * spec.size;
  const nz = prep.nz;
  const dims: Vec3 = [spec.size, spec.size, nz];
  const voxelMl = (spec.spacing_mm * spec.spacing_mm * prep.sz) / 1000;
  const grid: CanonicalGrid = { dims: volume.dims as Vec3, spacing: volume.spacing as Vec3, affine: (volume.metadata as { affine: number[] }).affine };
  const mean = new Uint8Array(nz * plane);
  const k = project.candidateCount;
  const prefix = `rounds/${round.id}`;

  // 1. the slab the reader is looking at, published as soon as it is ready
  const focus = Math.min(nz - 1, Math.max(0, state.focusSlice ?? Math.floor(nz / 2)));
  const s0 = Math.max(0, focus - PREVIEW_HALF_SLAB);
  const s1 = Math.min(nz, focus + PREVIEW_HALF_SLAB + 1);
  const slab = range(s0, s1);
  await encodeSlices(model, prep, enc, slab, { timings });
  await decodeSlices(model, enc, new Float32Array(0), slab, [mean], { priorMean: true, timings });
  const { round: preview } = await roundInBox(model, enc, codes, component, slab, mean, { dims, structure, voxelMl, k, timings });
  let t = performance.now();
  const previewKeys = await storeRoundMasks(ctx, `${prefix}/preview`, preview, (l) => slabToCanonical(l.subarray(s0 * plane, s1 * plane), prep, model, grid, s0, s1));
  timings.storeMs += performance.now() - t;
  timings.previewMs = performance.now() - t0;
  round = await loadRound();
  if (!round) throw new UserFacingError("This review round no longer exists.");
  const stalePreview = await staleReason(ctx.db, round);
  if (stalePreview) return drop(stalePreview);
  await ctx.db.reviewRound.update({
    where: { id: round.id },
    data: {
      summary: asJson({
        preview: {
          slices: [s0, s1 - 1],
          recommendedKey: previewKeys.recommendedKey,
          candidates: preview.candidates.map((_, i) => ({ key: previewKeys.candidateKeys[i], ...candidateSummary(preview, i) })),
          ms: Math.round(timings.previewMs),
          timings: roundedTimings(timings),
        },
      }),
    },
  });
  await publish("preview", "COMPUTING");
  await h.progress("candidates for the slices in view", 10);

  // 2. the whole volume. Find the liver's slice range from a slice every 10 mm first, so slices far
  // from the liver are never encoded; then encode that range (cached per case for later rounds)
  // and decode the codes on the slices where the prior mean sees liver, with a margin. Samples
  // stay background elsewhere.
  // a slice "has liver" when the prior mean's liver covers a real area there (stray pixels in
  // other organs would otherwise widen the range to most of the scan)
  const liverArea = (z: number) => mean.subarray(z * plane, (z + 1) * plane).reduce((n, v) => n + (v > 0 ? 1 : 0), 0);
  const minArea = (areas: number[]) => Math.max(MIN_LIVER_PIXELS, 0.02 * Math.max(0, ...areas));
  const step = Math.max(1, Math.round(COARSE_MM / prep.sz));
  const coarse = range(0, nz).filter((z) => z % step === 0 && (z < s0 || z >= s1));
  await encodeSlices(model, prep, enc, coarse, { timings, onProgress: (d, total) => void h.progress("finding the liver", 10 + (15 * d) / total).catch(() => undefined) });
  await decodeSlices(model, enc, new Float32Array(0), coarse, [mean], { priorMean: true, timings });
  const coarseAreas = [...coarse, ...slab].map((z) => [z, liverArea(z)] as const);
  const coarseMin = minArea(coarseAreas.map(([, a]) => a));
  const seen = coarseAreas.filter(([, a]) => a >= coarseMin).map(([z]) => z);
  const lo = seen.length ? Math.max(0, Math.min(...seen) - step - MARGIN) : 0;
  const hi = seen.length ? Math.min(nz - 1, Math.max(...seen) + step + MARGIN) : -1;
  const span = range(lo, hi + 1).filter((z) => z < s0 || z >= s1);
  // features of slices outside the liver's range are not needed again: free them (memory)
  for (const z of coarse) {
    if ((z < lo || z > hi) && enc.features[z]) {
      enc.bytes -= enc.features[z]!.byteLength;
      enc.features[z] = undefined;
    }
  }
  await encodeSlices(model, prep, enc, span, { timings, onProgress: (d, total) => void h.progress("encoding slices", 25 + (30 * d) / total).catch(() => undefined) });
  cache.trim(cacheKey);
  await decodeSlices(model, enc, new Float32Array(0), span.filter((z) => z % step !== 0), [mean], { priorMean: true, timings });
  const liverSlices = new Set<number>(slab);
  const areas = range(lo, hi + 1).map(liverArea);
  const fineMin = minArea(areas);
  areas.forEach((a, i) => {
    const z = lo + i;
    if (a >= fineMin) for (let d = -MARGIN; d <= MARGIN; d++) if (z + d >= lo && z + d <= hi) liverSlices.add(z + d);
  });
  // the prior mean of these slices is known from the range search: decode the N codes only (the
  // slab's slices again too: the whole volume's box is at least as wide as the slab's)
  const roi = [...liverSlices].sort((a, b) => a - b);
  const { round: full, uncertainty } = await roundInBox(model, enc, codes, component, roi, mean, {
    dims,
    structure,
    voxelMl,
    k,
    timings,
    onProgress: (d, total) => void h.progress("decoding candidates", 55 + (30 * d) / total).catch(() => undefined),
  });
  await h.progress("storing candidates", 92);
  t = performance.now();
  const keys = await storeRoundMasks(ctx, prefix, full, (l) => ({ grid, data: labelsToVolume(l, prep, spec) }));
  const uncertaintyKey = await putLabels(ctx.storage, `${prefix}/uncertainty.nii.gz`, grid, labelsToVolume(uncertainty, prep, spec), `UAIR sample disagreement (%), ${structure}`, false);
  timings.storeMs += performance.now() - t;
  timings.totalMs = performance.now() - t0;

  const newState: RoundState = {
    ...state,
    mixture: mixtureToJSON(mixture),
    n,
    codes: Array.from(codes),
    component: Array.from(component),
    membership: Array.from(full.membership),
    candidateCodes: full.candidates.map((c) => Array.from(c.code)),
    recommendedTargetVoxels: structureVoxels(full.recommended, structure),
    priorMeanTargetVoxels: structureVoxels(mean, structure),
  };
  const summary = {
    recommended: full.summaries.recommended,
    pruned: full.pruned.map((x) => ({ reason: x.reason, dice: x.dice, against: x.against, members: x.candidate.members.length })),
    converged: full.converged,
    liverSlices: roi.length,
    uncertaintyKey,
    slices: nz,
    samples: n,
    timings: roundedTimings(timings),
    model: `${model.manifest.name} ${model.manifest.version}`,
  };

  // apply only if the round is still the one being computed (a reader may have moved on)
  const applied = await ctx.db.$transaction(async (tx) => {
    const current = await tx.reviewRound.findUnique({ where: { id: p.roundId }, include: { case: true } });
    const why = current ? await staleReason(tx, current) : "the round was deleted";
    if (why) return why;
    await tx.candidate.deleteMany({ where: { roundId: p.roundId } });
    await tx.candidate.createMany({ data: full.candidates.map((_, i) => ({ roundId: p.roundId, index: i, maskKey: keys.candidateKeys[i], summary: asJson(candidateSummary(full, i)) })) });
    await tx.reviewRound.update({
      where: { id: p.roundId },
      data: { status: "OPEN", model: summary.model, state: asJson(newState), recommendedKey: keys.recommendedKey, summary: asJson({ ...summary, preview: (current!.summary as { preview?: unknown }).preview ?? null }) },
    });
    await audit(tx, {
      actorId: null,
      institutionId: project.institutionId,
      action: "review.round.open",
      entityType: "reviewRound",
      entityId: p.roundId,
      data: { index: current!.index, candidates: full.candidates.length, pruned: full.pruned.length, converged: full.converged, ms: summary.timings.totalMs },
    });
    return null;
  });
  if (applied) return drop(applied);
  await publish("ready", "OPEN");
  return asJson(summary);
};
