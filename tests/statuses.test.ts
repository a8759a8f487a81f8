/**
 * Statuses end to end over HTTP: posting (formatting, limits, polls,
 * Idempotency-Key, replies), reading, editing with history and source,
 * delete-and-redraft, favourites, reblogs, bookmarks, pins, conversation
 * mutes, polls and votes, batch reads, context, account statuses, the
 * paginated lists, and exact counters under concurrent requests. Every
 * returned entity is checked against the Mastodon OpenAPI schema. The text
 * formatter and character counter are also tested directly.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startServer, type TestServer } from "./helpers/server.ts";
import { api } from "./helpers/client.ts";
import { assertEntity } from "./helpers/openapi.ts";
import { allPages, linkTo, newUser, newUsers, type User } from "./helpers/social.ts";
import { extractEmojiShortcodes, extractHashtags, extractMentions, formatPlainText, statusLength } from "../src/text/index.ts";

// Sign-ups hash passwords (argon2): tests that create many users need time.
setDefaultTimeout(60_000);

let server: TestServer;
const user = (prefix: string) => newUser(server, prefix);
const users = (prefix: string, n: number) => newUsers(server, prefix, n);

function two(list: User[]): [User, User] {
  return [list[0]!, list[1]!];
}

function three(list: User[]): [User, User, User] {
  return [list[0]!, list[1]!, list[2]!];
}

/** Posts and returns the Status, schema-checked. */
async function post(author: User, body: unknown, headers?: Record<string, string>) {
  const response = await author.client.post("/api/v1/statuses", body, headers);
  if (response.status !== 200) throw new Error(`post failed: ${response.status} ${JSON.stringify(response.body)}`);
  assertEntity("Status", response.body);
  return response.body;
}

/** GET /api/v1/statuses/:id as `viewer` (null: anonymous); the Status is schema-checked when found. */
async function fetchStatus(viewer: User | null, id: string) {
  const response = await (viewer ? viewer.client : api(server)).get(`/api/v1/statuses/${id}`);
  if (response.status === 200) assertEntity("Status", response.body);
  return response;
}

async function account(id: string) {
  const response = await api(server).get(`/api/v1/accounts/${id}`);
  expect(response.status).toBe(200);
  return response.body;
}

/** POSTs a status action and returns the response, schema-checking the Status. */
async function act(viewer: User, id: string, action: string, body?: unknown) {
  const response = await viewer.client.post(`/api/v1/statuses/${id}/${action}`, body);
  if (response.status === 200) assertEntity("Status", response.body);
  return response;
}

beforeAll(async () => {
  server = await startServer();
}, 60_000);

afterAll(async () => {
  const output = server?.output() ?? "";
  await server?.stop();
  // A 500 anywhere above would have been logged here.
  expect(output).not.toContain("Unhandled error");
});

describe("text formatting (src/text)", () => {
  const resolve = {
    mention: (username: string, domain: string | null) =>
      domain === null && username === "alice" ? { url: "https://local.test/@alice", username: "alice" } : null,
    hashtagUrl: (name: string) => `https://local.test/tags/${encodeURIComponent(name)}`,
  };

  test("escapes everything and builds paragraphs and line breaks", () => {
    expect(formatPlainText(`<b>"hi"</b> & 'you'\nnext\n\n\nnew paragraph`)).toBe(
      "<p>&lt;b&gt;&quot;hi&quot;&lt;/b&gt; &amp; &#39;you&#39;<br />next</p><p>new paragraph</p>",
    );
    expect(formatPlainText("   ")).toBe("");
    expect(formatPlainText("a\nb", { multiline: false })).toBe("a b");
  });

  test("links http(s) URLs Mastodon-style, leaves bare domains and other schemes alone", () => {
    const html = formatPlainText("see https://example.com/a/long/path/that/is/longer/than/thirty, or example.org javascript:alert(1)");
    expect(html).toContain('<a href="https://example.com/a/long/path/that/is/longer/than/thirty" target="_blank" rel="nofollow noopener noreferrer" translate="no">');
    expect(html).toContain('<span class="invisible">https://</span><span class="ellipsis">example.com/a/long/path/that/i</span>');
    expect(html).toContain("thirty</span></a>, or example.org javascript:alert(1)");
  });

  test("links resolved mentions as h-cards and hashtags to the tag page; unknown mentions stay text", () => {
    const html = formatPlainText("hi @alice @ghost @bob@remote.example #Fedi #123 mail@alice.example https://x.example/@alice#frag", resolve);
    expect(html).toContain('<span class="h-card" translate="no"><a href="https://local.test/@alice" class="u-url mention">@<span>alice</span></a></span>');
    expect(html).toContain(" @ghost @bob@remote.example ");
    expect(html).toContain('<a href="https://local.test/tags/Fedi" class="mention hashtag" rel="tag">#<span>Fedi</span></a>');
    // Numbers only are not hashtags; e-mail addresses and URLs are not mentions.
    expect(html).toContain(" #123 mail@alice.example ");
    expect(html).toContain('<a href="https://x.example/@alice#frag"');
    expect(html.match(/class="u-url mention"/g)).toHaveLength(1);
  });

  test("profile notes keep working without resolvers: mentions and hashtags stay text", () => {
    expect(formatPlainText("@alice #tag https://a.example", { relMe: true })).toBe(
      '<p>@alice #tag <a href="https://a.example" target="_blank" rel="nofollow noopener noreferrer me" translate="no"><span class="invisible">https://</span><span class="">a.example</span><span class="invisible"></span></a></p>',
    );
  });

  test("extracts mentions and hashtags as Mastodon does", () => {
    expect(extractMentions("@alice, @Bob@Remote.Example. @alice again, x@y.example")).toEqual([
      { username: "alice", domain: null },
      { username: "Bob", domain: "remote.example" },
    ]);
    expect(extractHashtags("#Tag #tag #日本語 #1·2 #_ #a_b.")).toEqual(["Tag", "日本語", "1·2", "a_b"]);
    expect(extractEmojiShortcodes(":blobcat: hi:nope: :a: :blob_fox:, :blobcat:")).toEqual(["blobcat", "blob_fox"]);
  });

  test("counts like Mastodon: URLs as 23, remote mentions without their domain, graphemes as one", () => {
    expect(statusLength("x".repeat(500))).toBe(500);
    expect(statusLength(`a https://example.com/${"p".repeat(200)}`)).toBe(2 + 23);
    expect(statusLength("@someone@a-very-long-domain.example")).toBe("@someone".length);
    expect(statusLength("👩‍👩‍👧‍👦👍🏽")).toBe(2);
    expect(statusLength("body", "warning")).toBe(11);
  });
});

