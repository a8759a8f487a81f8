/**
 * The visibility matrix: who sees which status through which endpoint.
 *
 * Viewers: the author, a follower, a mentioned non-follower, a stranger,
 * anonymous, an account the author blocked (it followed before the block),
 * and an account that blocks the author. Statuses: one per visibility, each
 * a reply in a thread under a public root and each mentioning the mentioned
 * account, plus a stranger's boost of the public one. Endpoints: GET
 * status, its history/source/favourited_by/reblogged_by, context (from the
 * root and from the status), the author's statuses, the viewer's
 * favourites and bookmarks (everyone tries to favourite and bookmark
 * everything; the author favourites its own), and the batch GET.
 *
 * Expected: public/unlisted for everyone not on either side of a block;
 * private for the author, followers and the mentioned; direct for the
 * author and the mentioned; nothing for the blocked or blocking viewer.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startServer, type TestServer } from "./helpers/server.ts";
import { api } from "./helpers/client.ts";
import { assertEntity } from "./helpers/openapi.ts";
import { namedUser, ok, type User } from "./helpers/social.ts";

setDefaultTimeout(60_000);

type Visibility = "public" | "unlisted" | "private" | "direct";
const VISIBILITIES: Visibility[] = ["public", "unlisted", "private", "direct"];
type ViewerName = "author" | "follower" | "mentioned" | "stranger" | "anonymous" | "blocked" | "blocker";
const VIEWERS: ViewerName[] = ["author", "follower", "mentioned", "stranger", "anonymous", "blocked", "blocker"];

const EXPECTED: Record<ViewerName, Visibility[]> = {
  author: ["public", "unlisted", "private", "direct"],
  follower: ["public", "unlisted", "private"],
  mentioned: ["public", "unlisted", "private", "direct"],
  stranger: ["public", "unlisted"],
  anonymous: ["public", "unlisted"],
  blocked: [],
  blocker: [],
};

let server: TestServer;
const users = {} as Record<Exclude<ViewerName, "anonymous">, User>;
const statuses = {} as Record<Visibility, string>;
let root: string;
/** The stranger's boost of the public status. */
let boost: string;

function clientOf(viewer: ViewerName) {
  return viewer === "anonymous" ? api(server) : users[viewer].client;
}

/** Which of the four statuses appear among `ids`, in visibility order. */
function seen(ids: string[]): Visibility[] {
  return VISIBILITIES.filter((v) => ids.includes(statuses[v]));
}

beforeAll(async () => {
  server = await startServer();
  let n = 0;
  for (const name of ["author", "follower", "mentioned", "stranger", "blocked", "blocker"] as const) {
    users[name] = await namedUser(server, `${name}${++n}`);
  }
  const { author, follower, mentioned, stranger, blocked, blocker } = users;
  for (const fan of [follower, blocked, blocker]) await ok(fan.client.post(`/api/v1/accounts/${author.id}/follow`), "follow");

  root = (await ok(author.client.post("/api/v1/statuses", { status: "thread root" }), "root")).id;
  for (const visibility of VISIBILITIES) {
    const body = { status: `@${mentioned.username} secret ${visibility}`, visibility, in_reply_to_id: root };
    const status = await ok(author.client.post("/api/v1/statuses", body), `post ${visibility}`);
    expect(status.visibility).toBe(visibility);
    statuses[visibility] = status.id;
  }
  boost = (await ok(stranger.client.post(`/api/v1/statuses/${statuses.public}/reblog`), "boost")).id;

  // Before the blocks, both soon-blocked viewers could see up to private: they favourite and bookmark it all.
  for (const viewer of [blocked, blocker]) {
    for (const v of ["public", "unlisted", "private"] as const) {
      await ok(viewer.client.post(`/api/v1/statuses/${statuses[v]}/favourite`), "favourite before block");
      await ok(viewer.client.post(`/api/v1/statuses/${statuses[v]}/bookmark`), "bookmark before block");
    }
  }
  await ok(author.client.post(`/api/v1/accounts/${blocked.id}/block`), "block");
  await ok(blocker.client.post(`/api/v1/accounts/${author.id}/block`), "block author");

  // Everyone signed in tries to favourite and bookmark every status; only visible ones may succeed.
  for (const name of ["author", "follower", "mentioned", "stranger", "blocked", "blocker"] as const) {
    for (const v of VISIBILITIES) {
      for (const action of ["favourite", "bookmark"]) {
        const response = await users[name].client.post(`/api/v1/statuses/${statuses[v]}/${action}`);
        const expected = EXPECTED[name].includes(v) ? 200 : 404;
        expect({ name, v, action, status: response.status }).toEqual({ name, v, action, status: expected });
      }
    }
  }
}, 120_000);

