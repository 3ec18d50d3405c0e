// Runs processUpload on a worker thread: the CPU-heavy import no longer blocks the worker's
// event loop, so its progress, heartbeat and other jobs keep moving (and two imports use two cores).
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { ImagingError } from "../../lib/imaging/types";
import type { ZipLimits } from "../../lib/imaging/zip";
import { openjpegDecoder } from "../codecs/openjpeg";
import { processUpload, type ProcessedUpload } from "./pipeline";

type Files = { name: string; bytes: Uint8Array }[];
type Msg =
  | { kind: "stage"; stage: string; percent: number }
  | { kind: "done"; result: ProcessedUpload }
  | { kind: "error"; imaging: boolean; code?: string; message: string; details?: Record<string, unknown> };

export function processUploadInThread(files: Files, zipLimits: ZipLimits, onStage: (stage: string, percent: number) => void): Promise<ProcessedUpload> {
  return new Promise((resolve, reject) => {
    const w = new Worker(fileURLToPath(new URL("./thread-entry.mjs", import.meta.url)), {
      workerData: { files, zipLimits },
      transferList: files.map((f) => f.bytes.buffer as ArrayBuffer),
    });
    w.on("message", (m: Msg) => {
      if (m.kind === "stage") onStage(m.stage, m.percent);
      else if (m.kind === "done") resolve(m.result);
      else reject(m.imaging ? new ImagingError(m.code as ImagingError["code"], m.message, m.details) : new Error(m.message));
    });
    w.on("error", reject);
    w.on("exit", (code) => code !== 0 && reject(new Error(`import thread exited with code ${code}`)));
  });
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const { files, zipLimits } = workerData as { files: Files; zipLimits: ZipLimits };
  try {
    const decodeFrame = await openjpegDecoder();
    const result = processUpload(files, { decodeFrame, zipLimits }, (stage, percent) => port.postMessage({ kind: "stage", stage, percent } satisfies Msg));
    port.postMessage({ kind: "done", result } satisfies Msg, [
      result.niftiGz.buffer as ArrayBuffer,
      result.thumbnailPng.buffer as ArrayBuffer,
      result.previewGz.buffer as ArrayBuffer,
      ...(result.displayGz ? [result.displayGz.buffer as ArrayBuffer] : []),
    ]);
  } catch (e) {
    const err = e as Error & { code?: string; details?: Record<string, unknown> };
    port.postMessage({ kind: "error", imaging: e instanceof ImagingError, code: err.code, message: err.message, details: err.details } satisfies Msg);
  }
}