describe("posting", () => {
  let alice: User, bob: User;
  beforeAll(async () => {
    [alice, bob] = two(await users("post", 2));
  }, 60_000);

  test("a status is formatted, linked and shaped like Mastodon's", async () => {
    const status = await post(alice, {
      status: `Hello @${bob.username} and @nobody@remote.example! #Fediverse <3\n\nhttps://example.com/page`,
      language: "en",
    });
    expect(status.visibility).toBe("public");
    expect(status.language).toBe("en");
    expect(status.content).toContain(
      `<span class="h-card" translate="no"><a href="${server.url}/@${bob.username}" class="u-url mention">@<span>${bob.username}</span></a></span>`,
    );
    expect(status.content).toContain("@nobody@remote.example!");
    expect(status.content).toContain(`<a href="${server.url}/tags/Fediverse" class="mention hashtag" rel="tag">#<span>Fediverse</span></a> &lt;3</p><p>`);
    expect(status.mentions).toEqual([{ id: bob.id, username: bob.username, acct: bob.username, url: `${server.url}/@${bob.username}` }]);
    expect(status.tags).toEqual([{ name: "Fediverse", url: `${server.url}/tags/Fediverse` }]);
    expect(status.uri).toBe(`${server.url}/users/${alice.username}/statuses/${status.id}`);
    expect(status.url).toBe(`${server.url}/@${alice.username}/${status.id}`);
    expect(status.application).toEqual({ name: "Sign-up helper", website: null });
    expect(status.account.id).toBe(alice.id);
    expect(status).toMatchObject({
      in_reply_to_id: null,
      in_reply_to_account_id: null,
      reblog: null,
      poll: null,
      card: null,
      quote: null,
      edited_at: null,
      sensitive: false,
      spoiler_text: "",
      media_attachments: [],
      emojis: [],
      replies_count: 0,
      reblogs_count: 0,
      favourites_count: 0,
      favourited: false,
      reblogged: false,
      muted: false,
      bookmarked: false,
      pinned: false,
      filtered: [],
    });
    expect(status.text).toBeUndefined();
    // Anonymous readers get no viewer fields.
    const anonymous = await fetchStatus(null, status.id);
    expect(anonymous.status).toBe(200);
    for (const field of ["favourited", "reblogged", "muted", "bookmarked", "pinned", "filtered"]) {
      expect(anonymous.body).not.toHaveProperty(field);
    }
    expect(anonymous.body.content).toBe(status.content);
  });

  test("form-encoded and multipart bodies are accepted, polls included", async () => {
    const form = new URLSearchParams();
    form.set("status", "form poll");
    form.append("poll[options][]", "yes");
    form.append("poll[options][]", "no");
    form.set("poll[expires_in]", "3600");
    form.set("poll[multiple]", "true");
    const response = await alice.client.post("/api/v1/statuses", form);
    expect(response.status).toBe(200);
    assertEntity("Status", response.body);
    expect(response.body.poll.options.map((o: any) => o.title)).toEqual(["yes", "no"]);
    expect(response.body.poll.multiple).toBe(true);
    assertEntity("Poll", response.body.poll);

    const multipart = new FormData();
    multipart.set("status", "multipart");
    multipart.set("visibility", "unlisted");
    multipart.set("spoiler_text", "cw");
    const second = await alice.client.post("/api/v1/statuses", multipart);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ visibility: "unlisted", spoiler_text: "cw", sensitive: true });
  });

  test("the character limit is 500 with URLs counting 23, enforced with 422 and nothing written", async () => {
    const before = (await account(alice.id)).statuses_count;
    expect((await alice.client.post("/api/v1/statuses", { status: "x".repeat(500) })).status).toBe(200);
    const tooLong = await alice.client.post("/api/v1/statuses", { status: "x".repeat(501) });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.error).toContain("500");
    const url = `https://example.com/${"long".repeat(50)}`;
    expect((await alice.client.post("/api/v1/statuses", { status: `${"y".repeat(476)} ${url}` })).status).toBe(200);
    expect((await alice.client.post("/api/v1/statuses", { status: `${"y".repeat(477)} ${url}` })).status).toBe(422);
    // The content warning counts too.
    expect((await alice.client.post("/api/v1/statuses", { status: "x".repeat(490), spoiler_text: "y".repeat(11) })).status).toBe(422);
    expect((await account(alice.id)).statuses_count).toBe(before + 2);
  });

  test("bad input is refused with 4xx and changes nothing", async () => {
    const before = (await account(alice.id)).statuses_count;
    const cases: [unknown, number][] = [
      [{ status: "" }, 422],
      [{ status: "   " }, 422],
      [{}, 422],
      [{ status: "x", visibility: "everyone" }, 422],
      [{ status: "x", media_ids: ["1234"] }, 422],
      [{ status: "x", media_ids: ["abc"] }, 422],
      [{ status: "x", scheduled_at: "2099-01-01T00:00:00Z" }, 422],
      [{ status: "x", poll: { options: ["only one"], expires_in: 600 } }, 422],
      [{ status: "x", poll: { options: ["a", "a"], expires_in: 600 } }, 422],
      [{ status: "x", poll: { options: ["a", "b", "c", "d", "e"], expires_in: 600 } }, 422],
      [{ status: "x", poll: { options: ["a", "x".repeat(51)], expires_in: 600 } }, 422],
      [{ status: "x", poll: { options: ["a", "b"], expires_in: 60 } }, 422],
      [{ status: "x", poll: { options: ["a", "b"], expires_in: 99_999_999 } }, 422],
      [{ status: "x", poll: { options: ["a", "b"] } }, 422],
      [{ status: "x", in_reply_to_id: "999999999" }, 404],
      [{ status: "x", in_reply_to_id: "not-a-number" }, 404],
    ];
    for (const [body, status] of cases) {
      const response = await alice.client.post("/api/v1/statuses", body);
      expect({ body, status: response.status }).toEqual({ body, status });
      expect(typeof response.body.error).toBe("string");
    }
    const malformed = await alice.client.request("POST", "/api/v1/statuses", "{not json", { "content-type": "application/json" });
    expect(malformed.status).toBe(400);
    expect((await api(server).post("/api/v1/statuses", { status: "anonymous" })).status).toBe(401);
    expect((await account(alice.id)).statuses_count).toBe(before);
  });

  test("a content warning alone becomes the text; a content warning makes the post sensitive", async () => {
    const onlyWarning = await post(alice, { spoiler_text: "just this" });
    expect(onlyWarning.content).toBe("<p>just this</p>");
    expect(onlyWarning.spoiler_text).toBe("");
    const warned = await post(alice, { status: "body", spoiler_text: "careful", sensitive: false });
    expect(warned.sensitive).toBe(true);
  });

  test("the posting defaults from preferences apply", async () => {
    const response = await bob.client.patch("/api/v1/accounts/update_credentials", {
      source: { privacy: "unlisted", sensitive: true, language: "de" },
    });
    expect(response.status).toBe(200);
    const status = await post(bob, { status: "defaults" });
    expect(status).toMatchObject({ visibility: "unlisted", sensitive: true, language: "de" });
    const explicit = await post(bob, { status: "explicit", visibility: "public", sensitive: false, language: "fr" });
    expect(explicit).toMatchObject({ visibility: "public", sensitive: false, language: "fr" });
  });

  test("Idempotency-Key: the same key gives the same status, even concurrently; another key a new one", async () => {
    const before = (await account(alice.id)).statuses_count;
    const headers = { "idempotency-key": "key-1" };
    const first = await post(alice, { status: "once" }, headers);
    const again = await post(alice, { status: "once" }, headers);
    expect(again.id).toBe(first.id);
    const concurrent = await Promise.all(
      Array.from({ length: 8 }, () => post(alice, { status: "racing" }, { "idempotency-key": "key-2" })),
    );
    expect(new Set(concurrent.map((s) => s.id)).size).toBe(1);
    const other = await post(alice, { status: "once" }, { "idempotency-key": "key-3" });
    expect(other.id).not.toBe(first.id);
    // Keys are per account.
    const bobs = await post(bob, { status: "mine" }, headers);
    expect(bobs.id).not.toBe(first.id);
    expect((await account(alice.id)).statuses_count).toBe(before + 3);
  });

  test("replies: parent must be visible, conversation and counters follow, private threads stay private", async () => {
    const root = await post(alice, { status: "root" });
    const reply = await post(bob, { status: `@${alice.username} reply`, in_reply_to_id: root.id });
    expect(reply.in_reply_to_id).toBe(root.id);
    expect(reply.in_reply_to_account_id).toBe(alice.id);
    expect((await fetchStatus(alice, root.id)).body.replies_count).toBe(1);

    const secret = await post(alice, { status: "followers only", visibility: "private" });
    const hidden = await bob.client.post("/api/v1/statuses", { status: "can I?", in_reply_to_id: secret.id });
    expect(hidden.status).toBe(404);
    // The author replying to their own private post: a public reply is capped to private.
    const capped = await post(alice, { status: "self reply", in_reply_to_id: secret.id, visibility: "public" });
    expect(capped.visibility).toBe("private");
    // Private replies don't count as replies (Mastodon's distributable rule).
    expect((await fetchStatus(alice, secret.id)).body.replies_count).toBe(0);
    const direct = await post(alice, { status: `@${bob.username} dm`, visibility: "direct" });
    const dmReply = await post(bob, { status: `@${alice.username} answer`, in_reply_to_id: direct.id, visibility: "public" });
    expect(dmReply.visibility).toBe("direct");
  });

  test("unknown and non-numeric ids are 404, never 500", async () => {
    for (const path of ["/api/v1/statuses/123", "/api/v1/statuses/abc", "/api/v1/statuses/99999999999999999999999", "/api/v1/statuses/-1/context"]) {
      const response = await alice.client.get(path);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
      expect(response.body.error).toBe("Record not found");
    }
    expect((await alice.client.post("/api/v1/statuses/abc/favourite")).status).toBe(404);
    expect((await alice.client.put("/api/v1/statuses/abc", { status: "x" })).status).toBe(404);
    expect((await alice.client.delete("/api/v1/statuses/abc")).status).toBe(404);
    expect((await alice.client.get("/api/v1/polls/abc")).status).toBe(404);
  });
});

