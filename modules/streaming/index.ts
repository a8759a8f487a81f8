/**
 * Mastodon's streaming API, served by the API process itself:
 *
 * - WebSocket `GET /api/v1/streaming` (Bun's native WebSocket through
 *   Elysia's `.ws()`), multiplexed: `{"type":"subscribe","stream":"hashtag","tag":"foo"}`
 *   and `unsubscribe`, plus `?stream=…` to subscribe on connect. A refused
 *   subscription answers `{"error":"…","status":N}` and the connection stays.
 * - Server-Sent Events `GET /api/v1/streaming/<stream path>` (user,
 *   user/notification, public[/local|/remote][?only_media], hashtag[/local]?tag=,
 *   list?list=, direct) and `GET /api/v1/streaming?stream=…`.
 * - `GET /api/v1/streaming/health` → `OK`.
 *
 * Authentication, as Mastodon 4: every stream needs a user token — in the
 * `Authorization` header, the `access_token` query parameter or (WebSocket
 * only) the `Sec-WebSocket-Protocol` header, which is echoed back as the
 * chosen protocol. Public streams are no exception (Mastodon dropped
 * anonymous streaming in 4.0; the REST public timelines stay open). A
 * missing or bad token refuses the upgrade with 401. Each subscription
 * needs `read:statuses` (or `read`), `user:notification` needs
 * `read:notifications`; the `user` stream carries notifications only for
 * tokens that may read them.
 *
 * How messages get here: publisher.ts and fanout publish ids on Redis
 * channels (channels.ts); hub.ts holds one subscription per channel per
 * process; session.ts renders each message for its viewer.
 */
import { Elysia } from "elysia";
import type { AppContext } from "../../src/context.ts";
import { authenticate, bearerToken } from "../../src/http/auth.ts";
import { corsHeaders } from "../../src/http/cors.ts";
import { ApiError, notFound, unauthorized } from "../../src/http/errors.ts";
import { paramsFromSearch, type Params } from "../../src/http/params.ts";
import { logger } from "../../src/log.ts";
import { hubFor } from "./hub.ts";
import { registerStreamingHandlers } from "./publisher.ts";
import { sseFrame, websocketFrame, type StreamEvent } from "./serializer.ts";
import { Session, type Sink } from "./session.ts";
import { resolveStream, sseStreamName, streamKey, StreamError, type StreamAuth } from "./streams.ts";

const log = logger("streaming");

registerStreamingHandlers();

/** Bytes a WebSocket client may leave unread before it counts as unable to keep up. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** Events an SSE response may hold queued before its client counts as unable to keep up. */
const MAX_QUEUED_EVENTS = 1_000;

// ---------------------------------------------------------------------------
// Authentication

/**
 * The viewer of a streaming request. The WebSocket form may carry the
 * token as its (first) protocol, as browsers can't set headers on a
 * WebSocket; that protocol is then the one the server picks.
 */
async function authenticateStream(
  ctx: AppContext,
  request: Request,
  websocket: boolean,
): Promise<{ auth: StreamAuth; protocol: string | null }> {
  const offered = websocket ? request.headers.get("sec-websocket-protocol")?.split(",")[0]?.trim() || null : null;
  const direct = bearerToken(request);
  const token = direct ?? offered;
  if (!token) throw unauthorized("Missing access token");
  // authenticate() reads the Authorization header or query; a protocol-borne token is presented the same way.
  const source = direct ? request : new Request(request.url, { headers: { authorization: `Bearer ${token}` } });
  const auth = await authenticate(ctx, source);
  // App-only tokens have no one to stream for (Mastodon refuses them too).
  if (!auth?.user) throw unauthorized("Invalid access token");
  return { auth: { tokenId: auth.tokenId, accountId: auth.user.accountId, scopes: auth.scopes }, protocol: offered };
}

// ---------------------------------------------------------------------------
// Sinks

/** The part of Bun's ServerWebSocket used here (Elysia's copy of its types lacks getBufferedAmount). */
interface Socket {
  send(data: string): number;
  ping(): unknown;
  close(code?: number, reason?: string): void;
  getBufferedAmount?(): number;
}

function websocketSink(ws: Socket): Sink {
  return {
    send(stream, event, payload) {
      // 0: dropped (the socket is closing); -1: queued under backpressure, fine until the buffer grows too large.
      return ws.send(websocketFrame(stream, event, payload)) !== 0 && (ws.getBufferedAmount?.() ?? 0) < MAX_BUFFERED_BYTES;
    },
    heartbeat() {
      ws.ping();
    },
    close() {
      try {
        ws.close();
      } catch {
        // already closed
      }
    },
  };
}

const encoder = new TextEncoder();

function sseSink(controller: ReadableStreamDefaultController<Uint8Array>): Sink & { closed: boolean } {
  const write = (text: string): boolean => {
    if (sink.closed) return false;
    try {
      controller.enqueue(encoder.encode(text));
    } catch {
      return false;
    }
    return (controller.desiredSize ?? 0) > -MAX_QUEUED_EVENTS;
  };
  const sink = {
    closed: false,
    send: (_stream: string[], event: StreamEvent, payload: string | undefined) => write(sseFrame(event, payload)),
    heartbeat: () => void write(":thump\n"),
    close() {
      if (sink.closed) return;
      sink.closed = true;
      try {
        controller.close();
      } catch {
        // the client went away first
      }
    },
  };
  return sink;
}

// ---------------------------------------------------------------------------
// WebSocket messages

