// End-to-end check of EventStreamDO under `wrangler dev` (local workerd):
// the HTTP/WebSocket contract, run against the DO and against its native
// twin `streamsql serve` with the same topics and tokens, auth rules, live SQL,
// the cold-tier dual path into a real `streamsql serve`, a runtime restart
// with nothing lost, and the measurements the README reports (written to
// build/measurements.json).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { startFloor } from "./floor.mjs";
import { api, Client, freePort, handshake, percentile, poll, start, startDirect, startWrangler, stop, workerDir } from "./harness.mjs";

const ADMIN = "admin-token", WRITER = "writer-token", READER = "reader-token", COLD = "cold-token";
const tmp = mkdtempSync(path.join(os.tmpdir(), "eventstream-do-"));
const measurements = {};
let wport, cport, wrangler, cold, call, coldCall, wsBase;
let theDO, twin, twinProc; // the contract targets: the DO, and `streamsql serve` as its twin

const config = {
  topicSchemas: ["orders=id BIGINT, amount DOUBLE, customer VARCHAR", "clicks=page VARCHAR", "load=n BIGINT, amount DOUBLE"],
  batchMaxSeconds: 1,
  hotRetention: "30m",
  tokens: `${ADMIN} * read,write\n${WRITER} orders write\n${READER} orders read`,
};

async function boot() {
  wrangler = await startWrangler(wport, path.join(tmp, "wrangler-state"), {
    STREAMSQL_CONFIG: JSON.stringify(config),
    COLD_INGEST_URL: `http://127.0.0.1:${cport}`,
    COLD_INGEST_TOKEN: COLD,
    STREAMSQL_STATS: "true",
  });
  // Cold start: the first request after the runtime is up instantiates the
  // wasm and replays the write-ahead log.
  const t0 = performance.now();
  const r = await call("POST", "/query", { sql: "SELECT 1 AS one" }, ADMIN);
  assert.equal(r.status, 200, r.text);
  return performance.now() - t0;
}

before(async () => {
  wport = await freePort();
  cport = await freePort();
  call = api(`http://127.0.0.1:${wport}`);
  coldCall = api(`http://127.0.0.1:${cport}`);
  wsBase = `ws://127.0.0.1:${wport}`;
  cold = await start(path.join(workerDir, "build", "streamsql"), ["serve", "--addr", `127.0.0.1:${cport}`, "--state-dir", path.join(tmp, "cold"), "--token", COLD], {
    name: "streamsql serve", ready: /serving events at/, timeoutMs: 30_000,
  });
  measurements.coldStartMs = [await boot()];
  theDO = { ...target(wport), orderIDs };
  // The native twin, with the DO's topics and tokens, for the contract tests.
  const tport = await freePort();
  const tokens = path.join(tmp, "tokens");
  writeFileSync(tokens, config.tokens + "\n");
  const args = ["serve", "--addr", `127.0.0.1:${tport}`, "--state-dir", path.join(tmp, "twin"), "--cold=false",
    "--hot-retention", config.hotRetention, "--tokens-file", tokens];
  for (const ts of config.topicSchemas) args.push("--topic-schema", ts);
  twinProc = await start(path.join(workerDir, "build", "streamsql"), args, {
    name: "streamsql serve (twin)", ready: /serving events at/, timeoutMs: 30_000,
  });
  twin = target(tport);
});

after(async () => {
  await stop(wrangler);
  await stop(cold);
  await stop(twinProc);
  rmSync(tmp, { recursive: true, force: true });
  const wasm = readFileSync(path.join(workerDir, "build", "eventstream.wasm"));
  measurements.wasmBytes = statSync(path.join(workerDir, "build", "eventstream.wasm")).size;
  measurements.wasmGzipBytes = gzipSync(wasm, { level: 9 }).length;
  writeFileSync(path.join(workerDir, "build", "measurements.json"), JSON.stringify(measurements, null, 2) + "\n");
  console.log("measurements:", JSON.stringify(measurements));
});

async function ingestOrders(t, rows, token = ADMIN) {
  const body = rows.map((r) => JSON.stringify(r)).join("\n");
  const r = await t.call("POST", "/events?topic=orders", body, token);
  assert.equal(r.status, 200, r.text);
  t.orderIDs.push(...r.json.ids);
  return r.json.ids;
}

