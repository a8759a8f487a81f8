/**
 * Search over HTTP on the default (Postgres full-text) backend:
 * GET /api/v2/search and GET /api/v1/accounts/search.
 *
 * Status search follows Mastodon 4.2: a searcher finds public statuses of
 * accounts that opted in (`indexable`) plus their own library (own statuses,
 * mentions, favourites, bookmarks, boosts), and never a status outside its
 * audience — pinned as a matrix of viewer × visibility below.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startServer, type TestServer } from "./helpers/server.ts";
import { api } from "./helpers/client.ts";
import { assertEntity } from "./helpers/openapi.ts";
import { namedUser, ok, type User } from "./helpers/social.ts";

setDefaultTimeout(60_000);

type Visibility = "public" | "unlisted" | "private" | "direct";
const VISIBILITIES: Visibility[] = ["public", "unlisted", "private", "direct"];

let server: TestServer;
let anonymous: ReturnType<typeof api>;
const users: Record<string, User> = {};
/** The author's matrix statuses, each containing the word "zebrafinch". */
const matrix = {} as Record<Visibility, string>;

async function makeUser(username: string, profile: Record<string, unknown> = {}): Promise<User> {
  const user = await namedUser(server, username);
  if (Object.keys(profile).length > 0) await ok(user.client.patch("/api/v1/accounts/update_credentials", profile), "profile");
  users[username] = user;
  return user;
}

async function post(user: User, status: string, extra: Record<string, unknown> = {}): Promise<string> {
  return (await ok(user.client.post("/api/v1/statuses", { status, ...extra }), `post "${status}"`)).id;
}

/** GET /api/v2/search, asserting 200 and the Search entity (and every entity inside). */
async function search(client: ReturnType<typeof api>, params: Record<string, string>) {
  const response = await client.get(`/api/v2/search?${new URLSearchParams(params)}`);
  if (response.status !== 200) throw new Error(`search ${JSON.stringify(params)}: ${response.status} ${JSON.stringify(response.body)}`);
  const body = response.body;
  assertEntity("Search", body);
  for (const account of body.accounts) assertEntity("Account", account);
  for (const status of body.statuses) assertEntity("Status", status);
  for (const tag of body.hashtags) assertEntity("Tag", tag);
  return body as { accounts: any[]; statuses: any[]; hashtags: any[] };
}

async function statusIds(client: ReturnType<typeof api>, q: string, extra: Record<string, string> = {}): Promise<string[]> {
  return (await search(client, { q, type: "statuses", ...extra })).statuses.map((s) => s.id);
}

async function accountNames(client: ReturnType<typeof api>, q: string, extra: Record<string, string> = {}): Promise<string[]> {
  return (await search(client, { q, type: "accounts", ...extra })).accounts.map((a) => a.acct);
}

beforeAll(async () => {
  server = await startServer();
  anonymous = api(server);
  // indexable: opted into full-text search of their public statuses (Mastodon 4.2).
  await makeUser("author", { indexable: true, display_name: "Ada Lovelace" });
  await makeUser("follower");
  await makeUser("fanfollower");
  await makeUser("exfollower");
  await makeUser("mentioned");
  await makeUser("stranger");
  await makeUser("blocked");
  await makeUser("quiet", { display_name: "Quiet Person" });
  const { author, follower, fanfollower, exfollower, mentioned, stranger, blocked } = users as Record<string, User>;

  for (const fan of [follower!, fanfollower!, exfollower!, blocked!]) {
    await ok(fan.client.post(`/api/v1/accounts/${author!.id}/follow`), "follow");
  }
  for (const visibility of VISIBILITIES) {
    matrix[visibility] = await post(author!, `@${mentioned!.username} zebrafinch sighting (${visibility})`, { visibility });
  }
  // Interactions put statuses into searchers' libraries; everyone tries everything, only visible ones succeed.
  for (const viewer of [fanfollower!, exfollower!, stranger!, blocked!]) {
    for (const visibility of VISIBILITIES) {
      await viewer.client.post(`/api/v1/statuses/${matrix[visibility]}/favourite`);
      await viewer.client.post(`/api/v1/statuses/${matrix[visibility]}/bookmark`);
    }
  }
  // Leaving the audience must also leave the search results, whatever the library says.
  await ok(exfollower!.client.post(`/api/v1/accounts/${author!.id}/unfollow`), "unfollow");
  await ok(author!.client.post(`/api/v1/accounts/${blocked!.id}/block`), "block");
});

afterAll(async () => {
  await server?.stop();
});

