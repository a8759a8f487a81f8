/**
 * Relationships end to end over HTTP: follow (options, locked accounts and
 * follow requests), unfollow, remove from followers, blocks, mutes (with
 * expiry), domain blocks, endorsements, notes, relationship maps, familiar
 * followers, followers/following pagination, suggestions, and exact counts
 * under concurrent follows. Every entity is checked against the Mastodon
 * OpenAPI schema.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { startServer, type TestServer } from "./helpers/server.ts";
import { api, authorizeWithPassword, registerApp } from "./helpers/client.ts";
import { assertEntity } from "./helpers/openapi.ts";
import { allPages, newUser, newUsers, type User } from "./helpers/social.ts";

let server: TestServer;
const user = (prefix: string) => newUser(server, prefix);

/** At least five, for destructuring; callers ask for as many as they name. */
type Several = [User, User, User, User, User, ...User[]];

const users = (prefix: string, n: number) => newUsers(server, prefix, n);

/** The viewer's Relationship with `target`, schema-checked. */
async function relationship(viewer: User, target: User) {
  const response = await viewer.client.get(`/api/v1/accounts/relationships?id[]=${target.id}`);
  expect(response.status).toBe(200);
  expect(response.body).toHaveLength(1);
  assertEntity("Relationship", response.body[0]);
  return response.body[0];
}

async function account(id: string) {
  const response = await api(server).get(`/api/v1/accounts/${id}`);
  expect(response.status).toBe(200);
  return response.body;
}

/** POSTs an account action and returns the Relationship it answers with. */
async function act(viewer: User, target: User | string, action: string, body?: unknown) {
  const id = typeof target === "string" ? target : target.id;
  const response = await viewer.client.post(`/api/v1/accounts/${id}/${action}`, body);
  if (response.status === 200) {
    assertEntity("Relationship", response.body);
    expect(response.body.id).toBe(id);
  }
  return response;
}

beforeAll(async () => {
  server = await startServer();
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe("follow", () => {
  let alice: User, bob: User;
  beforeAll(async () => {
    [alice, bob] = (await users("fol", 2)) as Several;
  }, 60_000);

  test("following an unlocked account follows at once and counts on both sides", async () => {
    const response = await act(alice, bob, "follow");
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      following: true, requested: false, showing_reblogs: true, notifying: false, languages: null, followed_by: false,
    });
    expect((await account(alice.id)).following_count).toBe(1);
    expect((await account(bob.id)).followers_count).toBe(1);
    expect(await relationship(bob, alice)).toMatchObject({ followed_by: true, following: false });
  });

  test("following again changes only the options sent and counts nothing twice", async () => {
    let response = await act(alice, bob, "follow", { reblogs: false, notify: true, languages: ["en", "de"] });
    expect(response.body).toMatchObject({ following: true, showing_reblogs: false, notifying: true, languages: ["en", "de"] });
    // Form-encoded, only notify: reblogs and languages stay.
    response = await act(alice, bob, "follow", new URLSearchParams({ notify: "false" }));
    expect(response.body).toMatchObject({ showing_reblogs: false, notifying: false, languages: ["en", "de"] });
    response = await act(alice, bob, "follow", { reblogs: true, languages: [] });
    expect(response.body).toMatchObject({ showing_reblogs: true, languages: null });
    expect((await account(alice.id)).following_count).toBe(1);
    expect((await account(bob.id)).followers_count).toBe(1);
  });

  test("an invalid language is a 422 and changes nothing", async () => {
    const response = await act(alice, bob, "follow", { languages: ["not a language"], notify: true });
    expect(response.status).toBe(422);
    expect(response.body.error).toContain("Validation failed");
    expect((await relationship(alice, bob)).notifying).toBe(false);
  });

  test("following yourself is forbidden", async () => {
    const response = await act(alice, alice, "follow");
    expect(response.status).toBe(403);
    expect(typeof response.body.error).toBe("string");
    expect((await account(alice.id)).following_count).toBe(1);
  });

  test("unknown and non-numeric ids are 404 on every account action", async () => {
    for (const action of ["follow", "unfollow", "remove_from_followers", "block", "unblock", "mute", "unmute", "pin", "unpin", "note"]) {
      expect((await act(alice, "99999999999", action)).status).toBe(404);
      expect((await act(alice, "abc", action)).status).toBe(404);
    }
    expect((await alice.client.get("/api/v1/accounts/abc/followers")).status).toBe(404);
    expect((await alice.client.get("/api/v1/accounts/99999999999/following")).status).toBe(404);
    expect((await alice.client.post("/api/v1/follow_requests/abc/authorize")).status).toBe(404);
    expect((await alice.client.delete("/api/v1/suggestions/abc")).status).toBe(404);
  });

  test("writes need a user token with the right scope", async () => {
    expect((await api(server).post(`/api/v1/accounts/${bob.id}/follow`)).status).toBe(401);
    expect((await api(server, "not-a-token").post(`/api/v1/accounts/${bob.id}/follow`)).status).toBe(401);
    const app = await registerApp(server, { scopes: "read write follow" });
    const readOnly = await authorizeWithPassword(server, app, {
      login: `${alice.username}@example.com`,
      password: "correct horse battery staple",
      scopes: "read",
    });
    const response = await api(server, readOnly).post(`/api/v1/accounts/${bob.id}/unfollow`);
    expect(response.status).toBe(403);
    expect((await relationship(alice, bob)).following).toBe(true);
    // Reading works with `read`.
    expect((await api(server, readOnly).get(`/api/v1/accounts/relationships?id[]=${bob.id}`)).status).toBe(200);
  });

  test("unfollowing ends the follow; unfollowing again is a no-op", async () => {
    let response = await act(alice, bob, "unfollow");
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ following: false, requested: false, showing_reblogs: false });
    response = await act(alice, bob, "unfollow");
    expect(response.status).toBe(200);
    expect((await account(alice.id)).following_count).toBe(0);
    expect((await account(bob.id)).followers_count).toBe(0);
  });

  test("remove_from_followers makes a follower stop following", async () => {
    await act(bob, alice, "follow");
    expect((await account(alice.id)).followers_count).toBe(1);
    const response = await act(alice, bob, "remove_from_followers");
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ followed_by: false });
    expect((await relationship(bob, alice)).following).toBe(false);
    expect((await account(alice.id)).followers_count).toBe(0);
    expect((await account(bob.id)).following_count).toBe(0);
  });
});

