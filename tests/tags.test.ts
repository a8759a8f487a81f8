/**
 * Hashtags over HTTP: a tag and its history, following and unfollowing,
 * the followed tags list with its pagination, and featured tags (CRUD,
 * counts, suggestions, another account's list).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { api } from "./helpers/client.ts";
import { assertEntity } from "./helpers/openapi.ts";
import { startServer, type TestServer } from "./helpers/server.ts";
import { eventually, linkTo, newUser, ok, post, type User } from "./helpers/timelines.ts";

let server: TestServer;
let alice: User, bob: User;

beforeAll(async () => {
  server = await startServer();
  [alice, bob] = await Promise.all([newUser(server, "alice"), newUser(server, "bob")]);
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

function tagOk(response: { status: number; body: any }) {
  expect(response.status).toBe(200);
  assertEntity("Tag", response.body);
  return response.body;
}

describe("GET /api/v1/tags/:name", () => {
  test("a used tag, with its history and the viewer's relations", async () => {
    await post(alice, { status: "first #Gardening post" });
    await post(bob, { status: "#gardening too" });
    await post(bob, { status: "and again #GARDENING" });
    await post(bob, { status: "#gardening but private", visibility: "private" });
    const today = await eventually(async () => {
      const tag = tagOk(await api(server).get("/api/v1/tags/gardening"));
      return tag.history[0].uses === "3" ? tag : null;
    }, "the tag's uses to reach ClickHouse", 15_000);
    // The first spelling is the name, whatever case was asked for.
    expect(today.name).toBe("Gardening");
    expect(today.id).toMatch(/^\d+$/);
    expect(today.url).toBe(`${server.url}/tags/Gardening`);
    expect(today.history).toHaveLength(7);
    expect(today.history[0].accounts).toBe("2");
    expect(Number(today.history[0].day)).toBe(Math.floor(Date.now() / 86_400_000) * 86_400);
    expect(today.following).toBeUndefined();

    const signedIn = tagOk(await alice.client.get("/api/v1/tags/%23gardening"));
    expect(signedIn.id).toBe(today.id);
    expect(signedIn.following).toBe(false);
    expect(signedIn.featuring).toBe(false);
  });

  test("an unused valid name answers an unsaved tag, as Mastodon; an invalid one 404", async () => {
    const unsaved = tagOk(await api(server).get("/api/v1/tags/neverusedyet"));
    expect(unsaved).toMatchObject({ id: "", name: "neverusedyet" });
    expect(unsaved.history.every((h: any) => h.uses === "0")).toBe(true);
    for (const bad of ["123", "foo-bar", "two%20words", "%E2%80%8B"]) {
      const response = await api(server).get(`/api/v1/tags/${bad}`);
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: expect.any(String) });
    }
  });

  test("non-Latin names work", async () => {
    const followed = tagOk(await alice.client.post(`/api/v1/tags/${encodeURIComponent("日本語")}/follow`));
    expect(followed).toMatchObject({ name: "日本語", following: true });
    expect(tagOk(await alice.client.get(`/api/v1/tags/${encodeURIComponent("日本語")}`)).following).toBe(true);
    tagOk(await alice.client.post(`/api/v1/tags/${encodeURIComponent("日本語")}/unfollow`));
  });
});

describe("following tags", () => {
  test("follow and unfollow are idempotent and need a user token", async () => {
    const first = tagOk(await bob.client.post("/api/v1/tags/Knitting/follow"));
    expect(first).toMatchObject({ name: "Knitting", following: true });
    expect(first.id).toMatch(/^\d+$/);
    const again = tagOk(await bob.client.post("/api/v1/tags/knitting/follow"));
    expect(again).toMatchObject({ id: first.id, name: "Knitting", following: true });
    expect(tagOk(await bob.client.get("/api/v1/tags/knitting")).following).toBe(true);
    // Someone else's view is unaffected.
    expect(tagOk(await alice.client.get("/api/v1/tags/knitting")).following).toBe(false);

    const off = tagOk(await bob.client.post("/api/v1/tags/knitting/unfollow"));
    expect(off).toMatchObject({ id: first.id, following: false });
    expect(tagOk(await bob.client.post("/api/v1/tags/knitting/unfollow")).following).toBe(false);
    // Unfollowing a tag nobody used creates nothing.
    expect(tagOk(await bob.client.post("/api/v1/tags/nobodyusedthis/unfollow"))).toMatchObject({ id: "", following: false });

    expect((await api(server).post("/api/v1/tags/knitting/follow")).status).toBe(401);
    expect((await bob.client.post("/api/v1/tags/123/follow")).status).toBe(404);
  });

  test("GET /api/v1/followed_tags pages newest follow first, without gaps or repeats", async () => {
    const user = await newUser(server, "follower");
    const names = ["Alpha", "Bravo", "Charlie", "Delta", "Echo"];
    for (const name of names) tagOk(await user.client.post(`/api/v1/tags/${name}/follow`));
    const newestFirst = [...names].reverse();

    const seen: string[] = [];
    let next: string | null = "/api/v1/followed_tags?limit=2";
    const sizes: number[] = [];
    while (next) {
      const response = await user.client.get(next);
      expect(response.status).toBe(200);
      if (response.body.length === 0) break;
      for (const tag of response.body) {
        assertEntity("Tag", tag);
        expect(tag.following).toBe(true);
        seen.push(tag.name);
      }
      sizes.push(response.body.length);
      next = linkTo(response.headers.get("link"), "next");
    }
    expect(seen).toEqual(newestFirst);
    expect(sizes).toEqual([2, 2, 1]);

    // prev (min_id) reads forward from the middle.
    const middle = await user.client.get("/api/v1/followed_tags?limit=2");
    const second = await user.client.get(linkTo(middle.headers.get("link"), "next")!);
    const back = await user.client.get(linkTo(second.headers.get("link"), "prev")!);
    expect(back.body.map((t: any) => t.name)).toEqual(newestFirst.slice(0, 2));

    // Unfollowed tags leave the list; others' follows never appear.
    tagOk(await user.client.post("/api/v1/tags/charlie/unfollow"));
    const all = await user.client.get("/api/v1/followed_tags");
    expect(all.body.map((t: any) => t.name)).toEqual(["Echo", "Delta", "Bravo", "Alpha"]);
    expect((await api(server).get("/api/v1/followed_tags")).status).toBe(401);
  });
});

describe("featured tags", () => {
  let carol: User;

  beforeAll(async () => {
    carol = await newUser(server, "carol");
    await post(carol, { status: "#Cats one" });
    await post(carol, { status: "#cats two" });
    await post(carol, { status: "#cats unlisted", visibility: "unlisted" });
    await post(carol, { status: "#cats private", visibility: "private" });
    await post(carol, { status: "#Dogs one" });
    await post(carol, { status: "#dogs two" });
    await post(carol, { status: "#Birds" });
    await post(bob, { status: "#cats by someone else" });
  });

  test("POST creates a FeaturedTag counting the author's public and unlisted statuses", async () => {
    const response = await carol.client.post("/api/v1/featured_tags", { name: "#CATS" });
    expect(response.status).toBe(200);
    assertEntity("FeaturedTag", response.body);
    expect(response.body).toMatchObject({
      name: "Cats",
      statuses_count: "3",
      last_status_at: new Date().toISOString().slice(0, 10),
      url: `${server.url}/@${carol.username}/tagged/Cats`,
    });

    const list = await carol.client.get("/api/v1/featured_tags");
    expect(list.status).toBe(200);
    for (const tag of list.body) assertEntity("FeaturedTag", tag);
    expect(list.body).toEqual([response.body]);
    // Public, for anyone.
    const theirs = await api(server).get(`/api/v1/accounts/${carol.id}/featured_tags`);
    expect(theirs.status).toBe(200);
    expect(theirs.body).toEqual([response.body]);
    // Shown on the tag too.
    expect(tagOk(await carol.client.get("/api/v1/tags/cats")).featuring).toBe(true);
  });

  test("a tag nobody used yet can be featured, with no statuses", async () => {
    const response = await carol.client.post("/api/v1/featured_tags", new URLSearchParams({ name: "Fresh" }));
    expect(response.status).toBe(200);
    assertEntity("FeaturedTag", response.body);
    expect(response.body).toMatchObject({ name: "Fresh", statuses_count: "0", last_status_at: null });
    const list = await carol.client.get("/api/v1/featured_tags");
    // Most used first.
    expect(list.body.map((t: any) => t.name)).toEqual(["Cats", "Fresh"]);
    expect(await ok(carol.client.delete(`/api/v1/featured_tags/${response.body.id}`), "unfeature")).toEqual({});
  });

  test("invalid, duplicate and blank names are 422 and change nothing", async () => {
    for (const body of [{ name: "#cats" }, { name: "not valid" }, { name: "" }, {}, { name: "123" }]) {
      const response = await carol.client.post("/api/v1/featured_tags", body);
      expect(response.status).toBe(422);
      expect(response.body.error).toStartWith("Validation failed");
    }
    expect((await carol.client.get("/api/v1/featured_tags")).body.map((t: any) => t.name)).toEqual(["Cats"]);
  });

  test("at most ten", async () => {
    const user = await newUser(server, "featurer");
    for (let i = 0; i < 10; i++) {
      expect((await user.client.post("/api/v1/featured_tags", { name: `many${"abcdefghij"[i]}` })).status).toBe(200);
    }
    const eleventh = await user.client.post("/api/v1/featured_tags", { name: "onetoomany" });
    expect(eleventh.status).toBe(422);
    expect((await user.client.get("/api/v1/featured_tags")).body).toHaveLength(10);
  });

  test("suggestions: the account's most used tags not featured yet", async () => {
    const response = await carol.client.get("/api/v1/featured_tags/suggestions");
    expect(response.status).toBe(200);
    for (const tag of response.body) assertEntity("Tag", tag);
    expect(response.body.map((t: any) => t.name)).toEqual(["Dogs", "Birds"]);
    expect(response.body[0].featuring).toBe(false);
  });

  test("DELETE only the owner's, 404 otherwise", async () => {
    const [cats] = (await carol.client.get("/api/v1/featured_tags")).body;
    expect((await bob.client.delete(`/api/v1/featured_tags/${cats.id}`)).status).toBe(404);
    expect((await carol.client.delete("/api/v1/featured_tags/abc")).status).toBe(404);
    expect((await carol.client.delete("/api/v1/featured_tags/99999999")).status).toBe(404);
    expect((await api(server).delete(`/api/v1/featured_tags/${cats.id}`)).status).toBe(401);
    expect((await carol.client.get("/api/v1/featured_tags")).body).toHaveLength(1);
    expect(await ok(carol.client.delete(`/api/v1/featured_tags/${cats.id}`), "unfeature")).toEqual({});
    expect((await carol.client.get("/api/v1/featured_tags")).body).toEqual([]);
  });

  test("POST /api/v1/tags/:name/feature and unfeature", async () => {
    const featured = tagOk(await carol.client.post("/api/v1/tags/dogs/feature"));
    expect(featured).toMatchObject({ name: "Dogs", featuring: true });
    tagOk(await carol.client.post("/api/v1/tags/dogs/feature"));
    const list = (await carol.client.get("/api/v1/featured_tags")).body;
    expect(list.map((t: any) => [t.name, t.statuses_count])).toEqual([["Dogs", "2"]]);
    expect(tagOk(await carol.client.post("/api/v1/tags/dogs/unfeature")).featuring).toBe(false);
    expect((await carol.client.get("/api/v1/featured_tags")).body).toEqual([]);
  });

  test("another account's featured tags: 404 for unknown accounts", async () => {
    expect((await api(server).get("/api/v1/accounts/99999999/featured_tags")).status).toBe(404);
    expect((await api(server).get("/api/v1/accounts/abc/featured_tags")).status).toBe(404);
    expect((await api(server).get(`/api/v1/accounts/${bob.id}/featured_tags`)).body).toEqual([]);
    expect((await api(server).get("/api/v1/featured_tags")).status).toBe(401);
  });
});