describe("status search: who finds what (viewer × visibility)", () => {
  const expected: Record<string, Visibility[]> = {
    author: ["public", "unlisted", "private", "direct"],
    // Public of an indexable author only: the rest is not in their library.
    follower: ["public"],
    // Favourited and bookmarked what they could see.
    fanfollower: ["public", "unlisted", "private"],
    // Favourited the private one while following; no longer in its audience.
    exfollower: ["public", "unlisted"],
    mentioned: ["public", "unlisted", "private", "direct"],
    stranger: ["public", "unlisted"],
    // Favourited before the block; a block hides everything both ways.
    blocked: [],
  };

  for (const [name, visible] of Object.entries(expected)) {
    test(`${name} finds ${visible.join(", ") || "nothing"}`, async () => {
      const ids = await statusIds(users[name]!.client, "zebrafinch");
      const seen = VISIBILITIES.filter((v) => ids.includes(matrix[v]));
      expect(seen).toEqual(visible);
      expect(ids.length).toBe(visible.length);
    });
  }

  test("anonymous searchers get no statuses (Mastodon), but a 200", async () => {
    const body = await search(anonymous, { q: "zebrafinch" });
    expect(body.statuses).toEqual([]);
  });

  test("in:library and in:public narrow the scope", async () => {
    const { fanfollower, stranger } = users as Record<string, User>;
    expect(await statusIds(fanfollower!.client, "zebrafinch in:public")).toEqual([matrix.public]);
    expect((await statusIds(fanfollower!.client, "zebrafinch in:library")).sort()).toEqual(
      [matrix.public, matrix.unlisted, matrix.private].sort(),
    );
    expect(await statusIds(stranger!.client, "zebrafinch in:public")).toEqual([matrix.public]);
  });

  test("statuses come back newest first and validate as Status entities", async () => {
    const ids = await statusIds(users.author!.client, "zebrafinch");
    expect(ids).toEqual([...ids].sort((a, b) => (BigInt(b) > BigInt(a) ? 1 : -1)));
  });
});

describe("status search: indexable opt-in", () => {
  let quietPublic: string;
  beforeAll(async () => {
    quietPublic = await post(users.quiet!, "a quokka selfie");
  });

  test("public statuses of a non-indexable account are not found by others", async () => {
    expect(await statusIds(users.stranger!.client, "quokka")).toEqual([]);
  });

  test("but by their author, and by whoever favourited one", async () => {
    expect(await statusIds(users.quiet!.client, "quokka")).toEqual([quietPublic]);
    const fan = await makeUser("quokkafan");
    await ok(fan.client.post(`/api/v1/statuses/${quietPublic}/favourite`), "favourite");
    expect(await statusIds(fan.client, "quokka")).toEqual([quietPublic]);
  });

  test("turning indexable on makes them findable", async () => {
    const quiet = users.quiet!;
    await ok(quiet.client.patch("/api/v1/accounts/update_credentials", { indexable: true }), "indexable");
    expect(await statusIds(users.stranger!.client, "quokka")).toEqual([quietPublic]);
    await ok(quiet.client.patch("/api/v1/accounts/update_credentials", { indexable: false }), "not indexable");
    expect(await statusIds(users.stranger!.client, "quokka")).toEqual([]);
  });
});

