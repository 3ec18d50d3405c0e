import type { TaskList } from "graphile-worker";
import { defineTask, type WorkerContext } from "../job";
import { ingest } from "./ingest";

export function taskList(ctx: WorkerContext): TaskList {
  return {
    ingest: defineTask(ctx, "ingest", ingest(ctx)),
  };
}
