/**
 * A local stand-in for Upstash's REST API in front of a real redis-server,
 * so the Upstash adapter is tested against real Redis semantics offline.
 *
 * Speaks what @upstash/redis sends:
 * - POST /             body ["CMD", ...args]       → {result} or 400 {error}
 * - POST /pipeline     body [[...], [...]]          → [{result}|{error}, …]
 * - POST /multi-exec   same, run inside MULTI/EXEC  → [{result}|{error}, …]
 * - POST /subscribe/<channel>  (Accept: text/event-stream) → SSE lines
 *   `data: subscribe,<channel>,1`, then `data: message,<channel>,<message>`
 * - `Authorization: Bearer <token>` on every request;
 * - `Upstash-Encoding: base64`: every string in a result is base64 (UTF-8).
 */
import { RedisClient } from "bun";

export interface UpstashBridge {
  url: string;
  stop(): Promise<void>;
}

type Reply = { result: unknown } | { error: string };

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function base64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

function encode(value: unknown, useBase64: boolean): unknown {
  if (typeof value === "string") return useBase64 ? base64(value) : value;
  if (Array.isArray(value)) return value.map((v) => encode(v, useBase64));
  return value ?? null;
}

/** Upstash commands are JSON arrays whose arguments may be numbers or booleans. */
function parseCommand(raw: unknown): [string, string[]] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.some((a) => a === null || typeof a === "object")) {
    throw new Error("ERR command must be a non-empty array of strings and numbers");
  }
  const [name, ...args] = raw.map(String);
  return [name!.toUpperCase(), args];
}

function json(body: unknown, status = 200): Response {
  return Response.json(body, { status });
}

export async function startUpstashBridge(options: { redisUrl: string; token: string }): Promise<UpstashBridge> {
  // No auto-reconnect: a reconnect would renegotiate RESP3 behind our back.
  const connect = async () => {
    const client = new RedisClient(options.redisUrl, { autoReconnect: false });
    // Upstash replies as RESP2 does (maps as flat arrays, scores as strings).
    await client.send("HELLO", ["2"]);
    return client;
  };
  const redis = await connect();
  const streams = new Set<() => void>();

  const replyFor = async (promise: Promise<unknown>, useBase64: boolean): Promise<Reply> => {
    try {
      return { result: encode(await promise, useBase64) };
    } catch (error) {
      return { error: errorMessage(error) };
    }
  };

  const subscribe = async (channel: string, request: Request): Promise<Response> => {
    const subscriber = await redis.duplicate();
    const encoder = new TextEncoder();
    let closed = false;
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const close = () => {
      if (closed) return;
      closed = true;
      streams.delete(close);
      subscriber.close();
      try {
        controller.close();
      } catch {
        // already closed by the client going away
      }
    };
    const send = (line: string) => {
      if (!closed) controller.enqueue(encoder.encode(`data: ${line}\n\n`));
    };
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
      },
      cancel: close,
    });
    request.signal.addEventListener("abort", close);
    streams.add(close);
    await subscriber.subscribe(channel, (message) => send(`message,${channel},${message}`));
    send(`subscribe,${channel},1`);
    return new Response(body, {
      headers: { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" },
    });
  };

  const multiExec = async (commands: [string, string[]][], useBase64: boolean): Promise<Response> => {
    // A connection of its own, so no other request's command lands inside the transaction.
    const client = await connect();
    try {
      await client.send("MULTI", []);
      for (const [name, args] of commands) await client.send(name, args);
      const results = (await client.send("EXEC", [])) as unknown[];
      return json(
        results.map((r) => (r instanceof Error ? { error: r.message } : { result: encode(r, useBase64) })),
      );
    } catch (error) {
      return json({ error: errorMessage(error) }, 400);
    } finally {
      client.close();
    }
  };

  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0, // event streams stay open with nothing to send
    async fetch(request) {
      if (request.headers.get("authorization") !== `Bearer ${options.token}`) {
        return json({ error: "Unauthorized" }, 401);
      }
      if (request.method !== "POST") return json({ error: "ERR only POST is supported" }, 405);
      const useBase64 = request.headers.get("upstash-encoding")?.toLowerCase() === "base64";
      const path = new URL(request.url).pathname;
      try {
        if (path.startsWith("/subscribe/")) {
          return await subscribe(decodeURIComponent(path.slice("/subscribe/".length)), request);
        }
        const body: unknown = await request.json();
        if (path === "/") {
          const [name, args] = parseCommand(body);
          const reply = await replyFor(redis.send(name, args), useBase64);
          return json(reply, "error" in reply ? 400 : 200);
        }
        if (path === "/pipeline" || path === "/multi-exec") {
          if (!Array.isArray(body)) throw new Error("ERR pipeline body must be an array of commands");
          const commands = body.map(parseCommand);
          if (path === "/multi-exec") return await multiExec(commands, useBase64);
          // Issued together, so Bun sends them as one ordered batch on the shared connection.
          const replies = commands.map(([name, args]) => replyFor(redis.send(name, args), useBase64));
          return json(await Promise.all(replies));
        }
        return json({ error: `ERR unknown path ${path}` }, 404);
      } catch (error) {
        return json({ error: errorMessage(error) }, 400);
      }
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}`,
    async stop() {
      for (const close of [...streams]) close();
      await server.stop(true);
      redis.close();
    },
  };
}
