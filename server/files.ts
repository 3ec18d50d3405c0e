// Voxel files over HTTP for the viewer: the case's canonical CT and annotation masks, behind the
// same session and access rules as tRPC. Immutable content-addressed files, so ETag = sha256.
import fs from "node:fs";
import type http from "node:http";
import { TRPCError } from "@trpc/server";
import { caseFor } from "./auth/access";
import { userFromCookie } from "./auth/session";
import { isImagingError } from "../lib/imaging/types";
import { ExportError, exportAnnotation } from "./exports";
import { replyJson } from "./http-json";
import { sliceRenderer } from "./review/slice-images";
import type { Services } from "./trpc/trpc";

const VOLUME = /^\/api\/cases\/([^/?]+)\/(volume|preview|display)\.nii\.gz(?:\?.*)?$/;
const MASK = /^\/api\/masks\/([^/?]+)\.nii\.gz(?:\?.*)?$/;
const EXPORT = /^\/api\/annotations\/versions\/([^/?]+)\/export\.(nii\.gz|seg\.dcm)(?:\?.*)?$/;
const THUMB = /^\/api\/cases\/([^/?]+)\/thumbnail\.png(?:\?.*)?$/;
const LESION_KEY = /^\/api\/annotations\/versions\/([^/?]+)\/lesions\/(\d{1,4})\/key\.png(?:\?.*)?$/;
const QA_MASK = /^\/api\/qa\/([^/?]+)\/consensus\.nii\.gz(?:\?.*)?$/;
const ROUND_SLICE = /^\/api\/rounds\/([^/?]+)\/(recommended|candidate-\d{1,2})\/slice-(\d{1,5})\.png(?:\?.*)?$/;
const ROUND = /^\/api\/rounds\/([^/?]+)\/((?:preview\/)?(?:recommended|uncertainty|candidate-\d{1,2}))\.nii\.gz(?:\?.*)?$/;

const fail = (res: http.ServerResponse, status: number, message: string) => replyJson(res, status, { error: message });

async function send(req: http.IncomingMessage, res: http.ServerResponse, services: Services, key: string, sha256: string, name: string, type = "application/gzip") {
  const etag = `"${sha256}"`;
  const headers = {
    "content-type": type,
    "content-disposition": `inline; filename="${name}"`,
    etag,
    "cache-control": "private, max-age=31536000, immutable",
  };
  if (req.headers["if-none-match"] === etag) return void res.writeHead(304, headers).end();
  const local = services.storage.localPath?.(key);
  if (local && fs.existsSync(local)) {
    res.writeHead(200, { ...headers, "content-length": fs.statSync(local).size });
    fs.createReadStream(local).pipe(res);
    return;
  }
  const bytes = await services.storage.get(key);
  res.writeHead(200, { ...headers, "content-length": bytes.byteLength }).end(bytes);
}