describe("locked accounts and follow requests", () => {
  let owner: User, carol: User, erin: User, frank: User;
  beforeAll(async () => {
    [owner, carol, erin, frank] = (await users("lock", 4)) as Several;
    const response = await owner.client.patch("/api/v1/accounts/update_credentials", { locked: true });
    expect(response.status).toBe(200);
  }, 60_000);

  test("following a locked account creates a request, not a follow", async () => {
    const response = await act(carol, owner, "follow", { notify: true });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ following: false, requested: true, notifying: true, showing_reblogs: true });
    expect(await relationship(owner, carol)).toMatchObject({ requested_by: true, followed_by: false });
    expect((await account(owner.id)).followers_count).toBe(0);
    // Requesting again changes the request's options only.
    const again = await act(carol, owner, "follow", { reblogs: false });
    expect(again.body).toMatchObject({ requested: true, showing_reblogs: false, notifying: true });
  });

  test("the locked account lists its requests and authorizes one into a follow", async () => {
    await act(erin, owner, "follow");
    const list = await owner.client.get("/api/v1/follow_requests");
    expect(list.status).toBe(200);
    for (const a of list.body) assertEntity("Account", a);
    expect(list.body.map((a: any) => a.id).sort()).toEqual([carol.id, erin.id].sort());
    const me = await owner.client.get("/api/v1/accounts/verify_credentials");
    expect(me.body.source.follow_requests_count).toBe(2);

    const response = await owner.client.post(`/api/v1/follow_requests/${carol.id}/authorize`);
    expect(response.status).toBe(200);
    assertEntity("Relationship", response.body);
    expect(response.body).toMatchObject({ id: carol.id, followed_by: true, requested_by: false });
    // The follow keeps the request's options.
    expect(await relationship(carol, owner)).toMatchObject({
      following: true, requested: false, showing_reblogs: false, notifying: true,
    });
    expect((await account(owner.id)).followers_count).toBe(1);
    expect((await account(carol.id)).following_count).toBe(1);
    // A second authorize has nothing to act on.
    expect((await owner.client.post(`/api/v1/follow_requests/${carol.id}/authorize`)).status).toBe(404);
  });

  test("rejecting a request drops it without a follow", async () => {
    const response = await owner.client.post(`/api/v1/follow_requests/${erin.id}/reject`);
    expect(response.status).toBe(200);
    assertEntity("Relationship", response.body);
    expect(response.body).toMatchObject({ followed_by: false, requested_by: false });
    expect(await relationship(erin, owner)).toMatchObject({ following: false, requested: false });
    expect((await owner.client.get("/api/v1/follow_requests")).body).toEqual([]);
    expect((await owner.client.post(`/api/v1/follow_requests/${erin.id}/reject`)).status).toBe(404);
    expect((await account(owner.id)).followers_count).toBe(1);
  });

  test("unfollow withdraws a pending request", async () => {
    await act(frank, owner, "follow");
    expect((await relationship(frank, owner)).requested).toBe(true);
    const response = await act(frank, owner, "unfollow");
    expect(response.body).toMatchObject({ requested: false, following: false });
    expect((await owner.client.get("/api/v1/follow_requests")).body).toEqual([]);
  });

  test("unlocking the account accepts pending requests", async () => {
    await act(frank, owner, "follow");
    expect((await relationship(frank, owner)).requested).toBe(true);
    expect((await owner.client.patch("/api/v1/accounts/update_credentials", { locked: false })).status).toBe(200);
    // Accepted by the account.updated event handler, right after the update.
    let rel = await relationship(frank, owner);
    for (let i = 0; i < 50 && !rel.following; i++) {
      await Bun.sleep(100);
      rel = await relationship(frank, owner);
    }
    expect(rel).toMatchObject({ following: true, requested: false });
    expect((await account(owner.id)).followers_count).toBe(2);
    await owner.client.patch("/api/v1/accounts/update_credentials", { locked: true });
  });

  test("follow requests can't be read without a token", async () => {
    expect((await api(server).get("/api/v1/follow_requests")).status).toBe(401);
  });
});

