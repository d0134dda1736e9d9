// EventStreamDO: a Durable Object hosting the streamsql hot tier, compiled
// from Go (cmd/eventstream-wasm) to WebAssembly. It speaks the HTTP and
// WebSocket contract of `streamsql serve`: POST /events?topic=T,
// GET /events?topic=T (WebSocket; from= replays, then tails), GET /live
// (WebSocket live SQL), POST /query {"sql","params"}.
//
// Durability on Cloudflare's terms: the write-ahead log lives in the
// object's SQLite storage (Go writes it through hooks.sql), so a woken or
// restarted object replays it; each WebSocket's attachment records its
// subscription and the last event it was sent, so after hibernation the
// object resubscribes it from there. The object's single alarm sends the
// cold-tier batches (env.PIPELINE, or COLD_INGEST_URL locally).
import { DurableObject } from "cloudflare:workers";
import "../build/wasm_exec.js";
import wasmModule from "../build/eventstream.wasm";

const json = (status, body, headers = {}) =>
  new Response(JSON.stringify(body) + "\n", { status, headers: { "Content-Type": "application/json", ...headers } });

export class EventStreamDO extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sockets = new Map(); // id → WebSocket
    this.atts = new Map(); // id → attachment (a copy of the serialized one)
    this.batchMs = 60_000;
    this.ready = ctx.blockConcurrencyWhile(() => this.boot());
  }

  // boot instantiates the Go program, replays the write-ahead log and
  // resumes the WebSockets that survived hibernation.
  async boot() {
    const config = this.config();
    this.batchMs = (config.batchMaxSeconds || 60) * 1000;
    const go = new globalThis.Go();
    go.argv = ["eventstream-wasm"];
    go.env = {};
    const instance = await WebAssembly.instantiate(wasmModule, go.importObject);
    let api;
    globalThis.__streamsqlRegister = (a) => { api = a; };
    go.run(instance); // main registers its API synchronously, then parks
    delete globalThis.__streamsqlRegister;
    if (!api) throw new Error("eventstream-wasm did not register its API");
    this.api = api;
    this.memory = instance.exports.mem;
    await api.start(JSON.stringify(config), this.hooks());
    for (const ws of this.ctx.getWebSockets()) {
      const att = ws.deserializeAttachment();
      if (!att || !att.id) continue;
      this.sockets.set(att.id, ws);
      this.atts.set(att.id, att);
      await api.openSocket(att.id, JSON.stringify(att));
    }
  }

  // config is the Go host's configuration: STREAMSQL_CONFIG plus the token secrets.
  config() {
    const raw = this.env.STREAMSQL_CONFIG;
    const config = typeof raw === "string" ? JSON.parse(raw || "{}") : { ...(raw || {}) };
    if (this.env.STREAMSQL_TOKEN) config.token = this.env.STREAMSQL_TOKEN;
    if (this.env.STREAMSQL_TOKENS) config.tokens = this.env.STREAMSQL_TOKENS;
    return config;
  }

  // hooks are what the Go host calls back.
  hooks() {
    const sql = this.ctx.storage.sql;
    return {
      sql: (query, ...args) => {
        const bound = args.map((a) => (a instanceof Uint8Array ? a.buffer : a));
        return Array.from(sql.exec(query, ...bound).raw(), (row) =>
          row.map((v) => (v instanceof ArrayBuffer ? new Uint8Array(v) : v)));
      },
      send: (id, text, lastId) => this.deliver(id, [text], lastId),
      // sendAll is the fan-out of a batch of events to a topic's caught-up
      // subscribers: one call from Go per batch, not per socket and event.
      // ids and frames come joined with newlines (compact JSON has none).
      sendAll: (ids, frames, lastId) => {
        const texts = frames.split("\n");
        for (const id of ids.split("\n")) this.deliver(id, texts, lastId);
      },
      close: (id, code, reason) => {
        const ws = this.sockets.get(id);
        this.sockets.delete(id);
        this.atts.delete(id);
        try { ws?.close(code, reason); } catch { /* already closed */ }
      },
      coldSend: (topic, bytes) => this.coldSend(topic, bytes),
      flushSoon: () => { this.ctx.storage.setAlarm(Date.now()); },
      log: (text) => console.log(text),
    };
  }

  // deliver writes frames to one socket.
  deliver(id, texts, lastId) {
    const ws = this.sockets.get(id);
    if (!ws) return;
    try {
      for (const text of texts) ws.send(text);
    } catch {
      return; // the socket is closing; webSocketClose cleans up
    }
    // Resuming after hibernation: the object only hibernates once Go is
    // idle, i.e. every socket has been sent every event up to the head,
    // so a woken socket tails from the head. The attachment changes
    // once, when the from= replay starts; a restart closes the sockets
    // and clients reconnect with from=<the last _id they saw>.
    const att = this.atts.get(id);
    if (lastId && att && att.from) {
      att.from = "";
      ws.serializeAttachment(att);
    }
  }

  // coldSend delivers one batch of JSON lines to the cold tier.
  async coldSend(topic, bytes) {
    if (this.env.PIPELINE) {
      const records = new TextDecoder().decode(bytes).split("\n").filter(Boolean).map((l) => JSON.parse(l));
      await this.env.PIPELINE.send(records);
    }
    if (this.env.COLD_INGEST_URL) {
      const headers = { "Content-Type": "application/x-ndjson" };
      if (this.env.COLD_INGEST_TOKEN) headers.Authorization = `Bearer ${this.env.COLD_INGEST_TOKEN}`;
      const url = `${this.env.COLD_INGEST_URL}/events?topic=${encodeURIComponent(topic)}`;
      const resp = await fetch(url, { method: "POST", body: bytes, headers });
      if (!resp.ok) throw new Error(`cold ingest of ${topic} answered ${resp.status}: ${await resp.text()}`);
    }
  }

  // broadcast (RPC, for Workers bound to this namespace) ingests one event
  // and returns its id once it is durable.
  async broadcast(topic, event) {
    await this.ready;
    const id = await this.api.broadcast(topic, typeof event === "string" ? event : JSON.stringify(event));
    await this.armAlarm();
    return id;
  }

  // query (RPC) runs a read-only statement: {columns, rows}.
  async query(sql, params = []) {
    await this.ready;
    return JSON.parse(await this.api.query(sql, JSON.stringify(params)));
  }

  async fetch(request) {
    await this.ready;
    const url = new URL(request.url);
    if ((request.headers.get("Upgrade") || "").toLowerCase() === "websocket") return this.upgrade(request);
    if (url.pathname === "/live") return json(426, { error: "live queries need a WebSocket upgrade" });
    if (url.pathname === "/__stats" && this.env.STREAMSQL_STATS === "true") {
      const stats = JSON.parse(await this.api.stats());
      return json(200, { ...stats, wasmMemory: this.memory.buffer.byteLength });
    }
    const body = request.method === "GET" || request.method === "HEAD" ? null : new Uint8Array(await request.arrayBuffer());
    const r = await this.api.serveHTTP(JSON.stringify(this.describe(request)), body);
    if (request.method === "POST" && url.pathname === "/events" && r.status === 200) await this.armAlarm();
    return new Response(r.body, { status: r.status, headers: JSON.parse(r.headers || "[]") || [] });
  }

  describe(request) {
    return { method: request.method, url: request.url, headers: [...request.headers] };
  }

  // upgrade accepts a WebSocket through the hibernation API, with the
  // subscription in its attachment.
  async upgrade(request) {
    const acc = await this.api.acceptSocket(JSON.stringify(this.describe(request)));
    if (acc.status !== 101) {
      return new Response(acc.body, { status: acc.status, headers: JSON.parse(acc.headers || "[]") || [] });
    }
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server);
    const id = crypto.randomUUID();
    const att = { ...JSON.parse(acc.attachment), id };
    server.serializeAttachment(att);
    this.sockets.set(id, server);
    this.atts.set(id, att);
    await this.api.openSocket(id, JSON.stringify(att));
    return new Response(null, { status: 101, webSocket: client });
  }

  async webSocketMessage(ws, message) {
    await this.ready;
    const att = ws.deserializeAttachment();
    if (!att || !this.sockets.has(att.id)) return;
    const text = typeof message === "string" ? message : new TextDecoder().decode(message);
    const next = await this.api.socketMessage(att.id, text);
    if (next) {
      const updated = { ...JSON.parse(next), id: att.id };
      ws.serializeAttachment(updated);
      this.atts.set(att.id, updated);
    }
    if (att.kind === "events") await this.armAlarm();
  }

  async webSocketClose(ws, code) {
    await this.ready;
    this.forget(ws);
    try { ws.close(code === 1005 ? 1000 : code); } catch { /* already closed */ }
  }

  async webSocketError(ws) {
    await this.ready;
    this.forget(ws);
  }

  forget(ws) {
    const att = ws.deserializeAttachment();
    if (!att || !att.id) return;
    this.sockets.delete(att.id);
    this.atts.delete(att.id);
    return this.api.socketClosed(att.id);
  }

  // armAlarm makes sure a cold-tier flush is due within one batch period.
  async armAlarm() {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + this.batchMs);
  }

  // alarm is the object's one timer (no Go ticker runs, so an idle
  // object can hibernate): it sends the waiting cold-tier batches, drops
  // events past the hot retention, and comes back when either is due
  // again.
  async alarm() {
    await this.ready;
    let pending = 0;
    try {
      pending = await this.api.flush();
    } catch (err) {
      console.log(`cold-tier flush failed: ${err.message}`);
      pending = 1;
    }
    let expiresIn = 0;
    try {
      expiresIn = await this.api.evict();
    } catch (err) {
      console.log(`hot-tier eviction failed: ${err.message}`);
    }
    const due = [];
    if (pending > 0) due.push(this.batchMs);
    if (expiresIn > 0) due.push(expiresIn);
    if (due.length > 0) await this.ctx.storage.setAlarm(Date.now() + Math.min(...due));
  }
}

// The Worker routes each request to a Durable Object: ?shard=NAME picks
// one (a topic, or a topic shard), DEFAULT_SHARD (or "main") otherwise.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const name = url.searchParams.get("shard") || env.DEFAULT_SHARD || "main";
    return env.EVENTSTREAM.get(env.EVENTSTREAM.idFromName(name)).fetch(request);
  },
};