describe("editing", () => {
  let alice: User, bob: User;
  beforeAll(async () => {
    [alice, bob] = two(await users("edit", 2));
  }, 60_000);

  test("an edit updates the status, records history (the original first) and keeps the source", async () => {
    const original = await post(alice, { status: "first version #one", spoiler_text: "cw" });
    const never = await alice.client.get(`/api/v1/statuses/${original.id}/history`);
    expect(never.status).toBe(200);
    expect(never.body).toHaveLength(1);
    assertEntity("StatusEdit", never.body[0]);

    const edited = await alice.client.put(`/api/v1/statuses/${original.id}`, { status: `second @${bob.username} #two` });
    expect(edited.status).toBe(200);
    assertEntity("Status", edited.body);
    expect(edited.body.id).toBe(original.id);
    expect(edited.body.content).toContain("second");
    expect(edited.body.spoiler_text).toBe("");
    expect(edited.body.edited_at).not.toBeNull();
    expect(edited.body.created_at).toBe(original.created_at);
    expect(edited.body.tags.map((t: any) => t.name)).toEqual(["two"]);
    expect(edited.body.mentions.map((m: any) => m.id)).toEqual([bob.id]);

    await alice.client.put(`/api/v1/statuses/${original.id}`, { status: "third", sensitive: true });
    const history = await api(server).get(`/api/v1/statuses/${original.id}/history`);
    expect(history.status).toBe(200);
    for (const edit of history.body) assertEntity("StatusEdit", edit);
    expect(history.body.map((e: any) => e.content)).toEqual([
      original.content,
      edited.body.content,
      "<p>third</p>",
    ]);
    expect(history.body[0].spoiler_text).toBe("cw");
    expect(history.body[0].created_at).toBe(original.created_at);
    expect(history.body[2].sensitive).toBe(true);
    const current = await fetchStatus(alice, original.id);
    expect(history.body[2].created_at).toBe(current.body.edited_at);

    const source = await alice.client.get(`/api/v1/statuses/${original.id}/source`);
    expect(source.status).toBe(200);
    assertEntity("StatusSource", source.body);
    expect(source.body).toEqual({ id: original.id, text: "third", spoiler_text: "" });
  });

  test("only the author can edit; invalid edits change nothing", async () => {
    const status = await post(alice, { status: "mine" });
    expect((await bob.client.put(`/api/v1/statuses/${status.id}`, { status: "yours" })).status).toBe(404);
    expect((await alice.client.put(`/api/v1/statuses/${status.id}`, { status: "x".repeat(501) })).status).toBe(422);
    expect((await alice.client.put(`/api/v1/statuses/${status.id}`, { status: "" })).status).toBe(422);
    const after = await fetchStatus(alice, status.id);
    expect(after.body.content).toBe("<p>mine</p>");
    expect(after.body.edited_at).toBeNull();
    const history = await alice.client.get(`/api/v1/statuses/${status.id}/history`);
    expect(history.body).toHaveLength(1);
  });

  test("editing poll options resets the votes and shows in history", async () => {
    const status = await post(alice, { status: "vote", poll: { options: ["a", "b"], expires_in: 3600 } });
    const voted = await bob.client.post(`/api/v1/polls/${status.poll.id}/votes`, { choices: [0] });
    expect(voted.status).toBe(200);
    expect(voted.body.votes_count).toBe(1);
    const same = await alice.client.put(`/api/v1/statuses/${status.id}`, { status: "vote!", poll: { options: ["a", "b"], expires_in: 3600 } });
    expect(same.body.poll.votes_count).toBe(1);
    const changed = await alice.client.put(`/api/v1/statuses/${status.id}`, { status: "vote!", poll: { options: ["a", "c"], expires_in: 3600 } });
    expect(changed.status).toBe(200);
    expect(changed.body.poll.votes_count).toBe(0);
    expect(changed.body.poll.options.map((o: any) => o.title)).toEqual(["a", "c"]);
    const history = await alice.client.get(`/api/v1/statuses/${status.id}/history`);
    expect(history.body.at(-1).poll).toEqual({ options: [{ title: "a" }, { title: "c" }] });
    expect(history.body[0].poll).toEqual({ options: [{ title: "a" }, { title: "b" }] });
  });
});

