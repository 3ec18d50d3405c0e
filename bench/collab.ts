// `npm run bench:collab [-- --rooms 50 --readers 5 --seconds 60]`: the collaboration layer under
// load against the real product (embedded PostgreSQL, demo seed, no model workers). Simulated
// readers (socket.io clients in a separate process, bench/collab-clients.ts) on loopback vote and
// move their presence continuously in every room. Targets (issue 6, 2 cores, 50 rooms x 5
// readers, 60 s): vote-to-every-reader p99 <= 100 ms, presence p99 <= 150 ms; every vote sent is in
// PostgreSQL and in every client's document at the end. Reports the server's CPU and memory.
//
// The rooms are set up directly in the database (no CT, no model): per room a case in review with
// one open round of 4 candidates and the 5 bench readers assigned. The project's rule is
// ADJUDICATOR, so readers' votes never close the round and every vote is a change of choice.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { hashPassword } from "../server/auth/password";
import { httpClient } from "../tests/helpers/http-client";
import type { CollabBenchConfig, CollabBenchResult, LatencyStats } from "./collab-clients";
import { withDemoServer } from "./demo-server";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");
const PASSWORD = "bench-collab-reader";
const CANDIDATES = 4;
const VOTE_TARGET_MS = 100;
const PRESENCE_TARGET_MS = 150;

const { values: opts } = parseArgs({
  options: {
    rooms: { type: "string", default: "50" },
    readers: { type: "string", default: "5" },
    seconds: { type: "string", default: "60" },
    // pause after a vote's ack before the reader's next vote, and between presence moves (ms, min-max)
    "vote-ms": { type: "string", default: "1000-2000" },
    "presence-ms": { type: "string", default: "500-1000" },
  },
});
const int = (name: string, v: string, min: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return n;
};
const range = (name: string, v: string): [number, number] => {
  const m = /^(\d+)(?:-(\d+))?$/.exec(v);
  if (!m) throw new Error(`--${name} must be MS or MIN-MAX`);
  const lo = Number(m[1]);
  const hi = m[2] ? Number(m[2]) : lo;
  if (hi < lo) throw new Error(`--${name}: MIN-MAX with MIN <= MAX`);
  return [lo, hi];
};
const nRooms = int("rooms", opts.rooms!, 1);
const nReaders = int("readers", opts.readers!, 2);
const seconds = int("seconds", opts.seconds!, 1);
const voteMs = range("vote-ms", opts["vote-ms"]!);
const presenceMs = range("presence-ms", opts["presence-ms"]!);

// ---- PostgreSQL's CPU and memory, from /proc (its processes are children of this one) ----

const TICK_MS = 10; // USER_HZ is 100 on Linux
interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime + cutime + cstime (exited, reaped children count in their parent), ms */
  cpuMs: number;
}
function procs(): Proc[] {
  const out: Proc[] = [];
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const f = stat.slice(close + 2).split(" ");
      out.push({ pid: Number(d), ppid: Number(f[1]), comm, cpuMs: (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_MS });
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}
/** PostgreSQL's processes (postmaster and backends) under this process */
function postgres(): Proc[] {
  const all = procs();
  const mine = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) if (!mine.has(p.pid) && mine.has(p.ppid)) (mine.add(p.pid), (grew = true));
  }
  return all.filter((p) => mine.has(p.pid) && p.pid !== process.pid && p.comm.startsWith("postgres"));
}
function pssMb(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      kb += Number(/^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))?.[1] ?? 0);
    } catch {
      /* gone */
    }
  }
  return kb / 1024;
}
const procCpuMs = (pid: number) => procs().find((p) => p.pid === pid)?.cpuMs ?? NaN;

// ---- the report ----

const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : "-");
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "-");
const lat = (s: LatencyStats) => `p50 ${f1(s.p50)} ms, p95 ${f1(s.p95)} ms, p99 ${f1(s.p99)} ms, max ${f0(s.max)} ms (n = ${s.n})`;
const target = (x: number, limit: number) => `[≤ ${limit} ms: ${Number.isFinite(x) && x <= limit ? "met" : "MISSED"}]`;

