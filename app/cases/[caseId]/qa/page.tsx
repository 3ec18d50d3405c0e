"use client";
// QA of a case's contour sets: each contour over the CT, the pairwise agreement matrix, the STAPLE
// consensus with each reader's performance, where readers disagree (largest regions first) and
// per-lesion agreement; then accept the consensus, accept one contour, or send the case back.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { use, useMemo, useState } from "react";
import { AppShell } from "../../../_components/AppShell";
import { ProgressBar, StatusBadge } from "../../../_components/Status";
import { Viewer, type CursorInfo, type OverlayAnnotation } from "../../../_components/viewer/Viewer";
import { createStore } from "../../../_components/viewer/store";
import { useRoomEvents } from "../../../_lib/socket";
import { useTRPC } from "../../../_lib/trpc";
import { AgreementMatrix, type QaResult } from "./AgreementMatrix";

export default function QaPage({ params }: { params: Promise<{ caseId: string }> }) {
  const { caseId } = use(params);
  const trpc = useTRPC();
  const qc = useQueryClient();
  const kase = useQuery(trpc.case.byId.queryOptions({ caseId }));
  const latest = useQuery(trpc.qa.latest.queryOptions({ caseId }));
  const [structure, setStructure] = useState<"tumour" | "liver">("tumour");
  const [chosen, setChosen] = useState<Set<string> | null>(null);
  const [comment, setComment] = useState("");
  const [pickVersion, setPickVersion] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState<{ stage: string; percent: number } | null>(null);
  const cursor = useMemo(() => createStore<CursorInfo | null>(null), []);
  const goTo = useMemo(() => createStore<[number, number, number] | null>(null), []);
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: trpc.qa.latest.queryKey({ caseId }) });
    void qc.invalidateQueries({ queryKey: trpc.case.byId.queryKey({ caseId }) });
  };
  useRoomEvents("case", caseId, {
    job: (e) => {
      if (e.job.kind !== "qa-analyze") return;
      setLive(e.job.status === "RUNNING" || e.job.status === "QUEUED" ? { stage: e.job.stage, percent: e.job.percent } : null);
      if (e.job.status === "FAILED") setError(e.job.error ?? "The analysis failed");
      if (e.job.status === "SUCCEEDED" || e.job.status === "FAILED") refresh();
    },
    case: refresh,
  });
  const opts = { onSuccess: () => (setError(null), refresh()), onError: (e: { message: string }) => setError(e.message) };
  const start = useMutation(trpc.qa.start.mutationOptions(opts));
  const decide = useMutation(trpc.qa.decide.mutationOptions(opts));
  const [fromRoundsNote, setFromRoundsNote] = useState<string | null>(null);
  const fromRounds = useMutation(
    trpc.qa.fromRounds.mutationOptions({
      onSuccess: (r) => (setFromRoundsNote(`Round ${r.round}: ${r.created} new contour set${r.created === 1 ? "" : "s"} from ${r.readers} reader${r.readers === 1 ? "" : "s"}' picks`), refresh()),
      onError: (e) => setError(e.message),
    }),
  );

  const c = kase.data;
  const a = latest.data;
  const annotations = (c?.annotations ?? []).filter((x) => x.versions[0] && x.name !== "QA consensus");
  const selected = chosen ?? new Set(annotations.map((x) => x.versions[0].id));
  const result = a?.status === "DONE" ? (a.result as unknown as QaResult) : null;
  const canDecide = c?.role === "ADMIN" || c?.role === "ADJUDICATOR";
  const overlays = useMemo<OverlayAnnotation[]>(
    () => [
      ...annotations.map((x) => ({ id: x.id, name: x.name, versionId: x.versions[0].id, version: x.versions[0].version })),
      ...(a?.consensusUrl ? [{ id: `qa:${a.id}`, name: "STAPLE consensus", versionId: `qa-${a.id}`, version: null, url: a.consensusUrl }] : []),
    ],
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [c?.annotations, a?.id, a?.consensusUrl],
  );

  return (
    <AppShell
      crumbs={[
        { href: "/projects", label: "Projects" },
        ...(c ? [{ href: `/projects/${c.project.id}`, label: c.project.name }, { href: `/cases/${c.id}`, label: c.label }] : []),
        { label: "QA" },
      ]}
    >
      {c && (
        <>
          <h1>
            QA · {c.label} <StatusBadge status={c.status} />
          </h1>
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
          {live && <ProgressBar percent={live.percent} stage={`QA: ${live.stage}`} />}
          <Viewer caseId={c.id} volume={c.volume ?? null} annotations={overlays} cursor={cursor} goTo={goTo} />
          <div className="case-layout">
            <section aria-label="contour sets">
              <h2>Contour sets</h2>
              {annotations.length < 2 && <p className="muted">QA compares two or more contour sets: import them on the case page (NIfTI or DICOM SEG) or review the case.</p>}
              <ul className="plain">
                {annotations.map((x) => (
                  <li key={x.id}>
                    <label>
                      <input
                        type="checkbox"
                        checked={selected.has(x.versions[0].id)}
                        onChange={(e) => {
                          const next = new Set(selected);
                          if (e.target.checked) next.add(x.versions[0].id);
                          else next.delete(x.versions[0].id);
                          setChosen(next);
                        }}
                      />{" "}
                      {x.name} <span className="muted small">v{x.versions[0].version} · {x.source.toLowerCase()}</span>
                    </label>
                  </li>
                ))}
              </ul>
              {canDecide && (
                <p className="small">
                  <button className="ghost" disabled={fromRounds.isPending} onClick={() => fromRounds.mutate({ caseId })}>
                    Add the readers' review picks
                  </button>{" "}
                  {fromRoundsNote && <span className="muted">{fromRoundsNote}</span>}
                </p>
              )}
              {canDecide && (
                <div>
                  <select value={structure} onChange={(e) => setStructure(e.target.value as "tumour" | "liver")} aria-label="Structure to compare">
                    <option value="tumour">Liver tumours</option>
                    <option value="liver">Liver</option>
                  </select>{" "}
                  <button disabled={start.isPending || selected.size < 2} onClick={() => start.mutate({ caseId, structure, versionIds: [...selected] })}>
                    Analyse agreement
                  </button>
                </div>
              )}
            </section>
            <aside>
              {a && a.status === "COMPUTING" && <p className="muted">Analysing {a.versionIds.length} contour sets…</p>}
              {a && a.status === "FAILED" && <p className="error">The last analysis failed; see the case's jobs.</p>}
              {result && a && (
                <>
                  <p data-testid="qa-agreement">
                    Mean pairwise Dice ({result.structure}): <strong>{result.meanPairwiseDice?.toFixed(3) ?? "–"}</strong>{" "}
                    {a.agreement !== null && a.agreement < a.threshold ? (
                      <span className="error">below the project's threshold {a.threshold.toFixed(2)}</span>
                    ) : (
                      <span className="muted">(threshold {a.threshold.toFixed(2)})</span>
                    )}
                  </p>
                  <AgreementMatrix result={result} onGoTo={(mm) => goTo.set(mm)} />
                  {canDecide && c.status !== "FINAL" && (
                    <section aria-label="decision">
                      <h3>Decision</h3>
                      <button disabled={decide.isPending} onClick={() => decide.mutate({ caseId, analysisId: a.id, decision: "consensus" })}>
                        Accept the STAPLE consensus
                      </button>
                      <div>
                        <select value={pickVersion} onChange={(e) => setPickVersion(e.target.value)} aria-label="Contour to accept">
                          <option value="">Choose a contour…</option>
                          {a.contours.map((x) => (
                            <option key={x.versionId} value={x.versionId}>
                              {x.name} v{x.version}
                            </option>
                          ))}
                        </select>{" "}
                        <button disabled={!pickVersion || decide.isPending} onClick={() => decide.mutate({ caseId, analysisId: a.id, decision: "contour", versionId: pickVersion })}>
                          Accept this contour
                        </button>
                      </div>
                      <div>
                        <input aria-label="Why review again" placeholder="What should the readers look at again?" value={comment} onChange={(e) => setComment(e.target.value)} />{" "}
                        <button className="ghost" disabled={!comment.trim() || decide.isPending} onClick={() => decide.mutate({ caseId, analysisId: a.id, decision: "back", comment })}>
                          Send back to review
                        </button>
                      </div>
                    </section>
                  )}
                  {c.status === "FINAL" && (
                    <p className="muted">
                      The case is final. <Link href={`/cases/${c.id}/report`}>Open its report</Link>.
                    </p>
                  )}
                </>
              )}
            </aside>
          </div>
        </>
      )}
    </AppShell>
  );
}