describe("blocks", () => {
  let alice: User, bob: User, locked: User;
  beforeAll(async () => {
    [alice, bob, locked] = (await users("blk", 3)) as Several;
    await locked.client.patch("/api/v1/accounts/update_credentials", { locked: true });
  }, 60_000);

  test("blocking removes follows both ways, updates counts and hides the relationship", async () => {
    await act(alice, bob, "follow");
    await act(bob, alice, "follow");
    await act(alice, bob, "pin");
    expect((await account(alice.id)).followers_count).toBe(1);

    const response = await act(alice, bob, "block");
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ blocking: true, following: false, followed_by: false, endorsed: false });
    expect(await relationship(bob, alice)).toMatchObject({ blocked_by: true, following: false, followed_by: false });
    for (const u of [alice, bob]) {
      const a = await account(u.id);
      expect(a.followers_count).toBe(0);
      expect(a.following_count).toBe(0);
    }
    // Blocking again is idempotent.
    expect((await act(alice, bob, "block")).body.blocking).toBe(true);
  });

  test("no one can follow across a block, in either direction", async () => {
    const fromBlocked = await act(bob, alice, "follow");
    expect(fromBlocked.status).toBe(403);
    const fromBlocker = await act(alice, bob, "follow");
    expect(fromBlocker.status).toBe(403);
    expect((await account(alice.id)).followers_count).toBe(0);
  });

  test("blocks are listed and paginated", async () => {
    const list = await alice.client.get("/api/v1/blocks");
    expect(list.status).toBe(200);
    expect(list.body.map((a: any) => a.id)).toEqual([bob.id]);
    for (const a of list.body) assertEntity("Account", a);
    expect(list.headers.get("link")).toContain('rel="next"');
    expect((await bob.client.get("/api/v1/blocks")).body).toEqual([]);
  });

  test("a blocked account doesn't see the blocker's followers", async () => {
    const response = await bob.client.get(`/api/v1/accounts/${alice.id}/followers`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual([]);
  });

  test("unblocking lifts the block without restoring follows", async () => {
    const response = await act(alice, bob, "unblock");
    expect(response.body).toMatchObject({ blocking: false, following: false, followed_by: false });
    expect((await alice.client.get("/api/v1/blocks")).body).toEqual([]);
    expect((await act(bob, alice, "follow")).body.following).toBe(true);
    await act(bob, alice, "unfollow");
  });

  test("blocking drops pending follow requests both ways", async () => {
    await act(alice, locked, "follow");
    expect((await relationship(alice, locked)).requested).toBe(true);
    await act(locked, alice, "block");
    expect(await relationship(alice, locked)).toMatchObject({ requested: false, blocked_by: true });
    expect((await locked.client.get("/api/v1/follow_requests")).body).toEqual([]);
    await act(locked, alice, "unblock");

    // The blocker's own request goes too.
    await locked.client.patch("/api/v1/accounts/update_credentials", { locked: false });
    await alice.client.patch("/api/v1/accounts/update_credentials", { locked: true });
    await act(locked, alice, "follow");
    expect((await relationship(locked, alice)).requested).toBe(true);
    await act(locked, alice, "block");
    expect((await relationship(locked, alice)).requested).toBe(false);
    expect((await alice.client.get("/api/v1/follow_requests")).body).toEqual([]);
    await alice.client.patch("/api/v1/accounts/update_credentials", { locked: false });
  });
});

