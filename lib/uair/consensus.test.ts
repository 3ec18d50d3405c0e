import { describe, expect, it } from "vitest";
import { choiceKey, consensus, quorumCount, type Choice, type ConsensusInput } from "./consensus";
import { expectCode } from "./test-support/expect-code";

const pick = (candidate: number): Choice => ({ kind: "PICK", candidate });
const accept = (candidate: number | null): Choice => ({ kind: "ACCEPT", candidate });
const votes = (entries: Record<string, Choice>) => new Map(Object.entries(entries));
const five = ["a", "b", "c", "d", "e"];
const four = ["a", "b", "c", "d"];
const run = (over: Partial<ConsensusInput>) => consensus({ rule: "MAJORITY", quorum: null, assigned: five, votes: new Map(), ...over });

describe("quorumCount / choiceKey", () => {
  it("more than half by default, ceil(q n) otherwise, within [1, n]", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => quorumCount(n, null))).toEqual([1, 2, 2, 3, 3, 4]);
    expect(quorumCount(5, 0.6)).toBe(3);
    expect(quorumCount(10, 0.1 + 0.2)).toBe(3); // 3.0000000000000004 in floating point, still 3 readers
    expect(quorumCount(5, 0.61)).toBe(4);
    expect(quorumCount(4, 0.5)).toBe(2);
    expect(quorumCount(3, 1)).toBe(3);
    expect(quorumCount(10, 0.01)).toBe(1);
    expect(quorumCount(0, 0.6)).toBe(1); // nobody assigned: one vote (single-reader mode)
    expect(quorumCount(0, null)).toBe(1);
  });

  it("refuses a quorum outside (0, 1] and a bad reader count", () => {
    for (const q of [0, -0.5, 1.5, Number.NaN]) expectCode(() => quorumCount(5, q), "BAD_INPUT", /quorum.*\(0, 1\]/);
    expectCode(() => quorumCount(2.5, null), "BAD_INPUT", /non-negative integer/);
    expectCode(() => quorumCount(-1, 0.5), "BAD_INPUT", /non-negative integer/);
  });

  it("keys name the kind and the candidate or the recommended mask", () => {
    expect(choiceKey(pick(2))).toBe("PICK:2");
    expect(choiceKey(accept(null))).toBe("ACCEPT:rec");
    expect(choiceKey(accept(0))).toBe("ACCEPT:0");
  });
});

describe("single-reader mode (nobody assigned)", () => {
  it("open without a vote; any vote decides", () => {
    const none = run({ assigned: [] });
    expect(none).toMatchObject({ status: "open", choice: null, needed: 1, cast: 0 });
    const one = run({ assigned: [], votes: votes({ x: pick(1) }) });
    expect(one).toMatchObject({ status: "decided", choice: pick(1), needed: 1, cast: 1 });
    expect(one.reason).toMatch(/Candidate 2 has 1 of 1 vote/);
    // the rule does not matter with one reader
    expect(run({ rule: "ADJUDICATOR", assigned: [], votes: votes({ x: accept(null) }) })).toMatchObject({ status: "decided", choice: accept(null) });
  });

  it("several unassigned voters: most votes win, ties go to the lowest choice", () => {
    expect(run({ assigned: [], votes: votes({ x: pick(3), y: pick(1), z: pick(3) }) }).choice).toEqual(pick(3));
    expect(run({ assigned: [], votes: votes({ x: pick(3), y: pick(1) }) }).choice).toEqual(pick(1));
    // 10 before 2 as a string, but candidates compare as numbers
    expect(run({ assigned: [], votes: votes({ x: pick(10), y: pick(2) }) }).choice).toEqual(pick(2));
    expect(run({ assigned: [], votes: votes({ x: pick(0), y: accept(0) }) }).choice).toEqual(accept(0));
  });
});

