/**
 * The streaming API end to end, over real WebSockets and SSE against a
 * server process (embedded Redis, or REDIS_URL's when set, as in CI):
 * authentication (header, query, protocol; 401 before the upgrade),
 * multiplexed subscribe/unsubscribe, the user stream (updates, deletes,
 * edits, notifications, filters_changed), public and hashtag streams with
 * their audience rules, lists, direct conversations, errors that keep the
 * connection, and Server-Sent Events.
 *
 * A subscription is known to be live once the server answered a later
 * message of the same connection (messages are handled in order): the
 * helper sends a deliberately bad subscribe after each real one and waits
 * for its error. To show that something did NOT arrive, a later event that
 * does arrive on the same connection proves the worker got past it.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { RedisClient } from "bun";
import { createStreamingAPIClient } from "masto";
import { freePort, startServer, type TestServer } from "./helpers/server.ts";
import { api, authorizeWithPassword, registerApp, appToken } from "./helpers/client.ts";
import { assertEntity } from "./helpers/openapi.ts";
import { follow, newUser, ok, post, type User } from "./helpers/timelines.ts";

let server: TestServer;
setDefaultTimeout(60_000);

beforeAll(async () => {
  server = await startServer();
}, 60_000);

afterAll(() => server?.stop());

const user = (prefix: string) => newUser(server, prefix);
const wsUrl = (query = "") => `${server.url.replace(/^http/, "ws")}/api/v1/streaming${query}`;
const WAIT_MS = 10_000;

interface Frame {
  stream?: string[];
  event?: string;
  payload?: string;
  error?: string;
  status?: number;
}

/** A WebSocket client that keeps every frame and lets tests wait for the one they expect. */
class StreamClient {
  readonly frames: Frame[] = [];
  private consumed = 0;
  private wake: (() => void) | null = null;
  closed: { code: number; reason: string } | null = null;
  private barrierCount = 0;

  private constructor(readonly socket: WebSocket) {
    socket.onmessage = (event) => {
      this.frames.push(JSON.parse(String(event.data)));
      this.wake?.();
    };
    socket.onclose = (event) => {
      this.closed = { code: event.code, reason: event.reason };
      this.wake?.();
    };
  }

