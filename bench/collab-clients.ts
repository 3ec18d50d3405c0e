// The simulated readers of `npm run bench:collab`, all in this one process (one clock for every
// latency): one socket.io connection and one CollabClient per room and reader. Each reader votes
// (a PICK of a candidate other than its current one, the next only after the previous ack and a
// 1-2 s pause) and moves its presence (a fresh slice number every 0.5-1 s); every client records
// when its document shows each vote and its awareness each presence move. At the end it waits for
// the documents to settle and prints one JSON line with the figures and what every document shows.
//
// Config: JSON as the first argument or in BENCH_COLLAB_CONFIG (see CollabBenchConfig). Progress
// goes to stderr; stdout carries JSON lines only: {"event":"running"}, {"event":"stopped"}, then
// {"event":"result",...}.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { io, type Socket } from "socket.io-client";
import { CollabClient } from "../app/_lib/collab-client";
import type { DocVote } from "../lib/collab/doc";
import type { Presence } from "../lib/collab/presence";

export interface CollabBenchConfig {
  url: string;
  /** one signed-in session per bench reader: reader j is reader j in every room */
  readers: { userId: string; cookie: string }[];
  rooms: { caseId: string; roundId: string }[];
  seconds: number;
  candidates: number;
  /** pause between a reader's ack and its next vote, ms [min, max] */
  voteMs: [number, number];
  /** interval between a reader's presence moves, ms [min, max] */
  presenceMs: [number, number];
  /** how long to wait at the end for every document to show every acknowledged vote */
  settleMs: number;
}

