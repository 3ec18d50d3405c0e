// What a project's cases measure: per case the final annotation's measurements (QA consensus, else
// UAIR consensus, else none), its QA agreement, and per lesion the RECIST figures. Served as JSON
// and as CSV (one row per case and one per lesion) at /api/projects/<id>/export.(json|csv).
import type http from "node:http";
import { TRPCError } from "@trpc/server";
import type { Measurements } from "../lib/measure";
import { toCsv, type Cell } from "../lib/report/csv";
import { projectFor } from "./auth/access";
import { userFromCookie } from "./auth/session";
import type { Db } from "./db/client";
import { replyJson } from "./http-json";
import { CONSENSUS_ANNOTATION, QA_ANNOTATION } from "./review/accept";
import type { Services } from "./trpc/trpc";

const ROUTE = /^\/api\/projects\/([^/?]+)\/export\.(json|csv)(?:\?.*)?$/;
/** the annotations whose newest version is a case's result, most authoritative first */
export const RESULT_ANNOTATIONS = [QA_ANNOTATION, CONSENSUS_ANNOTATION];

export async function projectReport(db: Db, projectId: string) {
  const project = await db.project.findUniqueOrThrow({ where: { id: projectId } });
  const cases = await db.case.findMany({
    where: { projectId },
    orderBy: { label: "asc" },
    include: {
      annotations: { where: { name: { in: RESULT_ANNOTATIONS } }, include: { versions: { orderBy: { version: "desc" }, take: 1 } } },
      qaAnalyses: { orderBy: { createdAt: "desc" }, take: 1, select: { agreement: true, status: true } },
    },
  });
  return {
    project: { id: project.id, name: project.name, agreementThreshold: project.agreementThreshold },
    cases: cases.map((c) => {
      const annotation = RESULT_ANNOTATIONS.map((n) => c.annotations.find((a) => a.name === n)).find((a) => a?.versions[0]);
      const v = annotation?.versions[0] ?? null;
      const m = (v?.measurements ?? null) as Measurements | null;
      const qa = c.qaAnalyses[0]?.status === "DONE" ? c.qaAnalyses[0].agreement : null;
      return {
        caseId: c.id,
        label: c.label,
        status: c.status,
        annotation: annotation ? `${annotation.name} v${v!.version}` : null,
        versionId: v?.id ?? null,
        liverMl: m?.liverMl ?? null,
        tumourMl: m?.tumourMl ?? null,
        burden: m?.burden ?? null,
        lesionCount: m?.lesionCount ?? null,
        targetSumMm: m?.targetSumMm ?? null,
        qaAgreement: qa,
        qaFlagged: qa !== null && qa < project.agreementThreshold,
        lesions: (m?.lesions ?? []).map((l, i) => ({
          lesionId: l.id,
          target: m!.targets.includes(i),
          volumeMl: l.volumeMl,
          huMean: l.huMean,
          huSd: l.huSd,
          longAxisMm: l.longAxisMm,
          shortAxisMm: l.shortAxisMm,
          slice: l.slice,
          centroidX: l.centroidMm[0],
          centroidY: l.centroidMm[1],
          centroidZ: l.centroidMm[2],
        })),
      };
    }),
  };
}

export const CSV_COLUMNS = [
  "row", "caseId", "label", "status", "annotation", "liverMl", "tumourMl", "burden", "lesionCount", "targetSumMm", "qaAgreement", "qaFlagged",
  "lesionId", "target", "volumeMl", "huMean", "huSd", "longAxisMm", "shortAxisMm", "slice", "centroidX", "centroidY", "centroidZ",
];

export function reportCsv(report: Awaited<ReturnType<typeof projectReport>>): string {
  const rows: Record<string, Cell>[] = [];
  for (const c of report.cases) {
    const { lesions, versionId: _v, ...fields } = c;
    rows.push({ row: "case", ...fields });
    for (const l of lesions) rows.push({ row: "lesion", caseId: c.caseId, label: c.label, ...l });
  }
  return toCsv(CSV_COLUMNS, rows);
}

export function createReportRoute(services: Services) {
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> => {
    const m = ROUTE.exec(req.url ?? "");
    if (!m) return false;
    const user = await userFromCookie(services.db, req.headers.cookie);
    if (!user) return replyJson(res, 401, { error: "Please sign in" }), true;
    try {
      const { project } = await projectFor(services.db, user, decodeURIComponent(m[1]));
      const report = await projectReport(services.db, project.id);
      const safe = project.name.replace(/[^A-Za-z0-9._-]+/g, "_");
      const body = m[2] === "json" ? JSON.stringify(report, null, 2) : reportCsv(report);
      res.writeHead(200, {
        "content-type": m[2] === "json" ? "application/json" : "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="${safe}-measurements.${m[2]}"`,
        "cache-control": "private, no-store",
      });
      res.end(body);
    } catch (e) {
      if (!(e instanceof TRPCError)) throw e;
      replyJson(res, e.code === "FORBIDDEN" ? 403 : 404, { error: e.message });
    }
    return true;
  };
}