describe("deleting", () => {
  let alice: User, bob: User;
  beforeAll(async () => {
    [alice, bob] = two(await users("del", 2));
  }, 60_000);

  test("delete answers with the source text for redraft, hides the status and fixes counters", async () => {
    const before = (await account(alice.id)).statuses_count;
    const status = await post(alice, { status: "delete me #gone", spoiler_text: "cw", poll: { options: ["x", "y"], expires_in: 600 } });
    expect((await account(alice.id)).statuses_count).toBe(before + 1);
    const deleted = await alice.client.delete(`/api/v1/statuses/${status.id}`);
    expect(deleted.status).toBe(200);
    assertEntity("Status", deleted.body);
    expect(deleted.body).toMatchObject({ id: status.id, text: "delete me #gone", spoiler_text: "cw" });
    expect(deleted.body.poll.options.map((o: any) => o.title)).toEqual(["x", "y"]);
    expect((await fetchStatus(alice, status.id)).status).toBe(404);
    expect((await fetchStatus(null, status.id)).status).toBe(404);
    expect((await alice.client.delete(`/api/v1/statuses/${status.id}`)).status).toBe(404);
    expect((await account(alice.id)).statuses_count).toBe(before);
    // Redraft: post the source again.
    const redraft = await post(alice, { status: deleted.body.text, spoiler_text: deleted.body.spoiler_text });
    expect(redraft.content).toBe(status.content);
  });

  test("others can't delete; deleting a reply and a reblogged status updates what depends on it", async () => {
    const status = await post(alice, { status: "popular" });
    expect((await bob.client.delete(`/api/v1/statuses/${status.id}`)).status).toBe(404);
    const reply = await post(bob, { status: "reply", in_reply_to_id: status.id });
    const reblog = (await act(bob, status.id, "reblog")).body;
    expect((await fetchStatus(alice, status.id)).body).toMatchObject({ replies_count: 1, reblogs_count: 1 });
    const bobBefore = (await account(bob.id)).statuses_count;

    expect((await bob.client.delete(`/api/v1/statuses/${reply.id}`)).status).toBe(200);
    expect((await fetchStatus(alice, status.id)).body.replies_count).toBe(0);

    expect((await alice.client.delete(`/api/v1/statuses/${status.id}`)).status).toBe(200);
    // The boost goes with the original.
    expect((await fetchStatus(bob, reblog.id)).status).toBe(404);
    expect((await account(bob.id)).statuses_count).toBe(bobBefore - 2);
    const bobs = await bob.client.get(`/api/v1/accounts/${bob.id}/statuses`);
    expect(bobs.body.map((s: any) => s.id)).not.toContain(reblog.id);
  });
});

