"use client";
// The selection loop on a case: start a review, look at the recommended mask and the K diverse
// candidates (one at a time on the viewer), pick the closest (the next round is rectified toward
// it) or accept one (the case is final). Candidates for the slices in view arrive first.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { OverlayAnnotation } from "../../_components/viewer/Viewer";
import { useRoomEvents } from "../../_lib/socket";
import { useTRPC } from "../../_lib/trpc";

type Summary = {
  liverMl: number;
  tumourMl: number;
  lesionCount: number;
  spread?: number;
  difference?: { addedMl: number; removedMl: number; differsAt: { z: number } | null };
};

interface Props {
  caseId: string;
  caseStatus: string;
  /** the slice the reader is looking at (decoded first) */
  focusSlice: () => number | undefined;
  shown: string | null;
  onShow: (overlayId: string | null) => void;
}

const ml = (v: number, digits = 1) => `${v.toFixed(digits)} mL`;

function SummaryLine({ s, structure }: { s: Summary; structure: string }) {
  const d = s.difference;
  return (
    <div className="small">
      {structure === "tumour" ? (
        <>
          tumour {ml(s.tumourMl)} · {s.lesionCount} lesion{s.lesionCount === 1 ? "" : "s"} · liver {ml(s.liverMl, 0)}
        </>
      ) : (
        <>
          liver {ml(s.liverMl, 0)} · tumour {ml(s.tumourMl)}
        </>
      )}
      {d && (d.addedMl > 0 || d.removedMl > 0) && (
        <div className="muted">
          vs recommended: +{ml(d.addedMl)} / −{ml(d.removedMl)}
          {d.differsAt ? `, most at slice ${d.differsAt.z + 1}` : ""}
        </div>
      )}
      {s.spread !== undefined && <div className="muted">uncertainty (cluster spread) {s.spread.toFixed(2)}</div>}
    </div>
  );
}

/** Overlays of a case's current round for the viewer, ids "round:<roundId>:<mask>". */
export function roundOverlays(round: RoundView | undefined): OverlayAnnotation[] {
  if (!round) return [];
  const label = `Round ${round.index + 1}`;
  const out: OverlayAnnotation[] = [];
  if (round.recommendedUrl) out.push({ id: `round:${round.id}:recommended`, name: `${label} · recommended`, versionId: `${round.id}-recommended`, version: null, url: round.recommendedUrl });
  for (const c of round.candidates) out.push({ id: `round:${round.id}:candidate-${c.index}`, name: `${label} · candidate ${c.index + 1}`, versionId: `${round.id}-candidate-${c.index}`, version: null, url: c.url });
  if (!round.candidates.length && round.preview) {
    out.push({ id: `round:${round.id}:preview-recommended`, name: `${label} · recommended (slices in view)`, versionId: `${round.id}-preview-recommended`, version: null, url: round.preview.recommendedUrl });
    for (const c of round.preview.candidates)
      out.push({ id: `round:${round.id}:preview-${c.index}`, name: `${label} · candidate ${c.index + 1} (slices in view)`, versionId: `${round.id}-preview-${c.index}`, version: null, url: c.url });
  }
  return out;
}

export type RoundView = {
  id: string;
  index: number;
  status: string;
  structure: string;
  priorSource: string | null;
  recommendedUrl: string | null;
  summary: unknown;
  consensusCandidateId: string | null;
  candidates: { id: string; index: number; summary: unknown; url: string }[];
  preview: { slices: number[]; recommendedUrl: string; candidates: { index: number; summary: unknown; url: string }[] } | null;
  votes: { userId: string; candidateId: string | null; kind: string; user: { name: string } }[];
};

export function useRounds(caseId: string) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const rounds = useQuery(trpc.review.rounds.queryOptions({ caseId }));
  useRoomEvents("case", caseId, {
    round: () => void qc.invalidateQueries({ queryKey: trpc.review.rounds.queryKey({ caseId }) }),
    job: (e) => {
      if ((e.job.kind === "propose-round" || e.job.kind === "rectify") && e.job.status === "FAILED") void qc.invalidateQueries({ queryKey: trpc.review.rounds.queryKey({ caseId }) });
    },
  });
  return rounds;
}

