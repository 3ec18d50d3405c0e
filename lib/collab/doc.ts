// The shape of a case's shared document (one Y.Doc per case). The server writes it, as a
// projection of PostgreSQL (the source of truth); clients only read it. Votes and comments are
// keyed by reader and by id, so concurrent changes never overwrite each other. Presence lives in
// the awareness protocol, not here.
import * as Y from "yjs";

export interface DocReader {
  id: string;
  name: string;
  role: string;
}

export interface DocCandidate {
  index: number;
  summary: Record<string, unknown>;
}

export interface DocRound {
  id: string;
  index: number;
  status: string;
  structure: string;
  /** where the round's computation is: "preview", "ready", "closed", ... */
  stage: string | null;
  candidates: DocCandidate[];
  /** the consensus rule's verdict on the votes so far (or how the round closed) */
  consensus: { status: string; reason: string; cast: number; needed: number; choice: string | null } | null;
}

export interface DocVote {
  userId: string;
  name: string;
  kind: "PICK" | "ACCEPT";
  /** candidate index, null = the recommended mask */
  candidate: number | null;
  at: string;
}

export interface DocComment {
  id: string;
  userId: string;
  name: string;
  roundIndex: number | null;
  slice: number;
  position: number[];
  text: string;
  at: string;
}

export interface DocHistoryEntry {
  index: number;
  status: string;
  picks: { name: string; kind: string; candidate: number | null }[];
  consensus: string | null;
}

export interface CaseDocState {
  caseStatus: string;
  rule: string;
  quorum: number | null;
  assigned: DocReader[];
  round: DocRound | null;
  votes: DocVote[];
  comments: DocComment[];
  history: DocHistoryEntry[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Make `map` hold exactly `entries` (by key), touching only what changed: small updates for every reader. */
function syncMap<T>(map: Y.Map<T>, entries: Map<string, T>) {
  for (const key of [...map.keys()]) if (!entries.has(key)) map.delete(key);
  for (const [key, value] of entries) if (!same(map.get(key), value)) map.set(key, value);
}

/** Apply a projection of the database to the document in one transaction (origin marks the writer). */
export function applyCaseState(doc: Y.Doc, s: CaseDocState, origin: unknown = "server"): void {
  doc.transact(() => {
    const meta = doc.getMap<unknown>("meta");
    const fields: [string, unknown][] = [
      ["caseStatus", s.caseStatus],
      ["rule", s.rule],
      ["quorum", s.quorum],
      ["assigned", s.assigned],
      ["round", s.round],
    ];
    for (const [k, v] of fields) if (!same(meta.get(k), v)) meta.set(k, v);
    syncMap(doc.getMap<DocVote>("votes"), new Map(s.votes.map((v) => [v.userId, v])));
    syncMap(doc.getMap<DocComment>("comments"), new Map(s.comments.map((c) => [c.id, c])));
    syncMap(doc.getMap<DocHistoryEntry>("history"), new Map(s.history.map((h) => [String(h.index), h])));
  }, origin);
}

/**
 * A vote's effect on the open round `roundId`: every reader's vote and the rule's verdict. False
 * (nothing changed) when the document shows another round: the caller re-projects instead.
 */
export function applyRoundVotes(doc: Y.Doc, roundId: string, votes: DocVote[], consensus: NonNullable<DocRound["consensus"]>, origin: unknown = "server"): boolean {
  const meta = doc.getMap<unknown>("meta");
  const round = meta.get("round") as DocRound | null | undefined;
  if (!round || round.id !== roundId) return false;
  doc.transact(() => {
    syncMap(doc.getMap<DocVote>("votes"), new Map(votes.map((v) => [v.userId, v])));
    if (!same(round.consensus, consensus)) meta.set("round", { ...round, consensus });
  }, origin);
  return true;
}

/** The document as plain data (what the UI renders). */
export function readCaseState(doc: Y.Doc): CaseDocState {
  const meta = doc.getMap<unknown>("meta");
  return {
    caseStatus: (meta.get("caseStatus") as string) ?? "",
    rule: (meta.get("rule") as string) ?? "MAJORITY",
    quorum: (meta.get("quorum") as number | null) ?? null,
    assigned: (meta.get("assigned") as DocReader[]) ?? [],
    round: (meta.get("round") as DocRound | null) ?? null,
    votes: [...doc.getMap<DocVote>("votes").values()].sort((a, b) => a.at.localeCompare(b.at)),
    comments: [...doc.getMap<DocComment>("comments").values()].sort((a, b) => a.at.localeCompare(b.at)),
    history: [...doc.getMap<DocHistoryEntry>("history").values()].sort((a, b) => a.index - b.index),
  };
}

/** Votes per choice for the tally: "PICK:1" -> names. */
export function tally(votes: readonly DocVote[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const v of votes) {
    const key = `${v.kind}:${v.candidate ?? "rec"}`;
    out.set(key, [...(out.get(key) ?? []), v.name]);
  }
  return out;
}