describe("status search: query syntax", () => {
  const s = {} as Record<"cat" | "cats" | "reply" | "poll" | "otherCat" | "phrase" | "link" | "tagged", string>;
  let writer: User;
  let other: User;
  beforeAll(async () => {
    writer = await makeUser("writer", { indexable: true });
    other = await makeUser("otherwriter", { indexable: true });
    s.cat = await post(writer, "My cat is sleeping on the keyboard");
    s.cats = await post(writer, "Two cats and a dog in the garden", { language: "fr" });
    s.reply = await post(writer, "replying about cats here", { in_reply_to_id: s.cat });
    s.poll = await post(writer, "cats or dogs? vote now", { poll: { options: ["cats", "dogs"], expires_in: 3600 } });
    s.otherCat = await post(other, "Another cat sleeping somewhere", { spoiler_text: "cute animals" });
    s.phrase = await post(writer, "the keyboard cat returns");
    s.link = await post(writer, "lynx facts at https://example.com/lynx");
    s.tagged = await post(writer, `lynx #lynx @${other.username}`);
  });

  const find = (q: string, extra: Record<string, string> = {}) => statusIds(users.stranger!.client, q, extra);

  test("words match stemmed and unstemmed forms, all words required", async () => {
    const cats = await find("cats");
    for (const key of ["cat", "cats", "reply", "poll", "otherCat", "phrase"] as const) expect(cats).toContain(s[key]);
    expect(await find("sleeping keyboard")).toEqual([s.cat]);
  });

  test("quoted phrases match in order", async () => {
    expect(await find('"keyboard cat"')).toEqual([s.phrase]);
    expect(await find("“keyboard cat”")).toEqual([s.phrase]);
    expect((await find('"cat keyboard"'))).toEqual([]);
  });

  test("-word and -\"phrase\" exclude", async () => {
    const found = await find("cat -keyboard");
    expect(found).not.toContain(s.cat);
    expect(found).not.toContain(s.phrase);
    expect(found).toContain(s.otherCat);
    expect(await find('keyboard -"keyboard cat"')).toEqual([s.cat]);
  });

  test("content warnings and poll options are searchable", async () => {
    expect(await find("cute animals")).toEqual([s.otherCat]);
    expect(await find("vote dogs")).toEqual([s.poll]);
  });

  test("from:, from:me and -from:", async () => {
    const fromOther = await find(`cat from:${other.username}`);
    expect(fromOther).toEqual([s.otherCat]);
    expect(await find(`cat from:@${other.username}@${new URL(server.url).hostname}`)).toEqual([s.otherCat]);
    expect(await statusIds(other.client, "cat from:me")).toEqual([s.otherCat]);
    expect(await find(`cat -from:${writer.username}`)).toEqual([s.otherCat]);
    // An unknown account matches nothing rather than being ignored.
    expect(await find("cat from:nobody_here")).toEqual([]);
    // An author alone lists their statuses (newest first).
    const all = await find(`from:${other.username}`);
    expect(all).toEqual([s.otherCat]);
  });

  test("is:reply, has:poll and their negations", async () => {
    expect(await find("cats is:reply")).toEqual([s.reply]);
    expect(await find("cats has:poll")).toEqual([s.poll]);
    expect(await find("cats is:poll")).toEqual([s.poll]);
    const noReplies = await find("cats -is:reply");
    expect(noReplies).not.toContain(s.reply);
    expect(noReplies).toContain(s.cats);
    expect(await find("cats has:unicorns")).toEqual([]);
  });

  test("has:link counts links, not mentions or hashtags", async () => {
    expect(await find("lynx has:link")).toEqual([s.link]);
    expect(await find("lynx -has:link")).toEqual([s.tagged]);
  });

  test("is:sensitive follows the CW", async () => {
    expect(await find("cat is:sensitive")).toEqual([s.otherCat]);
  });

  test("language:", async () => {
    expect(await find("cats language:fr")).toEqual([s.cats]);
    expect(await find("cats language:FR-ca")).toEqual([s.cats]);
    expect(await find("cats -language:fr")).not.toContain(s.cats);
  });

  test("before:, after: and during: dates", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    expect(await find("cat before:2001-01-01")).toEqual([]);
    expect(await find(`cat before:${tomorrow}`)).toContain(s.cat);
    expect(await find(`cat after:${yesterday}`)).toContain(s.cat);
    // after:D excludes D itself, as Mastodon's date rounding does.
    expect(await find(`cat after:${today}`)).toEqual([]);
    expect(await find(`cat during:${today}`)).toContain(s.cat);
    const bad = await users.stranger!.client.get(`/api/v2/search?${new URLSearchParams({ q: "cat before:yesterday" })}`);
    expect(bad.status).toBe(422);
    expect(typeof bad.body.error).toBe("string");
  });

  test("limit and offset page without duplicates or gaps", async () => {
    const all = await find("cats");
    expect(all.length).toBeGreaterThanOrEqual(5);
    const pages: string[] = [];
    for (let offset = 0; offset < all.length; offset += 2) {
      pages.push(...(await find("cats", { limit: "2", offset: String(offset) })));
    }
    expect(pages).toEqual(all);
  });

  test("max_id and min_id bound the ids", async () => {
    const all = await find("cats");
    const middle = all[2]!;
    expect(await find("cats", { max_id: middle })).toEqual(all.slice(3));
    expect(await find("cats", { min_id: middle })).toEqual(all.slice(0, 2));
  });

  test("account_id restricts to one author; a malformed one matches nothing", async () => {
    expect(await find("cat", { account_id: other.id })).toEqual([s.otherCat]);
    expect(await find("cat", { account_id: "not-an-id" })).toEqual([]);
  });

  test("edits are searchable at once; deleted statuses disappear", async () => {
    const id = await post(writer, "an ocelot appears");
    expect(await find("ocelot")).toEqual([id]);
    await ok(writer.client.put(`/api/v1/statuses/${id}`, { status: "a margay appears" }), "edit");
    expect(await find("ocelot")).toEqual([]);
    expect(await find("margay")).toEqual([id]);
    await ok(writer.client.delete(`/api/v1/statuses/${id}`), "delete");
    expect(await find("margay")).toEqual([]);
  });

  test("reblogs are not results of their own; the original is", async () => {
    const id = await post(writer, "a pangolin walks by");
    await ok(other.client.post(`/api/v1/statuses/${id}/reblog`), "reblog");
    expect(await find("pangolin")).toEqual([id]);
  });

  test("muted authors are left out", async () => {
    const muter = await makeUser("muter");
    await ok(muter.client.post(`/api/v1/accounts/${other.id}/mute`), "mute");
    expect(await statusIds(muter.client, "cat sleeping")).toEqual([s.cat]);
  });

  test("full-text syntax and odd input never fail", async () => {
    const nasty = [
      "&", "|", "!", "()", ":*", "cat & dog", "cat | dog", "!cat", "(cat", "cat:*", "'", "''", "\\", "\"", "\"\"",
      "-", "--", "+", "-\"", "from:", "has:", "before:", "a:b:c", "%", "_", "cat%", "😺", "<script>", "@", "#",
      "in:everything", "x".repeat(2000), "cat ".repeat(100), "\u0000", "日本語のテキスト",
    ];
    for (const q of nasty) {
      const response = await users.stranger!.client.get(`/api/v2/search?${new URLSearchParams({ q })}`);
      expect([200, 422]).toContain(response.status);
      if (response.status === 200) assertEntity("Search", response.body);
      else expect(typeof response.body.error).toBe("string");
    }
  });
});

