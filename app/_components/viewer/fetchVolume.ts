// Fetch a (gzip NIfTI) voxel file with download progress. The bytes go straight to niivue;
// nothing here is kept in React state.

export class VolumeFetchError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type Progress = { loaded: number; total: number | null };

export async function fetchWithProgress(url: string, signal: AbortSignal, onProgress?: (p: Progress) => void): Promise<ArrayBuffer> {
  const res = await fetch(url, { signal, credentials: "same-origin" });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`.trim();
    try {
      const body = (await res.json()) as { error?: string };
      if (body?.error) message = body.error;
    } catch {
      /* not JSON: keep the status line */
    }
    throw new VolumeFetchError(res.status, message);
  }
  const total = Number(res.headers.get("content-length")) || null;
  if (!res.body) return res.arrayBuffer();

  const reader = res.body.getReader();
  // with a known length, write into one buffer instead of collecting chunks and copying twice
  const whole = total ? new Uint8Array(total) : null;
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  let lastReport = -1;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (whole && loaded + value.byteLength <= whole.byteLength) whole.set(value, loaded);
    else chunks.push(value);
    loaded += value.byteLength;
    const pct = total ? Math.floor((100 * loaded) / total) : Math.floor(loaded / 1e6);
    if (pct !== lastReport) {
      lastReport = pct;
      onProgress?.({ loaded, total });
    }
  }
  if (whole && loaded === whole.byteLength && chunks.length === 0) return whole.buffer;
  // unknown or wrong content-length: concatenate what arrived
  const out = new Uint8Array(loaded);
  let at = 0;
  if (whole) {
    const head = Math.min(whole.byteLength, loaded - chunks.reduce((n, c) => n + c.byteLength, 0));
    out.set(whole.subarray(0, head), 0);
    at = head;
  }
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out.buffer;
}

export function formatMB(bytes: number): string {
  return `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;
}
