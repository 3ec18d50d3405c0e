// Worker-thread entry: threads do not inherit the parent's `--import tsx` hooks, so register
// tsx here before loading the TypeScript module that does the work.
import { register } from "tsx/esm/api";

register();
await import("./thread.ts");