describe("media descriptions and has:media", () => {
  test("alt text is searchable and has:media/has:image match", async () => {
    const png = Uint8Array.from(
      atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="),
      (c) => c.charCodeAt(0),
    );
    const form = new FormData();
    form.append("file", new File([png], "pixel.png", { type: "image/png" }));
    form.append("description", "a capybara in a hot spring");
    const writer = users.writer!;
    const upload = await writer.client.post("/api/v2/media", form);
    if (upload.status !== 200 && upload.status !== 202) throw new Error(`upload: ${upload.status} ${JSON.stringify(upload.body)}`);
    const id = await post(writer, "look at this", { media_ids: [upload.body.id] });
    const find = (q: string) => statusIds(users.stranger!.client, q);
    expect(await find("capybara")).toEqual([id]);
    expect(await find("look has:media")).toEqual([id]);
    expect(await find("look has:image")).toEqual([id]);
    expect(await find("look has:video")).toEqual([]);
    expect(await find("look -has:media")).toEqual([]);
  });
});

describe("account search", () => {
  test("anonymous searchers find accounts by username prefix and display name", async () => {
    expect(await accountNames(anonymous, "autho")).toContain("author");
    expect(await accountNames(anonymous, "lovelace")).toContain("author");
    expect(await accountNames(anonymous, "Ada Love")).toContain("author");
  });

  test("the exact handle comes first, with or without @ and the local domain", async () => {
    await makeUser("handle", { display_name: "Someone else" });
    await makeUser("handlebar");
    await makeUser("handler", { display_name: "handle handle handle", discoverable: true });
    const domain = new URL(server.url).hostname;
    for (const q of ["handle", "@handle", `handle@${domain}`, `@handle@${domain}`]) {
      const found = await accountNames(users.stranger!.client, q);
      expect(found[0]).toBe("handle");
      expect(found).toContain("handlebar");
    }
  });

  test("discoverable accounts rank above the rest", async () => {
    await makeUser("rankzz_hidden", { display_name: "Rank Test", discoverable: false });
    await makeUser("rankzz_shown", { display_name: "Rank Test", discoverable: true });
    expect(await accountNames(anonymous, "rank test")).toEqual(["rankzz_shown", "rankzz_hidden"]);
  });

  test("following=true keeps only accounts the viewer follows", async () => {
    const found = await accountNames(users.follower!.client, "a", { following: "true" });
    expect(found).toEqual(["author"]);
    const v1 = await ok(users.follower!.client.get("/api/v1/accounts/search?q=auth&following=true"), "v1");
    expect(v1.map((a: any) => a.acct)).toEqual(["author"]);
  });

  test("accounts behind a block are not found, either way", async () => {
    expect(await accountNames(users.blocked!.client, "author")).not.toContain("author");
    expect(await accountNames(users.author!.client, "blocked")).not.toContain("blocked");
    expect(await accountNames(users.stranger!.client, "blocked")).toContain("blocked");
  });

  test("#tag queries and `user@domain more words` do not search accounts (Mastodon)", async () => {
    expect((await search(anonymous, { q: "#author" })).accounts).toEqual([]);
    expect((await search(anonymous, { q: "author@x y" })).accounts).toEqual([]);
  });

  test("GET /api/v1/accounts/search: auth, limit, offset", async () => {
    expect((await anonymous.get("/api/v1/accounts/search?q=handle")).status).toBe(401);
    const client = users.stranger!.client;
    const all = await ok<any[]>(client.get("/api/v1/accounts/search?q=handle"), "all");
    for (const account of all) assertEntity("Account", account);
    expect(all.map((a) => a.acct)[0]).toBe("handle");
    expect(all.length).toBe(3);
    const first = await ok<any[]>(client.get("/api/v1/accounts/search?q=handle&limit=2"), "page 1");
    const second = await ok<any[]>(client.get("/api/v1/accounts/search?q=handle&limit=2&offset=2"), "page 2");
    expect([...first, ...second].map((a) => a.id)).toEqual(all.map((a) => a.id));
    expect(await ok(client.get("/api/v1/accounts/search?q="), "empty")).toEqual([]);
    expect((await client.get("/api/v1/accounts/search?q=handle&limit=x")).status).toBe(422);
  });

  test("resolve=true for an unknown remote handle answers empty, not an error", async () => {
    const body = await search(users.stranger!.client, { q: "@someone@remote.invalid", resolve: "true" });
    expect(body.accounts).toEqual([]);
  });
});

