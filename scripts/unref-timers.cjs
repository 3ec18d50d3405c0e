// Preloaded into the Prisma CLI: it leaves long timers running after it has finished, which
// keeps the process alive for 10–60 s (platform-notes.md). Long timers must not hold it open.
const original = global.setTimeout;
global.setTimeout = function patchedSetTimeout(fn, ms, ...args) {
  const t = original(fn, ms, ...args);
  if (typeof ms === "number" && ms >= 5000 && t && typeof t.unref === "function") t.unref();
  return t;
};
