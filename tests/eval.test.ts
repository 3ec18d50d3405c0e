// `npm run eval` end to end on one case with small N: the simulated readers run through the real
// model and engine, and the numbers hold together (best-of-K bounds the pick, regret is their
// difference, interactions-to-threshold is 1..6 or 10, the outputs are written).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runEval } from "../scripts/eval/run";

const out = mkdtempSync(path.join(tmpdir(), "uair-eval-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("npm run eval", () => {
  it("tumour readers (tight, generous) on a synthetic-lesion case", async () => {
    const { runs, table } = await runEval({ model: "models/uair-liver-v1", data: "data/eval-synthetic", cases: ["patient-b"], samples: 6, k: 3, rounds: 2, seed: 3, out });
    expect(new Set(runs.map((r) => r.target))).toEqual(new Set(["tight", "generous"]));
    expect(new Set(runs.map((r) => r.method))).toEqual(new Set(["automatic", "selection (perfect)", "selection (noisy)", "clicks (RITM)"]));
    for (const r of runs) {
      expect(r.steps).toHaveLength(2);
      for (const s of r.steps) {
        expect(s.dice).toBeGreaterThanOrEqual(0);
        expect(s.dice).toBeLessThanOrEqual(1);
        if (r.method.startsWith("selection")) {
          expect(s.bestOfK!).toBeGreaterThanOrEqual(s.dice);
          expect(s.regret!).toBeCloseTo(s.bestOfK! - s.dice, 12);
          expect(s.shown!).toBeGreaterThanOrEqual(2); // the recommended mask and at least one candidate
        }
        if (r.method === "selection (perfect)") expect(s.regret).toBe(0);
      }
      for (const n of Object.values(r.toReach)) expect([1, 2, 10]).toContain(n);
      if (r.method === "automatic") expect(r.steps.every((s) => s.dice === r.start)).toBe(true);
    }
    // the synthetic lesions are found at all by the model (not an empty comparison)
    expect(runs.find((r) => r.method === "automatic" && r.target === "generous")!.start).toBeGreaterThan(0.3);
    expect(table).toMatch(/\| generous \| clicks \(RITM\) \|/);
    const json = JSON.parse(readFileSync(path.join(out, "results.json"), "utf8"));
    expect(json.structure).toBe("tumour");
    expect(json.thresholds).toEqual([0.7, 0.75, 0.8]);
    expect(readFileSync(path.join(out, "dice-tight.svg"), "utf8")).toMatch(/<polyline/);
    expect(existsSync(path.join(out, "dice-reference.svg"))).toBe(false);
  }, 120_000);

  it("liver readers (reference, eroded, dilated) on a fixture", async () => {
    const { runs } = await runEval({ model: "models/uair-liver-v1", cases: ["patient-b"], samples: 4, k: 2, rounds: 1, seed: 1 });
    expect(new Set(runs.map((r) => r.target))).toEqual(new Set(["reference", "tight", "generous"]));
    const auto = runs.find((r) => r.method === "automatic" && r.target === "reference")!;
    expect(auto.start).toBeGreaterThan(0.9); // patient B's liver, in the shipped model's training data
  }, 120_000);
});