export interface LatencyStats {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface CollabBenchResult {
  event: "result";
  connectMs: number;
  runMs: number;
  votes: {
    sent: number;
    ok: number;
    failed: number;
    /** sent but no ack before the end */
    unacked: number;
    errors: string[];
    /** acked votes every reader's document showed, or a later vote of the same reader (sender included) */
    reachedAll: number;
    /** acked votes some document never showed by the end */
    notReachedAll: number;
    /** (vote, document) pairs first seen through a later vote of the same reader (the server coalesced) */
    viaLater: number;
    /** document versions whose candidate is not that of the vote they date from (should be 0) */
    mismatched: number;
    ack: LatencyStats;
    /** per vote: until the last of the room's documents shows it (or a later vote of the same reader) */
    toEveryReader: LatencyStats;
    /** per vote and other reader: until that reader's document shows it */
    perReader: LatencyStats;
    /** per vote: until the voter's own document shows it */
    own: LatencyStats;
  };
  presence: { sent: number; expected: number; observed: number; latency: LatencyStats };
  /** documents at the end: [room][reader] -> userId -> candidate index (null = none/recommended) */
  docs: Record<string, number | null>[][];
  /** each reader's last vote acknowledged ok: [room][reader] */
  lastAcked: (number | null)[][];
  settleMs: number;
  settled: boolean;
  clientCpuPct: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
}

const log = (m: string) => process.stderr.write(`[collab-clients] ${m}\n`);
const emit = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const rand = ([lo, hi]: [number, number]) => lo + Math.random() * (hi - lo);

export function stats(xs: number[]): LatencyStats {
  if (!xs.length) return { n: 0, mean: NaN, p50: NaN, p95: NaN, p99: NaN, max: NaN };
  const s = Float64Array.from(xs).sort();
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  return { n: s.length, mean: s.reduce((a, b) => a + b, 0) / s.length, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: s[s.length - 1] };
}

interface SentVote {
  candidate: number;
  tSend: number;
  /** wall clock at sending: the vote's timestamp in the document (set by the server) is later */
  wallSend: number;
  acked: boolean;
  ok: boolean;
  /** receiving reader (index in the room) -> latency until its document showed this vote or a later one */
  seen: Map<number, number>;
}

interface Reader {
  room: number;
  index: number;
  userId: string;
  socket: Socket;
  client: CollabClient;
  /** this reader's choice as far as it knows (its last vote acked ok) */
  current: number | null;
  /** every vote this reader sent, in order (the next is sent only after the previous one's ack) */
  votes: SentVote[];
  /** presence moves sent: slice -> send time */
  slices: Map<number, number>;
  nextSlice: number;
  /** receiver side, per user: the vote version (timestamp) last seen, the index of the vote it is, the slice last seen */
  seenAt: Map<string, string>;
  seenIdx: Map<string, number>;
  seenSlice: Map<string, number | null>;
}

async function main() {
  const raw = process.argv[2]?.trim().startsWith("{") ? process.argv[2] : process.env.BENCH_COLLAB_CONFIG;
  if (!raw) throw new Error("config required: JSON as the first argument or in BENCH_COLLAB_CONFIG");
  const cfg = JSON.parse(raw) as CollabBenchConfig;
  const nReaders = cfg.readers.length;
  const rooms: Reader[][] = cfg.rooms.map(() => []);
  const userIndex = new Map(cfg.readers.map((r, j) => [r.userId, j]));

  const ackLat: number[] = [];
  const toAll: number[] = [];
  const perReader: number[] = [];
  const own: number[] = [];
  const presenceLat: number[] = [];
  const errors: string[] = [];
  let sent = 0,
    ok = 0,
    failed = 0,
    reachedAll = 0,
    notReachedAll = 0,
    viaLater = 0,
    mismatched = 0,
    presenceSent = 0,
    presenceExpected = 0;

  const observe = (me: Reader) => {
    const now = performance.now();
    const room = rooms[me.room];
    // votes: a new version of a reader's entry is the last vote that reader sent before the
    // server stamped it; the document now reflects that vote and every earlier one
    for (const [uid, v] of me.client.doc.getMap<DocVote>("votes")) {
      if (me.seenAt.get(uid) === v.at) continue;
      me.seenAt.set(uid, v.at);
      const j = userIndex.get(uid);
      const sender = j === undefined ? undefined : room[j];
      if (!sender) continue;
      const at = Date.parse(v.at);
      let m = sender.votes.length - 1;
      while (m >= 0 && sender.votes[m].wallSend > at + 5) m--;
      if (m < 0) continue;
      if (sender.votes[m].candidate !== v.candidate) {
        mismatched++;
        continue;
      }
      const from = (me.seenIdx.get(uid) ?? -1) + 1;
      if (m < from) continue;
      me.seenIdx.set(uid, m);
      for (let k = from; k <= m; k++) {
        sender.votes[k].seen.set(me.index, now - sender.votes[k].tSend);
        if (k < m) viaLater++;
      }
    }
    // presence: a slice this reader has not shown before
    for (const [clientId, s] of me.client.awareness.getStates()) {
      if (clientId === me.client.doc.clientID || !s || !(s as Presence).user) continue;
      const { user, slice } = s as Presence;
      if (me.seenSlice.get(user.id) === slice) continue;
      me.seenSlice.set(user.id, slice);
      const j = userIndex.get(user.id);
      const t = j === undefined || slice === null ? undefined : room[j]?.slices.get(slice);
      if (t !== undefined) presenceLat.push(now - t);
    }
  };

  // connect and join: a few at a time (each connection and join is checked against the database)
  const t0 = performance.now();
  const jobs: (() => Promise<void>)[] = [];
  cfg.rooms.forEach((room, i) =>
    cfg.readers.forEach((reader, j) =>
      jobs.push(async () => {
        const socket = io(cfg.url, { path: "/socket.io", transports: ["websocket"], extraHeaders: { cookie: reader.cookie }, reconnection: false, forceNew: true });
        await new Promise<void>((resolve, reject) => {
          socket.once("connect", () => resolve());
          socket.once("connect_error", (e) => reject(new Error(`room ${i} reader ${j}: connect: ${e.message}`)));
        });
        const client = new CollabClient(socket, room.caseId);
        const r: Reader = {
          room: i,
          index: j,
          userId: reader.userId,
          socket,
          client,
          current: null,
          votes: [],
          slices: new Map(),
          nextSlice: 1 + ((i * nReaders + j) * 997) % 50_000,
          seenAt: new Map(),
          seenIdx: new Map(),
          seenSlice: new Map(),
        };
        rooms[i][j] = r;
        client.subscribe(() => observe(r));
        await client.join().catch((e: Error) => {
          throw new Error(`room ${i} reader ${j}: join: ${e.message}`);
        });
        observe(r);
      }),
    ),
  );
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let job = jobs.shift(); job; job = jobs.shift()) await job();
    }),
  );
  const connectMs = performance.now() - t0;
  log(`${cfg.rooms.length * nReaders} clients joined in ${(connectMs / 1000).toFixed(1)} s`);

  const all = rooms.flat();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let running = true;
  // a pause that ends early when the run stops
  let stopNow = () => undefined as void;
  const stopped = new Promise<void>((r) => (stopNow = r));
  const nap = (ms: number) => {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([new Promise<void>((r) => (timer = setTimeout(r, ms))), stopped]).finally(() => clearTimeout(timer));
  };
  emit({ event: "running" });
  const cpu0 = process.cpuUsage();
  const tRun = performance.now();

  const voter = async (r: Reader) => {
    await nap(rand([0, cfg.voteMs[1]]));
    while (running) {
      const others = Array.from({ length: cfg.candidates }, (_, k) => k).filter((k) => k !== r.current);
      const candidate = others[Math.floor(Math.random() * others.length)];
      const p: SentVote = { candidate, tSend: performance.now(), wallSend: Date.now(), acked: false, ok: false, seen: new Map() };
      r.votes.push(p);
      sent++;
      const reply = await Promise.race([r.client.vote(cfg.rooms[r.room].roundId, "PICK", candidate), sleep(15_000).then(() => null)]);
      if (reply) {
        p.acked = true;
        ackLat.push(performance.now() - p.tSend);
        if (reply.ok) {
          p.ok = true;
          ok++;
          r.current = candidate;
        } else {
          failed++;
          if (errors.length < 5) errors.push(String(reply.error));
        }
      } else break;
      if (running) await nap(rand(cfg.voteMs));
    }
  };
  const mover = async (r: Reader) => {
    await nap(rand([0, cfg.presenceMs[1]]));
    while (running) {
      const slice = r.nextSlice;
      r.nextSlice = (r.nextSlice % 100_000) + 1;
      const now = performance.now();
      r.slices.set(slice, now);
      // forget moves long gone (a receiver seeing one this late is lost anyway)
      if (r.slices.size > 64) for (const [s, t] of r.slices) if (now - t > 10_000) r.slices.delete(s);
      presenceSent++;
      presenceExpected += nReaders - 1;
      r.client.setPresence({ slice });
      await nap(rand(cfg.presenceMs));
    }
  };
  const loops = all.flatMap((r) => [voter(r), mover(r)]);
  await sleep(cfg.seconds * 1000);
  running = false;
  stopNow();
  const runMs = performance.now() - tRun;
  const cpu = process.cpuUsage(cpu0);
  emit({ event: "stopped" });
  // the last votes' acks (a vote never acked counts as unacked)
  await Promise.all(loops);
  const unacked = all.reduce((a, r) => a + r.votes.filter((p) => !p.acked).length, 0);

  // settle: every document shows every reader's last acknowledged choice
  const lastAcked = rooms.map((room) => room.map((r) => r.current));
  const agrees = (r: Reader) => {
    const votes = r.client.doc.getMap<DocVote>("votes");
    return rooms[r.room].every((o) => (votes.get(o.userId)?.candidate ?? null) === o.current);
  };
  const tSettle = performance.now();
  while (!all.every(agrees) && performance.now() - tSettle < cfg.settleMs) await sleep(20);
  const settled = all.every(agrees);
  const settleMs = performance.now() - tSettle;
  // presence sent in the last moments may still be in flight: a short grace before counting
  await sleep(250);
  for (const r of all) {
    for (const p of r.votes) {
      if (!p.ok) continue;
      if (p.seen.size === nReaders) {
        reachedAll++;
        toAll.push(Math.max(...p.seen.values()));
      } else notReachedAll++;
      for (const [j, ms] of p.seen) (j === r.index ? own : perReader).push(ms);
    }
  }
  loop.disable();

  const docs = rooms.map((room) =>
    room.map((r) => Object.fromEntries([...r.client.doc.getMap<DocVote>("votes")].map(([uid, v]) => [uid, v.candidate ?? null]))),
  );
  const result: CollabBenchResult = {
    event: "result",
    connectMs,
    runMs,
    votes: {
      sent,
      ok,
      failed,
      unacked,
      errors,
      reachedAll,
      notReachedAll,
      viaLater,
      mismatched,
      ack: stats(ackLat),
      toEveryReader: stats(toAll),
      perReader: stats(perReader),
      own: stats(own),
    },
    presence: { sent: presenceSent, expected: presenceExpected, observed: presenceLat.length, latency: stats(presenceLat) },
    docs,
    lastAcked,
    settleMs,
    settled,
    clientCpuPct: ((cpu.user + cpu.system) / 1000 / runMs) * 100,
    // the histogram records the whole interval: the delay is what exceeds the 10 ms resolution
    eventLoopDelayMs: { p50: Math.max(0, loop.percentile(50) / 1e6 - 10), p99: Math.max(0, loop.percentile(99) / 1e6 - 10), max: Math.max(0, loop.max / 1e6 - 10) },
  };
  emit(result);
  for (const r of all) {
    r.client.close();
    r.socket.close();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    log(`failed: ${(e as Error).stack ?? e}`);
    emit({ event: "error", error: (e as Error).message });
    process.exit(1);
  },
);