  static open(url: string, options: { headers?: Record<string, string>; protocols?: string[] } = {}): Promise<StreamClient> {
    const socket = options.headers
      ? new WebSocket(url, { headers: options.headers, protocols: options.protocols } as any)
      : new WebSocket(url, options.protocols);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no WebSocket connection to ${url}`)), WAIT_MS);
      socket.onopen = () => {
        clearTimeout(timer);
        resolve(new StreamClient(socket));
      };
      socket.onerror = () => {
        clearTimeout(timer);
        reject(new Error(`WebSocket to ${url} failed`));
      };
    });
  }

  send(message: unknown): void {
    this.socket.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** Waits until everything sent before has been handled: a bad subscribe's error comes back after it. */
  async barrier(): Promise<void> {
    const marker = `barrier-${++this.barrierCount}`;
    this.send({ type: "subscribe", stream: marker });
    await this.next((f) => f.error !== undefined && f.status === 400, `the answer to ${marker}`);
  }

  async subscribe(stream: string, params: Record<string, string> = {}): Promise<void> {
    this.send({ type: "subscribe", stream, ...params });
    await this.barrier();
  }

  /** The next unconsumed frame matching `match` (frames before it that don't match stay for later). */
  async next(match: (frame: Frame) => boolean, what: string, timeoutMs = WAIT_MS): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.frames.findIndex((f, i) => i >= this.consumed && match(f));
      if (index >= 0) {
        const [frame] = this.frames.splice(index, 1);
        return frame!;
      }
      if (this.closed) throw new Error(`connection closed (${this.closed.code}) while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Waits for an event on a stream and returns its payload. */
  async event(stream: string[], event: string, what = `${event} on ${stream.join(" ")}`): Promise<string> {
    const frame = await this.next((f) => f.event === event && JSON.stringify(f.stream) === JSON.stringify(stream), what);
    return frame.payload!;
  }

  async status(stream: string[], id: string, event = "update"): Promise<any> {
    const frame = await this.next(
      (f) => f.event === event && JSON.stringify(f.stream) === JSON.stringify(stream) && JSON.parse(f.payload!).id === id,
      `${event} of ${id} on ${stream.join(" ")}`,
    );
    const status = JSON.parse(frame.payload!);
    assertEntity("Status", status);
    return status;
  }

  /** Every received frame carrying a status (update or status.update) with this id. */
  statusFrames(id: string): Frame[] {
    return this.frames.filter((f) => (f.event === "update" || f.event === "status.update") && JSON.parse(f.payload!).id === id);
  }

  close(): void {
    this.socket.close();
  }
}

const connect = (u: User, query = "") => StreamClient.open(wsUrl(query), { headers: { authorization: `Bearer ${u.token}` } });

/** The raw answer to a WebSocket upgrade request (to see the refusal's status). */
async function upgradeStatus(query: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const response = await fetch(`${server.url}/api/v1/streaming${query}`, {
    headers: {
      connection: "Upgrade",
      upgrade: "websocket",
      "sec-websocket-version": "13",
      "sec-websocket-key": btoa("0123456789abcdef"),
      ...headers,
    },
  });
  return { status: response.status, body: await response.text() };
}

const clients: StreamClient[] = [];
async function track<T extends StreamClient>(client: Promise<T>): Promise<T> {
  const opened = await client;
  clients.push(opened);
  return opened;
}
afterAll(() => {
  for (const client of clients) client.close();
});

describe("connecting", () => {
  test("health check answers OK without a token", async () => {
    const response = await fetch(`${server.url}/api/v1/streaming/health`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("OK");
  });

  test("no token, a bad token or an app-only token: the upgrade is refused with 401", async () => {
    const none = await upgradeStatus("?stream=user");
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).error).toBeString();
    expect((await upgradeStatus("?stream=public")).status).toBe(401);
    expect((await upgradeStatus("?stream=user&access_token=nonsense")).status).toBe(401);
    expect((await upgradeStatus("", { authorization: "Bearer nonsense" })).status).toBe(401);
    const app = await registerApp(server);
    expect((await upgradeStatus("", { authorization: `Bearer ${await appToken(server, app)}` })).status).toBe(401);
    await expect(StreamClient.open(wsUrl("?stream=user"))).rejects.toThrow();
  });

  test("the token in the Authorization header, the access_token parameter or the WebSocket protocol", async () => {
    const [alice, bob] = await Promise.all([user("alice"), user("bob")]);
    await follow(bob, alice);
    const byHeader = await track(connect(bob));
    const byQuery = await track(StreamClient.open(wsUrl(`?stream=user&access_token=${bob.token}`)));
    const byProtocol = await track(StreamClient.open(wsUrl(), { protocols: [bob.token] }));
    // The protocol carrying the token is the one the server picks (browsers insist on an echo).
    expect(byProtocol.socket.protocol).toBe(bob.token);
    await byHeader.subscribe("user");
    await byQuery.barrier(); // ?stream=user subscribed on connect
    await byProtocol.subscribe("user");

    const status = await post(alice, { status: "hello over three sockets" });
    for (const client of [byHeader, byQuery, byProtocol]) {
      expect((await client.status(["user"], status.id)).content).toContain("hello over three sockets");
    }
  });

  test("the trailing-slash path works too", async () => {
    const bob = await user("bob");
    const client = await track(StreamClient.open(`${wsUrl("/")}?access_token=${bob.token}`));
    await client.subscribe("public:local");
    const status = await post(bob, { status: "slash" });
    await client.status(["public:local"], status.id);
  });
});

