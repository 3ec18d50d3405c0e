// Streaming upload of a case's source files: `PUT /api/cases/<caseId>/files/<name>` with the raw
// bytes as body (the browser sends one request per file and shows XHR progress). Files land in
// storage under uploads/<caseId>/; `case.startIngest` then hands them to the worker.
import { randomUUID } from "node:crypto";
import type http from "node:http";
import type { Role } from "@prisma/client";
import { TRPCError } from "@trpc/server";
import { audit } from "./audit";
import { replyJson } from "./http-json";
import { caseFor } from "./auth/access";
import { userFromCookie } from "./auth/session";
import { TooLargeError } from "./storage";
import type { Services } from "./trpc/trpc";

export const UPLOAD_ROLES: readonly Role[] = ["ADMIN", "ADJUDICATOR"];
// source files of a new case, or a label map to import onto a case that has its CT
const ROUTE = /^\/api\/cases\/([^/?]+)\/(files|label-files)\/([^/?]+)(?:\?.*)?$/;
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._ ()+-]{0,199}$/;

export const uploadPrefix = (caseId: string) => `uploads/${caseId}/`;
export const labelUploadPrefix = (caseId: string) => `label-uploads/${caseId}/`;



/** Marks an upload that broke a rule as FAILED and removes what was stored of it. */
export async function failUpload(services: Services, caseId: string, projectId: string, actorId: string, institutionId: string, reason: string) {
  for (const key of await services.storage.list(uploadPrefix(caseId))) await services.storage.delete(key);
  await services.db.case.update({ where: { id: caseId }, data: { status: "FAILED", failureReason: reason } });
  await audit(services.db, { actorId, institutionId, action: "case.upload-rejected", entityType: "case", entityId: caseId, data: { reason } });
  await services.realtime.publish({ type: "case", caseId, projectId, status: "FAILED", failureReason: reason });
}

export function createUploadRoute(services: Services) {
  const limit = services.env.UAIR_MAX_UPLOAD_MB * 2 ** 20;
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> => {
    const m = ROUTE.exec(req.url ?? "");
    if (!m) return false;
    // whatever happens below, an unread request body must not linger
    const drop = () => req.resume();
    if (req.method !== "PUT") return drop(), replyJson(res, 405, { error: "Use PUT to upload a file" }), true;
    const user = await userFromCookie(services.db, req.headers.cookie);
    if (!user) return drop(), replyJson(res, 401, { error: "Please sign in" }), true;
    let kase;
    let institutionId;
    try {
      ({ kase, institutionId } = await caseFor(services.db, user, decodeURIComponent(m[1]), UPLOAD_ROLES));
    } catch (e) {
      if (!(e instanceof TRPCError)) throw e;
      return drop(), replyJson(res, e.code === "FORBIDDEN" ? 403 : 404, { error: e.message }), true;
    }
    const isLabel = m[2] === "label-files";
    const name = decodeURIComponent(m[3]);
    if (!SAFE_NAME.test(name)) {
      return drop(), replyJson(res, 400, { error: `"${name}" is not an accepted file name (letters, digits, . _ - ( ) + and spaces; no folders)` }), true;
    }
    if (isLabel) return uploadLabel(req, res, services, kase, name, limit), true;
    if (kase.status !== "PENDING") {
      return drop(), replyJson(res, 409, { error: `This case is ${kase.status.toLowerCase()}; files can only be added before its import starts` }), true;
    }
    const remaining = limit - (await services.storage.usage(uploadPrefix(kase.id)));
    const declared = Number(req.headers["content-length"] ?? NaN);
    const tooLarge = `The upload is larger than the ${services.env.UAIR_MAX_UPLOAD_MB} MB limit (UAIR_MAX_UPLOAD_MB); nothing was kept.`;
    if (Number.isFinite(declared) && declared > remaining) {
      drop();
      await failUpload(services, kase.id, kase.projectId, user.userId, institutionId, tooLarge);
      return replyJson(res, 413, { error: tooLarge }), true;
    }
    try {
      const stored = await services.storage.putStream(`${uploadPrefix(kase.id)}${name}`, req, remaining);
      replyJson(res, 200, { name, ...stored });
    } catch (e) {
      if (!(e instanceof TooLargeError)) throw e;
      drop();
      await failUpload(services, kase.id, kase.projectId, user.userId, institutionId, tooLarge);
      replyJson(res, 413, { error: tooLarge });
    }
    return true;
  };
}

/** A label file goes to its own key; nothing about the case changes until the import job succeeds. */
async function uploadLabel(req: http.IncomingMessage, res: http.ServerResponse, services: Services, kase: { id: string; status: string }, name: string, limit: number) {
  if (!["READY", "IN_REVIEW", "FINAL"].includes(kase.status)) {
    req.resume();
    return replyJson(res, 409, { error: "Label maps can be imported once the case's CT is imported (status READY)" });
  }
  const key = `${labelUploadPrefix(kase.id)}${randomUUID()}-${name}`;
  try {
    const stored = await services.storage.putStream(key, req, limit);
    replyJson(res, 200, { key, name, ...stored });
  } catch (e) {
    if (!(e instanceof TooLargeError)) throw e;
    req.resume();
    replyJson(res, 413, { error: `The label file is larger than the ${services.env.UAIR_MAX_UPLOAD_MB} MB limit (UAIR_MAX_UPLOAD_MB); nothing was kept.` });
  }
}
