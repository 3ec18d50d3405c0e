"use client";
// The selection loop on a case: start a review, look at the recommended mask and the K diverse
// candidates (one at a time on the viewer), pick the closest (the next round is rectified toward
// it) or accept one (the case is final). Candidates for the slices in view arrive first.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import type { CollabClient } from "../../_lib/collab-client";
import { choiceLabel } from "./CollabPanel";
import { Gallery } from "./Gallery";
import type { CursorInfo, OverlayAnnotation, Store } from "../../_components/viewer/Viewer";
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
  /** the crosshair (the gallery follows its slice) */
  cursor: Store<CursorInfo | null>;
  /** the live room (votes of everyone, presence) */
  collab: CollabClient | null;
  me: string | null;
  role: string;
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

/** Who voted for a mask in this round, live. */
function Voters({ votes }: { votes: { userId: string; name: string; kind: string }[] }) {
  if (!votes.length) return null;
  return (
    <div className="small voters" data-testid="voters">
      {votes.map((v) => (
        <span key={v.userId} className="chip">
          {v.name}
          {v.kind === "ACCEPT" ? " ✓ accept" : " → refine"}
        </span>
      ))}
    </div>
  );
}

/** Overlays of a case's current round for the viewer, ids "round:<roundId>:<mask>". */
export function roundOverlays(round: RoundView | undefined): OverlayAnnotation[] {
  if (!round) return [];
  const label = `Round ${round.index + 1}`;
  const out: OverlayAnnotation[] = [];
  if (round.recommendedUrl) out.push({ id: `round:${round.id}:recommended`, name: `${label} · recommended`, versionId: `${round.id}-recommended`, version: null, url: round.recommendedUrl });
  // not a "round:" overlay: it stays on while candidates are shown one at a time
  if (round.uncertaintyUrl) out.push({ id: `uncertainty:${round.id}`, name: `${label} · uncertainty (sample disagreement)`, versionId: `${round.id}-uncertainty`, version: null, url: round.uncertaintyUrl, kind: "heat" });
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
  uncertaintyUrl: string | null;
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

export function ReviewPanel({ caseId, caseStatus, focusSlice, shown, onShow, cursor, collab, me, role }: Props) {
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
  const [notice, setNotice] = useState<string | null>(null);
  const list = (rounds.data ?? []) as RoundView[];
  const current = list.at(-1);
  const past = list.slice(0, -1);
  const opts = { onSuccess: () => (setError(null), refresh()), onError: (e: { message: string }) => setError(e.message) };
  const voted = {
    onSuccess: (out: { consensus: { status: string; reason: string } }) => (setError(null), setNotice(out.consensus.status === "open" ? out.consensus.reason : null), refresh()),
    onError: (e: { message: string }) => setError(e.message),
  };
  const start = useMutation(trpc.review.start.mutationOptions(opts));
  const pick = useMutation(trpc.review.pick.mutationOptions(voted));
  const accept = useMutation(trpc.review.accept.mutationOptions(voted));
  const decide = useMutation(trpc.review.adjudicate.mutationOptions(voted));
  const busy = start.isPending || pick.isPending || accept.isPending || decide.isPending;
  const canDecide = role === "ADJUDICATOR" || role === "ADMIN";
  const live = collab?.state();
  const votesFor = (kind: "PICK" | "ACCEPT" | null, index: number | null) =>
    (live?.round?.id === list.at(-1)?.id ? live?.votes ?? [] : []).filter((v) => v.candidate === index && (kind === null || v.kind === kind));
  const myVote = live?.votes.find((v) => v.userId === me);
  const hover = (index: number | null) => collab?.setPresence({ hovered: index });
  useRoomEvents("case", caseId, {
    job: (e) => {
      if (e.job.kind !== "propose-round" && e.job.kind !== "rectify") return;
      setJobError(e.job.status === "FAILED" ? (e.job.error ?? "The round could not be computed") : null);
    },
  });

  const show = (id: string) => onShow(shown === id ? null : id);
  const [flicker, setFlicker] = useState(false);

  // flicker: the shown mask and the recommended one alternate, so small differences jump out
  useEffect(() => {
    if (!flicker || !current?.recommendedUrl || !shown) return;
    const base = shown;
    const rec = `round:${current.id}:recommended`;
    let onRec = false;
    const timer = setInterval(() => {
      onRec = !onRec;
      onShow(onRec ? rec : base);
    }, 600);
    return () => {
      clearInterval(timer);
      onShow(base);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [flicker, current?.id]);

  // keyboard: 1-9 votes to refine toward that candidate, A accepts the shown mask
  const keyState = useRef({ current, shown, busy });
  keyState.current = { current, shown, busy };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t?.closest("input, select, textarea") || e.altKey || e.metaKey || e.ctrlKey) return;
      const { current: r, shown: on, busy: b } = keyState.current;
      if (!r || r.status !== "OPEN" || b) return;
      const n = Number(e.key);
      if (Number.isInteger(n) && n >= 1 && n <= 9 && r.candidates.some((c) => c.index === n - 1)) {
        e.preventDefault();
        pick.mutate({ caseId, roundId: r.id, candidateIndex: n - 1, focusSlice: focusSlice() });
      } else if (e.key === "a" || e.key === "A") {
        const m = on?.match(/^round:[^:]+:(recommended|candidate-(\d+))$/);
        if (!m) return setNotice("Show a mask first (its Show button), then press A to accept it.");
        e.preventDefault();
        accept.mutate({ caseId, roundId: r.id, candidateIndex: m[2] === undefined ? null : Number(m[2]) });
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [caseId]);

  return (
    <section aria-label="review">
      <h2>Review</h2>
      {error && <p className="error" role="alert">{error}</p>}
      {jobError && <p className="error" role="alert">{jobError}</p>}
      {notice && <p className="small notice">{notice}</p>}
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
            <div className="round-tools small">
              <label>
                <input type="checkbox" checked={flicker} onChange={(e) => setFlicker(e.target.checked)} disabled={!shown} /> Flicker the shown mask against the recommended one
              </label>
              {canDecide && (
                <button className="ghost" disabled={busy} onClick={() => decide.mutate({ caseId, roundId: current.id, action: "close", focusSlice: focusSlice() })}>
                  Close round with the votes as they stand
                </button>
              )}
              <span className="muted"> Keys: 1–9 refine toward a candidate, A accept the shown mask, W window, arrows/PgUp/PgDn slices.</span>
            </div>
          )}
          {current.status === "OPEN" && <Gallery round={current} cursor={cursor} shown={shown} onShow={onShow} />}
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
                    <button disabled={busy} aria-pressed={myVote?.kind === "ACCEPT" && myVote.candidate === null} onClick={() => accept.mutate({ caseId, roundId: current.id, candidateIndex: null })}>
                      Accept
                    </button>
                    {canDecide && (
                      <button className="ghost" disabled={busy} onClick={() => decide.mutate({ caseId, roundId: current.id, action: "decide", choice: { kind: "ACCEPT", candidate: null } })}>
                        Decide: accept
                      </button>
                    )}
                  </div>
                  <Voters votes={votesFor(null, null)} />
                </li>
              )}
              {current.candidates.map((c) => (
                <li key={c.id} className="candidate" data-testid="candidate" onMouseEnter={() => hover(c.index)} onMouseLeave={() => hover(null)}>
                  <strong>Candidate {c.index + 1}</strong> <kbd className="muted small">{c.index + 1}</kbd>
                  <SummaryLine s={c.summary as Summary} structure={current.structure} />
                  <div className="candidate-actions">
                    <button className="ghost" onClick={() => show(`round:${current.id}:candidate-${c.index}`)}>
                      {shown === `round:${current.id}:candidate-${c.index}` ? "Hide" : "Show"}
                    </button>
                    <button
                      disabled={busy}
                      aria-pressed={myVote?.kind === "PICK" && myVote.candidate === c.index}
                      onClick={() => pick.mutate({ caseId, roundId: current.id, candidateIndex: c.index, focusSlice: focusSlice() })}
                    >
                      Closest: refine
                    </button>
                    <button
                      className="ghost"
                      disabled={busy}
                      aria-pressed={myVote?.kind === "ACCEPT" && myVote.candidate === c.index}
                      onClick={() => accept.mutate({ caseId, roundId: current.id, candidateIndex: c.index })}
                    >
                      Accept
                    </button>
                    {canDecide && (
                      <>
                        <button className="ghost" disabled={busy} onClick={() => decide.mutate({ caseId, roundId: current.id, action: "decide", choice: { kind: "PICK", candidate: c.index }, focusSlice: focusSlice() })}>
                          Decide: refine
                        </button>
                        <button className="ghost" disabled={busy} onClick={() => decide.mutate({ caseId, roundId: current.id, action: "decide", choice: { kind: "ACCEPT", candidate: c.index } })}>
                          Decide: accept
                        </button>
                      </>
                    )}
                  </div>
                  <Voters votes={votesFor(null, c.index)} />
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
            const h = live?.history.find((x) => x.index === r.index);
            const picked = r.candidates.find((c) => c.id === r.consensusCandidateId);
            return (
              <li key={r.id}>
                Round {r.index + 1}: {h?.consensus ?? (picked ? `picked candidate ${picked.index + 1}` : r.status.toLowerCase())} (
                {(h?.picks ?? r.votes.map((v) => ({ name: v.user.name, kind: v.kind, candidate: null as number | null }))).map((p) => `${p.name}: ${choiceLabel(p as never)}`).join("; ") || "no votes"})
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