describe("favourites", () => {
  let alice: User, bob: User, carol: User;
  beforeAll(async () => {
    [alice, bob, carol] = three(await users("fav", 3));
  }, 60_000);

  test("favourite and unfavourite, idempotent, with favourited_by", async () => {
    const status = await post(alice, { status: "like me" });
    const first = await act(bob, status.id, "favourite");
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ favourited: true, favourites_count: 1 });
    expect((await act(bob, status.id, "favourite")).body.favourites_count).toBe(1);
    expect((await fetchStatus(alice, status.id)).body).toMatchObject({ favourited: false, favourites_count: 1 });

    const by = await api(server).get(`/api/v1/statuses/${status.id}/favourited_by`);
    expect(by.status).toBe(200);
    expect(by.body.map((a: any) => a.id)).toEqual([bob.id]);
    for (const a of by.body) assertEntity("Account", a);

    const undone = await act(bob, status.id, "unfavourite");
    expect(undone.body).toMatchObject({ favourited: false, favourites_count: 0 });
    expect((await act(bob, status.id, "unfavourite")).body.favourites_count).toBe(0);
    expect((await api(server).get(`/api/v1/statuses/${status.id}/favourited_by`)).body).toEqual([]);
  });

  test("20 users favouriting at once count 20; one user twice at once counts 1", async () => {
    const status = await post(alice, { status: "rush" });
    const fans = await users("fan", 20);
    const responses = await Promise.all(fans.map((fan) => act(fan, status.id, "favourite")));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect((await fetchStatus(null, status.id)).body.favourites_count).toBe(20);

    const twice = await post(alice, { status: "double tap" });
    await Promise.all([act(carol, twice.id, "favourite"), act(carol, twice.id, "favourite"), act(carol, twice.id, "favourite")]);
    expect((await fetchStatus(null, twice.id)).body.favourites_count).toBe(1);
    await Promise.all([act(carol, twice.id, "unfavourite"), act(carol, twice.id, "unfavourite")]);
    expect((await fetchStatus(null, twice.id)).body.favourites_count).toBe(0);

    // favourited_by pages through all 20 by favourite id, no duplicates, no gaps.
    const pages = (await allPages(server, null, `/api/v1/statuses/${status.id}/favourited_by?limit=6`)).pages;
    expect(pages.map((p) => p.length)).toEqual([6, 6, 6, 2]);
    const ids = pages.flat().map((a) => a.id);
    expect(new Set(ids).size).toBe(20);
    expect(new Set(ids)).toEqual(new Set(fans.map((f) => f.id)));
  });

  test("GET /api/v1/favourites pages by favourite id with Link headers, no duplicates or gaps", async () => {
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push(await post(alice, { status: `fav ${i}` }));
    // Favourited in reverse order: the list follows favourite time, not status id.
    for (const s of [...statuses].reverse()) expect((await act(carol, s.id, "favourite")).status).toBe(200);
    const first = await carol.client.get("/api/v1/favourites?limit=3");
    expect(first.status).toBe(200);
    expect(first.headers.get("link")).toContain('rel="next"');
    for (const s of first.body) assertEntity("Status", s);
    const pages = (await allPages(server, carol, "/api/v1/favourites?limit=3")).pages;
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat().map((s) => s.id)).toEqual(statuses.map((s) => s.id));
    expect(pages.flat().every((s) => s.favourited === true)).toBe(true);
    // prev from the second page leads back to the first.
    const second = await carol.client.get(linkTo(first.headers.get("link"), "next")!);
    const back = await carol.client.get(linkTo(second.headers.get("link"), "prev")!);
    expect(back.body.map((s: any) => s.id)).toEqual(first.body.map((s: any) => s.id));
    expect((await api(server).get("/api/v1/favourites")).status).toBe(401);
  });
});

