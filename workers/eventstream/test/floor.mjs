// The workerd floor for the latency test: a Durable Object in plain
// JavaScript that stores each event in its SQLite storage (one write, as
// the WAL does) and sends it to every hibernatable WebSocket of the topic.
// No Go, no engine: what EventStreamDO takes above this is ours, the rest
// is the runtime's. Its source is a string so that `node --test test/`,
// which runs every file here, does not import "cloudflare:workers".
import path from "node:path";
import { miniflare, workerDir } from "./harness.mjs";

const source = `import { DurableObject } from "cloudflare:workers";

export class FloorDO extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS events (data TEXT)");
  }

  async fetch(request) {
    if (request.headers.get("Upgrade") === "websocket") {
      const [client, server] = Object.values(new WebSocketPair());
      this.ctx.acceptWebSocket(server);
      return new Response(null, { status: 101, webSocket: client });
    }
    this.publish(await request.text());
    return Response.json({ ids: [] });
  }

  webSocketMessage(ws, message) { this.publish(message); }

  publish(text) {
    this.ctx.storage.sql.exec("INSERT INTO events (data) VALUES (?)", text);
    for (const ws of this.ctx.getWebSockets()) ws.send(text);
  }
}

export default {
  fetch(request, env) {
    const topic = new URL(request.url).searchParams.get("topic") || "main";
    return env.FLOOR.get(env.FLOOR.idFromName(topic)).fetch(request);
  },
};
`;

// startFloor serves the floor Worker from workerd through Miniflare, as
// startDirect serves EventStreamDO.
export function startFloor(persistDir) {
  return miniflare({
    // The path only names the module (under modulesRoot, whatever the cwd).
    modules: [{ type: "ESModule", path: path.join(workerDir, "test", "floor.js"), contents: source }],
    compatibilityDate: "2026-04-01",
    durableObjects: { FLOOR: { className: "FloorDO", useSQLite: true } },
    durableObjectsPersist: persistDir,
  });
}