export function createFileRoutes(services: Services) {
  const renderSlice = sliceRenderer(services.storage);
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> => {
    const url = req.url ?? "";
    const volume = VOLUME.exec(url);
    const mask = volume ? null : MASK.exec(url);
    const thumb = volume || mask ? null : THUMB.exec(url);
    const exp = volume || mask || thumb ? null : EXPORT.exec(url);
    const round = volume || mask || thumb || exp ? null : ROUND.exec(url);
    const roundSlice = volume || mask || thumb || exp || round ? null : ROUND_SLICE.exec(url);
    const qaMask = volume || mask || thumb || exp || round || roundSlice ? null : QA_MASK.exec(url);
    const lesionKey = volume || mask || thumb || exp || round || roundSlice || qaMask ? null : LESION_KEY.exec(url);
    if (!volume && !mask && !thumb && !exp && !round && !roundSlice && !qaMask && !lesionKey) return false;
    if (req.method !== "GET" && req.method !== "HEAD") return fail(res, 405, "Method not allowed"), true;
    const user = await userFromCookie(services.db, req.headers.cookie);
    if (!user) return fail(res, 401, "Please sign in"), true;
    try {
      if (exp) {
        const version = await services.db.annotationVersion.findUnique({ where: { id: decodeURIComponent(exp[1]) }, include: { annotation: true } });
        if (!version) return fail(res, 404, "Annotation not found"), true;
        await caseFor(services.db, user, version.annotation.caseId);
        try {
          const out = await exportAnnotation(services.db, services.storage, version.id, exp[2] === "nii.gz" ? "nifti" : "seg");
          res.writeHead(200, {
            "content-type": out.contentType,
            "content-disposition": `attachment; filename="${out.fileName}"`,
            "content-length": out.bytes.byteLength,
            "cache-control": "private, no-store",
          });
          res.end(out.bytes);
        } catch (e) {
          if (e instanceof ExportError || isImagingError(e)) return fail(res, 409, (e as Error).message), true;
          throw e;
        }
      } else if (lesionKey) {
        // the lesion's key slice with its RECIST long (yellow) and short (cyan) axes drawn
        const v = await services.db.annotationVersion.findUnique({ where: { id: decodeURIComponent(lesionKey[1]) }, include: { annotation: true } });
        if (!v) return fail(res, 404, "Annotation version not found"), true;
        await caseFor(services.db, user, v.annotation.caseId);
        const lesion = (v.measurements as { lesions?: { id: number; slice: number; longAxis: { from: number[]; to: number[] }; shortAxis: { from: number[]; to: number[] } }[] } | null)?.lesions?.find(
          (l) => l.id === Number(lesionKey[2]),
        );
        const ct = await services.db.volume.findUnique({ where: { caseId: v.annotation.caseId } });
        if (!lesion || !ct) return fail(res, 404, "No such lesion in this version's measurements"), true;
        const png = await renderSlice(ct.storageKey, v.maskKey, lesion.slice, 256, [
          { ...lesion.longAxis, rgb: [255, 230, 0] },
          { ...lesion.shortAxis, rgb: [0, 220, 255] },
        ]);
        res.writeHead(200, { "content-type": "image/png", "content-length": png.byteLength, "cache-control": "private, max-age=31536000, immutable" }).end(png);
      } else if (qaMask) {
        const a = await services.db.qaAnalysis.findUnique({ where: { id: decodeURIComponent(qaMask[1]) } });
        if (!a) return fail(res, 404, "QA analysis not found"), true;
        await caseFor(services.db, user, a.caseId);
        if (!a.consensusKey) return fail(res, 404, "This analysis has no consensus yet"), true;
        await send(req, res, services, a.consensusKey, `${a.id}-consensus`, `qa-consensus-${a.id}.nii.gz`);
      } else if (roundSlice) {
        const r = await services.db.reviewRound.findUnique({ where: { id: decodeURIComponent(roundSlice[1]) } });
        if (!r) return fail(res, 404, "Review round not found"), true;
        await caseFor(services.db, user, r.caseId);
        const v = await services.db.volume.findUnique({ where: { caseId: r.caseId } });
        const key = `rounds/${r.id}/${roundSlice[2]}.nii.gz`;
        if (!v || !(await services.storage.exists(key))) return fail(res, 404, "This mask is not ready yet"), true;
        const slice = Number(roundSlice[3]);
        if (slice >= v.dims[2]) return fail(res, 400, `Slice ${slice + 1} is outside the CT's ${v.dims[2]} slices`), true;
        const etag = `"${r.id}-${roundSlice[2]}-${slice}"`;
        const headers = { "content-type": "image/png", etag, "cache-control": "private, max-age=31536000, immutable" };
        if (req.headers["if-none-match"] === etag) return res.writeHead(304, headers).end(), true;
        const png = await renderSlice(v.storageKey, key, slice);
        res.writeHead(200, { ...headers, "content-length": png.byteLength }).end(png);
      } else if (round) {
        // a round's masks are written once by its job (preview, then final) and never change
        const r = await services.db.reviewRound.findUnique({ where: { id: decodeURIComponent(round[1]) } });
        if (!r) return fail(res, 404, "Review round not found"), true;
        await caseFor(services.db, user, r.caseId);
        const key = `rounds/${r.id}/${round[2]}.nii.gz`;
        if (!(await services.storage.exists(key))) return fail(res, 404, "This mask is not ready yet"), true;
        await send(req, res, services, key, `${r.id}-${round[2].replace("/", "-")}`, `round-${r.index + 1}-${round[2].replace("/", "-")}.nii.gz`);
      } else if (thumb) {
        const { kase } = await caseFor(services.db, user, decodeURIComponent(thumb[1]));
        const v = await services.db.volume.findUnique({ where: { caseId: kase.id } });
        const key = (v?.metadata as { thumbnailKey?: string } | undefined)?.thumbnailKey;
        if (!v || !key) return fail(res, 404, "This case has no thumbnail yet"), true;
        await send(req, res, services, key, `${v.sha256}-thumb`, `case-${kase.id}.png`, "image/png");
      } else if (volume) {
        const { kase } = await caseFor(services.db, user, decodeURIComponent(volume[1]));
        const v = await services.db.volume.findUnique({ where: { caseId: kase.id } });
        if (!v) return fail(res, 404, "This case has no volume yet"), true;
        if (volume[2] !== "volume") {
          const kind = volume[2];
          const key = (v.metadata as { previewKey?: string; displayKey?: string | null })[kind === "preview" ? "previewKey" : "displayKey"];
          if (!key) return fail(res, 404, `This case has no ${kind} volume`), true;
          await send(req, res, services, key, `${v.sha256}-${kind}`, `case-${kase.id}-${kind}.nii.gz`);
        } else await send(req, res, services, v.storageKey, v.sha256, `case-${kase.id}.nii.gz`);
      } else {
        const version = await services.db.annotationVersion.findUnique({
          where: { id: decodeURIComponent(mask![1]) },
          include: { annotation: true },
        });
        if (!version) return fail(res, 404, "Mask not found"), true;
        await caseFor(services.db, user, version.annotation.caseId);
        await send(req, res, services, version.maskKey, version.sha256, `mask-${version.id}.nii.gz`);
      }
    } catch (e) {
      if (e instanceof TRPCError) return fail(res, e.code === "FORBIDDEN" ? 403 : 404, e.message), true;
      throw e;
    }
    return true;
  };
}