// target is one server the contract tests run against: its JSON API,
// WebSocket base, port (for raw handshakes) and the ids of the orders it
// acknowledged, in order.
function target(port) {
  return { call: api(`http://127.0.0.1:${port}`), wsBase: `ws://127.0.0.1:${port}`, port, orderIDs: [] };
}

// The DO's acknowledged orders, which the tests after the contract
// (dual path, restart) check.
const orderIDs = [];

// contract registers the HTTP/WebSocket contract tests against one server
// (get returns it once started): the DO and its native twin, `streamsql
// serve` with the same topics and tokens, must answer alike.
function contract(name, get) {
  test(`${name}: auth rules: 401 without a token, 403 without the scope`, async () => {
    const t = get(), { call, wsBase, port, orderIDs } = t;
    assert.equal((await call("POST", "/events?topic=orders", { id: 0 })).status, 401);
    assert.equal((await call("POST", "/events?topic=orders", { id: 0 }, "not-a-token")).status, 401);
    assert.equal((await call("POST", "/events?topic=orders", { id: 0 }, READER)).status, 403);
    assert.equal((await call("POST", "/events?topic=clicks", { page: "x" }, WRITER)).status, 403);
    assert.equal((await call("POST", "/query", { sql: "SELECT 1" })).status, 401);
    assert.equal(await handshake(port, "/events?topic=orders"), 401);
    assert.equal(await handshake(port, "/events?topic=clicks", READER), 403);
    assert.equal(await handshake(port, "/events?topic=orders", READER), 101);
    assert.equal(await handshake(port, "/live?sql=" + encodeURIComponent("SELECT page FROM clicks"), READER), 403);
    assert.equal(await handshake(port, "/live?sql=" + encodeURIComponent("SELECT id FROM orders"), READER), 101);
    const w = await call("POST", "/events?topic=orders", { id: 1, amount: 5, customer: "ann" }, WRITER);
    assert.equal(w.status, 200, w.text);
    orderIDs.push(...w.json.ids);
    // A read-only socket that publishes is closed by policy.
    const ro = new Client(`${wsBase}/events?topic=orders&access_token=${READER}`);
    await ro.opened;
    ro.ws.send(JSON.stringify({ id: 99 }));
    assert.equal((await ro.closedWith()).code, 1008);
  });

  test(`${name}: ingest → WebSocket subscriber: replay of the window, then tail, in order`, async () => {
    const t = get(), { call, wsBase, port, orderIDs } = t;
    await ingestOrders(t, [{ id: 2, amount: 12.5, customer: "bob" }, { id: 3, amount: 7, customer: "ann" }]);
    const sub = new Client(`${wsBase}/events?topic=orders&from=earliest&access_token=${READER}`);
    await sub.opened;
    await sub.until((f) => f.length >= orderIDs.length, 15_000, "replay");
    await ingestOrders(t, [{ id: 4, amount: 30, customer: "cat" }]);
    // Publishing on the socket is ingest too.
    const pub = new Client(`${wsBase}/events?topic=orders&access_token=${WRITER}`);
    await pub.opened;
    pub.ws.send(JSON.stringify({ id: 5, amount: 1, customer: "bob" }));
    const frames = await sub.until((f) => f.length >= orderIDs.length + 1, 15_000, "tail");
    const ids = frames.map((f) => f.data._id);
    assert.deepEqual(ids.slice(0, orderIDs.length), orderIDs);
    assert.equal(new Set(ids).size, ids.length, "no duplicates");
    assert.deepEqual([...ids].sort(), ids, "ids in order");
    orderIDs.push(ids[ids.length - 1]);
    assert.equal(frames.at(-1).data.id, 5);
    sub.close();
    pub.close();
  });

  test(`${name}: live windowed aggregate over a topic`, async () => {
    const t = get(), { call, wsBase, port, orderIDs } = t;
    const ts = (s) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
    const post = async (events) => assert.equal((await call("POST", "/events?topic=clicks", events.map((e) => JSON.stringify(e)).join("\n"), ADMIN)).status, 200);
    await post([{ page: "a", timestamp: ts(1) }, { page: "a", timestamp: ts(2) }, { page: "b", timestamp: ts(3) }]);
    const sql = "SELECT window_start, page, COUNT(*) AS n FROM TUMBLE(clicks, timestamp, INTERVAL '10' SECOND) GROUP BY window_start, page";
    const live = new Client(`${wsBase}/live?access_token=${ADMIN}`);
    await live.opened;
    live.ws.send(JSON.stringify({ sql, params: [] }));
    await post([{ page: "a", timestamp: ts(15) }]); // closes [00:00, 00:10)
    const frames = await live.until((f) => f.some((x) => x.data.rows && x.data.rows.length), 20_000, "window close");
    const update = frames.find((x) => x.data.rows && x.data.rows.length).data;
    assert.deepEqual(update.columns, ["window_start", "page", "n"]);
    const rows = update.rows.map((r) => [r[1], r[2]]).sort();
    assert.deepEqual(rows, [["a", 2], ["b", 1]]);
    assert.match(update.rows[0][0], /^2026-01-01 00:00:00/);
    live.close();
    // A query the token may not read ends with an error frame.
    const denied = new Client(`${wsBase}/live?access_token=${READER}`);
    await denied.opened;
    denied.ws.send(JSON.stringify({ sql: "SELECT page FROM clicks" }));
    const closed = await denied.closedWith();
    assert.equal(closed.code, 1008);
    assert.match(denied.frames[0].data.error, /^not authorized: forbidden: token not allowed: no read scope on "clicks"$/);
  });

  test(`${name}: hot query with parameters`, async () => {
    const t = get(), { call, wsBase, port, orderIDs } = t;
    const r = await call("POST", "/query", {
      sql: "SELECT customer, COUNT(*) AS n, SUM(amount) AS total FROM orders WHERE amount > $1 AND customer <> $2 GROUP BY customer ORDER BY customer",
      params: [6, "cat"],
    }, READER);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.columns, ["customer", "n", "total"]);
    assert.deepEqual(r.json.rows, [["bob", 1, 12.5], ["ann", 1, 7]].sort());
    const bad = await call("POST", "/query", { sql: "CREATE TABLE t2 (a BIGINT)" }, ADMIN);
    assert.equal(bad.status, 403);
  });
}

