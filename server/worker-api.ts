// The narrow slice of the server that worker processes may use (architecture.md).
export { createDb, type Db } from "./db/client";
export { createPool } from "./db/pool";
export { audit } from "./audit";
export { createPublisher, type Realtime, type RealtimeEvent } from "./realtime/bus";
export { storageFromEnv, sha256Hex, type Storage } from "./storage";
export { loadEnv, type Env } from "./env";
export { asJson, readRoundState, type RoundState } from "./review-state";
