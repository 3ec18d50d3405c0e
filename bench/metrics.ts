// `npm run bench:metrics`: the QA numbers on a 512×512×300 volume (issue targets on this 2-core
// machine): HD95 + surface Dice of two liver-sized masks under 1 s, STAPLE of 5 readers under
// 5 s, the measurements of a final annotation under 1 s. Each part also runs on its own
// (node --import tsx bench/metrics-<part>.ts).
import os from "node:os";
import { runMeasureBench } from "./metrics-measure";
import { runStapleBench } from "./metrics-staple";
import { runSurfaceBench } from "./metrics-surface";

console.log(`bench:metrics on ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()})`);
for (const [name, run] of [
  ["surface distances", runSurfaceBench],
  ["STAPLE", runStapleBench],
  ["measurements", runMeasureBench],
] as const) {
  console.log(`\n${name}`);
  for (const line of await run()) console.log(line);
}