describe("reblogs", () => {
  let alice: User, bob: User, carol: User;
  beforeAll(async () => {
    [alice, bob, carol] = three(await users("rb", 3));
  }, 60_000);

  test("a reblog is a status wrapping the original; once per account, even concurrently", async () => {
    const status = await post(alice, { status: "boost me" });
    const before = (await account(bob.id)).statuses_count;
    const responses = await Promise.all([act(bob, status.id, "reblog"), act(bob, status.id, "reblog"), act(bob, status.id, "reblog")]);
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
    const reblog = responses[0]!.body;
    expect(reblog.reblog.id).toBe(status.id);
    expect(reblog.account.id).toBe(bob.id);
    expect(reblog.reblog).toMatchObject({ reblogged: true, reblogs_count: 1 });
    expect(reblog.uri).toBe(`${server.url}/users/${bob.username}/statuses/${reblog.id}/activity`);
    expect((await account(bob.id)).statuses_count).toBe(before + 1);
    // Reblogging the reblog reblogs the original.
    expect((await act(bob, reblog.id, "reblog")).body.id).toBe(reblog.id);

    const by = await carol.client.get(`/api/v1/statuses/${status.id}/reblogged_by`);
    expect(by.body.map((a: any) => a.id)).toEqual([bob.id]);

    const undone = await act(bob, status.id, "unreblog");
    expect(undone.status).toBe(200);
    expect(undone.body).toMatchObject({ id: status.id, reblogged: false, reblogs_count: 0 });
    expect((await fetchStatus(bob, reblog.id)).status).toBe(404);
    expect((await account(bob.id)).statuses_count).toBe(before);
    // Reblogging again after undoing works.
    expect((await act(bob, status.id, "reblog")).body.reblog.reblogs_count).toBe(1);
  });

  test("reblog visibility: the param is honoured; private and direct can't be boosted by others", async () => {
    const status = await post(alice, { status: "quiet boost" });
    const unlisted = await act(carol, status.id, "reblog", { visibility: "unlisted" });
    expect(unlisted.body.visibility).toBe("unlisted");
    expect((await act(bob, status.id, "reblog", { visibility: "direct" })).status).toBe(422);

    expect((await bob.client.post(`/api/v1/accounts/${alice.id}/follow`)).status).toBe(200);
    const secret = await post(alice, { status: "followers", visibility: "private" });
    expect((await fetchStatus(bob, secret.id)).status).toBe(200);
    expect((await act(bob, secret.id, "reblog")).status).toBe(403);
    const own = await act(alice, secret.id, "reblog", { visibility: "public" });
    expect(own.status).toBe(200);
    expect(own.body.visibility).toBe("private");
    const dm = await post(alice, { status: `@${bob.username} dm`, visibility: "direct" });
    expect((await act(bob, dm.id, "reblog")).status).toBe(403);
    expect((await act(alice, dm.id, "reblog")).status).toBe(403);
    // A status the viewer can't see doesn't exist for them.
    expect((await act(carol, secret.id, "reblog")).status).toBe(404);
  });
});

describe("bookmarks, pins and conversation mutes", () => {
  let alice: User, bob: User;
  beforeAll(async () => {
    [alice, bob] = two(await users("bm", 2));
  }, 60_000);

  test("bookmarks are listed newest bookmark first and can be removed", async () => {
    const one = await post(alice, { status: "one" });
    const two_ = await post(alice, { status: "two" });
    expect((await act(bob, two_.id, "bookmark")).body.bookmarked).toBe(true);
    expect((await act(bob, one.id, "bookmark")).body.bookmarked).toBe(true);
    expect((await act(bob, one.id, "bookmark")).status).toBe(200);
    const list = await bob.client.get("/api/v1/bookmarks");
    expect(list.status).toBe(200);
    expect(list.body.map((s: any) => s.id)).toEqual([one.id, two_.id]);
    for (const s of list.body) assertEntity("Status", s);
    expect(list.headers.get("link")).toContain("/api/v1/bookmarks?max_id=");
    expect((await act(bob, one.id, "unbookmark")).body.bookmarked).toBe(false);
    expect((await bob.client.get("/api/v1/bookmarks")).body.map((s: any) => s.id)).toEqual([two_.id]);
    expect((await alice.client.get("/api/v1/bookmarks")).body).toEqual([]);
  });

  test("pins: own public/unlisted/private posts, at most five, shown with pinned=true", async () => {
    const mine = [];
    for (let i = 0; i < 6; i++) mine.push(await post(alice, { status: `pin ${i}`, visibility: i === 1 ? "unlisted" : "public" }));
    for (const s of mine.slice(0, 5)) {
      const response = await act(alice, s.id, "pin");
      expect(response.status).toBe(200);
      expect(response.body.pinned).toBe(true);
    }
    const sixth = await act(alice, mine[5]!.id, "pin");
    expect(sixth.status).toBe(422);
    expect(sixth.body.error).toContain("maximum");
    // Pinning again what is already pinned is fine.
    expect((await act(alice, mine[0]!.id, "pin")).status).toBe(200);

    const pinned = await api(server).get(`/api/v1/accounts/${alice.id}/statuses?pinned=true`);
    expect(pinned.status).toBe(200);
    expect(pinned.body.map((s: any) => s.id)).toEqual(mine.slice(0, 5).reverse().map((s) => s.id));
    expect((await act(alice, mine[0]!.id, "unpin")).body.pinned).toBe(false);
    expect((await act(alice, mine[5]!.id, "pin")).status).toBe(200);

    const theirs = await post(bob, { status: "not yours" });
    expect((await act(alice, theirs.id, "pin")).status).toBe(422);
    const dm = await post(alice, { status: `@${bob.username} secret`, visibility: "direct" });
    expect((await act(alice, dm.id, "pin")).status).toBe(422);
    const boost = (await act(alice, theirs.id, "reblog")).body;
    expect((await act(alice, boost.id, "pin")).status).toBe(422);
    // `pinned` appears only where pinning is possible: own, non-direct, non-reblog.
    expect((await fetchStatus(bob, mine[5]!.id)).body.pinned).toBeUndefined();
    expect((await fetchStatus(alice, dm.id)).body.pinned).toBeUndefined();
  });

  test("muting a conversation shows as muted on every status of the thread", async () => {
    const root = await post(alice, { status: "thread" });
    const reply = await post(bob, { status: "reply", in_reply_to_id: root.id });
    const muted = await act(alice, reply.id, "mute");
    expect(muted.status).toBe(200);
    expect(muted.body.muted).toBe(true);
    expect((await fetchStatus(alice, root.id)).body.muted).toBe(true);
    expect((await fetchStatus(bob, root.id)).body.muted).toBe(false);
    expect((await act(alice, root.id, "unmute")).body.muted).toBe(false);
    expect((await fetchStatus(alice, reply.id)).body.muted).toBe(false);
  });
});

