/**
 * The smaller client endpoints: announcements (and their admin command),
 * reports, the profile directory, Web Push subscriptions and the VAPID key,
 * and the endpoints that exist so clients get Mastodon's answers for
 * features we don't offer (scheduled statuses, identity proofs, moderated
 * servers, translation).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { api, authorizeWithPassword, registerApp, signUp } from "./helpers/client.ts";
import { assertEntity } from "./helpers/openapi.ts";
import { startServer, type TestServer } from "./helpers/server.ts";

let server: TestServer;
let alice: { token: string; accountId?: string };
let bob: { token: string; accountId?: string };
let carol: { token: string; accountId?: string };

const ADMIN = join(import.meta.dir, "../src/cli/admin.ts");

/** `bun run admin …` against the running server (through its control socket on the embedded stores). */
async function admin(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(["bun", "run", ADMIN, ...argv], { env: server.env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

beforeAll(async () => {
  server = await startServer();
  alice = await signUp(server, { username: "alice" });
  bob = await signUp(server, { username: "bob" });
  carol = await signUp(server, { username: "carol" });
}, 90_000);

afterAll(() => server?.stop());

describe("announcements", () => {
  let announcementId: string;

  beforeAll(async () => {
    const created = await admin("announcements", "create", "--text", "Maintenance tonight #ops, ask @alice https://example.com/status");
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    announcementId = /Published announcement (\d+)/.exec(created.stdout)![1]!;
  }, 60_000);

  test("the admin command rejects a blank text and lists what exists", async () => {
    const blank = await admin("announcements", "create", "--text", "   ");
    expect(blank.code).toBe(1);
    expect(blank.stderr).toContain("Text can't be blank");
    const listed = await admin("announcements", "list");
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(announcementId);
  }, 60_000);

  test("GET /api/v1/announcements lists it as a valid Announcement", async () => {
    const response = await api(server, bob.token).get("/api/v1/announcements");
    expect(response.status).toBe(200);
    expect(response.body).toHaveLength(1);
    const announcement = response.body[0];
    assertEntity("Announcement", announcement);
    expect(announcement.id).toBe(announcementId);
    expect(announcement.read).toBe(false);
    expect(announcement.content).toContain('class="mention hashtag"');
    expect(announcement.tags).toEqual([{ name: "ops", url: `${server.url}/tags/ops` }]);
    expect(announcement.mentions).toEqual([
      { id: alice.accountId, username: "alice", acct: "alice", url: `${server.url}/@alice` },
    ]);
    for (const mention of announcement.mentions) assertEntity("AnnouncementAccount", mention);
  });

  test("needs a user token with read", async () => {
    expect((await api(server).get("/api/v1/announcements")).status).toBe(401);
  });

  test("reactions: add, count, remove; unknown emoji refused", async () => {
    const path = (name: string) => `/api/v1/announcements/${announcementId}/reactions/${encodeURIComponent(name)}`;
    expect((await api(server, bob.token).put(path("👍"))).status).toBe(200);
    expect((await api(server, carol.token).put(path("👍"))).status).toBe(200);
    // Idempotent.
    expect((await api(server, carol.token).put(path("👍"))).status).toBe(200);
    const refused = await api(server, bob.token).put(path("not_an_emoji"));
    expect(refused.status).toBe(422);
    expect(refused.body.error).toContain("not a recognized emoji");

    const listed = await api(server, bob.token).get("/api/v1/announcements");
    const reactions = listed.body[0].reactions;
    expect(reactions).toEqual([{ name: "👍", count: 2, me: true }]);
    for (const reaction of reactions) assertEntity("Reaction", reaction);
    const forAlice = await api(server, alice.token).get("/api/v1/announcements");
    expect(forAlice.body[0].reactions).toEqual([{ name: "👍", count: 2, me: false }]);

    expect((await api(server, bob.token).delete(path("👍"))).status).toBe(200);
    expect((await api(server, bob.token).delete(path("👍"))).status).toBe(404);
    const after = await api(server, bob.token).get("/api/v1/announcements");
    expect(after.body[0].reactions).toEqual([{ name: "👍", count: 1, me: false }]);
  });

  test("dismissing hides it unless with_dismissed, which marks it read", async () => {
    const dismissed = await api(server, carol.token).post(`/api/v1/announcements/${announcementId}/dismiss`);
    expect(dismissed.status).toBe(200);
    expect(dismissed.body).toEqual({});
    expect((await api(server, carol.token).get("/api/v1/announcements")).body).toEqual([]);
    const all = await api(server, carol.token).get("/api/v1/announcements?with_dismissed=true");
    expect(all.body).toHaveLength(1);
    expect(all.body[0].read).toBe(true);
    // Others still see it.
    expect((await api(server, bob.token).get("/api/v1/announcements")).body).toHaveLength(1);
  });

  test("unknown announcements are 404", async () => {
    expect((await api(server, bob.token).post("/api/v1/announcements/123/dismiss")).status).toBe(404);
    expect((await api(server, bob.token).put("/api/v1/announcements/123/reactions/%F0%9F%91%8D")).status).toBe(404);
  });

  test("a deleted announcement is gone", async () => {
    const created = await admin("announcements", "create", "--text", "Short-lived");
    const id = /Published announcement (\d+)/.exec(created.stdout)![1]!;
    expect((await admin("announcements", "delete", id)).code).toBe(0);
    const listed = await api(server, bob.token).get("/api/v1/announcements");
    expect(listed.body.map((a: { id: string }) => a.id)).not.toContain(id);
    expect((await admin("announcements", "delete", id)).code).toBe(1);
  }, 60_000);
});

describe("reports", () => {
  test("POST /api/v1/reports files a Report", async () => {
    const post = await api(server, bob.token).post("/api/v1/statuses", { status: "spam spam spam" });
    const response = await api(server, alice.token).post("/api/v1/reports", {
      account_id: bob.accountId,
      status_ids: [post.body.id],
      comment: "Selling things",
      category: "spam",
      forward: true,
    });
    expect(response.status).toBe(200);
    assertEntity("Report", response.body);
    expect(response.body).toMatchObject({
      action_taken: false,
      action_taken_at: null,
      category: "spam",
      comment: "Selling things",
      // Bob is local: there is no other server to forward to.
      forwarded: false,
      status_ids: [post.body.id],
      rule_ids: null,
    });
    expect(response.body.target_account.id).toBe(bob.accountId);
    assertEntity("Account", response.body.target_account);
  });

  test("defaults to the other category, form-encoded works too", async () => {
    const form = new URLSearchParams({ account_id: bob.accountId! });
    const response = await api(server, alice.token).post("/api/v1/reports", form);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ category: "other", comment: "", status_ids: [] });
  });

  test("refuses what Mastodon refuses", async () => {
    const a = api(server, alice.token);
    const alicePost = await a.post("/api/v1/statuses", { status: "mine" });
    const privatePost = await api(server, bob.token).post("/api/v1/statuses", { status: "hidden", visibility: "private" });
    expect((await api(server).post("/api/v1/reports", { account_id: bob.accountId })).status).toBe(401);
    expect((await a.post("/api/v1/reports", { account_id: "123" })).status).toBe(404);
    expect((await a.post("/api/v1/reports", {})).status).toBe(404);
    // Statuses must be the target's, and visible to the reporter.
    expect((await a.post("/api/v1/reports", { account_id: bob.accountId, status_ids: [alicePost.body.id] })).status).toBe(404);
    expect((await a.post("/api/v1/reports", { account_id: bob.accountId, status_ids: [privatePost.body.id] })).status).toBe(404);
    expect((await a.post("/api/v1/reports", { account_id: bob.accountId, category: "rude" })).status).toBe(422);
    expect((await a.post("/api/v1/reports", { account_id: bob.accountId, rule_ids: ["1"] })).status).toBe(422);
    expect((await a.post("/api/v1/reports", { account_id: bob.accountId, comment: "x".repeat(1001) })).status).toBe(422);
  });
});

describe("directory", () => {
  beforeAll(async () => {
    for (const [who, discoverable] of [[alice, true], [bob, true], [carol, false]] as const) {
      const response = await api(server, who.token).patch("/api/v1/accounts/update_credentials", { discoverable });
      expect(response.status).toBe(200);
    }
    await api(server, bob.token).post("/api/v1/statuses", { status: "bob is active" });
  });

  test("lists discoverable accounts only, most recently active first", async () => {
    const response = await api(server).get("/api/v1/directory");
    expect(response.status).toBe(200);
    for (const account of response.body) assertEntity("Account", account);
    const names = response.body.map((a: { username: string }) => a.username);
    expect(names).toEqual(["bob", "alice"]);
  });

  test("order=new, local, limit and offset", async () => {
    const newest = await api(server).get("/api/v1/directory?order=new&local=true");
    expect(newest.body.map((a: { username: string }) => a.username)).toEqual(["bob", "alice"]);
    const paged = await api(server).get("/api/v1/directory?order=new&limit=1&offset=1");
    expect(paged.body.map((a: { username: string }) => a.username)).toEqual(["alice"]);
  });

  test("a viewer doesn't see accounts they block", async () => {
    expect((await api(server, carol.token).post(`/api/v1/accounts/${bob.accountId}/block`)).status).toBe(200);
    const response = await api(server, carol.token).get("/api/v1/directory");
    expect(response.body.map((a: { username: string }) => a.username)).toEqual(["alice"]);
  });
});

describe("Web Push subscriptions", () => {
  async function browserKeys() {
    const pair = (await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"])) as CryptoKeyPair;
    const p256dh = Buffer.from(await crypto.subtle.exportKey("raw", pair.publicKey)).toString("base64url");
    const auth = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url");
    return { p256dh, auth };
  }

  test("the VAPID key is the same in the instance, the application and the subscription", async () => {
    const instance = await api(server).get("/api/v2/instance");
    const vapid = instance.body.configuration.vapid.public_key;
    expect(vapid).toMatch(/^B[A-Za-z0-9_-]{86}=$/);
    // A valid uncompressed P-256 point.
    const raw = Buffer.from(vapid, "base64url");
    await crypto.subtle.importKey("raw", raw, { name: "ECDSA", namedCurve: "P-256" }, true, ["verify"]);
    const app = await registerApp(server);
    expect((app as unknown as { vapid_key: string }).vapid_key).toBe(vapid);

    const subscribed = await api(server, alice.token).post("/api/v1/push/subscription", {
      subscription: { endpoint: "https://push.example/send/abc", keys: await browserKeys() },
      data: { alerts: { mention: true, favourite: "true", follow: false }, policy: "followed" },
    });
    expect(subscribed.status).toBe(200);
    assertEntity("WebPushSubscription", subscribed.body);
    expect(subscribed.body).toMatchObject({
      endpoint: "https://push.example/send/abc",
      server_key: vapid,
      policy: "followed",
      standard: false,
      alerts: { mention: true, favourite: true, follow: false, reblog: false, poll: false, "admin.sign_up": false },
    });

    // The key survives a restart (it is stored, not regenerated).
    await server.restart();
    const again = await api(server).get("/api/v2/instance");
    expect(again.body.configuration.vapid.public_key).toBe(vapid);
  }, 90_000);

  test("GET, PUT and DELETE work on the token's own subscription", async () => {
    const a = api(server, bob.token);
    expect((await a.get("/api/v1/push/subscription")).status).toBe(404);
    expect((await a.put("/api/v1/push/subscription", { data: { alerts: { mention: true } } })).status).toBe(404);
    const created = await a.post("/api/v1/push/subscription", {
      subscription: { endpoint: "https://push.example/bob", keys: await browserKeys(), standard: true },
    });
    expect(created.status).toBe(200);
    expect(created.body.standard).toBe(true);
    expect(created.body.policy).toBe("all");

    const shown = await a.get("/api/v1/push/subscription");
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual(created.body);

    // Form-encoded, as Mastodon's web app sends it; `data` is replaced, not merged.
    const form = new URLSearchParams({ "data[alerts][reblog]": "true", "data[alerts][admin.report]": "1" });
    const updated = await a.put("/api/v1/push/subscription", form);
    expect(updated.status).toBe(200);
    assertEntity("WebPushSubscription", updated.body);
    expect(updated.body.alerts).toMatchObject({ reblog: true, "admin.report": true, mention: false });
    expect(updated.body.policy).toBe("all");
    expect((await a.put("/api/v1/push/subscription", { data: { policy: "sometimes" } })).status).toBe(422);

    // Another token of the same user has its own (no) subscription.
    const app = await registerApp(server, { scopes: "read push" });
    const other = await authorizeWithPassword(server, app, { login: "bob@example.com", password: "correct horse battery staple", scopes: "push" });
    expect((await api(server, other).get("/api/v1/push/subscription")).status).toBe(404);

    // Subscribing again replaces it.
    const replaced = await a.post("/api/v1/push/subscription", {
      subscription: { endpoint: "https://push.example/bob2", keys: await browserKeys() },
    });
    expect(replaced.body.endpoint).toBe("https://push.example/bob2");
    expect(replaced.body.id).not.toBe(created.body.id);

    const removed = await a.delete("/api/v1/push/subscription");
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({});
    expect((await a.get("/api/v1/push/subscription")).status).toBe(404);
  }, 60_000);

  test("refuses bad subscriptions and tokens without the push scope", async () => {
    const a = api(server, carol.token);
    const keys = await browserKeys();
    expect((await a.post("/api/v1/push/subscription", {})).status).toBe(400);
    expect((await a.post("/api/v1/push/subscription", { subscription: { endpoint: "not a url", keys } })).status).toBe(422);
    expect((await a.post("/api/v1/push/subscription", { subscription: { endpoint: "https://push.example/x" } })).status).toBe(422);
    const badKey = { p256dh: Buffer.from(new Uint8Array(65).fill(4)).toString("base64url"), auth: keys.auth };
    expect((await a.post("/api/v1/push/subscription", { subscription: { endpoint: "https://push.example/x", keys: badKey } })).status).toBe(422);
    expect((await api(server).get("/api/v1/push/subscription")).status).toBe(401);

    const app = await registerApp(server, { scopes: "read" });
    const readOnly = await authorizeWithPassword(server, app, { login: "carol@example.com", password: "correct horse battery staple", scopes: "read" });
    expect((await api(server, readOnly).get("/api/v1/push/subscription")).status).toBe(403);
  }, 60_000);
});

describe("endpoints for features we don't offer", () => {
  test("scheduled statuses: an empty list, and no scheduled status to find", async () => {
    const a = api(server, alice.token);
    const list = await a.get("/api/v1/scheduled_statuses");
    expect(list.status).toBe(200);
    expect(list.body).toEqual([]);
    expect((await a.get("/api/v1/scheduled_statuses/1")).status).toBe(404);
    expect((await a.put("/api/v1/scheduled_statuses/1", { scheduled_at: "2099-01-01T00:00:00Z" })).status).toBe(404);
    expect((await a.delete("/api/v1/scheduled_statuses/1")).status).toBe(404);
    expect((await api(server).get("/api/v1/scheduled_statuses")).status).toBe(401);
  });

  test("identity proofs: an empty list for a known account", async () => {
    const response = await api(server).get(`/api/v1/accounts/${alice.accountId}/identity_proofs`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual([]);
    expect((await api(server).get("/api/v1/accounts/123/identity_proofs")).status).toBe(404);
  });

  test("moderated servers: none", async () => {
    const response = await api(server).get("/api/v1/instance/domain_blocks");
    expect(response.status).toBe(200);
    expect(response.body).toEqual([]);
  });

  test("translation is not available (404, as Mastodon without a backend)", async () => {
    const post = await api(server, alice.token).post("/api/v1/statuses", { status: "Bonjour", language: "fr" });
    const response = await api(server, bob.token).post(`/api/v1/statuses/${post.body.id}/translate`, { lang: "en" });
    expect(response.status).toBe(404);
    expect(response.body.error).toContain("Translation");
    expect((await api(server).post(`/api/v1/statuses/${post.body.id}/translate`)).status).toBe(401);
    expect((await api(server, bob.token).post("/api/v1/statuses/123/translate")).status).toBe(404);
  });

  test("DELETE /api/v1/profile/avatar resets to the default and returns the CredentialAccount", async () => {
    const response = await api(server, alice.token).delete("/api/v1/profile/avatar");
    expect(response.status).toBe(200);
    assertEntity("CredentialAccount", response.body);
    expect(response.body.avatar).toBe(`${server.url}/avatars/original/missing.png`);
  });
});
