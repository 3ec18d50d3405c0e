// Method §4: when several readers vote in a round, the project's consensus rule decides whether the
// round closes, with which choice, or as a split. A split is information, not a failure: its
// per-candidate vote counts become the update's weights (updateFromVotes), so both sides' modes
// survive into the next round. Pure and deterministic: tallies and weights come out sorted, whatever
// order the votes arrive in.
import { UairError } from "./errors";

export type ConsensusRule = "MAJORITY" | "UNANIMITY" | "ADJUDICATOR";

/** PICK: refine toward the candidate; ACCEPT: take it as final. candidate null = the recommended mask (ACCEPT only). */
export interface Choice {
  kind: "PICK" | "ACCEPT";
  candidate: number | null;
}

export type Adjudication = { by: string; action: "decide"; choice: Choice } | { by: string; action: "close" };

export interface ConsensusInput {
  rule: ConsensusRule;
  /** fraction of assigned readers a majority needs (0 < q <= 1); null = more than half */
  quorum: number | null;
  /** user ids of the readers assigned to the case; empty = nobody assigned (single-reader mode) */
  assigned: readonly string[];
  /** the current vote of each user who voted (one per user) */
  votes: ReadonlyMap<string, Choice>;
  /** an adjudicator's decision, if one was made: decide a choice, or close the round as split */
  adjudication?: Adjudication | null;
}

export interface ConsensusResult {
  status: "open" | "decided" | "split";
  /** the winning choice when decided */
  choice: Choice | null;
  /** eligible votes per candidate index (PICK and ACCEPT alike; votes for the recommended mask are not counted): the update's weights */
  weights: Map<number, number>;
  /** votes needed for a decision (ADJUDICATOR: 0, no number of votes decides) and eligible votes cast */
  needed: number;
  cast: number;
  /** one sentence for the reader; candidate numbers are 1-based */
  reason: string;
}

const RULES: readonly ConsensusRule[] = ["MAJORITY", "UNANIMITY", "ADJUDICATOR"];

/** Stable key of a choice: "PICK:2", "ACCEPT:rec" (the recommended mask). */
export function choiceKey(c: Choice): string {
  return `${c.kind}:${c.candidate === null ? "rec" : c.candidate}`;
}

/** Votes a majority needs among n assigned readers: more than half (q null) or ceil(q n), within [1, n] (1 when n = 0). */
export function quorumCount(assignedCount: number, quorum: number | null): number {
  if (!Number.isInteger(assignedCount) || assignedCount < 0) {
    throw new UairError("BAD_INPUT", `the number of assigned readers must be a non-negative integer, got ${assignedCount}.`);
  }
  if (quorum === null) return Math.floor(assignedCount / 2) + 1;
  if (!(quorum > 0 && quorum <= 1)) {
    throw new UairError("BAD_INPUT", `quorum must be a fraction of assigned readers in (0, 1] (e.g. 0.6), or null for more than half; got ${quorum}.`);
  }
  // the epsilon absorbs float noise: a quorum stored as 0.1 + 0.2 times 10 readers is 3.0000000000000004, and needs 3
  return Math.max(1, Math.min(assignedCount, Math.ceil(quorum * assignedCount - 1e-9)));
}