describe("the user stream", () => {
  test("a followed account's post arrives as a Status; its edit and deletion follow", async () => {
    const [alice, bob] = await Promise.all([user("alice"), user("bob")]);
    await follow(bob, alice);
    const client = await track(connect(bob));
    await client.subscribe("user");

    const status = await post(alice, { status: "first draft" });
    const update = await client.status(["user"], status.id);
    expect(update.account.id).toBe(alice.id);
    expect(update.favourited).toBe(false); // rendered for bob, with his flags
    expect(update.filtered).toEqual([]);

    await ok(alice.client.put(`/api/v1/statuses/${status.id}`, { status: "second draft" }), "editing");
    const edited = await client.status(["user"], status.id, "status.update");
    expect(edited.content).toContain("second draft");
    expect(edited.edited_at).not.toBeNull();

    await ok(alice.client.delete(`/api/v1/statuses/${status.id}`), "deleting");
    expect(await client.event(["user"], "delete")).toBe(status.id);
  });

  test("a mention arrives as a notification, on user and user:notification", async () => {
    const [alice, bob] = await Promise.all([user("alice"), user("bob")]);
    const client = await track(connect(bob));
    await client.subscribe("user");
    await client.subscribe("user:notification");

    const status = await post(alice, { status: `@${bob.username} ping` });
    for (const stream of [["user"], ["user:notification"]]) {
      const notification = JSON.parse(await client.event(stream, "notification"));
      assertEntity("Notification", notification);
      expect(notification).toMatchObject({ type: "mention", account: { id: alice.id }, status: { id: status.id } });
    }
    // bob doesn't follow alice: no update for her post, and user:notification never carries updates.
    await client.barrier();
    expect(client.statusFrames(status.id)).toEqual([]);
  });

  test("a private status of someone not followed never arrives; a followed one's does", async () => {
    const [alice, eve, bob] = await Promise.all([user("alice"), user("eve"), user("bob")]);
    await follow(bob, alice);
    const client = await track(connect(bob));
    await client.subscribe("user");
    await client.subscribe("public");

    const hidden = await post(eve, { status: "eve's followers only", visibility: "private" });
    const direct = await post(eve, { status: `@${alice.username} just between us`, visibility: "direct" });
    const shown = await post(alice, { status: "alice's followers only", visibility: "private" });
    expect((await client.status(["user"], shown.id)).visibility).toBe("private");
    // Events are handled in order: eve's statuses were dealt with before alice's arrived.
    expect(client.statusFrames(hidden.id)).toEqual([]);
    expect(client.statusFrames(direct.id)).toEqual([]);
    expect(client.frames.filter((f) => f.event === "update" && JSON.stringify(f.stream) === '["public"]')).toEqual([]);
  });

  test("hide filters drop, warn filters mark; changing filters says filters_changed", async () => {
    const [alice, bob] = await Promise.all([user("alice"), user("bob")]);
    await follow(bob, alice);
    const client = await track(connect(bob));
    await client.subscribe("user");

    await ok(
      bob.client.post("/api/v2/filters", {
        title: "No spoilers",
        context: ["home"],
        filter_action: "hide",
        keywords_attributes: [{ keyword: "spoiler" }],
      }),
      "a hide filter",
    );
    expect(await client.event(["user"], "filters_changed")).toBeUndefined();
    await ok(
      bob.client.post("/api/v2/filters", {
        title: "Careful",
        context: ["home"],
        filter_action: "warn",
        keywords_attributes: [{ keyword: "weather" }],
      }),
      "a warn filter",
    );
    await client.event(["user"], "filters_changed");

    const hidden = await post(alice, { status: "a spoiler for you" });
    const warned = await post(alice, { status: "the weather today" });
    const marked = await client.status(["user"], warned.id);
    expect(marked.filtered).toHaveLength(1);
    expect(marked.filtered[0].filter.title).toBe("Careful");
    expect(client.statusFrames(hidden.id)).toEqual([]);
  });
});

