"use client";
import Link from "next/link";
import { use, useMemo, useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { AnnotationsPanel } from "../../_components/AnnotationsPanel";
import { AppShell } from "../../_components/AppShell";
import { ProgressBar, StatusBadge } from "../../_components/Status";
import { createStore } from "../../_components/viewer/store";
import { Viewer, type CursorInfo, type OverlayAnnotation } from "../../_components/viewer/Viewer";
import type { TouchUpRequest } from "../../_components/viewer/TouchUp";
import { useRoomEvents } from "../../_lib/socket";
import { useTRPC } from "../../_lib/trpc";
import { useCollab } from "../../_lib/use-collab";
import { AssignmentPanel } from "./AssignmentPanel";
import { CollabPanel } from "./CollabPanel";
import { ReviewPanel, roundOverlays, useRounds, type RoundView } from "./ReviewPanel";

// fetch the viewer's WebGL library while the case itself loads, not after
if (typeof window !== "undefined") void import("@niivue/niivue");

/** The edited voxels, gzip-compressed in the browser, as the annotation's next version. */
async function saveEdit(versionId: string, labels: Uint8Array): Promise<{ versionId: string; version: number; changedVoxels: number }> {
  const gz = await new Response(new Blob([labels as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
  const res = await fetch(`/api/annotations/versions/${encodeURIComponent(versionId)}/edit`, { method: "PUT", body: gz, headers: { "content-type": "application/octet-stream" } });
  const body = (await res.json()) as { error?: string; versionId: string; version: number; changedVoxels: number };
  if (!res.ok) throw new Error(body.error ?? `Saving failed (${res.status})`);
  return body;
}

export default function CasePage({ params }: { params: Promise<{ caseId: string }> }) {
  const { caseId } = use(params);
  const trpc = useTRPC();
  const qc = useQueryClient();
  const kase = useQuery(trpc.case.byId.queryOptions({ caseId }));
  const [live, setLive] = useState<{ kind: string; stage: string; percent: number; status: string } | null>(null);
  const cursor = useMemo(() => createStore<CursorInfo | null>(null), []);
  const goTo = useMemo(() => createStore<[number, number, number] | null>(null), []);
  const [shownRound, setShownRound] = useState<string | null>(null);
  const rounds = useRounds(caseId);
  const me = useQuery(trpc.auth.me.queryOptions());
  const collab = useCollab(caseId);
  const [touchUp, setTouchUp] = useState<{ name: string; versionId: string } | null>(null);
  const touchUpRequest = useMemo<TouchUpRequest | null>(
    () =>
      touchUp && {
        name: touchUp.name,
        url: `/api/masks/${encodeURIComponent(touchUp.versionId)}.nii.gz`,
        onClose: () => setTouchUp(null),
        onSave: async (labels) => {
          const out = await saveEdit(touchUp.versionId, labels);
          void qc.invalidateQueries({ queryKey: trpc.annotation.list.queryKey({ caseId }) });
          void qc.invalidateQueries({ queryKey: trpc.case.byId.queryKey({ caseId }) });
          // later edits start from the version just saved
          setTouchUp({ name: touchUp.name, versionId: out.versionId });
          return `Saved version ${out.version}: ${out.changedVoxels} voxels changed.`;
        },
      },
    [touchUp, qc, trpc, caseId],
  );

  useRoomEvents("case", caseId, {
    job: (e) => {
      setLive({ kind: e.job.kind, stage: e.job.stage, percent: e.job.percent, status: e.job.status });
      if (e.job.status === "SUCCEEDED" || e.job.status === "FAILED") void qc.invalidateQueries({ queryKey: trpc.case.byId.queryKey({ caseId }) });
    },
    case: () => void qc.invalidateQueries({ queryKey: trpc.case.byId.queryKey({ caseId }) }),
  });

  const c = kase.data;
  const v = c?.volume;
  // stable list for the viewer's overlay toggles (latest version of each annotation)
  const currentRound = (rounds.data as RoundView[] | undefined)?.at(-1);
  const overlayAnnotations = useMemo<OverlayAnnotation[]>(
    () => [
      ...(c?.annotations ?? []).map((a) => ({ id: a.id, name: a.name, versionId: a.versions[0]?.id ?? null, version: a.versions[0]?.version ?? null })),
      ...(currentRound?.status === "CLOSED" ? [] : roundOverlays(currentRound)),
    ],
    [c?.annotations, currentRound],
  );
  return (
    <AppShell
      crumbs={[
        { href: "/projects", label: "Projects" },
        ...(c ? [{ href: `/projects/${c.project.id}`, label: c.project.name }] : []),
        { label: c?.label ?? "…" },
      ]}
    >
      {kase.error && <p className="error">{kase.error.message}</p>}
      {c && (
        <>
          <h1>
            {c.label} <StatusBadge status={c.status} />
          </h1>
          {c.status === "FAILED" && <p className="error">Import failed: {c.failureReason}</p>}
          {v && (
            <p className="small">
              <Link href={`/cases/${c.id}/qa`}>Contour QA</Link> · <Link href={`/cases/${c.id}/report`}>Report</Link>
            </p>
          )}
          {live && (live.status === "RUNNING" || live.status === "QUEUED") && (
            <ProgressBar percent={live.percent} stage={`${live.kind}: ${live.stage}`} />
          )}
          <Viewer caseId={c.id} volume={v ?? null} annotations={overlayAnnotations} cursor={cursor} roundOverlay={shownRound} goTo={goTo} touchUp={touchUpRequest} />
          <div className="case-layout">
            <section>
              <h2>Volume</h2>
              {v ? (
                <dl className="facts">
                  <dt>Grid</dt>
                  <dd>{v.dims.join(" × ")} voxels</dd>
                  <dt>Spacing</dt>
                  <dd>{v.spacing.map((s) => s.toFixed(3)).join(" × ")} mm</dd>
                  <dt>Orientation</dt>
                  <dd>{v.orientation} (stored canonically as RAS)</dd>
                  <dt>HU range</dt>
                  <dd>
                    {v.huMin} … {v.huMax}
                  </dd>
                  <dt>Source</dt>
                  <dd>{v.sourceFormat}</dd>
                  <dt>SHA-256</dt>
                  <dd className="mono small">{v.sha256}</dd>
                </dl>
              ) : (
                <p className="muted">No volume yet.</p>
              )}
            </section>
            <aside>
              {v && (
                <ReviewPanel
                  caseId={c.id}
                  caseStatus={c.status}
                  focusSlice={() => cursor.get()?.vox[2]}
                  shown={shownRound}
                  onShow={setShownRound}
                  cursor={cursor}
                  collab={collab.client}
                  me={me.data?.userId ?? null}
                  role={c.role}
                />
              )}
              <CollabPanel caseId={c.id} client={collab.client} error={collab.error} me={me.data?.userId ?? null} cursor={cursor} goTo={goTo} />
              {c.role === "ADMIN" && <AssignmentPanel caseId={c.id} />}
              <AnnotationsPanel
                caseId={c.id}
                canImport={Boolean(v) && (c.role === "ADMIN" || c.role === "ADJUDICATOR")}
                dicomSource={v?.sourceFormat === "dicom"}
                voxelMl={v ? v.spacing.reduce((a, b) => a * b, 1) / 1000 : null}
                onTouchUp={v ? setTouchUp : undefined}
              />
              <h2>Jobs</h2>
              <ul className="plain" aria-label="jobs">
                {c.jobs.map((j) => (
                  <li key={j.id} className="small">
                    <strong>{j.kind}</strong> · {j.status.toLowerCase()} · {j.stage} {Math.round(j.percent)}%
                    {j.error && <div className="error">{j.error}</div>}
                  </li>
                ))}
              </ul>
            </aside>
          </div>
        </>
      )}
    </AppShell>
  );
}