describe("mutes", () => {
  let alice: User, bob: User, carol: User;
  beforeAll(async () => {
    [alice, bob, carol] = (await users("mut", 3)) as Several;
  }, 60_000);

  test("a mute hides notifications by default and is listed as MutedAccount", async () => {
    const response = await act(alice, bob, "mute");
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ muting: true, muting_notifications: true, muting_expires_at: null });
    const list = await alice.client.get("/api/v1/mutes");
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(1);
    assertEntity("MutedAccount", list.body[0]);
    expect(list.body[0]).toMatchObject({ id: bob.id, mute_expires_at: null });
    // A mute does not touch follows.
    expect((await relationship(bob, alice)).blocked_by).toBe(false);
  });

  test("muting again replaces the options; notifications=false keeps notifications", async () => {
    const response = await act(alice, bob, "mute", { notifications: false });
    expect(response.body).toMatchObject({ muting: true, muting_notifications: false });
  });

  test("unmute ends the mute", async () => {
    const response = await act(alice, bob, "unmute");
    expect(response.body).toMatchObject({ muting: false, muting_notifications: false });
    expect((await alice.client.get("/api/v1/mutes")).body).toEqual([]);
    expect((await act(alice, bob, "unmute")).status).toBe(200);
  });

  test("a mute with a duration expires and is then ignored everywhere", async () => {
    const response = await act(alice, carol, "mute", new URLSearchParams({ duration: "1" }));
    expect(response.body.muting).toBe(true);
    const expiresAt = Date.parse(response.body.muting_expires_at);
    expect(expiresAt).toBeGreaterThan(Date.now() - 5_000);
    expect(expiresAt).toBeLessThan(Date.now() + 5_000);
    const list = await alice.client.get("/api/v1/mutes");
    assertEntity("MutedAccount", list.body[0]);
    expect(list.body[0].mute_expires_at).toBe(response.body.muting_expires_at);

    await Bun.sleep(1_500);
    expect(await relationship(alice, carol)).toMatchObject({ muting: false, muting_notifications: false, muting_expires_at: null });
    expect((await alice.client.get("/api/v1/mutes")).body).toEqual([]);
    // Muting again after expiry is a fresh, indefinite mute.
    expect((await act(alice, carol, "mute")).body).toMatchObject({ muting: true, muting_expires_at: null });
  });

  test("a negative or non-numeric duration is a 422", async () => {
    expect((await act(alice, bob, "mute", { duration: "soon" })).status).toBe(422);
    expect((await act(alice, bob, "mute", { duration: -5 })).status).toBe(422);
    expect((await relationship(alice, bob)).muting).toBe(false);
  });
});