export function consensus(input: ConsensusInput): ConsensusResult {
  const { rule, quorum, assigned, votes, adjudication } = input;
  if (!RULES.includes(rule)) throw new UairError("BAD_INPUT", `consensus rule must be one of ${RULES.join(", ")}, got ${String(rule)}.`);
  if (new Set(assigned).size !== assigned.length) throw new UairError("BAD_INPUT", "assigned readers contain a duplicate user id; assign each reader once.");
  for (const [user, c] of votes) checkChoice(c, `vote of user ${user}`);
  if (adjudication) {
    if (adjudication.action === "decide") checkChoice(adjudication.choice, `adjudication by user ${adjudication.by}`);
    else if (adjudication.action !== "close") {
      const bad = adjudication as { by: string; action: unknown };
      throw new UairError("BAD_INPUT", `adjudication by user ${bad.by} must "decide" or "close", got ${String(bad.action)}.`);
    }
  }

  // Only assigned readers count; with nobody assigned, whoever voted is the reader (single-reader mode).
  const single = assigned.length === 0;
  const eligible = [...votes.keys()].filter((u) => single || assigned.includes(u));
  const n = single ? eligible.length : assigned.length;
  const cast = eligible.length;
  const needed = single ? 1 : rule === "MAJORITY" ? quorumCount(n, quorum) : rule === "UNANIMITY" ? n : 0;

  const weights = new Map<number, number>();
  const byKey = new Map<string, { choice: Choice; count: number }>();
  for (const u of eligible) {
    const c = votes.get(u)!;
    if (c.candidate !== null) weights.set(c.candidate, (weights.get(c.candidate) ?? 0) + 1);
    const g = byKey.get(choiceKey(c));
    if (g) g.count++;
    else byKey.set(choiceKey(c), { choice: { kind: c.kind, candidate: c.candidate }, count: 1 });
  }
  // most votes first, ties in choice order, so every tally and tie-break is reproducible
  const tally = [...byKey.values()].sort((a, b) => b.count - a.count || compareChoices(a.choice, b.choice));
  const sortedWeights = new Map([...weights].sort((a, b) => a[0] - b[0]));
  const result = (status: ConsensusResult["status"], choice: Choice | null, reason: string): ConsensusResult =>
    ({ status, choice, weights: sortedWeights, needed, cast, reason });
  const allVoted = cast === n;
  const unanimous = tally.length === 1 ? tally[0] : null;

  if (adjudication) {
    if (adjudication.action === "decide") {
      const c = adjudication.choice;
      return result("decided", { kind: c.kind, candidate: c.candidate }, `Adjudicator ${adjudication.by} decided: ${action(c)}.`);
    }
    if (unanimous) {
      return result("decided", unanimous.choice, `Adjudicator ${adjudication.by} closed the round; all ${cast} ${plural(cast, "vote")} agree: ${action(unanimous.choice)}.`);
    }
    return result("split", null, `Adjudicator ${adjudication.by} closed the round as split (${describeTally(tally)}): ${followUp(sortedWeights)}.`);
  }

  if (single) {
    if (cast === 0) return result("open", null, "Waiting for a vote.");
    return result("decided", tally[0].choice, decidedReason(tally[0], n, needed));
  }

  if (rule === "ADJUDICATOR") {
    return result("open", null, `Waiting for an adjudicator; tally: ${describeTally(tally)} (${cast} of ${n} voted).`);
  }

  if (rule === "UNANIMITY") {
    if (allVoted && unanimous) return result("decided", unanimous.choice, decidedReason(unanimous, n, needed));
    if (tally.length > 1) {
      const waiting = allVoted ? "" : `; ${n - cast} not voted yet`;
      return result("open", null, `Unanimity: readers disagree (${describeTally(tally)}${waiting}); change a vote or ask an adjudicator.`);
    }
    return result("open", null, `Waiting for ${n - cast} more ${plural(n - cast, "vote")} (${needed} needed of ${n} assigned).`);
  }

  // MAJORITY. With a low quorum two choices can both reach it; a tie at the top decides nothing.
  const top = tally[0];
  if (top && top.count >= needed && !(tally[1] && tally[1].count === top.count)) {
    return result("decided", top.choice, decidedReason(top, n, needed));
  }
  if (allVoted) {
    const score = tally.map((g) => g.count).join("–");
    return result("split", null, `Split ${score} (${describeTally(tally)}) with all ${n} readers voted: ${followUp(sortedWeights)}.`);
  }
  const remaining = n - cast;
  const short = needed - (top?.count ?? 0);
  if (short > remaining) {
    return result("open", null, `Waiting for ${remaining} more ${plural(remaining, "vote")} (${needed} needed of ${n} assigned); no choice can reach ${needed} unless votes change, so the round will split.`);
  }
  return result("open", null, `Waiting for ${Math.max(short, 1)} more ${plural(Math.max(short, 1), "vote")} (${needed} needed of ${n} assigned).`);
}

function checkChoice(c: Choice, who: string): void {
  if (!c || (c.kind !== "PICK" && c.kind !== "ACCEPT")) {
    throw new UairError("BAD_INPUT", `${who}: kind must be "PICK" or "ACCEPT", got ${String(c?.kind)}.`);
  }
  if (c.candidate === null) {
    if (c.kind === "PICK") throw new UairError("BAD_INPUT", `${who}: a PICK needs a candidate index; only ACCEPT may name the recommended mask (null).`);
    return;
  }
  if (!Number.isInteger(c.candidate) || c.candidate < 0) {
    throw new UairError("BAD_INPUT", `${who}: candidate must be an index (integer >= 0) or null for the recommended mask, got ${String(c.candidate)}.`);
  }
}

/** choiceKey order, with candidates compared as numbers (ACCEPT before PICK, the recommended mask after indices). */
function compareChoices(a: Choice, b: Choice): number {
  if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
  const ia = a.candidate ?? Infinity;
  const ib = b.candidate ?? Infinity;
  return ia === ib ? 0 : ia < ib ? -1 : 1;
}

function label(c: Choice): string {
  if (c.candidate === null) return "accepting the recommended mask";
  return c.kind === "PICK" ? `candidate ${c.candidate + 1}` : `accepting candidate ${c.candidate + 1}`;
}

function action(c: Choice): string {
  if (c.candidate === null) return "accept the recommended mask as final";
  return c.kind === "PICK" ? `refine toward candidate ${c.candidate + 1}` : `accept candidate ${c.candidate + 1} as final`;
}

function decidedReason(g: { choice: Choice; count: number }, n: number, needed: number): string {
  const { choice: c, count } = g;
  const of = `${count} of ${n} ${plural(n, "vote")} (${needed} needed)`;
  if (c.kind === "PICK") return `Candidate ${c.candidate! + 1} has ${of}: refine toward it.`;
  const what = c.candidate === null ? "The recommended mask" : `Candidate ${c.candidate + 1}`;
  return `${what} is accepted with ${of}: it is final.`;
}

function describeTally(tally: readonly { choice: Choice; count: number }[]): string {
  return tally.length === 0 ? "no votes yet" : tally.map((g) => `${g.count} for ${label(g.choice)}`).join(", ");
}

function followUp(weights: ReadonlyMap<number, number>): string {
  if (weights.size === 0) return "no candidate was voted for, so there is nothing to weight the next round by";
  return weights.size === 1
    ? "the next round follows the one voted candidate"
    : "the next round follows every voted candidate, weighted by votes";
}

function plural(k: number, word: string): string {
  return k === 1 ? word : `${word}s`;
}
