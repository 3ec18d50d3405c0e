// Polls `read` every 100 ms until `done` holds for its value (outside vitest's expect.poll, which
// is not allowed in hooks and does not return the value).
export async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  for (const end = Date.now() + timeoutMs; ; ) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`${what} did not happen in ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