describe("public and hashtag streams", () => {
  test("public:local carries public statuses only, never unlisted, private or direct", async () => {
    const [alice, bob, carol] = await Promise.all([user("alice"), user("bob"), user("carol")]);
    const client = await track(connect(carol));
    await client.subscribe("public:local");
    await client.subscribe("public:remote");

    const unlisted = await post(alice, { status: "quiet", visibility: "unlisted" });
    const priv = await post(alice, { status: "followers", visibility: "private" });
    const direct = await post(alice, { status: `@${bob.username} secret`, visibility: "direct" });
    const reply = await post(bob, { status: `@${alice.username} a reply`, in_reply_to_id: unlisted.id });
    const shown = await post(alice, { status: "for everyone" });

    const status = await client.status(["public:local"], shown.id);
    expect(status.visibility).toBe("public");
    for (const other of [unlisted, priv, direct, reply]) expect(client.statusFrames(other.id)).toEqual([]);
    // Local statuses are not remote ones.
    expect(client.frames.filter((f) => JSON.stringify(f.stream) === '["public:remote"]')).toEqual([]);

    await ok(alice.client.put(`/api/v1/statuses/${shown.id}`, { status: "for everyone, edited" }), "editing");
    expect((await client.status(["public:local"], shown.id, "status.update")).content).toContain("edited");

    await ok(alice.client.delete(`/api/v1/statuses/${shown.id}`), "deleting");
    expect(await client.event(["public:local"], "delete")).toBe(shown.id);
  });

  test("hashtag and hashtag:local, named as the client asked", async () => {
    const alice = await user("alice");
    const client = await track(connect(alice));
    const tag = `Stream${Math.random().toString(36).slice(2, 8)}`;
    await client.subscribe("hashtag", { tag });
    await client.subscribe("hashtag:local", { tag: `#${tag.toLowerCase()}` });

    const untagged = await post(alice, { status: "no tag here" });
    const tagged = await post(alice, { status: `now with #${tag}` });
    expect((await client.status(["hashtag", tag], tagged.id)).tags.map((t: any) => t.name.toLowerCase())).toContain(
      tag.toLowerCase(),
    );
    await client.status(["hashtag:local", `#${tag.toLowerCase()}`], tagged.id);
    expect(client.statusFrames(untagged.id)).toEqual([]);
  });

  test("statuses of muted or blocked accounts are held back", async () => {
    const [alice, mallory, trent, oscar, carol] = await Promise.all([
      user("alice"),
      user("mallory"),
      user("trent"),
      user("oscar"),
      user("carol"),
    ]);
    await ok(carol.client.post(`/api/v1/accounts/${mallory.id}/mute`), "muting");
    await ok(carol.client.post(`/api/v1/accounts/${trent.id}/block`), "blocking");
    await ok(oscar.client.post(`/api/v1/accounts/${carol.id}/block`), "being blocked");
    const client = await track(connect(carol));
    await client.subscribe("public:local");

    const muted = await post(mallory, { status: "you won't see me" });
    const mentioning = await post(alice, { status: `hey @${mallory.username}` });
    const blocked = await post(trent, { status: "nor me" });
    const blocking = await post(oscar, { status: "nor me, I blocked you" });
    const shown = await post(alice, { status: "you will see me" });
    await client.status(["public:local"], shown.id);
    for (const hidden of [muted, mentioning, blocked, blocking]) expect(client.statusFrames(hidden.id)).toEqual([]);
  });

  test("unsubscribe stops the messages; the other subscriptions go on", async () => {
    const alice = await user("alice");
    const client = await track(connect(alice));
    const tag = `unsub${Math.random().toString(36).slice(2, 8)}`;
    await client.subscribe("public:local");
    await client.subscribe("hashtag", { tag });

    const before = await post(alice, { status: "while subscribed" });
    await client.status(["public:local"], before.id);

    client.send({ type: "unsubscribe", stream: "public:local" });
    await client.barrier();
    const after = await post(alice, { status: "after unsubscribing" });
    const marker = await post(alice, { status: `marker #${tag}` });
    await client.status(["hashtag", tag], marker.id);
    expect(client.statusFrames(after.id)).toEqual([]);
    expect(client.frames.filter((f) => JSON.stringify(f.stream) === '["public:local"]')).toEqual([]);
  });
});

