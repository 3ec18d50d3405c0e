// `npm run bench:ingest`: import time and peak memory for a 512×512×300 int16 CT, from .nii.gz
// and from an uncompressed DICOM series, exactly as the ingest worker processes it.
// Targets (issue 3): ≤ 3 s from .nii.gz, ≤ 6 s from DICOM, peak memory < 4× the volume's size;
// then the viewer's first slice of that volume (bench/viewer.ts), ≤ 2 s.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { encodeNifti } from "../lib/imaging/nifti-write";
import { writeCtSlice } from "../lib/imaging/test-support/dicom-writer";
import { syntheticCT } from "./synthetic-ct";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "uair-bench-"));
const v = syntheticCT();
const volumeMB = v.data.byteLength / 2 ** 20;

const niiPath = path.join(dir, "ct.nii.gz");
fs.writeFileSync(niiPath, zlib.gzipSync(encodeNifti(v), { level: 6 }));
const dcmDir = path.join(dir, "dicom");
fs.mkdirSync(dcmDir);
const [nx, ny, nz] = v.dims;
for (let k = 0; k < nz; k++) {
  const pixels = new Int16Array(v.data.buffer, k * nx * ny * 2, nx * ny);
  // RAS voxel rows → DICOM LPS: flip x and y axes in the orientation, keep pixel order
  const bytes = writeCtSlice({
    rows: ny,
    columns: nx,
    pixels,
    ipp: [179, 179, -225 + 1.5 * k],
    iop: [-1, 0, 0, 0, -1, 0],
    pixelSpacing: [0.7, 0.7],
    seriesUid: "1.2.826.0.1.3680043.9.7433.99.1",
    sopUid: `1.2.826.0.1.3680043.9.7433.99.1.${k + 1}`,
    instanceNumber: nz - k,
  });
  fs.writeFileSync(path.join(dcmDir, `IM${String(k).padStart(4, "0")}.dcm`), bytes);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function measure(label: string, source: string, targetMs: number) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const out = execFileSync(process.execPath, ["--import", "tsx", path.resolve("bench/ingest-child.ts"), source], { maxBuffer: 1 << 20 });
    runs.push(JSON.parse(out.toString()) as { ms: number; timings: Record<string, number>; maxRssMB: number });
  }
  const ms = median(runs.map((r) => r.ms));
  const rss = Math.max(...runs.map((r) => r.maxRssMB));
  const stages = runs.find((r) => r.ms === ms)!.timings;
  console.log(
    `${label.padEnd(22)} median ${(ms / 1000).toFixed(2)} s (target ≤ ${targetMs / 1000} s) ${ms <= targetMs ? "OK" : "MISSED"} · ` +
      `peak RSS ${rss} MB = ${(rss / volumeMB).toFixed(2)}× volume (target < 4×) ${rss < 4 * volumeMB ? "OK" : "MISSED"} · ` +
      `stages ${Object.entries(stages).map(([k, t]) => `${k} ${t} ms`).join(", ")}`,
  );
}

console.log(`volume 512×512×300 int16 = ${volumeMB.toFixed(0)} MB; ${os.cpus().length} CPUs; ${RUNS} runs each; files in ${dir}`);
console.log(`.nii.gz ${(fs.statSync(niiPath).size / 2 ** 20).toFixed(0)} MB; DICOM ${nz} files`);
measure("ingest from .nii.gz", niiPath, 3000);
measure("ingest from DICOM", dcmDir, 6000);
fs.rmSync(dir, { recursive: true, force: true });

if (fs.existsSync(process.env.CHROMIUM_PATH ?? "/usr/bin/chromium")) {
  const { benchViewer } = await import("./viewer");
  await benchViewer();
} else {
  console.log("viewer first slice      skipped: no Chromium (apt-get install -y chromium)");
}
