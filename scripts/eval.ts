// `npm run eval [-- --data data/eval-synthetic --cases patient-a,patient-b --samples 24 --k 4 --rounds 6 --out docs/eval]`
// The paper's comparison with simulated readers (see scripts/eval/run.ts): without --data, the
// liver of the CT fixtures; with --data, a folder of cases with tight/generous tumour references.
import { parseArgs } from "node:util";
import { runEval } from "./eval/run";

const { values: a } = parseArgs({
  options: {
    model: { type: "string", default: "models/uair-liver-v1" },
    cases: { type: "string", default: "patient-a,patient-b" },
    data: { type: "string" },
    samples: { type: "string", default: "24" },
    k: { type: "string", default: "4" },
    rounds: { type: "string", default: "6" },
    seed: { type: "string", default: "1" },
    spread: { type: "string", default: "1" },
    out: { type: "string" },
  },
});
const t0 = performance.now();
const { table } = await runEval({
  model: a.model!,
  cases: a.cases!.split(","),
  data: a.data,
  samples: Number(a.samples),
  k: Number(a.k),
  rounds: Number(a.rounds),
  seed: Number(a.seed),
  spread: Number(a.spread),
  out: a.out,
  log: (l) => console.log(l),
});
console.log(table);
console.log(`${((performance.now() - t0) / 1000).toFixed(0)} s${a.out ? `; results.json, table.md and dice-*.svg in ${a.out}` : ""}`);