describe("lists, direct messages and scopes", () => {
  test("a list stream gets its members' posts", async () => {
    const [alice, bob] = await Promise.all([user("alice"), user("bob")]);
    await follow(bob, alice);
    const list = await ok(bob.client.post("/api/v1/lists", { title: "Friends" }), "a list");
    await ok(bob.client.post(`/api/v1/lists/${list.id}/accounts`, { account_ids: [alice.id] }), "adding alice");
    const client = await track(connect(bob));
    await client.subscribe("list", { list: list.id });

    const status = await post(alice, { status: "for my listeners" });
    await client.status(["list", list.id], status.id);
    await ok(alice.client.put(`/api/v1/statuses/${status.id}`, { status: "for my listeners, edited" }), "editing");
    expect((await client.status(["list", list.id], status.id, "status.update")).content).toContain("edited");

    // Someone else's list can't be streamed.
    const other = await track(connect(alice));
    other.send({ type: "subscribe", stream: "list", list: list.id });
    const refused = await other.next((f) => f.error !== undefined, "the refusal");
    expect(refused).toMatchObject({ error: "Not authorized to stream this list", status: 401 });
  });

  test("a direct message updates the recipient's conversation on the direct stream", async () => {
    const [alice, bob] = await Promise.all([user("alice"), user("bob")]);
    const client = await track(connect(bob));
    await client.subscribe("direct");

    const status = await post(alice, { status: `@${bob.username} psst`, visibility: "direct" });
    const conversation = JSON.parse(await client.event(["direct"], "conversation"));
    assertEntity("Conversation", conversation);
    expect(conversation.last_status.id).toBe(status.id);
    expect(conversation.unread).toBe(true);
    expect(conversation.accounts.map((a: any) => a.id)).toEqual([alice.id]);
  });

  test("scopes: read:notifications streams notifications only", async () => {
    const [alice, bob] = await Promise.all([user("alice"), user("bob")]);
    const app = await registerApp(server, { scopes: "read write" });
    const token = await authorizeWithPassword(server, app, {
      login: `${bob.username}@example.com`,
      password: "correct horse battery staple",
      scopes: "read:notifications",
      headers: { "x-forwarded-for": `198.18.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}` },
    });
    const client = await track(StreamClient.open(wsUrl(), { headers: { authorization: `Bearer ${token}` } }));
    for (const stream of ["user", "public", "hashtag"]) {
      client.send({ type: "subscribe", stream, tag: "x" });
      const refused = await client.next((f) => f.error !== undefined, `the refusal of ${stream}`);
      expect(refused).toMatchObject({ error: "Access token does not cover required scopes", status: 401 });
    }
    await client.subscribe("user:notification");
    await post(alice, { status: `@${bob.username} scoped` });
    const notification = JSON.parse(await client.event(["user:notification"], "notification"));
    expect(notification.type).toBe("mention");
  });
});

describe("errors keep the connection", () => {
  test("bad messages get an error, and the connection still works", async () => {
    const alice = await user("alice");
    const client = await track(connect(alice));
    const cases: [unknown, string][] = [
      ["not json at all", "Malformed message"],
      [{ type: "subscribe", stream: "nonsense" }, "Unknown stream type"],
      [{ type: "subscribe" }, "Unknown stream type"],
      [{ type: "subscribe", stream: "hashtag" }, "Missing tag name parameter"],
      [{ type: "subscribe", stream: "list" }, "Missing list name parameter"],
      [{ type: "subscribe", stream: "list", list: "12345" }, "Not authorized to stream this list"],
      [{ type: "dance" }, "Unknown message type"],
    ];
    for (const [message, error] of cases) {
      client.send(message);
      const frame = await client.next((f) => f.error !== undefined, `the error for ${JSON.stringify(message)}`);
      expect(frame.error).toContain(error);
      expect(frame.status).toBeNumber();
    }
    expect(client.closed).toBeNull();
    await client.subscribe("public:local");
    const status = await post(alice, { status: "still here" });
    await client.status(["public:local"], status.id);
  });

  test("a connection holds at most 100 subscriptions", async () => {
    const alice = await user("alice");
    const client = await track(connect(alice));
    for (let i = 0; i < 100; i++) client.send({ type: "subscribe", stream: "hashtag", tag: `many${i}` });
    client.send({ type: "subscribe", stream: "hashtag", tag: "onetoomany" });
    const refused = await client.next((f) => f.error !== undefined, "the refusal of the 101st");
    expect(refused.status).toBe(429);
    // Subscribing again to one it has is no new subscription.
    await client.subscribe("hashtag", { tag: "many0" });
    client.send({ type: "unsubscribe", stream: "hashtag", tag: "many1" });
    await client.subscribe("hashtag", { tag: "onetoomany" });
    expect(client.frames.filter((f) => f.error !== undefined)).toEqual([]);
  });
});

