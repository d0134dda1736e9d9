// Cold start A/B under `wrangler dev`: for each wasm build given, copy it
// into build/, start wrangler dev on fresh state, time the first request
// (POST /query SELECT 1: instantiate, Go start-up, WAL open, one query),
// stop; the builds alternate for ROUNDS rounds (default 9) so that load
// on the machine hits them alike. Prints each build's median and all runs.
// Run from workers/eventstream after scripts/workers-check.sh (or npm ci):
//
//	node bench/coldstart.mjs /tmp/before.wasm build/eventstream.wasm
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { api, freePort, startWrangler, stop, workerDir } from "../test/harness.mjs";

const builds = process.argv.slice(2);
if (builds.length === 0) {
  console.error("usage: node bench/coldstart.mjs A.wasm [B.wasm ...]");
  process.exit(2);
}
const target = path.join(workerDir, "build", "eventstream.wasm");
const original = readFileSync(target);
const bytes = builds.map((b) => readFileSync(b)); // read first: one may be target itself
const rounds = +(process.env.ROUNDS || 9);
const runs = builds.map(() => []);
try {
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < builds.length; i++) {
      writeFileSync(target, bytes[i]);
      const port = await freePort();
      const wrangler = await startWrangler(port, mkdtempSync(path.join(os.tmpdir(), "coldstart-")), { STREAMSQL_CONFIG: "{}" });
      try {
        const t0 = performance.now();
        const r = await api(`http://127.0.0.1:${port}`)("POST", "/query", { sql: "SELECT 1 AS one" });
        const ms = performance.now() - t0;
        if (r.status !== 200) throw new Error(`${builds[i]}: ${r.status} ${r.text}`);
        runs[i].push(ms);
      } finally {
        await stop(wrangler);
      }
    }
  }
} finally {
  writeFileSync(target, original);
}
for (let i = 0; i < builds.length; i++) {
  const a = runs[i].sort((x, y) => x - y);
  console.log(`${builds[i]}: median ${a[Math.floor(a.length / 2)].toFixed(1)} ms; runs ${a.map((x) => x.toFixed(0)).join(" ")}`);
}
