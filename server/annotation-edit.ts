// A brush/eraser touch-up of an annotation: `PUT /api/annotations/versions/<versionId>/edit`
// with the edited label map as the gzip of its raw voxels (uint8, the CT's canonical grid, x
// fastest). It becomes the next version, recording who changed how many voxels of which label.
// The edit must start from the newest version (else 409) and change something; a map of the
// wrong size or with labels other than 0-2 is refused (400); nothing is written then.
import { randomUUID } from "node:crypto";
import type http from "node:http";
import { gunzipSync } from "node:zlib";
import { TRPCError } from "@trpc/server";
import { labelEdit } from "../lib/imaging/labels";
import { readNifti } from "../lib/imaging/nifti-read";
import { writeNifti } from "../lib/imaging/nifti-write";
import { checkLabels, isUairError } from "../lib/uair";
import { audit } from "./audit";
import { replyJson } from "./http-json";
import { caseFor } from "./auth/access";
import { userFromCookie } from "./auth/session";
import { sha256Hex } from "./storage";
import type { Services } from "./trpc/trpc";

const ROUTE = /^\/api\/annotations\/versions\/([^/?]+)\/edit(?:\?.*)?$/;


async function body(req: http.IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) return null;
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

export function createAnnotationEditRoute(services: Services) {
  const limit = services.env.UAIR_MAX_UPLOAD_MB * 2 ** 20;
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> => {
    const m = ROUTE.exec(req.url ?? "");
    if (!m) return false;
    const drop = () => req.resume();
    if (req.method !== "PUT") return drop(), replyJson(res, 405, { error: "Use PUT to save an edit" }), true;
    const user = await userFromCookie(services.db, req.headers.cookie);
    if (!user) return drop(), replyJson(res, 401, { error: "Please sign in" }), true;
    const base = await services.db.annotationVersion.findUnique({ where: { id: decodeURIComponent(m[1]) }, include: { annotation: true } });
    if (!base) return drop(), replyJson(res, 404, { error: "Annotation version not found" }), true;
    let access;
    try {
      access = await caseFor(services.db, user, base.annotation.caseId);
    } catch (e) {
      if (!(e instanceof TRPCError)) throw e;
      return drop(), replyJson(res, e.code === "FORBIDDEN" ? 403 : 404, { error: e.message }), true;
    }
    const volume = await services.db.volume.findUnique({ where: { caseId: base.annotation.caseId } });
    if (!volume) return drop(), replyJson(res, 409, { error: "The case has no CT volume" }), true;
    const raw = await body(req, limit);
    if (!raw) return replyJson(res, 413, { error: `The edit is larger than the ${services.env.UAIR_MAX_UPLOAD_MB} MB limit; nothing was saved.` }), true;
    const nvox = volume.dims[0] * volume.dims[1] * volume.dims[2];
    let labels: Uint8Array;
    try {
      labels = new Uint8Array(gunzipSync(raw, { maxOutputLength: nvox + 1 }));
    } catch {
      return replyJson(res, 400, { error: `The edit must be the gzip of ${nvox} label bytes (the CT's ${volume.dims.join("x")} grid); it could not be read.` }), true;
    }
    if (labels.length !== nvox) return replyJson(res, 400, { error: `The edit has ${labels.length} voxels; the CT's ${volume.dims.join("x")} grid has ${nvox}.` }), true;
    try {
      checkLabels(labels, "the edit");
    } catch (e) {
      if (isUairError(e)) return replyJson(res, 400, { error: e.message }), true;
      throw e;
    }
    const before = readNifti(await services.storage.get(base.maskKey)).data;
    const edit = labelEdit(before, labels);
    if (edit.changed === 0) return replyJson(res, 400, { error: "No voxel changed; nothing was saved." }), true;

    const affine = (volume.metadata as { affine: number[] }).affine;
    const bytes = writeNifti({ dims: volume.dims as [number, number, number], spacing: volume.spacing as [number, number, number], affine, data: labels }, { isLabel: true, description: `${base.annotation.name} edited`.slice(0, 79) });
    const maskKey = `annotations/${base.annotationId}/edit-${randomUUID()}.nii.gz`;
    await services.storage.put(maskKey, bytes);
    const result = await services.db
      .$transaction(async (tx) => {
        const newest = await tx.annotationVersion.findFirst({ where: { annotationId: base.annotationId }, orderBy: { version: "desc" } });
        if (newest!.id !== base.id) return { stale: newest!.version };
        const version = await tx.annotationVersion.create({
          data: {
            annotationId: base.annotationId,
            version: newest!.version + 1,
            maskKey,
            sha256: sha256Hex(bytes),
            createdById: user.userId,
            provenance: { edit: { basedOn: base.version, by: user.name, changedVoxels: edit.changed, added: edit.added, removed: edit.removed } },
          },
        });
        await audit(tx, {
          actorId: user.userId,
          institutionId: access.institutionId,
          action: "annotation.edit",
          entityType: "annotation",
          entityId: base.annotationId,
          data: { versionId: version.id, basedOn: base.version, version: version.version, changedVoxels: edit.changed, added: edit.added, removed: edit.removed },
        });
        return { version };
      })
      .catch(async (e) => {
        await services.storage.delete(maskKey).catch(() => undefined);
        throw e;
      });
    if ("stale" in result) {
      await services.storage.delete(maskKey).catch(() => undefined);
      return replyJson(res, 409, { error: `Version ${base.version} is no longer the newest (version ${result.stale} is); reload and edit that one.` }), true;
    }
    await services.queue.enqueue("measure", { caseId: access.kase.id, versionId: result.version.id }, { caseId: access.kase.id });
    await services.realtime.publish({ type: "case", caseId: access.kase.id, projectId: access.kase.projectId, status: access.kase.status, failureReason: access.kase.failureReason });
    replyJson(res, 200, { versionId: result.version.id, version: result.version.version, changedVoxels: edit.changed, added: edit.added, removed: edit.removed });
    return true;
  };
}