describe("masto.js, the client library of Elk and Phanpy", () => {
  test("its streaming client (token as the WebSocket protocol) gets user and hashtag events", async () => {
    const [alice, bob] = await Promise.all([user("alice"), user("bob")]);
    await follow(bob, alice);
    const tag = `Masto${Math.random().toString(36).slice(2, 8)}`;
    const streaming = createStreamingAPIClient({
      streamingApiUrl: server.url.replace(/^http/, "ws"),
      accessToken: bob.token,
      retry: false,
    });
    try {
      const home = streaming.user.subscribe().values();
      const tagged = streaming.hashtag.subscribe({ tag }).values();
      // masto.js sends its subscriptions without waiting for an answer: post until one arrives.
      const deadline = Date.now() + WAIT_MS;
      let pending: [Promise<IteratorResult<any>>, Promise<IteratorResult<any>>] | null = null;
      for (;;) {
        const status = await post(alice, { status: `via masto.js #${tag}` });
        pending ??= [home.next(), tagged.next()];
        const both = Promise.all(pending);
        const result = await Promise.race([both, Bun.sleep(1_000).then(() => null)]);
        if (result) {
          const [fromHome, fromTag] = result.map((r) => r.value);
          expect(fromHome).toMatchObject({ stream: ["user"], event: "update" });
          expect(fromTag).toMatchObject({ stream: ["hashtag", tag], event: "update" });
          expect(fromHome.payload.content).toContain("via masto.js");
          expect(fromTag.payload.tags[0].name.toLowerCase()).toBe(tag.toLowerCase());
          break;
        }
        if (Date.now() > deadline) throw new Error(`masto.js got nothing (last post ${status.id})`);
      }
    } finally {
      streaming.close();
    }
  });
});