describe("hashtag search", () => {
  beforeAll(async () => {
    await post(users.writer!, "#SearchTagz and #searchtagzextended and #searchtagz_more");
    await post(users.otherwriter!, "more #searchtagz");
  });

  test("prefix match, shortest first, with a week of history", async () => {
    const body = await search(anonymous, { q: "#searchtag", type: "hashtags" });
    expect(body.hashtags.map((t) => t.name.toLowerCase())).toEqual(["searchtagz", "searchtagz_more", "searchtagzextended"]);
    const tag = body.hashtags[0]!;
    expect(tag.url).toBe(`${server.url}/tags/${tag.name}`);
    expect(tag.history.length).toBe(7);
    expect(Number(tag.history[0]!.day) % 86_400).toBe(0);
    expect(tag.following).toBeUndefined();
    // Histories are counted in ClickHouse from the event stream, a moment after posting.
    let today = tag.history[0]!;
    for (let i = 0; i < 100 && today.uses !== "2"; i++) {
      await Bun.sleep(100);
      today = (await search(anonymous, { q: "#searchtagz", type: "hashtags" })).hashtags[0]!.history[0]!;
    }
    expect(today).toMatchObject({ uses: "2", accounts: "2" });
  });

  test("following is reported to signed-in viewers", async () => {
    const body = await search(users.stranger!.client, { q: "searchtagz", type: "hashtags" });
    expect(body.hashtags[0]!.following).toBe(false);
  });

  test("exclude_unreviewed keeps only the exact tag", async () => {
    const body = await search(anonymous, { q: "searchtagz", type: "hashtags", exclude_unreviewed: "true" });
    expect(body.hashtags.map((t) => t.name.toLowerCase())).toEqual(["searchtagz"]);
  });

  test("LIKE wildcards are literal, and an @ skips hashtags", async () => {
    expect((await search(anonymous, { q: "search%", type: "hashtags" })).hashtags).toEqual([]);
    expect((await search(anonymous, { q: "searchtagz_", type: "hashtags" })).hashtags.map((t) => t.name)).toEqual([
      "searchtagz_more",
    ]);
    expect((await search(anonymous, { q: "searchtagz@x" })).hashtags).toEqual([]);
  });
});

