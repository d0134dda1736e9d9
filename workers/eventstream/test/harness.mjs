// Test harness: runs `wrangler dev` (local workerd) around EventStreamDO
// and `streamsql serve` as the cold-tier target, and speaks the HTTP and
// WebSocket contract to them.
import { spawn } from "node:child_process";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const workerDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

// freePort asks the kernel for an unused loopback port.
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// start runs a command in its own process group and resolves once its
// output matches ready (or rejects when it exits first or times out).
export function start(cmd, args, { cwd, env, ready, timeoutMs = 90_000, name }) {
  const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready after ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (d) => {
      output += d;
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve({ child, output: () => output, readyAt: performance.now() });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready:\n${output}`));
    });
  });
}

// stop ends a process group started by start (SIGTERM, or signal) and
// waits for its exit.
export function stop(proc, signal = "SIGTERM") {
  if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => { try { process.kill(-proc.child.pid, "SIGKILL"); } catch { /* gone */ } }, 10_000);
    proc.child.removeAllListeners("exit");
    proc.child.on("exit", () => { clearTimeout(timer); resolve(); });
    try { process.kill(-proc.child.pid, signal); } catch { resolve(); }
  });
}

// startWrangler serves the Worker on port with state under persistDir.
export function startWrangler(port, persistDir, vars) {
  const args = ["wrangler", "dev", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", persistDir, "--show-interactive-dev-session=false"];
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  return start("npx", args, {
    cwd: workerDir, name: "wrangler dev", ready: /Ready on http/,
    env: { WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" },
  });
}

// startDirect serves the same Worker straight from workerd through
// Miniflare (the runtime wrangler dev drives), without the ProxyWorker
// that wrangler dev puts in front of it on its own port: every request
// and WebSocket frame through wrangler dev crosses a second workerd
// process. The options come from wrangler.jsonc via wrangler's
// unstable_getMiniflareWorkerOptions, the API made for this.
export async function startDirect(persistDir, vars) {
  const { unstable_getMiniflareWorkerOptions } = await import("wrangler");
  const { workerOptions, main } = unstable_getMiniflareWorkerOptions(path.join(workerDir, "wrangler.jsonc"));
  return miniflare({
    ...workerOptions,
    name: "streamsql-eventstream",
    scriptPath: path.resolve(workerDir, main),
    bindings: { ...workerOptions.bindings, ...vars },
    durableObjectsPersist: persistDir,
  });
}

// miniflare starts one workerd runtime and resolves with its port.
export async function miniflare(options) {
  const { Miniflare } = await import("miniflare");
  const mf = new Miniflare({ modules: true, modulesRoot: workerDir, host: "127.0.0.1", port: 0, ...options });
  const url = await mf.ready;
  return { port: Number(url.port), dispose: () => mf.dispose() };
}

// api makes JSON requests to base with an optional bearer token.
export function api(base) {
  return async (method, pathAndQuery, body, token) => {
    const headers = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    const init = { method, headers };
    if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
    const resp = await fetch(base + pathAndQuery, init);
    const text = await resp.text();
    let json;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: resp.status, json, text };
  };
}

// handshake tries a WebSocket upgrade and returns the HTTP status it got
// (101 when accepted; the socket is then destroyed).
export function handshake(port, pathAndQuery, token) {
  return new Promise((resolve, reject) => {
    const headers = { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==" };
    if (token) headers.Authorization = `Bearer ${token}`;
    const req = http.request({ host: "127.0.0.1", port, path: pathAndQuery, headers });
    req.on("upgrade", (res, socket) => { socket.destroy(); resolve(101); });
    req.on("response", (res) => { res.resume(); resolve(res.statusCode); });
    req.on("error", reject);
    req.end();
  });
}

// Client is a WebSocket that queues the frames it receives.
export class Client {
  constructor(url) {
    this.frames = [];
    this.waiters = [];
    this.closed = null;
    this.ws = new WebSocket(url);
    this.ws.addEventListener("message", (ev) => {
      this.frames.push({ data: JSON.parse(ev.data), at: performance.now() });
      this.wake();
    });
    this.ws.addEventListener("close", (ev) => { this.closed = { code: ev.code, reason: ev.reason }; this.wake(); });
    this.opened = new Promise((resolve, reject) => {
      this.ws.addEventListener("open", () => resolve());
      this.ws.addEventListener("error", () => reject(new Error(`WebSocket ${url} failed`)));
    });
  }

  wake() {
    const ws = this.waiters;
    this.waiters = [];
    ws.forEach((w) => w());
  }

  // until waits for cond(frames) to hold, failing after timeoutMs.
  async until(cond, timeoutMs = 15_000, what = "frames") {
    const deadline = performance.now() + timeoutMs;
    while (!cond(this.frames)) {
      const left = deadline - performance.now();
      if (left <= 0 || this.closed) {
        throw new Error(`waiting for ${what}: got ${this.frames.length} frames${this.closed ? `, closed ${this.closed.code} ${this.closed.reason}` : ""}: ${JSON.stringify(this.frames.slice(-3).map((f) => f.data))}`);
      }
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
    return this.frames;
  }

  // closedWith waits for the server to close the socket.
  async closedWith(timeoutMs = 15_000) {
    await this.until(() => this.closed !== null, timeoutMs, "close").catch(() => {});
    if (!this.closed) throw new Error("socket still open");
    return this.closed;
  }

  close() { try { this.ws.close(); } catch { /* closed */ } }
}

// percentile of sorted numbers.
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// poll calls f until it returns a truthy value.
export async function poll(f, timeoutMs = 20_000, what = "condition") {
  const deadline = performance.now() + timeoutMs;
  let last;
  while (performance.now() < deadline) {
    last = await f();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