describe("Server-Sent Events", () => {
  /** Reads events from an SSE response until `match` returns true. */
  async function readEvents(response: Response, match: (event: string, data: string) => boolean): Promise<{ event: string; data: string }> {
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    const deadline = Date.now() + WAIT_MS;
    try {
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out reading SSE; got ${JSON.stringify(buffer)}`);
        const chunk = await Promise.race([reader.read(), Bun.sleep(left).then(() => null)]);
        if (!chunk) continue;
        if (chunk.done) throw new Error(`SSE ended; got ${JSON.stringify(buffer)}`);
        buffer += decoder.decode(chunk.value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split("\n").filter((line) => !line.startsWith(":"));
          const event = lines.find((l) => l.startsWith("event: "))?.slice(7);
          const data = lines.find((l) => l.startsWith("data: "))?.slice(6);
          if (event && data !== undefined && match(event, data)) return { event, data };
        }
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
  }

  test("without a token: 401; an unknown stream path: 404", async () => {
    expect((await fetch(`${server.url}/api/v1/streaming/public/local`)).status).toBe(401);
    const alice = await user("alice");
    expect((await api(server, alice.token).get("/api/v1/streaming/nonsense")).status).toBe(404);
    expect((await api(server, alice.token).get("/api/v1/streaming/hashtag")).status).toBe(400);
  });

  test("/api/v1/streaming/public/local and /user deliver updates", async () => {
    const [alice, bob] = await Promise.all([user("alice"), user("bob")]);
    await follow(bob, alice);
    const controller = new AbortController();
    const open = (path: string, token: string) =>
      fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    try {
      const publicLocal = await open("/api/v1/streaming/public/local", bob.token);
      expect(publicLocal.status).toBe(200);
      expect(publicLocal.headers.get("content-type")).toStartWith("text/event-stream");
      const home = await open(`/api/v1/streaming?stream=user&access_token=${bob.token}`, "");

      const status = await post(alice, { status: "over SSE" });
      for (const response of [publicLocal, home]) {
        const { data } = await readEvents(response, (event, data) => event === "update" && JSON.parse(data).id === status.id);
        assertEntity("Status", JSON.parse(data));
      }
    } finally {
      controller.abort();
    }
  });
});

describe("one Redis subscription per channel per process", () => {
  test.skipIf(!process.env.REDIS_URL)("two sockets on the same stream share a subscription, dropped with the last", async () => {
    const [alice, bob] = await Promise.all([user("alice"), user("bob")]);
    const redis = new RedisClient(process.env.REDIS_URL!);
    const channel = `${server.env.REDIS_KEY_PREFIX}timeline:public:remote:media`;
    const subscribers = async () => ((await redis.send("PUBSUB", ["NUMSUB", channel])) as [string, number])[1];
    try {
      const first = await track(connect(alice));
      const second = await track(connect(bob));
      await first.subscribe("public:remote:media");
      await second.subscribe("public:remote:media");
      expect(await subscribers()).toBe(1);
      first.send({ type: "unsubscribe", stream: "public:remote:media" });
      await first.barrier();
      expect(await subscribers()).toBe(1);
      second.close();
      const deadline = Date.now() + WAIT_MS;
      while ((await subscribers()) !== 0 && Date.now() < deadline) await Bun.sleep(50);
      expect(await subscribers()).toBe(0);
    } finally {
      redis.close();
    }
  });
});

describe("accounts merged into homes at read time", () => {
  let merged: TestServer;

  beforeAll(async () => {
    // Every account with more than one follower is merged: fanout never pushes its posts to followers' homes.
    merged = await startServer({ env: { FANOUT_MERGE_THRESHOLD: "1" } });
  }, 60_000);

  afterAll(() => merged?.stop());

  test("their posts and deletions still reach followers' user streams, and no one else's", async () => {
    const someone = (name: string) => newUser(merged, name);
    const [alice, bob, carol, dave, zed] = await Promise.all([
      someone("alice"),
      someone("bob"),
      someone("carol"),
      someone("dave"),
      someone("zed"),
    ]);
    await follow(bob, alice);
    await follow(carol, alice);
    await follow(dave, zed);
    const open = (u: User) => track(StreamClient.open(`${merged.url.replace(/^http/, "ws")}/api/v1/streaming?access_token=${u.token}`));
    const [bobs, daves] = await Promise.all([open(bob), open(dave)]);
    await bobs.subscribe("user");
    await daves.subscribe("user");

    const status = await post(alice, { status: "to my many followers" });
    expect((await bobs.status(["user"], status.id)).content).toContain("many followers");
    const marker = await post(zed, { status: "to my one follower" });
    await daves.status(["user"], marker.id);
    expect(daves.statusFrames(status.id)).toEqual([]);

    await ok(alice.client.put(`/api/v1/statuses/${status.id}`, { status: "to my many followers, edited" }), "editing");
    await bobs.status(["user"], status.id, "status.update");
    await ok(alice.client.delete(`/api/v1/statuses/${status.id}`), "deleting");
    expect(await bobs.event(["user"], "delete")).toBe(status.id);
    // Exactly once each: the broadcast doesn't double what fanout sends.
    expect(bobs.statusFrames(status.id)).toEqual([]);
  });
});

describe("a dropped pub/sub connection", () => {
  const redisServer = Bun.which("redis-server");
  let redis: ReturnType<typeof Bun.spawn> | null = null;
  let healing: TestServer;
  let port = 0;

  beforeAll(async () => {
    if (!redisServer) return;
    // A Redis of its own: killing its pub/sub connections disturbs no other test's server.
    port = await freePort();
    redis = Bun.spawn([redisServer, "--port", String(port), "--save", "", "--appendonly", "no"], { stdout: "ignore", stderr: "ignore" });
    const client = new RedisClient(`redis://127.0.0.1:${port}`);
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      try {
        await client.send("PING", []);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await Bun.sleep(100);
      }
    }
    client.close();
    healing = await startServer({ env: { REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_KEY_PREFIX: "healing:" } });
  }, 60_000);

  afterAll(async () => {
    await healing?.stop();
    redis?.kill();
    await redis?.exited;
  });

  test.skipIf(!redisServer)("is subscribed again, and streams resume", async () => {
    const alice = await newUser(healing, "alice");
    const client = await track(StreamClient.open(`${healing.url.replace(/^http/, "ws")}/api/v1/streaming?access_token=${alice.token}`));
    await client.subscribe("public:local");
    const before = await post(alice, { status: "before the drop" });
    await client.status(["public:local"], before.id);

    const admin = new RedisClient(`redis://127.0.0.1:${port}`);
    try {
      await admin.send("CLIENT", ["KILL", "TYPE", "pubsub"]);
    } finally {
      admin.close();
    }
    // The hub notices within two probes (5 s apart) and subscribes again; posts meanwhile may be lost.
    const deadline = Date.now() + 30_000;
    for (let round = 1; ; round++) {
      const status = await post(alice, { status: `after the drop ${round}` });
      try {
        await client.next((f) => f.event === "update" && JSON.parse(f.payload!).id === status.id, "a post after healing", 2_000);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`${error}\nserver output:\n${healing.output()}`);
      }
    }
    expect(client.closed).toBeNull();
  }, 60_000);
});