export function ReviewPanel({ caseId, caseStatus, focusSlice, shown, onShow }: Props) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const rounds = useRounds(caseId);
  const [structure, setStructure] = useState<"tumour" | "liver">("tumour");
  const [error, setError] = useState<string | null>(null);
  const [jobError, setJobError] = useState<string | null>(null);
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: trpc.review.rounds.queryKey({ caseId }) });
    void qc.invalidateQueries({ queryKey: trpc.case.byId.queryKey({ caseId }) });
    // accepting writes the consensus annotation
    void qc.invalidateQueries({ queryKey: trpc.annotation.list.queryKey({ caseId }) });
  };
  const opts = { onSuccess: () => (setError(null), refresh()), onError: (e: { message: string }) => setError(e.message) };
  const start = useMutation(trpc.review.start.mutationOptions(opts));
  const pick = useMutation(trpc.review.pick.mutationOptions(opts));
  const accept = useMutation(trpc.review.accept.mutationOptions(opts));
  const busy = start.isPending || pick.isPending || accept.isPending;
  useRoomEvents("case", caseId, {
    job: (e) => {
      if (e.job.kind !== "propose-round" && e.job.kind !== "rectify") return;
      setJobError(e.job.status === "FAILED" ? (e.job.error ?? "The round could not be computed") : null);
    },
  });

  const list = (rounds.data ?? []) as RoundView[];
  const current = list.at(-1);
  const past = list.slice(0, -1);
  const show = (id: string) => onShow(shown === id ? null : id);

  return (
    <section aria-label="review">
      <h2>Review</h2>
      {error && <p className="error" role="alert">{error}</p>}
      {jobError && <p className="error" role="alert">{jobError}</p>}
      {!current && caseStatus === "READY" && (
        <div className="review-start">
          <label>
            Structure
            <select value={structure} onChange={(e) => setStructure(e.target.value as "tumour" | "liver")} aria-label="Structure to review">
              <option value="tumour">Liver tumours</option>
              <option value="liver">Liver</option>
            </select>
          </label>
          <button disabled={busy} onClick={() => start.mutate({ caseId, structure, focusSlice: focusSlice() })}>
            Start review
          </button>
          <p className="muted small">The model proposes a recommended mask and a few diverse candidates; pick the closest, it refines; accept when one fits.</p>
        </div>
      )}
      {!current && caseStatus !== "READY" && <p className="muted small">A review starts once the case is ready.</p>}
      {current && (
        <div data-testid="current-round">
          <div className="small">
            <strong>Round {current.index + 1}</strong> · {current.structure} · {current.status.toLowerCase()}
            {current.priorSource && current.index === 0 && <div className="muted">starts from {current.priorSource}</div>}
          </div>
          {current.status === "COMPUTING" && !current.preview && <p className="muted small">Computing candidates…</p>}
          {current.status === "COMPUTING" && current.preview && (
            <div>
              <p className="muted small">
                Slices {current.preview.slices[0] + 1}–{current.preview.slices[1] + 1} are ready; the whole volume follows.
              </p>
              <ul className="plain">
                {current.preview.candidates.map((c) => (
                  <li key={c.index} className="candidate" data-testid="preview-candidate">
                    <strong>Candidate {c.index + 1}</strong> <SummaryLine s={c.summary as Summary} structure={current.structure} />
                    <button className="ghost" onClick={() => show(`round:${current.id}:preview-${c.index}`)}>
                      {shown === `round:${current.id}:preview-${c.index}` ? "Hide" : "Show"}
                    </button>
                  </li>
                ))}
              </ul>
            </div>
          )}
          {current.status === "OPEN" && (
            <ul className="plain">
              {current.recommendedUrl && (
                <li className="candidate" data-testid="recommended">
                  <strong>Recommended</strong> <span className="muted small">(majority of all samples)</span>
                  <SummaryLine s={(current.summary as { recommended: Summary }).recommended} structure={current.structure} />
                  <div className="candidate-actions">
                    <button className="ghost" onClick={() => show(`round:${current.id}:recommended`)}>
                      {shown === `round:${current.id}:recommended` ? "Hide" : "Show"}
                    </button>
                    <button disabled={busy} onClick={() => accept.mutate({ caseId, roundId: current.id, candidateIndex: null })}>
                      Accept
                    </button>
                  </div>
                </li>
              )}
              {current.candidates.map((c) => (
                <li key={c.id} className="candidate" data-testid="candidate">
                  <strong>Candidate {c.index + 1}</strong>
                  <SummaryLine s={c.summary as Summary} structure={current.structure} />
                  <div className="candidate-actions">
                    <button className="ghost" onClick={() => show(`round:${current.id}:candidate-${c.index}`)}>
                      {shown === `round:${current.id}:candidate-${c.index}` ? "Hide" : "Show"}
                    </button>
                    <button disabled={busy} onClick={() => pick.mutate({ caseId, roundId: current.id, candidateIndex: c.index, focusSlice: focusSlice() })}>
                      Closest: refine
                    </button>
                    <button className="ghost" disabled={busy} onClick={() => accept.mutate({ caseId, roundId: current.id, candidateIndex: c.index })}>
                      Accept
                    </button>
                  </div>
                </li>
              ))}
              {((current.summary as { pruned?: { reason: string }[] }).pruned ?? []).map((p, i) => (
                <li key={i} className="muted small">
                  Not shown: {p.reason}
                </li>
              ))}
            </ul>
          )}
          {current.status === "CLOSED" && <p className="muted small">Accepted; the consensus mask is saved as the annotation “UAIR consensus”.</p>}
        </div>
      )}
      {past.length > 0 && (
        <ol className="small muted" aria-label="earlier rounds">
          {past.map((r) => {
            const picked = r.candidates.find((c) => c.id === r.consensusCandidateId);
            return (
              <li key={r.id}>
                Round {r.index + 1}: {picked ? `picked candidate ${picked.index + 1}` : r.status.toLowerCase()} ({r.votes.map((v) => v.user.name).join(", ") || "no votes"})
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
