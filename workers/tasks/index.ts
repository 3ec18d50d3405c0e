import type { TaskList } from "graphile-worker";
import { defineTask, type WorkerContext } from "../job";
import { importLabelTask } from "./import-label";
import { ingest } from "./ingest";

export function taskList(ctx: WorkerContext): TaskList {
  return {
    ingest: defineTask(ctx, "ingest", ingest(ctx)),
    "import-label": defineTask(ctx, "import-label", importLabelTask(ctx)),
  };
}