describe("polls", () => {
  let alice: User, bob: User, carol: User;
  beforeAll(async () => {
    [alice, bob, carol] = three(await users("poll", 3));
  }, 60_000);

  test("voting once on someone else's open poll, with Mastodon's validations", async () => {
    const status = await post(alice, { status: "pick", poll: { options: ["red", "green", "blue"], expires_in: 600 } });
    const pollId = status.poll.id;
    const fresh = await bob.client.get(`/api/v1/polls/${pollId}`);
    expect(fresh.status).toBe(200);
    assertEntity("Poll", fresh.body);
    expect(fresh.body).toMatchObject({ voted: false, own_votes: [], votes_count: 0, expired: false, multiple: false });
    expect((await api(server).get(`/api/v1/polls/${pollId}`)).body).not.toHaveProperty("voted");

    expect((await bob.client.post(`/api/v1/polls/${pollId}/votes`, { choices: [0, 1] })).status).toBe(422);
    expect((await bob.client.post(`/api/v1/polls/${pollId}/votes`, { choices: [3] })).status).toBe(422);
    expect((await bob.client.post(`/api/v1/polls/${pollId}/votes`, { choices: ["x"] })).status).toBe(422);
    expect((await bob.client.post(`/api/v1/polls/${pollId}/votes`, {})).status).toBe(422);
    expect((await alice.client.post(`/api/v1/polls/${pollId}/votes`, { choices: [0] })).status).toBe(422);

    const vote = await bob.client.post(`/api/v1/polls/${pollId}/votes`, { choices: ["2"] });
    expect(vote.status).toBe(200);
    assertEntity("Poll", vote.body);
    expect(vote.body).toMatchObject({ voted: true, own_votes: [2], votes_count: 1, voters_count: 1 });
    expect(vote.body.options.map((o: any) => o.votes_count)).toEqual([0, 0, 1]);
    const again = await bob.client.post(`/api/v1/polls/${pollId}/votes`, { choices: [1] });
    expect(again.status).toBe(422);
    expect(again.body.error).toContain("already voted");

    const viaStatus = await fetchStatus(bob, status.id);
    expect(viaStatus.body.poll).toMatchObject({ voted: true, own_votes: [2] });
    expect((await fetchStatus(alice, status.id)).body.poll.voted).toBe(true);
  });

  test("multiple choice, hidden totals, and exact counts under concurrent votes", async () => {
    const status = await post(alice, {
      status: "many",
      poll: { options: ["a", "b", "c"], expires_in: 600, multiple: true, hide_totals: true },
    });
    const pollId = status.poll.id;
    const voters = await users("voter", 10);
    const responses = await Promise.all(voters.map((v, i) => v.client.post(`/api/v1/polls/${pollId}/votes`, { choices: i % 2 ? [0, 2] : [1] })));
    expect(responses.map((r) => r.status)).toEqual(voters.map(() => 200));
    // Concurrent ballots from one account: one wins.
    const double = await Promise.all([
      carol.client.post(`/api/v1/polls/${pollId}/votes`, { choices: [0] }),
      carol.client.post(`/api/v1/polls/${pollId}/votes`, { choices: [1] }),
    ]);
    expect(double.map((r) => r.status).sort()).toEqual([200, 422]);

    const forVoter = await bob.client.get(`/api/v1/polls/${pollId}`);
    expect(forVoter.body).toMatchObject({ votes_count: 16, voters_count: 11, multiple: true });
    // Totals hidden until the end, except from the author.
    expect(forVoter.body.options.every((o: any) => o.votes_count === null)).toBe(true);
    assertEntity("Poll", forVoter.body);
    const forAuthor = await alice.client.get(`/api/v1/polls/${pollId}`);
    const counts = forAuthor.body.options.map((o: any) => o.votes_count);
    expect(counts.reduce((a: number, b: number) => a + b, 0)).toBe(16);
  });

  test("polls of statuses the viewer can't see are 404", async () => {
    const status = await post(alice, { status: "secret poll", visibility: "private", poll: { options: ["a", "b"], expires_in: 600 } });
    expect((await bob.client.get(`/api/v1/polls/${status.poll.id}`)).status).toBe(404);
    expect((await bob.client.post(`/api/v1/polls/${status.poll.id}/votes`, { choices: [0] })).status).toBe(404);
    expect((await api(server).get(`/api/v1/polls/${status.poll.id}`)).status).toBe(404);
  });
});

