/**
 * Lists end to end: CRUD with Mastodon's validation, members (followed
 * accounts only, paginated), /accounts/:id/lists, the list timeline with
 * its replies policy, and exclusive lists keeping members out of home.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startServer, type TestServer } from "./helpers/server.ts";
import { api } from "./helpers/client.ts";
import { assertEntity } from "./helpers/openapi.ts";
import {
  buildHome,
  eventually,
  follow,
  homeIds,
  linkTo,
  newUser,
  ok,
  post,
  sentinel,
  timeline,
  unfollow,
  waitForHome,
  type User,
} from "./helpers/timelines.ts";

let server: TestServer;
let settle: () => Promise<void>;
setDefaultTimeout(60_000);

beforeAll(async () => {
  server = await startServer();
  settle = await sentinel(server);
}, 60_000);

afterAll(() => server?.stop());

const user = (prefix: string) => newUser(server, prefix);

async function createList(owner: User, body: Record<string, unknown>) {
  const list = await ok(owner.client.post("/api/v1/lists", body), "creating a list");
  assertEntity("List", list);
  return list as { id: string; title: string; replies_policy: string; exclusive: boolean };
}

async function listIds(owner: User, listId: string, query = ""): Promise<string[]> {
  return (await timeline(owner, server, `/api/v1/timelines/list/${listId}${query}`)).statuses.map((s) => s.id);
}

describe("lists CRUD", () => {
  test("create, show, update, index and delete", async () => {
    const owner = await user("owner");
    const list = await createList(owner, { title: "Friends" });
    expect(list).toMatchObject({ title: "Friends", replies_policy: "list", exclusive: false });

    const shown = await ok(owner.client.get(`/api/v1/lists/${list.id}`), "showing");
    expect(shown).toEqual(list);

    const updated = await ok(
      owner.client.put(`/api/v1/lists/${list.id}`, { title: "Close friends", replies_policy: "followed", exclusive: true }),
      "updating",
    );
    assertEntity("List", updated);
    expect(updated).toEqual({ id: list.id, title: "Close friends", replies_policy: "followed", exclusive: true });

    // Form-encoded bodies work the same.
    const form = await ok(owner.client.post("/api/v1/lists", new URLSearchParams({ title: "Form", exclusive: "true" })), "form");
    expect(form.exclusive).toBe(true);

    const index = await ok(owner.client.get("/api/v1/lists"), "index");
    for (const item of index) assertEntity("List", item);
    expect(index.map((l: any) => l.id)).toEqual([list.id, form.id]);

    expect(await ok(owner.client.delete(`/api/v1/lists/${list.id}`), "deleting")).toEqual({});
    expect((await owner.client.get(`/api/v1/lists/${list.id}`)).status).toBe(404);
  });

  test("validation: blank title, unknown replies policy; others' lists are 404", async () => {
    const [owner, stranger] = await Promise.all([user("owner"), user("stranger")]);
    const blank = await owner.client.post("/api/v1/lists", { title: "  " });
    expect(blank.status).toBe(422);
    expect(blank.body.error).toContain("Title");
    expect((await owner.client.post("/api/v1/lists", { title: "x", replies_policy: "everyone" })).status).toBe(422);
    expect((await ok(owner.client.get("/api/v1/lists"), "index")).length).toBe(0);

    const list = await createList(owner, { title: "Mine" });
    expect((await stranger.client.get(`/api/v1/lists/${list.id}`)).status).toBe(404);
    expect((await stranger.client.put(`/api/v1/lists/${list.id}`, { title: "Theirs" })).status).toBe(404);
    expect((await stranger.client.delete(`/api/v1/lists/${list.id}`)).status).toBe(404);
    expect((await stranger.client.get(`/api/v1/timelines/list/${list.id}`)).status).toBe(404);
    expect((await owner.client.get("/api/v1/lists/abc")).status).toBe(404);
    expect((await owner.client.put(`/api/v1/lists/${list.id}`, { replies_policy: "bogus" })).status).toBe(422);
    expect((await ok(owner.client.get(`/api/v1/lists/${list.id}`), "show")).title).toBe("Mine");
    expect((await api(server).get("/api/v1/lists")).status).toBe(401);
  });
});

describe("list members", () => {
  test("only followed accounts can be added; members page with Link headers; accounts/:id/lists", async () => {
    const owner = await user("owner");
    const members = await Promise.all([user("m"), user("m"), user("m")]);
    const stranger = await user("stranger");
    for (const m of members) await follow(owner, m);
    const list = await createList(owner, { title: "Members" });

    const refused = await owner.client.post(`/api/v1/lists/${list.id}/accounts`, {
      account_ids: [members[0]!.id, stranger.id],
    });
    expect(refused.status).toBe(422);
    expect((await ok(owner.client.get(`/api/v1/lists/${list.id}/accounts`), "members")).length).toBe(0);
    expect((await owner.client.post(`/api/v1/lists/${list.id}/accounts`, { account_ids: ["999999999"] })).status).toBe(404);

    await ok(owner.client.post(`/api/v1/lists/${list.id}/accounts`, { account_ids: members.map((m) => m.id) }), "adding");
    // Adding again is harmless.
    await ok(owner.client.post(`/api/v1/lists/${list.id}/accounts`, { account_ids: [members[0]!.id] }), "adding again");

    const first = await owner.client.get(`/api/v1/lists/${list.id}/accounts?limit=2`);
    expect(first.status).toBe(200);
    for (const account of first.body) assertEntity("Account", account);
    expect(first.body.length).toBe(2);
    const next = linkTo(first.headers.get("link"), "next");
    expect(next).toBeTruthy();
    const second = await ok(owner.client.get(next!), "second page");
    const seen = [...first.body, ...second].map((a: any) => a.id).sort();
    expect(seen).toEqual(members.map((m) => m.id).sort());
    const all = await ok(owner.client.get(`/api/v1/lists/${list.id}/accounts?limit=0`), "all members");
    expect(all.length).toBe(3);

    const containing = await ok(owner.client.get(`/api/v1/accounts/${members[0]!.id}/lists`), "lists of account");
    for (const item of containing) assertEntity("List", item);
    expect(containing.map((l: any) => l.id)).toEqual([list.id]);
    expect(await ok(owner.client.get(`/api/v1/accounts/${stranger.id}/lists`), "none")).toEqual([]);
    expect((await owner.client.get("/api/v1/accounts/123/lists")).status).toBe(404);

    await ok(owner.client.delete(`/api/v1/lists/${list.id}/accounts`, { account_ids: [members[0]!.id] }), "removing");
    expect((await ok(owner.client.get(`/api/v1/lists/${list.id}/accounts`), "members")).length).toBe(2);

    // Unfollowing takes the account out of the follower's lists.
    await unfollow(owner, members[1]!);
    await eventually(
      async () => (await ok<any[]>(owner.client.get(`/api/v1/lists/${list.id}/accounts`), "members")).length === 1,
      "the unfollowed member to leave the list",
    );
  });
});

describe("list timeline", () => {
  test("shows members' posts only, by fanout, and follows the replies policy", async () => {
    const [owner, member, other, outsider] = await Promise.all([user("owner"), user("member"), user("other"), user("outsider")]);
    await follow(owner, member);
    await follow(owner, other);
    const byList = await createList(owner, { title: "list policy" });
    const byFollowed = await createList(owner, { title: "followed policy", replies_policy: "followed" });
    const byNone = await createList(owner, { title: "no replies", replies_policy: "none" });
    for (const list of [byList, byFollowed, byNone]) {
      await ok(owner.client.post(`/api/v1/lists/${list.id}/accounts`, { account_ids: [member.id] }), "adding");
      await listIds(owner, list.id); // built now: what arrives later comes from fanout
    }

    const plain = await post(member, { status: "to my lists" });
    const notMember = await post(other, { status: "not in the list" });
    const outsiderPost = await post(outsider, { status: "hi" });
    const replyToOther = await post(member, { status: `@${other.username} yes`, in_reply_to_id: notMember.id });
    const replyToOutsider = await post(member, { status: `@${outsider.username} hm`, in_reply_to_id: outsiderPost.id });
    const replyToOwner = await post(member, {
      status: `@${owner.username} sure`,
      in_reply_to_id: (await post(owner, { status: "question" })).id,
    });

    await eventually(async () => (await listIds(owner, byNone.id)).includes(replyToOwner.id), "the reply in the list");
    await settle();
    const list = await listIds(owner, byList.id);
    const followed = await listIds(owner, byFollowed.id);
    const none = await listIds(owner, byNone.id);

    expect(list).toContain(plain.id);
    expect(list).not.toContain(notMember.id);
    // `list`: replies to list members (or the owner) only; `other` isn't a member.
    expect(list).not.toContain(replyToOther.id);
    expect(list).toContain(replyToOwner.id);
    // `followed`: replies to anyone the owner follows.
    expect(followed).toContain(replyToOther.id);
    expect(followed).not.toContain(replyToOutsider.id);
    // `none`: no replies except to the owner.
    expect(none).toContain(plain.id);
    expect(none).not.toContain(replyToOther.id);
    expect(none).toContain(replyToOwner.id);
  });

  test("a list feed is rebuilt after a membership change and pages with Link headers", async () => {
    const [owner, member] = await Promise.all([user("owner"), user("member")]);
    await follow(owner, member);
    const posted: string[] = [];
    for (let i = 0; i < 5; i++) posted.push((await post(member, { status: `item ${i}` })).id);
    const list = await createList(owner, { title: "later" });
    expect(await listIds(owner, list.id)).toEqual([]);
    await ok(owner.client.post(`/api/v1/lists/${list.id}/accounts`, { account_ids: [member.id] }), "adding");
    const page = await timeline(owner, server, `/api/v1/timelines/list/${list.id}?limit=3`);
    expect(page.statuses.map((s) => s.id)).toEqual([posted[4], posted[3], posted[2]]);
    const next = await timeline(owner, server, linkTo(page.link, "next")!);
    expect(next.statuses.map((s) => s.id)).toEqual([posted[1], posted[0]]);
  });

  test("exclusive lists keep their members' posts out of home", async () => {
    const [owner, member, friend] = await Promise.all([user("owner"), user("member"), user("friend")]);
    await follow(owner, member);
    await follow(owner, friend);
    const before = await post(member, { status: "before exclusive" });
    await waitForHome(owner, server, before.id);
    const list = await createList(owner, { title: "Exclusive", exclusive: true });
    await ok(owner.client.post(`/api/v1/lists/${list.id}/accounts`, { account_ids: [member.id] }), "adding");
    await buildHome(owner, server);
    await listIds(owner, list.id);

    expect(await homeIds(owner, server)).not.toContain(before.id);
    const during = await post(member, { status: "only in the list" });
    const fromFriend = await post(friend, { status: "in home" });
    await waitForHome(owner, server, fromFriend.id);
    await eventually(async () => (await listIds(owner, list.id)).includes(during.id), "the status in the list");
    await settle();
    expect(await homeIds(owner, server)).not.toContain(during.id);

    await ok(owner.client.put(`/api/v1/lists/${list.id}`, { exclusive: false }), "making it inclusive");
    const home = await homeIds(owner, server);
    expect(home).toContain(during.id);
    expect(home).toContain(before.id);
  });
});