describe("domain blocks", () => {
  let alice: User;
  beforeAll(async () => {
    alice = await user("dom");
  }, 60_000);

  test("blocking a domain is idempotent, normalised and listed as strings", async () => {
    for (const domain of ["Example.COM", "example.com", "https://example.com/"]) {
      const response = await alice.client.post("/api/v1/domain_blocks", { domain });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({});
    }
    await alice.client.post("/api/v1/domain_blocks", new URLSearchParams({ domain: "spam.example" }));
    await alice.client.post("/api/v1/domain_blocks?domain=bücher.example");
    const list = await alice.client.get("/api/v1/domain_blocks");
    expect(list.status).toBe(200);
    expect(list.body).toEqual(["xn--bcher-kva.example", "spam.example", "example.com"]);
  });

  test("the list pages with Link headers", async () => {
    const { pages, links } = await allPages(server, alice, "/api/v1/domain_blocks?limit=2", 20);
    expect(pages.flat()).toEqual(["xn--bcher-kva.example", "spam.example", "example.com"]);
    expect(pages.map((p) => p.length)).toEqual([2, 1]);
    expect(links[0]).toContain("limit=2");
  });

  test("invalid domains are 422", async () => {
    for (const domain of ["", "   ", "not a domain", "example.com/path", "a..b"]) {
      const response = await alice.client.post("/api/v1/domain_blocks", { domain });
      expect(response.status).toBe(422);
    }
    expect((await alice.client.post("/api/v1/domain_blocks", {})).status).toBe(422);
    expect((await alice.client.get("/api/v1/domain_blocks")).body).toHaveLength(3);
  });

  test("unblocking is idempotent", async () => {
    for (let i = 0; i < 2; i++) {
      const response = await alice.client.delete("/api/v1/domain_blocks", { domain: "EXAMPLE.com" });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({});
    }
    await alice.client.delete("/api/v1/domain_blocks?domain=spam.example");
    expect((await alice.client.get("/api/v1/domain_blocks")).body).toEqual(["xn--bcher-kva.example"]);
  });

  // Remote accounts can't be created through the API yet: with a database
  // server the test can reach (DATABASE_URL), insert one directly.
  test.skipIf(!process.env.DATABASE_URL)("blocking a domain ends follows with its accounts both ways", async () => {
    const bob = await user("dom");
    const db = postgres(server.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
    let remoteId: string;
    try {
      const [row] = await db`
        INSERT INTO accounts (username, domain, uri, discoverable)
        VALUES ('faraway', 'Remote.Example', 'https://remote.example/users/faraway', true) RETURNING id`;
      remoteId = row!.id;
      // Their follow of bob, as federation will record it (with the counters it keeps).
      await db`INSERT INTO account_stats (account_id, following_count) VALUES (${remoteId}, 1)`;
      await db`INSERT INTO follows (account_id, target_account_id) VALUES (${remoteId}, ${bob.id})`;
      await db`UPDATE account_stats SET followers_count = followers_count + 1 WHERE account_id = ${bob.id}`;
    } finally {
      await db.end();
    }
    // Following a remote account is a request until its server accepts.
    expect((await act(bob, remoteId, "follow")).body).toMatchObject({ following: false, requested: true, followed_by: true });
    expect((await account(bob.id)).following_count).toBe(0);
    expect((await account(bob.id)).followers_count).toBe(1);

    expect((await bob.client.post("/api/v1/domain_blocks", { domain: "remote.example" })).status).toBe(200);
    const rel = await bob.client.get(`/api/v1/accounts/relationships?id[]=${remoteId}`);
    assertEntity("Relationship", rel.body[0]);
    expect(rel.body[0]).toMatchObject({ domain_blocking: true, following: false, requested: false, followed_by: false });
    for (const id of [bob.id, remoteId]) {
      expect((await account(id)).following_count).toBe(0);
      expect((await account(id)).followers_count).toBe(0);
    }
    // No following back while the domain is blocked.
    expect((await act(bob, remoteId, "follow")).status).toBe(403);
    await bob.client.delete("/api/v1/domain_blocks", { domain: "remote.example" });
    expect((await act(bob, remoteId, "follow")).body).toMatchObject({ requested: true, domain_blocking: false });
  });

  test("domain blocks need the blocks scopes", async () => {
    expect((await api(server).get("/api/v1/domain_blocks")).status).toBe(401);
    expect((await api(server).post("/api/v1/domain_blocks", { domain: "x.example" })).status).toBe(401);
  });
});

describe("endorsements and notes", () => {
  let alice: User, bob: User, carol: User;
  beforeAll(async () => {
    [alice, bob, carol] = (await users("end", 3)) as Several;
  }, 60_000);

  test("only followed accounts can be endorsed", async () => {
    const response = await act(alice, bob, "pin");
    expect(response.status).toBe(422);
    expect(response.body.error).toContain("following");
    expect((await relationship(alice, bob)).endorsed).toBe(false);
  });

  test("endorsing lists the account; unpin and unfollow remove it", async () => {
    await act(alice, bob, "follow");
    await act(alice, carol, "follow");
    expect((await act(alice, bob, "pin")).body.endorsed).toBe(true);
    expect((await act(alice, carol, "endorse")).body.endorsed).toBe(true);
    expect((await act(alice, bob, "pin")).status).toBe(200);

    const mine = await alice.client.get("/api/v1/endorsements");
    expect(mine.status).toBe(200);
    for (const a of mine.body) assertEntity("Account", a);
    expect(mine.body.map((a: any) => a.id)).toEqual([carol.id, bob.id]);
    const theirs = await api(server).get(`/api/v1/accounts/${alice.id}/endorsements`);
    expect(theirs.status).toBe(200);
    expect(theirs.body.map((a: any) => a.id)).toEqual([carol.id, bob.id]);

    expect((await act(alice, carol, "unpin")).body.endorsed).toBe(false);
    await act(alice, bob, "unfollow");
    expect((await relationship(alice, bob)).endorsed).toBe(false);
    expect((await alice.client.get("/api/v1/endorsements")).body).toEqual([]);
  });

  test("a note is personal, replaceable and removed when blank", async () => {
    let response = await act(alice, bob, "note", { comment: "met at the conference" });
    expect(response.status).toBe(200);
    expect(response.body.note).toBe("met at the conference");
    expect((await relationship(carol, bob)).note).toBe("");
    response = await act(alice, bob, "note", new URLSearchParams({ comment: "changed" }));
    expect(response.body.note).toBe("changed");
    expect((await act(alice, bob, "note", { comment: "x".repeat(2001) })).status).toBe(422);
    expect((await relationship(alice, bob)).note).toBe("changed");
    response = await act(alice, bob, "note", { comment: "" });
    expect(response.body.note).toBe("");
  });
});

describe("relationships and familiar followers", () => {
  let alice: User, bob: User, carol: User, dave: User, unknownId: string;
  beforeAll(async () => {
    [alice, bob, carol, dave] = (await users("rel", 4)) as Several;
    unknownId = "12345678901234567";
    await act(alice, bob, "follow");
    await act(alice, carol, "follow");
    await act(bob, dave, "follow");
    await act(carol, dave, "follow");
  }, 60_000);

  test("relationships answers known ids in request order and drops the rest", async () => {
    const response = await alice.client.get(
      `/api/v1/accounts/relationships?id[]=${carol.id}&id[]=nope&id[]=${unknownId}&id[]=${bob.id}&id[]=${carol.id}`,
    );
    expect(response.status).toBe(200);
    for (const r of response.body) assertEntity("Relationship", r);
    expect(response.body.map((r: any) => r.id)).toEqual([carol.id, bob.id]);
    expect(response.body.every((r: any) => r.following)).toBe(true);
    // A single id without brackets works too.
    const single = await alice.client.get(`/api/v1/accounts/relationships?id=${dave.id}`);
    expect(single.body).toHaveLength(1);
    expect(single.body[0]).toMatchObject({ id: dave.id, following: false });
    expect((await alice.client.get("/api/v1/accounts/relationships")).body).toEqual([]);
    expect((await api(server).get(`/api/v1/accounts/relationships?id[]=${bob.id}`)).status).toBe(401);
  });

  test("familiar followers are the viewer's follows who follow the account", async () => {
    const response = await alice.client.get(`/api/v1/accounts/familiar_followers?id[]=${dave.id}&id[]=${bob.id}&id[]=x`);
    expect(response.status).toBe(200);
    for (const f of response.body) assertEntity("FamiliarFollowers", f);
    expect(response.body.map((f: any) => f.id)).toEqual([dave.id, bob.id]);
    expect(response.body[0].accounts.map((a: any) => a.id).sort()).toEqual([bob.id, carol.id].sort());
    for (const a of response.body[0].accounts) assertEntity("Account", a);
    expect(response.body[1].accounts).toEqual([]);
  });

  test("an account hiding its collections has no familiar followers", async () => {
    await dave.client.patch("/api/v1/accounts/update_credentials", { hide_collections: true });
    const response = await alice.client.get(`/api/v1/accounts/familiar_followers?id[]=${dave.id}`);
    expect(response.body).toEqual([{ id: dave.id, accounts: [] }]);
    await dave.client.patch("/api/v1/accounts/update_credentials", { hide_collections: false });
  });
});

describe("followers and following lists", () => {
  let target: User, followers: User[], viewer: User;
  beforeAll(async () => {
    [target, viewer, ...followers] = (await users("lst", 9)) as Several;
    // Sequential, so follow ids (the page order) are known: newest first.
    for (const f of followers) expect((await act(f, target, "follow")).status).toBe(200);
    await act(target, followers[0]!, "follow");
  }, 90_000);

  test("pages of followers have no duplicates or gaps, newest follow first", async () => {
    const { pages, links } = await allPages(server, null, `/api/v1/accounts/${target.id}/followers?limit=3`, 20);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    for (const a of pages.flat()) assertEntity("Account", a);
    expect(pages.flat().map((a) => a.id)).toEqual(followers.map((f) => f.id).reverse());
    expect(links[0]).toMatch(/rel="next"/);
    expect(links[0]).toMatch(/rel="prev"/);
  });

  test("the prev link reads back toward newer follows", async () => {
    const first = await api(server).get(`/api/v1/accounts/${target.id}/followers?limit=3`);
    const second = await api(server).get(new URL(/<([^>]+)>; rel="next"/.exec(first.headers.get("link")!)![1]!).pathname +
      new URL(/<([^>]+)>; rel="next"/.exec(first.headers.get("link")!)![1]!).search);
    const prevUrl = new URL(/<([^>]+)>; rel="prev"/.exec(second.headers.get("link")!)![1]!);
    const back = await api(server).get(prevUrl.pathname + prevUrl.search);
    expect(back.body.map((a: any) => a.id)).toEqual(first.body.map((a: any) => a.id));
  });

  test("following lists the accounts followed", async () => {
    const response = await api(server).get(`/api/v1/accounts/${followers[0]!.id}/following`);
    expect(response.status).toBe(200);
    expect(response.body.map((a: any) => a.id)).toEqual([target.id]);
    const mine = await api(server).get(`/api/v1/accounts/${target.id}/following`);
    expect(mine.body.map((a: any) => a.id)).toEqual([followers[0]!.id]);
  });

  test("limit is capped at 80 and must be positive", async () => {
    const response = await api(server).get(`/api/v1/accounts/${target.id}/followers?limit=500`);
    expect(response.status).toBe(200);
    expect(response.body).toHaveLength(7);
    expect((await api(server).get(`/api/v1/accounts/${target.id}/followers?limit=0`)).status).toBe(422);
  });

  test("accounts the viewer blocks or mutes are left out", async () => {
    await act(viewer, followers[1]!, "block");
    await act(viewer, followers[2]!, "mute");
    const response = await viewer.client.get(`/api/v1/accounts/${target.id}/followers`);
    const ids = response.body.map((a: any) => a.id);
    expect(ids).toHaveLength(5);
    expect(ids).not.toContain(followers[1]!.id);
    expect(ids).not.toContain(followers[2]!.id);
  });

  test("hide_collections hides the lists from others but not from the owner", async () => {
    await target.client.patch("/api/v1/accounts/update_credentials", { hide_collections: true });
    expect((await viewer.client.get(`/api/v1/accounts/${target.id}/followers`)).body).toEqual([]);
    expect((await api(server).get(`/api/v1/accounts/${target.id}/following`)).body).toEqual([]);
    expect((await target.client.get(`/api/v1/accounts/${target.id}/followers`)).body).toHaveLength(7);
    await target.client.patch("/api/v1/accounts/update_credentials", { hide_collections: false });
  });
});

describe("counts under concurrency", () => {
  let target: User, crowd: User[];
  beforeAll(async () => {
    [target, ...crowd] = (await users("cnc", 21)) as Several;
  }, 120_000);

  test("20 concurrent follows of one account count 20", async () => {
    const responses = await Promise.all(crowd.map((u) => act(u, target, "follow")));
    expect(responses.map((r) => r.status)).toEqual(crowd.map(() => 200));
    expect((await account(target.id)).followers_count).toBe(20);
    const list = await api(server).get(`/api/v1/accounts/${target.id}/followers?limit=80`);
    expect(list.body).toHaveLength(20);
  });

  test("the same user following concurrently counts once", async () => {
    const [a, b] = [crowd[0]!, crowd[1]!];
    const responses = await Promise.all(Array.from({ length: 8 }, () => act(a, b, "follow")));
    expect(responses.every((r) => r.status === 200 && r.body.following)).toBe(true);
    expect((await account(b.id)).followers_count).toBe(1);
    expect((await account(a.id)).following_count).toBe(2);
  });

  test("concurrent unfollows and blocks leave exact counts", async () => {
    const half = crowd.slice(0, 10);
    await Promise.all([
      ...half.map((u) => act(u, target, "unfollow")),
      ...half.map((u) => act(u, target, "unfollow")),
      act(target, crowd[10]!, "block"),
      act(target, crowd[10]!, "block"),
    ]);
    expect((await account(target.id)).followers_count).toBe(9);
    const list = await api(server).get(`/api/v1/accounts/${target.id}/followers?limit=80`);
    expect(list.body).toHaveLength(9);
  });
});

describe("suggestions", () => {
  let alice: User, bob: User, carol: User, dave: User, erin: User;
  beforeAll(async () => {
    [alice, bob, carol, dave, erin] = (await users("sug", 5)) as Several;
    await act(alice, bob, "follow");
    await act(alice, carol, "follow");
    // dave is followed by both of alice's follows, erin by one: dave ranks first.
    await act(bob, dave, "follow");
    await act(carol, dave, "follow");
    await act(bob, erin, "follow");
    await act(bob, alice, "follow");
  }, 60_000);

  test("friends of friends come first, ranked by how many follows follow them", async () => {
    const response = await alice.client.get("/api/v2/suggestions");
    expect(response.status).toBe(200);
    for (const s of response.body) assertEntity("Suggestion", s);
    const ids = response.body.map((s: any) => s.account.id);
    expect(ids.slice(0, 2)).toEqual([dave.id, erin.id]);
    expect(response.body[0].sources).toEqual(["friends_of_friends"]);
    // Never yourself or someone you follow.
    expect(ids).not.toContain(alice.id);
    expect(ids).not.toContain(bob.id);
    const v1 = await alice.client.get("/api/v1/suggestions?limit=1");
    expect(v1.body.map((a: any) => a.id)).toEqual([dave.id]);
  });

  test("then accounts that posted recently", async () => {
    const newcomer = await user("sug");
    const posted = await erin.client.post("/api/v1/statuses", { status: "hello, anyone?", visibility: "public" });
    expect(posted.status).toBe(200);
    const response = await newcomer.client.get("/api/v2/suggestions");
    for (const s of response.body) assertEntity("Suggestion", s);
    const suggestion = response.body.find((s: any) => s.account.id === erin.id);
    expect(suggestion).toMatchObject({ source: "global", sources: ["most_interactions"] });
    // Accounts that never posted aren't "active".
    expect(response.body.map((s: any) => s.account.id)).not.toContain(carol.id);
  });

  test("blocked, muted and dismissed accounts are not suggested", async () => {
    await act(alice, erin, "mute");
    let ids = (await alice.client.get("/api/v2/suggestions")).body.map((s: any) => s.account.id);
    expect(ids).not.toContain(erin.id);
    const dismissed = await alice.client.delete(`/api/v1/suggestions/${dave.id}`);
    expect(dismissed.status).toBe(200);
    ids = (await alice.client.get("/api/v2/suggestions")).body.map((s: any) => s.account.id);
    expect(ids).not.toContain(dave.id);
    expect((await alice.client.delete(`/api/v1/suggestions/${dave.id}`)).status).toBe(200);
  });
});