await withDemoServer("collab", { UAIR_WORKERS: "0" }, false, async ({ app, projectId }) => {
  const db = app.services.db;

  // ---- rooms: readers, cases, open rounds with candidates, assignments ----
  const tSetup = performance.now();
  const project = await db.project.update({ where: { id: projectId }, data: { consensusRule: "ADJUDICATOR", maxRounds: 20 } });
  const passwordHash = await hashPassword(PASSWORD);
  const readers: { id: string; email: string; name: string }[] = [];
  for (let j = 0; j < nReaders; j++) {
    readers.push(
      await db.user.create({
        data: {
          email: `bench-reader-${j + 1}@bench.uair`,
          name: `Bench reader ${j + 1}`,
          passwordHash,
          memberships: { create: { institutionId: project.institutionId, role: "READER" } },
        },
      }),
    );
  }
  const rooms: CollabBenchConfig["rooms"] = [];
  for (let i = 0; i < nRooms; i++) {
    const kase = await db.case.create({
      data: {
        projectId,
        label: `bench:collab room ${i + 1}`,
        status: "IN_REVIEW",
        rounds: {
          create: {
            index: 0,
            status: "OPEN",
            structure: "tumour",
            seed: i,
            candidates: { create: Array.from({ length: CANDIDATES }, (_, k) => ({ index: k, maskKey: `bench/collab/${i}/${k}`, summary: {} })) },
          },
        },
        assignments: { create: readers.map((u) => ({ userId: u.id })) },
      },
      include: { rounds: true },
    });
    rooms.push({ caseId: kase.id, roundId: kase.rounds[0].id });
  }
  // one session per reader, shared by that reader's sockets in every room
  const sessions: CollabBenchConfig["readers"] = [];
  for (const u of readers) {
    const c = httpClient(app.url);
    await c.client.auth.signIn.mutate({ email: u.email, password: PASSWORD });
    sessions.push({ userId: u.id, cookie: c.cookie() });
  }
  console.error(`[bench:collab] ${nRooms} rooms x ${nReaders} readers set up in ${((performance.now() - tSetup) / 1000).toFixed(1)} s`);

  // ---- the clients process, and the server measured while it runs ----
  const cfg: CollabBenchConfig = { url: app.url, readers: sessions, rooms, seconds, candidates: CANDIDATES, voteMs, presenceMs, settleMs: 5000 };
  const child = spawn(process.execPath, ["--import", "tsx", path.join(HERE, "collab-clients.ts")], {
    cwd: ROOT,
    env: { ...process.env, BENCH_COLLAB_CONFIG: JSON.stringify(cfg) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const cpuSamples: number[] = [];
  const pgSamples: number[] = [];
  const rssSamples: number[] = [];
  const pgPss: number[] = [];
  let pgProcs = 0;
  const rssStart = process.memoryUsage().rss;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  let window: { t: number; cpu: NodeJS.CpuUsage; pg: number; child: number } | null = null;
  let totals: { ms: number; cpuMs: number; pgMs: number; childMs: number } | null = null;
  let sampler: NodeJS.Timeout | null = null;
  const pgCpu = () => postgres().reduce((a, p) => a + p.cpuMs, 0);
  // statements (each its own transaction) and transactions PostgreSQL committed during the run
  const xacts = async () =>
    Number((await db.$queryRaw<{ n: bigint }[]>`SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()`)[0]?.n ?? 0);
  let xact0: Promise<number> = Promise.resolve(NaN);
  let xact1: Promise<number> = Promise.resolve(NaN);

  const start = () => {
    window = { t: performance.now(), cpu: process.cpuUsage(), pg: pgCpu(), child: procCpuMs(child.pid!) };
    xact0 = xacts();
    loop.enable();
    let last = { t: window.t, cpu: window.cpu, pg: window.pg };
    sampler = setInterval(() => {
      const t = performance.now();
      const cpu = process.cpuUsage();
      const pgs = postgres();
      const pg = pgs.reduce((a, p) => a + p.cpuMs, 0);
      const dt = t - last.t;
      cpuSamples.push(((cpu.user - last.cpu.user + cpu.system - last.cpu.system) / 1000 / dt) * 100);
      pgSamples.push(((pg - last.pg) / dt) * 100);
      rssSamples.push(process.memoryUsage().rss);
      pgPss.push(pssMb(pgs.map((p) => p.pid)));
      pgProcs = Math.max(pgProcs, pgs.length);
      last = { t, cpu, pg };
    }, 1000);
  };
  const stop = () => {
    if (!window || totals) return;
    if (sampler) clearInterval(sampler);
    loop.disable();
    const cpu = process.cpuUsage(window.cpu);
    totals = { ms: performance.now() - window.t, cpuMs: (cpu.user + cpu.system) / 1000, pgMs: pgCpu() - window.pg, childMs: procCpuMs(child.pid!) - window.child };
    xact1 = xacts();
  };

  const deadline = setTimeout(() => child.kill("SIGKILL"), (seconds + 300) * 1000);
  const result = await new Promise<CollabBenchResult>((resolve, reject) => {
    let got: CollabBenchResult | null = null;
    let buf = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line.startsWith("{")) continue;
        const msg = JSON.parse(line) as { event: string; error?: string };
        if (msg.event === "running") start();
        else if (msg.event === "stopped") stop();
        else if (msg.event === "result") got = msg as CollabBenchResult;
        else if (msg.event === "error") reject(new Error(`clients process: ${msg.error}`));
      }
    });
    child.on("exit", (code, signal) => (got ? resolve(got) : reject(new Error(`clients process exited (${signal ?? code}) without a result`))));
  }).finally(() => {
    clearTimeout(deadline);
    stop();
  });

  // during the run only (the clients' connections and joins before it are left out)
  const xactRun = (await xact1) - (await xact0);

  // ---- checks against PostgreSQL ----
  const roundIds = rooms.map((r) => r.roundId);
  const audited = await db.auditEvent.count({ where: { entityType: "reviewRound", entityId: { in: roundIds }, action: { in: ["review.vote", "review.vote.change"] } } });
  const rows = await db.vote.findMany({ where: { roundId: { in: roundIds } }, select: { roundId: true, userId: true, candidate: { select: { index: true } } } });
  const inDb = new Map(rows.map((v) => [`${v.roundId} ${v.userId}`, v.candidate?.index ?? null]));
  const mismatches: string[] = [];
  let agreeing = 0;
  let dbVsAcked = 0;
  rooms.forEach((room, i) => {
    const expected = Object.fromEntries(readers.map((u) => [u.id, inDb.get(`${room.roundId} ${u.id}`) ?? null]));
    readers.forEach((u, j) => {
      if (expected[u.id] !== result.lastAcked[i][j]) dbVsAcked++;
      const doc = result.docs[i][j];
      const wrong = readers.filter((w) => (doc[w.id] ?? null) !== expected[w.id]);
      if (!wrong.length) agreeing++;
      else if (mismatches.length < 10) {
        mismatches.push(`room ${i + 1} reader ${j + 1}: ${wrong.map((w) => `${w.name} doc ${doc[w.id] ?? "none"} vs db ${expected[w.id] ?? "none"}`).join(", ")}`);
      }
    });
  });

  // ---- report ----
  const v = result.votes;
  const p = result.presence;
  const t = totals!;
  const runS = result.runMs / 1000;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const clients = nRooms * nReaders;
  console.log(
    `bench:collab on ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}): ${nRooms} rooms x ${nReaders} readers = ${clients} sockets in one clients process, ${seconds} s; ` +
      `each reader votes ${voteMs.join("-")} ms after its previous vote's ack and moves its presence every ${presenceMs.join("-")} ms`,
  );
  console.log(`clients joined in ${(result.connectMs / 1000).toFixed(1)} s; offered load at most ${f0((clients * 1000) / ((voteMs[0] + voteMs[1]) / 2))} votes/s and ${f0((clients * 1000) / ((presenceMs[0] + presenceMs[1]) / 2))} presence moves/s`);
  console.log(`votes: ${v.sent} sent (${(v.sent / runS).toFixed(0)}/s), ${v.ok} acked ok, ${v.failed} refused, ${v.unacked} never acked${v.errors.length ? `; first errors: ${v.errors.map((e) => JSON.stringify(e)).join("; ")}` : ""}`);
  console.log(`  vote to every reader (until all ${nReaders} documents show it, or a later vote of that reader): ${lat(v.toEveryReader)} ${target(v.toEveryReader.p99, VOTE_TARGET_MS)}`);
  console.log(`  vote to each other reader: ${lat(v.perReader)}`);
  console.log(`  vote to the voter's own document: ${lat(v.own)}; ack ${lat(v.ack)}`);
  console.log(
    `  ${v.reachedAll}/${v.ok} acked votes reached every reader's document${v.notReachedAll ? ` (${v.notReachedAll} did not by the end)` : ""}; ` +
      `${v.viaLater} (vote, document) pairs seen only through a later vote of the same reader (projection coalesced)${v.mismatched ? `; ${v.mismatched} document versions showed a candidate other than the vote they date from` : ""}`,
  );
  console.log(`presence: ${p.sent} moves sent (${(p.sent / runS).toFixed(0)}/s), ${p.observed}/${p.expected} observed by the other readers`);
  console.log(`  presence to each other reader: ${lat(p.latency)} ${target(p.latency.p99, PRESENCE_TARGET_MS)}`);
  console.log(
    `server process (node: HTTP, socket.io, rooms, Prisma): CPU mean ${f0((t.cpuMs / t.ms) * 100)}% of one core, peak ${f0(Math.max(...cpuSamples))}% (1-s samples); ` +
      `RSS peak ${f0(Math.max(rssStart, ...rssSamples) / 2 ** 20)} MB (${f0(rssStart / 2 ** 20)} MB before the run, mean ${f0(mean(rssSamples) / 2 ** 20)} MB); event-loop delay p99 ${f1(Math.max(0, loop.percentile(99) / 1e6 - 10))} ms, max ${f0(Math.max(0, loop.max / 1e6 - 10))} ms`,
  );
  console.log(
    `PostgreSQL (${pgProcs} processes, /proc): CPU mean ${f0((t.pgMs / t.ms) * 100)}% of one core, peak ${f0(Math.max(...pgSamples))}%; memory (PSS) peak ${f0(Math.max(...pgPss))} MB; ` +
      `${xactRun} transactions committed (${f0(xactRun / runS)}/s, ${f1(xactRun / Math.max(1, v.sent))} per vote, each statement outside a transaction counts as one)`,
  );
  console.log(
    `clients process: CPU mean ${f0((t.childMs / t.ms) * 100)}% of one core; event-loop delay p50 ${f1(result.eventLoopDelayMs.p50)} ms, p99 ${f1(result.eventLoopDelayMs.p99)} ms, max ${f0(result.eventLoopDelayMs.max)} ms (its own latency adds to the figures above)`,
  );

  const checks: [string, boolean][] = [
    [`votes in PostgreSQL: ${audited} vote audit events = ${v.ok} votes acked ok${v.failed || v.unacked ? ` (of ${v.sent} sent: ${v.failed} refused, ${v.unacked} never acked)` : ` = ${v.sent} sent`}`, audited === v.ok && v.ok === v.sent],
    [`final votes in PostgreSQL = each reader's last acked vote: ${clients - dbVsAcked}/${clients}`, dbVsAcked === 0],
    [`documents agree with PostgreSQL: ${agreeing}/${clients} clients${result.settled ? "" : " (not settled after 5 s)"}, settled in ${f0(result.settleMs)} ms`, agreeing === clients],
  ];
  console.log("checks:");
  for (const [text, okay] of checks) console.log(`  ${okay ? "ok    " : "FAILED"} ${text}`);
  for (const m of mismatches) console.log(`         ${m}`);
  if (checks.some(([, okay]) => !okay)) process.exitCode = 1;
});