afterAll(async () => {
  const output = server?.output() ?? "";
  await server?.stop();
  expect(output).not.toContain("Unhandled error");
});

describe.each(VIEWERS)("viewer: %s", (viewer) => {
  const expected = () => EXPECTED[viewer];

  test("GET /api/v1/statuses/:id and the per-status reads", async () => {
    const client = clientOf(viewer);
    const visible: Visibility[] = [];
    for (const v of VISIBILITIES) {
      const response = await client.get(`/api/v1/statuses/${statuses[v]}`);
      if (response.status === 200) {
        assertEntity("Status", response.body);
        visible.push(v);
      } else {
        expect(response.status).toBe(404);
        expect(response.body).toEqual({ error: "Record not found" });
      }
      const reads = ["history", "favourited_by", "reblogged_by", "context"];
      if (viewer !== "anonymous") reads.push("source");
      for (const read of reads) {
        const r = await client.get(`/api/v1/statuses/${statuses[v]}/${read}`);
        expect({ v, read, status: r.status }).toEqual({ v, read, status: visible.includes(v) ? 200 : 404 });
      }
    }
    expect(visible).toEqual(expected());
  });

  test("context: a thread shows only the replies the viewer may see", async () => {
    const client = clientOf(viewer);
    const response = await client.get(`/api/v1/statuses/${root}/context`);
    if (viewer === "blocked" || viewer === "blocker") {
      // The root itself is hidden across a block.
      expect(response.status).toBe(404);
      return;
    }
    expect(response.status).toBe(200);
    assertEntity("Context", response.body);
    expect(seen(response.body.descendants.map((s: any) => s.id))).toEqual(expected());
    for (const v of expected()) {
      const up = await client.get(`/api/v1/statuses/${statuses[v]}/context`);
      expect(up.body.ancestors.map((s: any) => s.id)).toEqual([root]);
    }
  });

  test("GET /api/v1/accounts/:id/statuses of the author", async () => {
    const response = await clientOf(viewer).get(`/api/v1/accounts/${users.author.id}/statuses?limit=40`);
    expect(response.status).toBe(200);
    for (const s of response.body) assertEntity("Status", s);
    expect(seen(response.body.map((s: any) => s.id))).toEqual(expected());
    const blockedOut = viewer === "blocked" || viewer === "blocker";
    expect(response.body.map((s: any) => s.id).includes(root)).toBe(!blockedOut);
  });

  test("a boost of the public status is hidden wherever its original is", async () => {
    const client = clientOf(viewer);
    const canSee = expected().includes("public");
    expect((await client.get(`/api/v1/statuses/${boost}`)).status).toBe(canSee ? 200 : 404);
    const list = await client.get(`/api/v1/accounts/${users.stranger.id}/statuses`);
    expect(list.body.map((s: any) => s.id).includes(boost)).toBe(canSee);
    const batch = await client.get(`/api/v1/statuses?id[]=${boost}`);
    expect(batch.body.map((s: any) => s.id)).toEqual(canSee ? [boost] : []);
  });

  test("GET /api/v1/statuses?id[]= (batch)", async () => {
    const query = VISIBILITIES.map((v) => `id[]=${statuses[v]}`).join("&");
    const response = await clientOf(viewer).get(`/api/v1/statuses?${query}`);
    expect(response.status).toBe(200);
    for (const s of response.body) assertEntity("Status", s);
    expect(seen(response.body.map((s: any) => s.id))).toEqual(expected());
  });

  test("GET /api/v1/favourites and /api/v1/bookmarks", async () => {
    for (const list of ["favourites", "bookmarks"]) {
      const response = await clientOf(viewer).get(`/api/v1/${list}?limit=40`);
      if (viewer === "anonymous") {
        expect(response.status).toBe(401);
        continue;
      }
      expect(response.status).toBe(200);
      for (const s of response.body) assertEntity("Status", s);
      expect({ list, seen: seen(response.body.map((s: any) => s.id)) }).toEqual({ list, seen: expected() });
    }
  });
});

test("counters saw only the actions the matrix allowed", async () => {
  // Favourites that were made before the blocks still count, as in Mastodon; failed attempts never do.
  const expectedFavourites: Record<Visibility, number> = { public: 6, unlisted: 6, private: 5, direct: 2 };
  for (const v of VISIBILITIES) {
    const response = await users.author.client.get(`/api/v1/statuses/${statuses[v]}`);
    expect({ v, count: response.body.favourites_count }).toEqual({ v, count: expectedFavourites[v] });
  }
});