describe("GET /api/v2/search parameters", () => {
  test("q is required", async () => {
    for (const path of ["/api/v2/search", "/api/v2/search?q=", "/api/v2/search?q=%20"]) {
      const response = await anonymous.get(path);
      expect(response.status).toBe(400);
      expect(typeof response.body.error).toBe("string");
    }
  });

  test("an unknown type searches nothing (Mastodon ignores it)", async () => {
    expect(await search(users.author!.client, { q: "author", type: "foo" })).toEqual({ accounts: [], statuses: [], hashtags: [] });
  });

  test("type narrows the search", async () => {
    const body = await search(users.author!.client, { q: "zebrafinch", type: "statuses" });
    expect(body.statuses.length).toBe(4);
    expect(body.accounts).toEqual([]);
    expect(body.hashtags).toEqual([]);
  });

  test("limit: default 20, at most 40, 0 gives nothing, garbage is a 422", async () => {
    const writer = users.writer!;
    for (let i = 0; i < 41; i++) await post(writer, `bulkyword number ${i}`);
    const find = (extra: Record<string, string>) => search(users.stranger!.client, { q: "bulkyword", type: "statuses", ...extra });
    expect((await find({})).statuses.length).toBe(20);
    expect((await find({ limit: "100" })).statuses.length).toBe(40);
    expect((await find({ limit: "0" })).statuses.length).toBe(0);
    expect((await anonymous.get("/api/v2/search?q=bulkyword&limit=abc")).status).toBe(422);
    expect((await anonymous.get("/api/v2/search?q=bulkyword&limit=-1")).status).toBe(422);
    // Accounts (v1): a limit above the maximum (80) is clamped, not refused.
    const v1 = await ok<any[]>(users.author!.client.get("/api/v1/accounts/search?q=handle&limit=1000"), "v1");
    expect(v1.map((a) => a.acct).sort()).toEqual(["handle", "handlebar", "handler"]);
  });

  test("offset and resolve need a signed-in user", async () => {
    expect((await anonymous.get("/api/v2/search?q=author&offset=1")).status).toBe(401);
    expect((await anonymous.get("/api/v2/search?q=author&resolve=true")).status).toBe(401);
  });

  test("offset only applies to single-type searches", async () => {
    const client = users.stranger!.client;
    const first = await search(client, { q: "bulkyword" });
    const offset = await search(client, { q: "bulkyword", offset: "10" });
    expect(offset.statuses.map((s) => s.id)).toEqual(first.statuses.map((s) => s.id));
    const typed = await search(client, { q: "bulkyword", type: "statuses", offset: "10" });
    expect(typed.statuses.map((s) => s.id)).toEqual((await search(client, { q: "bulkyword", type: "statuses", limit: "30" })).statuses.slice(10).map((s) => s.id));
  });

  test("a token without a read scope is refused", async () => {
    const app = await ok(api(server).post("/api/v1/apps", { client_name: "w", redirect_uris: "urn:ietf:wg:oauth:2.0:oob", scopes: "write" }), "app");
    const token = await ok(
      api(server).post("/oauth/token", { grant_type: "client_credentials", client_id: app.client_id, client_secret: app.client_secret, scope: "write" }),
      "token",
    );
    expect((await api(server, token.access_token).get("/api/v2/search?q=author")).status).toBe(403);
  });
});

describe("resolve=true with URLs", () => {
  test("a local status URL answers with that status, when visible", async () => {
    const author = users.author!;
    for (const url of [`${server.url}/@author/${matrix.public}`, `${server.url}/users/author/statuses/${matrix.public}`]) {
      const body = await search(users.stranger!.client, { q: url, resolve: "true" });
      expect(body.statuses.map((s) => s.id)).toEqual([matrix.public]);
      expect(body.accounts).toEqual([]);
    }
    const privateUrl = `${server.url}/@author/${matrix.private}`;
    expect((await search(users.stranger!.client, { q: privateUrl, resolve: "true" })).statuses).toEqual([]);
    expect((await search(users.follower!.client, { q: privateUrl, resolve: "true" })).statuses.map((s) => s.id)).toEqual([
      matrix.private,
    ]);
    // The wrong type, or an offset, answers nothing.
    expect((await search(users.stranger!.client, { q: `${server.url}/@author/${matrix.public}`, resolve: "true", type: "accounts" })).statuses).toEqual([]);
    expect(author.id).toBeTruthy();
  });

  test("a local profile URL answers with the account", async () => {
    for (const url of [`${server.url}/@author`, `${server.url}/users/author`]) {
      const body = await search(users.stranger!.client, { q: url, resolve: "true" });
      expect(body.accounts.map((a) => a.acct)).toEqual(["author"]);
    }
  });

  test("an unknown remote URL answers empty", async () => {
    const body = await search(users.stranger!.client, { q: "https://remote.invalid/@nobody/1", resolve: "true" });
    expect(body).toEqual({ accounts: [], statuses: [], hashtags: [] });
  });
});