describe("MAJORITY", () => {
  it("decides once a choice reaches more than half of the assigned readers", () => {
    const r = run({ votes: votes({ a: pick(1), b: pick(1), c: pick(1) }) });
    expect(r).toMatchObject({ status: "decided", choice: pick(1), needed: 3, cast: 3 });
    expect(r.reason).toBe("Candidate 2 has 3 of 5 votes (3 needed): refine toward it.");
    expect([...r.weights]).toEqual([[1, 3]]);
  });

  it("stays open before that, saying how many more votes are needed", () => {
    const r = run({ votes: votes({ a: pick(1), b: pick(2) }) });
    expect(r).toMatchObject({ status: "open", choice: null, needed: 3, cast: 2 });
    expect(r.reason).toBe("Waiting for 2 more votes (3 needed of 5 assigned).");
    // 4 assigned, 3 needed, three different votes: the last vote cannot make a majority
    const stuck = run({ assigned: four, votes: votes({ a: pick(0), b: pick(1), c: pick(2) }) });
    expect(stuck.status).toBe("open");
    expect(stuck.reason).toMatch(/Waiting for 1 more vote .*round will split/);
  });

  it("splits when everyone voted without a majority; weights count the votes per candidate", () => {
    const r = run({ assigned: four, votes: votes({ a: pick(0), b: pick(2), c: pick(2), d: pick(0) }) });
    expect(r).toMatchObject({ status: "split", choice: null, needed: 3, cast: 4 });
    expect([...r.weights]).toEqual([[0, 2], [2, 2]]);
    expect(r.reason).toMatch(/^Split 2–2 \(2 for candidate 1, 2 for candidate 3\) with all 4 readers voted: .*weighted by votes\.$/);
    const lopsided = run({ votes: votes({ a: pick(4), b: pick(1), c: pick(4), d: pick(0), e: accept(null) }) });
    expect(lopsided.status).toBe("split");
    expect([...lopsided.weights]).toEqual([[0, 1], [1, 1], [4, 2]]); // the recommended-mask vote weighs nothing
    expect(lopsided.reason).toMatch(/^Split 2–1–1–1 \(2 for candidate 5, /);
  });

  it("a custom quorum of 0.6 with 5 assigned needs 3", () => {
    const two = run({ quorum: 0.6, votes: votes({ a: pick(0), b: pick(0) }) });
    expect(two).toMatchObject({ status: "open", needed: 3 });
    const three = run({ quorum: 0.6, votes: votes({ a: pick(0), b: pick(0), c: pick(0) }) });
    expect(three).toMatchObject({ status: "decided", choice: pick(0), needed: 3 });
    expectCode(() => run({ quorum: 1.2 }), "BAD_INPUT", /quorum/);
  });

  it("a tie at a low quorum decides nothing", () => {
    const r = run({ quorum: 0.4, votes: votes({ a: pick(0), b: pick(0), c: pick(1), d: pick(1) }) });
    expect(r).toMatchObject({ status: "open", needed: 2 });
    expect(run({ quorum: 0.4, votes: votes({ a: pick(0), b: pick(0), c: pick(1) }) }).choice).toEqual(pick(0));
  });

  it("ignores votes by users who are not assigned", () => {
    const r = run({ votes: votes({ a: pick(1), b: pick(1), outsider: pick(1), other: pick(1) }) });
    expect(r).toMatchObject({ status: "open", cast: 2 });
    expect([...r.weights]).toEqual([[1, 2]]);
  });

  it("an ACCEPT majority is a decided ACCEPT choice", () => {
    const r = run({ votes: votes({ a: accept(2), b: accept(2), c: accept(2), d: pick(2) }) });
    expect(r).toMatchObject({ status: "decided", choice: accept(2) });
    expect(r.reason).toBe("Candidate 3 is accepted with 3 of 5 votes (3 needed): it is final.");
    const rec = run({ votes: votes({ a: accept(null), b: accept(null), c: accept(null) }) });
    expect(rec).toMatchObject({ status: "decided", choice: accept(null) });
    expect(rec.weights.size).toBe(0);
    expect(rec.reason).toMatch(/^The recommended mask is accepted/);
  });

  it("PICK and ACCEPT of one candidate both weigh for it but are not one majority", () => {
    const r = run({ assigned: four, votes: votes({ a: pick(1), b: pick(1), c: accept(1), d: pick(0) }) });
    expect(r.status).toBe("split");
    expect([...r.weights]).toEqual([[0, 1], [1, 3]]);
    expect(r.reason).toMatch(/2 for candidate 2, 1 for accepting candidate 2, 1 for candidate 1/);
  });
});

describe("UNANIMITY", () => {
  it("decides only when every assigned reader voted the same", () => {
    const all = { a: pick(0), b: pick(0), c: pick(0), d: pick(0) };
    expect(run({ rule: "UNANIMITY", assigned: four, votes: votes(all) })).toMatchObject({ status: "decided", choice: pick(0), needed: 4, cast: 4 });
    const three = run({ rule: "UNANIMITY", assigned: four, votes: votes({ a: pick(0), b: pick(0), c: pick(0) }) });
    expect(three).toMatchObject({ status: "open", needed: 4, cast: 3 });
    expect(three.reason).toBe("Waiting for 1 more vote (4 needed of 4 assigned).");
  });

  it("stays open when readers disagree, even after all voted", () => {
    const r = run({ rule: "UNANIMITY", assigned: ["a", "b", "c"], votes: votes({ a: pick(0), b: pick(2), c: pick(0) }) });
    expect(r).toMatchObject({ status: "open", choice: null, cast: 3 });
    expect(r.reason).toBe("Unanimity: readers disagree (2 for candidate 1, 1 for candidate 3); change a vote or ask an adjudicator.");
    expect([...r.weights]).toEqual([[0, 2], [2, 1]]);
  });
});

describe("ADJUDICATOR and adjudication", () => {
  it("readers' votes never close an ADJUDICATOR round", () => {
    const r = run({ rule: "ADJUDICATOR", votes: votes({ a: pick(1), b: pick(1), c: pick(1), d: pick(1), e: pick(1) }) });
    expect(r).toMatchObject({ status: "open", choice: null, needed: 0, cast: 5 });
    expect(r.reason).toBe("Waiting for an adjudicator; tally: 5 for candidate 2 (5 of 5 voted).");
  });

  it("an adjudicator's decision overrides every rule", () => {
    const v = votes({ a: pick(1), b: pick(1), c: pick(1) });
    for (const rule of ["MAJORITY", "UNANIMITY", "ADJUDICATOR"] as const) {
      const r = run({ rule, votes: v, adjudication: { by: "judge", action: "decide", choice: pick(3) } });
      expect(r).toMatchObject({ status: "decided", choice: pick(3) });
      expect(r.reason).toBe("Adjudicator judge decided: refine toward candidate 4.");
    }
  });

  it("closing splits by the votes, unless they all agree", () => {
    const split = run({ rule: "UNANIMITY", votes: votes({ a: pick(0), b: pick(1), c: pick(1) }), adjudication: { by: "judge", action: "close" } });
    expect(split).toMatchObject({ status: "split", choice: null });
    expect([...split.weights]).toEqual([[0, 1], [1, 2]]);
    expect(split.reason).toMatch(/closed the round as split \(2 for candidate 2, 1 for candidate 1\)/);
    const agreed = run({ rule: "ADJUDICATOR", votes: votes({ a: accept(2), b: accept(2) }), adjudication: { by: "judge", action: "close" } });
    expect(agreed).toMatchObject({ status: "decided", choice: accept(2) });
    expect(agreed.reason).toMatch(/all 2 votes agree: accept candidate 3 as final/);
    // outsiders' votes do not break the agreement
    const outsider = run({ votes: votes({ a: pick(0), z: pick(4) }), adjudication: { by: "judge", action: "close" } });
    expect(outsider).toMatchObject({ status: "decided", choice: pick(0) });
  });
});

describe("input validation", () => {
  it("refuses a bad vote, naming the user", () => {
    expectCode(() => run({ votes: votes({ a: pick(1), bob: { kind: "PICK", candidate: null } }) }), "BAD_INPUT", /user bob.*PICK needs a candidate/);
    expectCode(() => run({ votes: votes({ bob: pick(-1) }) }), "BAD_INPUT", /user bob.*integer >= 0/);
    expectCode(() => run({ votes: votes({ bob: pick(1.5) }) }), "BAD_INPUT", /user bob/);
    expectCode(() => run({ votes: votes({ bob: { kind: "VETO", candidate: 1 } as never }) }), "BAD_INPUT", /user bob.*kind/);
    expectCode(() => run({ adjudication: { by: "judge", action: "decide", choice: pick(Number.NaN) } }), "BAD_INPUT", /adjudication by user judge/);
    expectCode(() => run({ adjudication: { by: "judge", action: "reopen" } as never }), "BAD_INPUT", /judge must "decide" or "close"/);
  });

  it("refuses an unknown rule and duplicate assignments", () => {
    expectCode(() => run({ rule: "PLURALITY" as never }), "BAD_INPUT", /rule/);
    expectCode(() => run({ assigned: ["a", "a"] }), "BAD_INPUT", /duplicate/);
  });

  it("is deterministic whatever order the votes arrive in", () => {
    const entries: [string, Choice][] = [["d", pick(2)], ["a", pick(0)], ["c", accept(2)], ["b", pick(0)]];
    const fwd = run({ assigned: four, votes: new Map(entries) });
    const back = run({ assigned: four, votes: new Map([...entries].reverse()) });
    expect(back).toEqual(fwd);
    expect([...fwd.weights.keys()]).toEqual([0, 2]);
  });
});