contract("EventStreamDO", () => theDO);
contract("streamsql serve", () => twin);

// latency measures warm ingest-to-subscriber latency on one server: n
// subscribers of a fresh topic, 100 events POSTed one at a time, then 100
// published on a WebSocket.
async function latency(base, token, topic, n) {
  const post = api(base.replace(/^ws/, "http"));
  const subs = Array.from({ length: n }, () => new Client(`${base}/events?topic=${topic}&access_token=${token}`));
  await Promise.all(subs.map((s) => s.opened));
  await post("POST", `/events?topic=${topic}`, { k: -1 }, token); // warm the path
  await Promise.all(subs.map((s) => s.until((f) => f.length >= 1)));
  const lat = [];
  for (let k = 0; k < 100; k++) {
    const t0 = performance.now();
    const r = await post("POST", `/events?topic=${topic}`, { k }, token);
    assert.equal(r.status, 200, r.text);
    await Promise.all(subs.map((s) => s.until((f) => f.length >= k + 2)));
    for (const s of subs) lat.push(s.frames[k + 1].at - t0);
  }
  // The same through a publishing WebSocket: no HTTP round trip.
  const pub = new Client(`${base}/events?topic=${topic}&access_token=${token}`);
  await pub.opened;
  const viaWS = [];
  for (let k = 100; k < 200; k++) {
    const t0 = performance.now();
    pub.ws.send(JSON.stringify({ k }));
    await Promise.all(subs.map((s) => s.until((f) => f.length >= k + 2)));
    for (const s of subs) viaWS.push(s.frames[k + 1].at - t0);
  }
  const summary = (a) => {
    a.sort((x, y) => x - y);
    return { p50: +percentile(a, 50).toFixed(2), p99: +percentile(a, 99).toFixed(2), samples: a.length };
  };
  for (const s of subs) assert.deepEqual(s.frames.slice(1).map((f) => f.data.k), Array.from({ length: 200 }, (_, k) => k));
  subs.forEach((s) => s.close());
  pub.close();
  return { httpPost: summary(lat), wsPublish: summary(viaWS) };
}

