/**
 * Direct-message conversations (/api/v1/conversations) over HTTP: who gets
 * one, unread/read, delete, the last status moving with replies and
 * deletions, pagination — and that nobody outside the conversation ever
 * sees it.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startServer, type TestServer } from "./helpers/server.ts";
import { api } from "./helpers/client.ts";
import { assertEntity } from "./helpers/openapi.ts";
import { entities, eventually, newUser, post, type User } from "./helpers/social.ts";

let server: TestServer;
// Each test signs several users up and waits for the event worker.
setDefaultTimeout(60_000);

beforeAll(async () => {
  server = await startServer();
}, 60_000);

afterAll(() => server?.stop());

function conversations(user: User, query = ""): Promise<any[]> {
  return entities(user.client, `/api/v1/conversations${query}`, "Conversation");
}

/** The conversation whose last status is `statusId`, once the event worker has put it there. */
function conversationWith(user: User, statusId: string) {
  return eventually(
    async () => (await conversations(user)).find((c) => c.last_status?.id === statusId),
    `${user.username}'s conversation with status ${statusId}`,
  );
}

describe("direct-message conversations", () => {
  let alice: User;
  let bob: User;
  let carol: User;

  beforeAll(async () => {
    alice = await newUser(server, "alice");
    bob = await newUser(server, "bob");
    carol = await newUser(server, "carol");
  }, 60_000);

  test("a direct status opens a conversation for the author (read) and the recipient (unread) only", async () => {
    const dm = await post(alice, { status: `@${bob.username} just between us`, visibility: "direct" });
    const mine = await conversationWith(alice, dm.id);
    expect(mine.unread).toBe(false);
    expect(mine.accounts.map((a: any) => a.id)).toEqual([bob.id]);

    const theirs = await conversationWith(bob, dm.id);
    expect(theirs.unread).toBe(true);
    expect(theirs.accounts.map((a: any) => a.id)).toEqual([alice.id]);
    expect(theirs.last_status.visibility).toBe("direct");

    // A third party sees nothing and can't touch either conversation.
    expect(await conversations(carol)).toEqual([]);
    expect((await carol.client.post(`/api/v1/conversations/${theirs.id}/read`)).status).toBe(404);
    expect((await carol.client.delete(`/api/v1/conversations/${theirs.id}`)).status).toBe(404);
    expect((await api(server).get("/api/v1/conversations")).status).toBe(401);
    // Nor does the status or a notification leak to them.
    expect((await carol.client.get(`/api/v1/statuses/${dm.id}`)).status).toBe(404);
    const carolNotifications = await carol.client.get("/api/v1/notifications?include_filtered=true");
    expect(carolNotifications.body).toEqual([]);

    // The recipient's mention notification exists — held by the default policy
    // (private mentions from accounts you don't follow are filtered) — and shows the status.
    const held = await eventually(
      async () =>
        (await bob.client.get("/api/v1/notifications?include_filtered=true")).body.find(
          (n: any) => n.type === "mention" && n.status.id === dm.id,
        ),
      "bob's mention notification",
    );
    assertEntity("Notification", held);
    expect(held.filtered).toBe(true);
  });

  test("replies move the conversation and mark it unread for the other side; read and delete", async () => {
    const dm = await post(alice, { status: `@${bob.username} second thread`, visibility: "direct" });
    const bobs = await conversationWith(bob, dm.id);
    const reply = await post(bob, { status: `@${alice.username} a reply`, visibility: "direct", in_reply_to_id: dm.id });
    const alices = await conversationWith(alice, reply.id);
    expect(alices.unread).toBe(true);
    // Same conversation for bob, now read on his side since he wrote last.
    const bobsAfter = await conversationWith(bob, reply.id);
    expect(bobsAfter.id).toBe(bobs.id);
    expect(bobsAfter.unread).toBe(false);

    const read = await alice.client.post(`/api/v1/conversations/${alices.id}/read`);
    expect(read.status).toBe(200);
    assertEntity("Conversation", read.body);
    expect(read.body.unread).toBe(false);
    expect((await conversations(alice)).find((c) => c.id === alices.id).unread).toBe(false);
    expect((await alice.client.post("/api/v1/conversations/abc/read")).status).toBe(404);

    // Deleting the newest status falls back to the previous one.
    expect((await bob.client.delete(`/api/v1/statuses/${reply.id}`)).status).toBe(200);
    await conversationWith(alice, dm.id);

    // Deleting hides it from that user only; a new message brings it back.
    expect((await alice.client.delete(`/api/v1/conversations/${alices.id}`)).status).toBe(200);
    expect((await conversations(alice)).find((c) => c.id === alices.id)).toBeUndefined();
    expect((await conversations(bob)).some((c) => c.id === bobs.id)).toBe(true);
    const again = await post(bob, { status: `@${alice.username} still there?`, visibility: "direct", in_reply_to_id: dm.id });
    const back = await conversationWith(alice, again.id);
    expect(back.unread).toBe(true);
  });

  test("a conversation disappears with its only status", async () => {
    const dm = await post(carol, { status: `@${bob.username} short-lived`, visibility: "direct" });
    const conversation = await conversationWith(carol, dm.id);
    expect((await carol.client.delete(`/api/v1/statuses/${dm.id}`)).status).toBe(200);
    await eventually(
      async () => !(await conversations(carol)).some((c) => c.id === conversation.id),
      "the conversation to go",
    );
  });

  test("non-direct statuses open no conversation; a group DM lists every other participant", async () => {
    const dave = await newUser(server, "dave");
    const erin = await newUser(server, "erin");
    await post(dave, { status: `@${erin.username} public hello` });
    await post(dave, { status: `@${erin.username} followers only`, visibility: "private" });
    const group = await post(dave, { status: `@${erin.username} @${carol.username} all three`, visibility: "direct" });
    const erins = await conversationWith(erin, group.id);
    expect(erins.accounts.map((a: any) => a.id).sort()).toEqual([dave.id, carol.id].sort());
    expect((await conversations(erin)).map((c) => c.last_status.id)).toEqual([group.id]);
    const daves = await conversationWith(dave, group.id);
    expect(daves.accounts.map((a: any) => a.id).sort()).toEqual([erin.id, carol.id].sort());
  });

  test("a recipient who blocks the sender gets no conversation", async () => {
    const frank = await newUser(server, "frank");
    const grace = await newUser(server, "grace");
    expect((await grace.client.post(`/api/v1/accounts/${frank.id}/block`)).status).toBe(200);
    const dm = await post(frank, { status: `@${grace.username} hello?`, visibility: "direct" });
    await conversationWith(frank, dm.id);
    // A later DM from someone else proves the first event was handled.
    const other = await post(carol, { status: `@${grace.username} hi`, visibility: "direct" });
    await conversationWith(grace, other.id);
    expect((await conversations(grace)).map((c) => c.last_status.id)).toEqual([other.id]);
  });

  test("pagination by last status with Link headers", async () => {
    const sender = await newUser(server, "sender");
    const recipients = [await newUser(server, "r"), await newUser(server, "r"), await newUser(server, "r")];
    const ids: string[] = [];
    for (const recipient of recipients) {
      ids.push((await post(sender, { status: `@${recipient.username} hi`, visibility: "direct" })).id);
    }
    await conversationWith(sender, ids[2]!);
    await eventually(async () => (await conversations(sender)).length === 3, "three conversations");

    const first = await sender.client.get("/api/v1/conversations?limit=2");
    expect(first.body.map((c: any) => c.last_status.id)).toEqual([ids[2], ids[1]]);
    const link = first.headers.get("link")!;
    const next = /<([^>]+)>; rel="next"/.exec(link)![1]!;
    expect(next).toContain(`max_id=${ids[1]}`);
    const second = await sender.client.get(new URL(next).pathname + new URL(next).search);
    expect(second.body.map((c: any) => c.last_status.id)).toEqual([ids[0]]);
    const forward = await sender.client.get(`/api/v1/conversations?min_id=${ids[0]}&limit=1`);
    expect(forward.body.map((c: any) => c.last_status.id)).toEqual([ids[1]]);
  });
});
