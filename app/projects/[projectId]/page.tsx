"use client";
import Link from "next/link";
import { use, useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { AppShell } from "../../_components/AppShell";
import { ProgressBar, StatusBadge } from "../../_components/Status";
import { useRoomEvents } from "../../_lib/socket";
import { useTRPC } from "../../_lib/trpc";
import { ProjectSettings } from "./ProjectSettings";
import { UploadPanel } from "./UploadPanel";

type Live = Record<string, { stage: string; percent: number; status: string }>;

export default function ProjectPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = use(params);
  const trpc = useTRPC();
  const qc = useQueryClient();
  const project = useQuery(trpc.project.byId.queryOptions({ projectId }));
  const [live, setLive] = useState<Live>({});

  useRoomEvents("project", projectId, {
    job: (e) => {
      if (!e.caseId) return;
      setLive((l) => ({ ...l, [e.caseId!]: { stage: e.job.stage, percent: e.job.percent, status: e.job.status } }));
      if (e.job.status === "SUCCEEDED" || e.job.status === "FAILED") void qc.invalidateQueries({ queryKey: trpc.project.byId.queryKey({ projectId }) });
    },
    case: () => void qc.invalidateQueries({ queryKey: trpc.project.byId.queryKey({ projectId }) }),
  });

  const p = project.data;
  return (
    <AppShell crumbs={[{ href: "/projects", label: "Projects" }, { label: p?.name ?? "…" }]}>
      {project.error && <p className="error">{project.error.message}</p>}
      {p && (
        <>
          <h1>{p.name}</h1>
          <p className="muted">
            {p.institutionName} · your role: {p.role.toLowerCase()} · structures: {p.structures.join(", ")} · {p.candidateCount} candidates per
            round · up to {p.maxRounds} rounds · consensus: {p.consensusRule.toLowerCase()}
            {p.quorum ? ` (quorum ${Math.round(p.quorum * 100)}%)` : ""}
          </p>
          {p.description && <p>{p.description}</p>}
          <p className="small">
            <Link href={`/projects/${p.id}/analytics`}>Analytics and exports</Link>
          </p>
          {p.flagged > 0 && <p className="error small">{p.flagged} case{p.flagged === 1 ? "" : "s"} below the QA agreement threshold ({p.agreementThreshold.toFixed(2)})</p>}
          <p className="badges" aria-label="cases by status">
            {Object.entries(p.byStatus).map(([s, n]) => (
              <span key={s}>
                <StatusBadge status={s} /> {n}
              </span>
            ))}
          </p>
          {p.role === "ADMIN" && <ProjectSettings key={p.updatedAt.toString()} project={p} />}
          {(p.role === "ADMIN" || p.role === "ADJUDICATOR") && <UploadPanel projectId={p.id} />}
          <table className="table" aria-label="cases">
            <thead>
              <tr>
                <th>Case</th>
                <th>Status</th>
                <th>Volume</th>
                <th>Updated</th>
              </tr>
            </thead>
            <tbody>
              {p.cases.map((c) => {
                const l = live[c.id];
                const busy = l && (l.status === "RUNNING" || l.status === "QUEUED");
                return (
                  <tr key={c.id} data-testid="case-row">
                    <td className="case-cell">
                      {c.volume && (
                        // eslint-disable-next-line @next/next/no-img-element -- authenticated API image, not a static asset
                        <img className="thumb" src={`/api/cases/${c.id}/thumbnail.png`} alt="" width={64} height={64} />
                      )}
                      <Link href={`/cases/${c.id}`}>{c.label}</Link>
                    </td>
                    <td>
                      <StatusBadge status={c.status} title={c.failureReason} />
                      {c.status === "FAILED" && c.failureReason && <div className="error small">{c.failureReason}</div>}
                      {busy && <ProgressBar percent={l.percent} stage={l.stage} />}
                      {c.qaAgreement !== null && (
                        <div className={c.qaFlagged ? "error small" : "muted small"} data-testid="qa-flag">
                          QA Dice {c.qaAgreement.toFixed(2)}
                          {c.qaFlagged ? ` — below ${p.agreementThreshold.toFixed(2)}` : ""}
                        </div>
                      )}
                    </td>
                    <td className="small">
                      {c.volume
                        ? `${c.volume.dims.join("×")} · ${c.volume.spacing.map((s) => s.toFixed(2)).join("×")} mm · ${c.volume.sourceFormat}`
                        : "—"}
                    </td>
                    <td className="small muted">{new Date(c.updatedAt).toLocaleString()}</td>
                  </tr>
                );
              })}
              {p.cases.length === 0 && (
                <tr>
                  <td colSpan={4} className="muted">
                    No cases yet.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </>
      )}
    </AppShell>
  );
}