function errorFrame(error: unknown): string {
  if (error instanceof StreamError) return JSON.stringify({ error: error.message, status: error.status });
  log.warning("A streaming subscription failed: {error}", { error });
  return JSON.stringify({ error: "Could not subscribe, try again", status: 503 });
}

async function subscribeFromClient(
  ctx: AppContext,
  session: Session,
  ws: Socket,
  stream: unknown,
  params: Params,
): Promise<void> {
  try {
    await session.subscribe(await resolveStream(ctx, session.auth, stream, params));
  } catch (error) {
    if (!session.isClosed) ws.send(errorFrame(error));
  }
}

async function onClientMessage(ctx: AppContext, session: Session, ws: Socket, message: unknown) {
  if (message instanceof Uint8Array || message instanceof ArrayBuffer) {
    ws.close(1003, "Binary messages are not supported");
    return;
  }
  if (!message || typeof message !== "object" || Array.isArray(message)) {
    ws.send(JSON.stringify({ error: "Malformed message: expected a JSON object", status: 400 }));
    return;
  }
  const { type, stream, ...params } = message as Record<string, unknown>;
  if (type === "subscribe") return subscribeFromClient(ctx, session, ws, stream, params);
  if (type === "unsubscribe") {
    const key = streamKey(stream, params);
    if (key === null) ws.send(errorFrame(new StreamError(400, "Unknown stream type")));
    else session.unsubscribe(key);
    return;
  }
  ws.send(JSON.stringify({ error: "Unknown message type: expected subscribe or unsubscribe", status: 400 }));
}

// ---------------------------------------------------------------------------
// Routes

export const streamingModule = (ctx: AppContext) => {
  const hub = hubFor(ctx);
  // The token checked before the upgrade, for the connection it becomes.
  const upgraded = new WeakMap<Request, StreamAuth>();
  const sessions = new WeakMap<object, Session>();
  /**
   * Each connection's client messages, handled one after another: an
   * unsubscribe never overtakes the subscribe before it, and a client that
   * sees the answer to one message knows the ones before it took effect.
   */
  const inbox = new WeakMap<object, Promise<void>>();
  const handleInOrder = (socket: object, work: () => Promise<void>) => {
    const next = (inbox.get(socket) ?? Promise.resolve()).then(work).catch((error) => {
      log.warning("A streaming client message failed: {error}", { error });
    });
    inbox.set(socket, next);
  };

  async function serveEvents(request: Request, server: { timeout?(request: Request, seconds: number): void } | null, subpath: string) {
    const query = paramsFromSearch(new URL(request.url).searchParams);
    const name = sseStreamName(subpath, query);
    if (name === null) throw notFound("Unknown stream");
    const { auth } = await authenticateStream(ctx, request, false);
    let spec;
    try {
      spec = await resolveStream(ctx, auth, name, query);
    } catch (error) {
      if (error instanceof StreamError) throw new ApiError(error.status, error.message);
      throw error;
    }
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    let session: Session | null = null;
    const body = new ReadableStream<Uint8Array>({
      start: (c) => void (controller = c),
      cancel: () => session?.close(),
    });
    // Mastodon opens the stream with a comment, so clients and proxies see bytes at once.
    controller.enqueue(encoder.encode(":)\n"));
    const sink = sseSink(controller);
    session = new Session(ctx, hub, auth, sink);
    request.signal.addEventListener("abort", () => session?.close());
    try {
      await session.subscribe(spec);
    } catch (error) {
      session.close();
      log.warning("An SSE subscription failed: {error}", { error });
      throw new ApiError(503, "Could not subscribe, try again");
    }
    // Heartbeats keep the response alive; the server's idle timeout would cut it between quiet events.
    server?.timeout?.(request, 0);
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream",
        "cache-control": "private, no-store",
        "x-accel-buffering": "no",
        ...corsHeaders,
      },
    });
  }

  return new Elysia({ name: "streaming" })
    .get(
      "/api/v1/streaming/health",
      () => new Response("OK", { headers: { "content-type": "text/plain; charset=utf-8", ...corsHeaders } }),
    )
    .ws("/api/v1/streaming", {
      async upgrade(context) {
        const { auth, protocol } = await authenticateStream(ctx, context.request, true);
        upgraded.set(context.request, auth);
        if (protocol) context.set.headers["sec-websocket-protocol"] = protocol;
      },
      open(ws) {
        const request = ws.data.request;
        const auth = upgraded.get(request);
        upgraded.delete(request);
        if (!auth) {
          ws.raw.close(1011, "Not authenticated");
          return;
        }
        const session = new Session(ctx, hub, auth, websocketSink(ws.raw));
        sessions.set(ws.raw, session);
        const query = paramsFromSearch(new URL(request.url).searchParams);
        if (query.stream !== undefined) {
          const { stream, access_token: _token, ...params } = query;
          handleInOrder(ws.raw, () => subscribeFromClient(ctx, session, ws.raw, stream, params));
        }
      },
      message(ws, message) {
        const session = sessions.get(ws.raw);
        if (session) handleInOrder(ws.raw, () => onClientMessage(ctx, session, ws.raw, message));
      },
      close(ws) {
        sessions.get(ws.raw)?.close();
        sessions.delete(ws.raw);
        inbox.delete(ws.raw);
      },
    })
    .get("/api/v1/streaming", ({ request, server }) => serveEvents(request, server, ""))
    .get("/api/v1/streaming/*", ({ request, server, params }) => serveEvents(request, server, `/${params["*"]}`));
};

/** Ends every streaming connection of this process (shutdown: long-lived responses would hold the server open). */
export function stopStreaming(ctx: AppContext): void {
  hubFor(ctx).closeAll();
}
