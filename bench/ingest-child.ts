// One measured import in a fresh process, so peak memory (maxRSS) is that import's alone.
import fs from "node:fs";
import path from "node:path";
import { openjpegDecoder } from "../workers/codecs/openjpeg";
import { processUpload } from "../workers/ingest/pipeline";

const [, , source] = process.argv;
const stat = fs.statSync(source);
const files = stat.isDirectory()
  ? fs.readdirSync(source).sort().map((n) => ({ name: n, bytes: new Uint8Array(fs.readFileSync(path.join(source, n))) }))
  : [{ name: path.basename(source), bytes: new Uint8Array(fs.readFileSync(source)) }];
const decodeFrame = await openjpegDecoder();
const t = performance.now();
const r = processUpload(files, { decodeFrame, zipLimits: { maxExpandedBytes: 4 * 2 ** 30, maxRatio: 100 } });
const ms = performance.now() - t;
process.stdout.write(
  JSON.stringify({ ms: Math.round(ms), timings: r.timings, dims: r.canonical.dims, maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }),
);