describe("reading many statuses", () => {
  let alice: User, bob: User;
  beforeAll(async () => {
    [alice, bob] = two(await users("read", 2));
  }, 60_000);

  test("GET /api/v1/statuses?id[]= returns visible statuses in request order, at most 20 ids", async () => {
    const a = await post(alice, { status: "a" });
    const b = await post(alice, { status: "b" });
    const secret = await post(alice, { status: "s", visibility: "private" });
    const response = await bob.client.get(`/api/v1/statuses?id[]=${b.id}&id[]=${secret.id}&id[]=999&id[]=abc&id[]=${a.id}&id[]=${b.id}`);
    expect(response.status).toBe(200);
    expect(response.body.map((s: any) => s.id)).toEqual([b.id, a.id]);
    for (const s of response.body) assertEntity("Status", s);
    const own = await alice.client.get(`/api/v1/statuses?id[]=${secret.id}`);
    expect(own.body.map((s: any) => s.id)).toEqual([secret.id]);
    const tooMany = Array.from({ length: 21 }, (_, i) => `id[]=${i + 1}`).join("&");
    expect((await bob.client.get(`/api/v1/statuses?${tooMany}`)).status).toBe(422);
    expect((await api(server).get("/api/v1/statuses")).body).toEqual([]);
  });

  test("context: ancestors root first, descendants depth first", async () => {
    const root = await post(alice, { status: "root" });
    const r1 = await post(bob, { status: "r1", in_reply_to_id: root.id });
    const r2 = await post(alice, { status: "r2", in_reply_to_id: root.id });
    const r11 = await post(alice, { status: "r1.1", in_reply_to_id: r1.id });
    const r111 = await post(bob, { status: "r1.1.1", in_reply_to_id: r11.id });
    const context = await api(server).get(`/api/v1/statuses/${root.id}/context`);
    expect(context.status).toBe(200);
    assertEntity("Context", context.body);
    expect(context.body.ancestors).toEqual([]);
    expect(context.body.descendants.map((s: any) => s.id)).toEqual([r1.id, r11.id, r111.id, r2.id]);
    const middle = await bob.client.get(`/api/v1/statuses/${r11.id}/context`);
    assertEntity("Context", middle.body);
    expect(middle.body.ancestors.map((s: any) => s.id)).toEqual([root.id, r1.id]);
    expect(middle.body.descendants.map((s: any) => s.id)).toEqual([r111.id]);
  });

  test("account statuses: replies, reblogs, media and tag filters, paginated", async () => {
    const author = await user("acct");
    const own = [];
    for (let i = 0; i < 5; i++) own.push(await post(author, { status: `post ${i} ${i % 2 ? "#odd" : ""}` }));
    const other = await post(alice, { status: "alice" });
    const reply = await post(author, { status: "a reply", in_reply_to_id: other.id });
    const selfReply = await post(author, { status: "thread", in_reply_to_id: own[0]!.id });
    const boost = (await act(author, other.id, "reblog")).body;

    const all = (await allPages(server, null, `/api/v1/accounts/${author.id}/statuses?limit=3`)).pages;
    const ids = all.flat().map((s) => s.id);
    expect(ids).toEqual([boost.id, selfReply.id, reply.id, ...own.map((s) => s.id).reverse()]);
    for (const s of all.flat()) assertEntity("Status", s);

    const noReplies = await api(server).get(`/api/v1/accounts/${author.id}/statuses?exclude_replies=true`);
    expect(noReplies.body.map((s: any) => s.id)).not.toContain(reply.id);
    expect(noReplies.body.map((s: any) => s.id)).toContain(selfReply.id);
    const noReblogs = await api(server).get(`/api/v1/accounts/${author.id}/statuses?exclude_reblogs=true`);
    expect(noReblogs.body.map((s: any) => s.id)).not.toContain(boost.id);
    const tagged = await api(server).get(`/api/v1/accounts/${author.id}/statuses?tagged=ODD`);
    expect(tagged.body.map((s: any) => s.id)).toEqual([own[3]!.id, own[1]!.id]);
    const media = await api(server).get(`/api/v1/accounts/${author.id}/statuses?only_media=true`);
    expect(media.body).toEqual([]);
    // Link headers keep the filters.
    const page = await api(server).get(`/api/v1/accounts/${author.id}/statuses?exclude_reblogs=true&limit=2`);
    expect(page.headers.get("link")).toContain("exclude_reblogs=true");
    const since = await api(server).get(`/api/v1/accounts/${author.id}/statuses?min_id=${own[1]!.id}&limit=2`);
    expect(since.body.map((s: any) => s.id)).toEqual([own[3]!.id, own[2]!.id]);
    expect((await api(server).get("/api/v1/accounts/123/statuses")).status).toBe(404);
  });
});
