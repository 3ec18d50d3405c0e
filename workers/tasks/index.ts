import type { TaskList } from "graphile-worker";
import { defineTask, type WorkerContext } from "../job";
import { importLabelTask } from "./import-label";
import { ingest } from "./ingest";
import { measureTask } from "./measure";
import { qaAnalyzeTask } from "../qa/analyze";
import { roundTask } from "../review/round-task";

export function taskList(ctx: WorkerContext): TaskList {
  return {
    ingest: defineTask(ctx, "ingest", ingest(ctx)),
    "import-label": defineTask(ctx, "import-label", importLabelTask(ctx)),
    // round 0 and rounds after a pick share one computation; rectify applies the votes first
    "propose-round": defineTask(ctx, "propose-round", roundTask(ctx)),
    rectify: defineTask(ctx, "rectify", roundTask(ctx)),
    measure: defineTask(ctx, "measure", measureTask(ctx)),
    "qa-analyze": defineTask(ctx, "qa-analyze", qaAnalyzeTask(ctx)),
  };
}
