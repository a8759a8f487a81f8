/**
 * Filters end to end: v2 CRUD with nested keywords, the keyword and status
 * sub-resources, validation, the read-only-by-design v1 view (each keyword
 * a filter), and filters applied to timelines: `warn` fills `filtered`,
 * `hide` drops the status, expired filters and other contexts do nothing,
 * whole-word matching as Mastodon does it.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startServer, type TestServer } from "./helpers/server.ts";
import { api } from "./helpers/client.ts";
import { assertEntity } from "./helpers/openapi.ts";
import { follow, newUser, ok, post, timeline, waitForHome, type User } from "./helpers/timelines.ts";

let server: TestServer;
setDefaultTimeout(60_000);

beforeAll(async () => {
  server = await startServer();
}, 60_000);

afterAll(() => server?.stop());

const user = (prefix: string) => newUser(server, prefix);

function assertFilter(filter: any) {
  assertEntity("Filter", filter);
  for (const keyword of filter.keywords ?? []) assertEntity("FilterKeyword", keyword);
  for (const status of filter.statuses ?? []) assertEntity("FilterStatus", status);
}

async function createFilter(owner: User, body: Record<string, unknown>) {
  const filter = await ok(owner.client.post("/api/v2/filters", body), "creating a filter");
  assertFilter(filter);
  return filter;
}

describe("filters v2 CRUD", () => {
  test("create with keywords, show, update keywords (add, change, destroy), delete", async () => {
    const owner = await user("owner");
    const filter = await createFilter(owner, {
      title: "Spoilers",
      context: ["home", "public"],
      filter_action: "warn",
      keywords_attributes: [{ keyword: "finale" }, { keyword: "ending", whole_word: false }],
    });
    expect(filter).toMatchObject({ title: "Spoilers", context: ["home", "public"], filter_action: "warn", expires_at: null });
    expect(filter.keywords.map((k: any) => [k.keyword, k.whole_word])).toEqual([["finale", true], ["ending", false]]);
    expect(filter.statuses).toEqual([]);

    const [finale, ending] = filter.keywords;
    const updated = await ok(
      owner.client.put(`/api/v2/filters/${filter.id}`, {
        title: "Show spoilers",
        context: ["home"],
        filter_action: "hide",
        expires_in: 3600,
        keywords_attributes: [
          { id: finale.id, keyword: "season finale" },
          { id: ending.id, _destroy: true },
          { keyword: "twist" },
        ],
      }),
      "updating",
    );
    assertFilter(updated);
    expect(updated.title).toBe("Show spoilers");
    expect(updated.context).toEqual(["home"]);
    expect(updated.filter_action).toBe("hide");
    expect(Date.parse(updated.expires_at) - Date.now()).toBeGreaterThan(3500_000);
    expect(updated.keywords.map((k: any) => k.keyword)).toEqual(["season finale", "twist"]);

    const index = await ok(owner.client.get("/api/v2/filters"), "index");
    for (const f of index) assertFilter(f);
    expect(index.map((f: any) => f.id)).toEqual([filter.id]);
    expect(await ok(owner.client.get(`/api/v2/filters/${filter.id}`), "show")).toEqual(updated);

    // Clearing expires_in makes the filter permanent again.
    const permanent = await ok(owner.client.put(`/api/v2/filters/${filter.id}`, { expires_in: "" }), "clearing expiry");
    expect(permanent.expires_at).toBeNull();

    expect(await ok(owner.client.delete(`/api/v2/filters/${filter.id}`), "deleting")).toEqual({});
    expect((await owner.client.get(`/api/v2/filters/${filter.id}`)).status).toBe(404);
  });

  test("validation errors are 422 and change nothing; others' filters are 404", async () => {
    const [owner, stranger] = await Promise.all([user("owner"), user("stranger")]);
    expect((await owner.client.post("/api/v2/filters", { context: ["home"] })).status).toBe(422);
    expect((await owner.client.post("/api/v2/filters", { title: "No context" })).status).toBe(422);
    expect((await owner.client.post("/api/v2/filters", { title: "x", context: ["everywhere"] })).status).toBe(422);
    expect((await owner.client.post("/api/v2/filters", { title: "x", context: ["home"], filter_action: "nuke" })).status).toBe(422);
    const blankKeyword = await owner.client.post("/api/v2/filters", {
      title: "x",
      context: ["home"],
      keywords_attributes: [{ keyword: "ok" }, { keyword: " " }],
    });
    expect(blankKeyword.status).toBe(422);
    expect(await ok(owner.client.get("/api/v2/filters"), "index")).toEqual([]);

    const filter = await createFilter(owner, { title: "Mine", context: ["home"], keywords_attributes: [{ keyword: "a" }] });
    const badUpdate = await owner.client.put(`/api/v2/filters/${filter.id}`, {
      title: "Changed",
      keywords_attributes: [{ keyword: "" }],
    });
    expect(badUpdate.status).toBe(422);
    expect((await ok(owner.client.get(`/api/v2/filters/${filter.id}`), "show")).title).toBe("Mine");

    expect((await stranger.client.get(`/api/v2/filters/${filter.id}`)).status).toBe(404);
    expect((await stranger.client.put(`/api/v2/filters/${filter.id}`, { title: "Theirs" })).status).toBe(404);
    expect((await stranger.client.delete(`/api/v2/filters/${filter.id}`)).status).toBe(404);
    expect((await stranger.client.get(`/api/v2/filters/keywords/${filter.keywords[0].id}`)).status).toBe(404);
    expect((await owner.client.get("/api/v2/filters/not-a-number")).status).toBe(404);
    expect((await api(server).get("/api/v2/filters")).status).toBe(401);
  });

  test("keywords and statuses as sub-resources", async () => {
    const owner = await user("owner");
    const filter = await createFilter(owner, { title: "Sub", context: ["thread"] });

    const keyword = await ok(owner.client.post(`/api/v2/filters/${filter.id}/keywords`, { keyword: "bad", whole_word: false }), "add");
    assertEntity("FilterKeyword", keyword);
    expect(keyword).toMatchObject({ keyword: "bad", whole_word: false });
    expect(await ok(owner.client.get(`/api/v2/filters/keywords/${keyword.id}`), "show keyword")).toEqual(keyword);
    const changed = await ok(owner.client.put(`/api/v2/filters/keywords/${keyword.id}`, { keyword: "worse" }), "change");
    expect(changed).toEqual({ ...keyword, keyword: "worse" });
    expect((await ok(owner.client.get(`/api/v2/filters/${filter.id}/keywords`), "keywords")).map((k: any) => k.id)).toEqual([keyword.id]);
    expect(await ok(owner.client.delete(`/api/v2/filters/keywords/${keyword.id}`), "delete keyword")).toEqual({});
    expect(await ok(owner.client.get(`/api/v2/filters/${filter.id}/keywords`), "keywords")).toEqual([]);

    const status = await post(owner, { status: "filter me" });
    const filtered = await ok(owner.client.post(`/api/v2/filters/${filter.id}/statuses`, { status_id: status.id }), "add status");
    assertEntity("FilterStatus", filtered);
    expect(filtered.status_id).toBe(status.id);
    // Adding the same status again gives the same entry.
    expect(await ok(owner.client.post(`/api/v2/filters/${filter.id}/statuses`, { status_id: status.id }), "again")).toEqual(filtered);
    expect(await ok(owner.client.get(`/api/v2/filters/statuses/${filtered.id}`), "show status")).toEqual(filtered);
    expect(await ok(owner.client.get(`/api/v2/filters/${filter.id}/statuses`), "statuses")).toEqual([filtered]);
    expect((await owner.client.post(`/api/v2/filters/${filter.id}/statuses`, { status_id: "12345" })).status).toBe(404);
    expect(await ok(owner.client.delete(`/api/v2/filters/statuses/${filtered.id}`), "delete status")).toEqual({});
    expect((await owner.client.get(`/api/v2/filters/statuses/${filtered.id}`)).status).toBe(404);
  });
});

describe("filters v1", () => {
  test("each keyword reads as a v1 filter; v1 writes map onto v2 filters", async () => {
    const owner = await user("owner");
    const filter = await createFilter(owner, {
      title: "Two words",
      context: ["home", "notifications"],
      filter_action: "hide",
      keywords_attributes: [{ keyword: "alpha" }, { keyword: "beta", whole_word: false }],
    });
    const v1 = await ok(owner.client.get("/api/v1/filters"), "v1 index");
    for (const f of v1) assertEntity("V1Filter", f);
    expect(v1).toEqual([
      { id: filter.keywords[0].id, phrase: "alpha", context: ["home", "notifications"], whole_word: true, expires_at: null, irreversible: true },
      { id: filter.keywords[1].id, phrase: "beta", context: ["home", "notifications"], whole_word: false, expires_at: null, irreversible: true },
    ]);
    expect(await ok(owner.client.get(`/api/v1/filters/${filter.keywords[1].id}`), "v1 show")).toEqual(v1[1]);

    const created = await ok(owner.client.post("/api/v1/filters", { phrase: "gamma", context: ["public"], irreversible: false }), "v1 create");
    assertEntity("V1Filter", created);
    expect(created).toMatchObject({ phrase: "gamma", context: ["public"], whole_word: true, irreversible: false });
    const v2 = await ok(owner.client.get("/api/v2/filters"), "v2 index");
    expect(v2.find((f: any) => f.title === "gamma")).toMatchObject({ filter_action: "warn", context: ["public"] });

    // Changing filter-wide settings of a filter with several keywords is refused through v1.
    expect((await owner.client.put(`/api/v1/filters/${filter.keywords[0].id}`, { context: ["public"] })).status).toBe(422);
    const renamed = await ok(owner.client.put(`/api/v1/filters/${created.id}`, { phrase: "delta", irreversible: true }), "v1 update");
    expect(renamed).toMatchObject({ id: created.id, phrase: "delta", irreversible: true });

    expect(await ok(owner.client.delete(`/api/v1/filters/${created.id}`), "v1 delete")).toEqual({});
    expect((await owner.client.get(`/api/v1/filters/${created.id}`)).status).toBe(404);
    expect((await ok(owner.client.get("/api/v2/filters"), "v2 index")).length).toBe(1);
  });
});

describe("filters applied to timelines", () => {
  let author: User;
  let reader: User;

  beforeAll(async () => {
    [author, reader] = await Promise.all([user("author"), user("reader")]);
    await follow(reader, author);
  });

  async function homeStatus(statusId: string) {
    await waitForHome(reader, server, statusId);
    return (await timeline(reader, server, "/api/v1/timelines/home?limit=40")).statuses.find((s) => s.id === statusId);
  }

  test("warn fills `filtered` with the matched keyword; hide drops the status", async () => {
    const warn = await createFilter(reader, {
      title: "Politics",
      context: ["home"],
      keywords_attributes: [{ keyword: "election" }],
    });
    await createFilter(reader, {
      title: "Never",
      context: ["home"],
      filter_action: "hide",
      keywords_attributes: [{ keyword: "crypto" }],
    });

    const warned = await post(author, { status: "The Election is near" });
    const hidden = await post(author, { status: "Buy CRYPTO now" });
    const clean = await post(author, { status: "nice weather" });

    const shown = await homeStatus(warned.id);
    expect(shown.filtered).toHaveLength(1);
    assertEntity("FilterResult", shown.filtered[0]);
    expect(shown.filtered[0].filter.id).toBe(warn.id);
    expect(shown.filtered[0].filter.filter_action).toBe("warn");
    expect(shown.filtered[0].keyword_matches).toEqual(["Election"]);

    expect((await homeStatus(clean.id)).filtered).toEqual([]);
    const home = (await timeline(reader, server, "/api/v1/timelines/home?limit=40")).statuses.map((s) => s.id);
    expect(home).not.toContain(hidden.id);
    // Hidden only where the filter applies: the public timeline still shows it.
    const publicIds = (await timeline(reader, server, "/api/v1/timelines/public?limit=40")).statuses.map((s) => s.id);
    expect(publicIds).toContain(hidden.id);
  });

  test("whole-word keywords respect word boundaries; partial ones don't", async () => {
    await createFilter(reader, {
      title: "Words",
      context: ["home"],
      keywords_attributes: [{ keyword: "cat", whole_word: true }, { keyword: "dog", whole_word: false }],
    });
    const catalog = await post(author, { status: "a catalog of things" });
    const cat = await post(author, { status: "my cat!" });
    const hotdog = await post(author, { status: "hotdogs" });
    expect((await homeStatus(catalog.id)).filtered).toEqual([]);
    expect((await homeStatus(cat.id)).filtered[0].keyword_matches).toEqual(["cat"]);
    expect((await homeStatus(hotdog.id)).filtered[0].keyword_matches).toEqual(["dog"]);
  });

  test("status filters match the status and its reblogs; expired filters are ignored", async () => {
    const target = await post(author, { status: "this exact one" });
    const filter = await createFilter(reader, { title: "That post", context: ["home"] });
    await ok(reader.client.post(`/api/v2/filters/${filter.id}/statuses`, { status_id: target.id }), "filtering status");
    const shown = await homeStatus(target.id);
    expect(shown.filtered.map((r: any) => r.filter.id)).toEqual([filter.id]);
    expect(shown.filtered[0].status_matches).toEqual([target.id]);

    // A reblog of the filtered status is filtered too (for someone who sees the reblog, not the original).
    const [booster, other] = await Promise.all([user("booster"), user("other")]);
    await follow(other, booster);
    const otherFilter = await createFilter(other, { title: "That post", context: ["home"] });
    await ok(other.client.post(`/api/v2/filters/${otherFilter.id}/statuses`, { status_id: target.id }), "filtering status");
    await timeline(other, server, "/api/v1/timelines/home");
    const reblog = await ok(booster.client.post(`/api/v1/statuses/${target.id}/reblog`), "reblogging");
    await waitForHome(other, server, reblog.id);
    const boosted = (await timeline(other, server, "/api/v1/timelines/home")).statuses.find((s) => s.id === reblog.id);
    expect(boosted.filtered.map((r: any) => r.filter.id)).toEqual([otherFilter.id]);
    expect(boosted.filtered[0].status_matches).toContain(target.id);

    await createFilter(reader, {
      title: "Expired",
      context: ["home"],
      filter_action: "hide",
      expires_in: 1,
      keywords_attributes: [{ keyword: "ephemeral" }],
    });
    await Bun.sleep(1200);
    const after = await post(author, { status: "ephemeral thoughts" });
    expect((await homeStatus(after.id)).filtered).toEqual([]);
  });
});
