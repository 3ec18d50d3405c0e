// `npm test`: type check, unit + integration tests (vitest, real embedded PostgreSQL), then
// end-to-end tests (Playwright in Debian's Chromium against the real product). Every stage
// runs even if an earlier one failed; the last line sums them up.
import { spawnSync } from "node:child_process";
import fs from "node:fs";

const bin = (name) => `node_modules/.bin/${name}`;
const results = [];
fs.mkdirSync("test-results", { recursive: true });

function stage(name, cmd, args, count) {
  const t = Date.now();
  console.log(`\n=== ${name}: ${[cmd, ...args].join(" ")}`);
  const r = spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, FORCE_COLOR: process.env.CI ? "0" : "1" } });
  const counted = count(r.status ?? 1);
  results.push({ name, seconds: (Date.now() - t) / 1000, ...counted });
}

const readJson = (f) => (fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, "utf8")) : null);
const only = process.argv[2]; // optional: "typecheck", "unit", "python" or "e2e"

if (!only || only === "typecheck")
  stage("typecheck", bin("tsc"), ["--noEmit", "-p", "."], (code) => ({ passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1 }));

if (!only || only === "unit") {
  fs.rmSync("test-results/vitest.json", { force: true });
  stage("unit + integration", bin("vitest"), ["run", "--reporter=default", "--reporter=json", "--outputFile.json=test-results/vitest.json"], (code) => {
    const j = readJson("test-results/vitest.json");
    if (!j) return { passed: 0, failed: 1 };
    return { passed: j.numPassedTests, failed: j.numFailedTests + (code !== 0 && j.numFailedTests === 0 ? 1 : 0), skipped: j.numPendingTests };
  });
}

// the training pipeline (models/training): Debian's python3-torch & co., see its README
if (!only || only === "python") {
  fs.rmSync("test-results/pytest.xml", { force: true });
  stage("python (models)", "/usr/bin/python3", ["-m", "pytest", "-q", "-p", "no:cacheprovider", "--junit-xml=test-results/pytest.xml", "models/training/tests"], (code) => {
    const xml = fs.existsSync("test-results/pytest.xml") ? fs.readFileSync("test-results/pytest.xml", "utf8") : "";
    const attr = (name) => Number(new RegExp(`<testsuite [^>]*\\b${name}="(\\d+)"`).exec(xml)?.[1] ?? 0);
    if (!xml) {
      console.error("python tests did not run: apt-get install -y python3-torch python3-onnx python3-numpy python3-scipy python3-nibabel python3-pydicom python3-pil python3-pytest");
      return { passed: 0, failed: 1 };
    }
    const failed = attr("failures") + attr("errors");
    return { passed: attr("tests") - failed - attr("skipped"), failed: failed + (code !== 0 && failed === 0 ? 1 : 0), skipped: attr("skipped") };
  });
}

if (!only || only === "e2e") {
  fs.rmSync("test-results/e2e.json", { force: true });
  stage("end-to-end", bin("playwright"), ["test"], (code) => {
    const j = readJson("test-results/e2e.json");
    if (!j) return { passed: 0, failed: 1 };
    const s = j.stats;
    return { passed: s.expected + s.flaky, failed: s.unexpected + (code !== 0 && s.unexpected === 0 ? 1 : 0), skipped: s.skipped };
  });
}

console.log("\n=== summary");
for (const r of results) console.log(`${r.name.padEnd(20)} ${r.passed} passed, ${r.failed} failed  (${r.seconds.toFixed(1)} s)`);
const passed = results.reduce((a, r) => a + r.passed, 0);
const failed = results.reduce((a, r) => a + r.failed, 0);
const skipped = results.reduce((a, r) => a + (r.skipped ?? 0), 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed ? 1 : 0);