// Four servers in the same run: the DO through wrangler dev (its
// ProxyWorker in front), the same DO straight from workerd (Miniflare,
// no proxy), a plain-JavaScript DO that only stores and broadcasts (the
// runtime's floor), and the native twin, `streamsql serve` (the cold-tier
// target).
test("warm ingest-to-subscriber latency with 1 and 100 subscribers", async () => {
  const direct = await startDirect(path.join(tmp, "direct-state"), {
    STREAMSQL_CONFIG: JSON.stringify(config),
    COLD_INGEST_URL: "",
    STREAMSQL_STATS: "true",
  });
  const floor = await startFloor(path.join(tmp, "floor-state"));
  try {
    for (const n of [1, 100]) {
      measurements[`latency${n}`] = await latency(wsBase, ADMIN, `lat${n}`, n);
      measurements[`latency${n}Direct`] = await latency(`ws://127.0.0.1:${direct.port}`, ADMIN, `lat${n}`, n);
      measurements[`latency${n}Floor`] = await latency(`ws://127.0.0.1:${floor.port}`, ADMIN, `lat${n}`, n);
      measurements[`latency${n}Serve`] = await latency(`ws://127.0.0.1:${cport}`, COLD, `slat${n}`, n);
    }
  } finally {
    await direct.dispose();
    await floor.dispose();
  }
});

test("dual path: batches reach streamsql serve's ingest", async () => {
  const want = orderIDs.length;
  const got = await poll(async () => {
    const r = await coldCall("POST", "/query", { sql: "SELECT COUNT(*) AS n FROM orders" }, COLD);
    return r.status === 200 && r.json.rows[0][0] >= want ? r.json.rows[0][0] : 0;
  }, 30_000, "cold-tier batches");
  assert.equal(got, want);
});

test("runtime killed between ingest and query loses nothing", async () => {
  const before = await call("POST", "/query", { sql: "SELECT COUNT(*) AS n FROM orders" }, ADMIN);
  assert.equal(before.json.rows[0][0], orderIDs.length);
  // SIGKILL: no shutdown path runs; what was acknowledged must be on disk.
  await stop(wrangler, "SIGKILL");
  measurements.coldStartMs.push(await boot());
  const r = await call("POST", "/query", { sql: "SELECT COUNT(*) AS n, SUM(amount) AS total FROM orders" }, ADMIN);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.rows, [[orderIDs.length, 5 + 12.5 + 7 + 30 + 1]]);
  const sub = new Client(`${wsBase}/events?topic=orders&from=earliest&access_token=${ADMIN}`);
  await sub.opened;
  const frames = await sub.until((f) => f.length >= orderIDs.length);
  assert.deepEqual(frames.map((f) => f.data._id), orderIDs);
  sub.close();
  // New ids continue after the replayed ones.
  const [next] = await ingestOrders(theDO, [{ id: 6, amount: 2, customer: "dan" }]);
  assert.ok(next > orderIDs.at(-2), `${next} after ${orderIDs.at(-2)}`);
});

test("memory: 100k events in the hot window and 100 live queries", async () => {
  const total = 100_000, batch = 5_000;
  const t0 = performance.now();
  for (let i = 0; i < total; i += batch) {
    const lines = [];
    for (let j = i; j < i + batch; j++) lines.push(`{"n":${j},"amount":${(j % 1000) / 10}}`);
    const r = await call("POST", "/events?topic=load", lines.join("\n"), ADMIN);
    assert.equal(r.status, 200, r.text);
  }
  measurements.ingest100kMs = Math.round(performance.now() - t0);
  const lives = [];
  for (let q = 0; q < 100; q++) {
    const c = new Client(`${wsBase}/live?access_token=${ADMIN}&sql=${encodeURIComponent("SELECT n, amount FROM load WHERE n = $1")}&params=${encodeURIComponent(JSON.stringify([total + q]))}`);
    lives.push(c);
  }
  await Promise.all(lives.map((c) => c.opened));
  const stats = await poll(async () => {
    const s = (await call("GET", "/__stats")).json;
    return s && s.liveJobs >= 100 ? s : null;
  }, 60_000, "100 live jobs");
  // Every live query still answers: the event each one filters for arrives.
  const lines = Array.from({ length: 100 }, (_, q) => `{"n":${total + q},"amount":1}`).join("\n");
  assert.equal((await call("POST", "/events?topic=load", lines, ADMIN)).status, 200);
  await Promise.all(lives.map((c, q) => c.until((f) => f.some((x) => x.data.rows && x.data.rows[0][0] === total + q), 60_000, `live ${q}`)));
  const after = (await call("GET", "/__stats")).json;
  measurements.memory = { wasmMemoryBytes: after.wasmMemory, goHeapAlloc: after.heapAlloc, goSys: after.sys, liveJobs: stats.liveJobs, goroutines: after.goroutines };
  assert.ok(after.wasmMemory < 128 * 1024 * 1024, `wasm memory ${after.wasmMemory} within the 128 MB isolate limit`);
  lives.forEach((c) => c.close());
});
