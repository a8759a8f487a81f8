/**
 * Notifications end to end: real actions over HTTP (post, follow,
 * favourite, reblog, edit, mute, block…) produce — or, where Mastodon says
 * so, don't produce — notifications, read through v1 and the grouped v2
 * API; plus dismiss/clear, unread counts with markers, the notification
 * policy and its requests, and pagination.
 *
 * Notifications are made by the event worker, so a test waits for them.
 * To check that something did *not* notify, it first waits for a later
 * "sentinel" notification: events are handled in order, so once the
 * sentinel is there, the earlier event has been handled too.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backendEnv, freePort, startServer, type TestServer } from "./helpers/server.ts";
import { api } from "./helpers/client.ts";
import { assertEntity } from "./helpers/openapi.ts";
import { eventually, newUser, notifications, ok, post, type User } from "./helpers/social.ts";
import { createApp } from "../src/app.ts";
import { closeContext, openContext } from "../src/bootstrap.ts";
import { loadConfig } from "../src/config.ts";
import type { AppContext } from "../src/context.ts";
import { startEventWorker } from "../src/events/worker.ts";
import { closeEndedPolls } from "../modules/statuses/index.ts";

let server: TestServer;
// Each test signs several users up and waits for the event worker.
setDefaultTimeout(60_000);

beforeAll(async () => {
  server = await startServer();
}, 60_000);

afterAll(() => server?.stop());

function waitForNotification(user: User, match: (n: any) => boolean, what: string, query = "") {
  return eventually(async () => (await notifications(user, query)).find(match), what);
}

/**
 * Makes a sentinel account mention `user` and waits for that mention: every
 * event emitted before it has then been handled.
 */
async function settle(user: User): Promise<void> {
  const sentinel = await newUser(server, "sentinel");
  // The recipient follows the sentinel so no notification policy holds the mention back.
  await ok(user.client.post(`/api/v1/accounts/${sentinel.id}/follow`), "follow sentinel");
  const status = await post(sentinel, { status: `@${user.username} sentinel` });
  await waitForNotification(user, (n) => n.type === "mention" && n.status?.id === status.id, "the sentinel mention");
}

describe("each notification type", () => {
  test("mention: the mentioned account is notified with the status, the author is not", async () => {
    const alice = await newUser(server, "alice");
    const bob = await newUser(server, "bob");
    const status = await post(bob, { status: `hello @${alice.username}` });
    const mention = await waitForNotification(alice, (n) => n.type === "mention", "a mention");
    expect(mention.account.id).toBe(bob.id);
    expect(mention.status.id).toBe(status.id);
    expect(mention.group_key).toBe(`ungrouped-${mention.id}`);

    const one = await alice.client.get(`/api/v1/notifications/${mention.id}`);
    expect(one.status).toBe(200);
    assertEntity("Notification", one.body);
    expect(one.body.id).toBe(mention.id);

    // Nobody else can read it, and non-numeric ids are a 404, not a 500.
    expect((await bob.client.get(`/api/v1/notifications/${mention.id}`)).status).toBe(404);
    expect((await alice.client.get("/api/v1/notifications/abc")).status).toBe(404);
    expect((await api(server).get("/api/v1/notifications")).status).toBe(401);

    await settle(bob);
    expect((await notifications(bob)).filter((n) => n.type === "mention" && n.status.id === status.id)).toHaveLength(0);
  });

  test("follow: notified on follow, gone on unfollow", async () => {
    const alice = await newUser(server, "alice");
    const bob = await newUser(server, "bob");
    await ok(bob.client.post(`/api/v1/accounts/${alice.id}/follow`), "follow");
    const follow = await waitForNotification(alice, (n) => n.type === "follow", "a follow");
    expect(follow.account.id).toBe(bob.id);
    expect(follow.status).toBeUndefined();

    await ok(bob.client.post(`/api/v1/accounts/${alice.id}/unfollow`), "unfollow");
    await eventually(async () => (await notifications(alice, "?types[]=follow")).length === 0, "the follow notification to go");
  });

  test("follow_request on a locked account; authorizing replaces it with nothing", async () => {
    const carol = await newUser(server, "carol");
    await ok(carol.client.patch("/api/v1/accounts/update_credentials", { locked: true }), "lock");
    const bob = await newUser(server, "bob");
    await ok(bob.client.post(`/api/v1/accounts/${carol.id}/follow`), "follow");
    const request = await waitForNotification(carol, (n) => n.type === "follow_request", "a follow request");
    expect(request.account.id).toBe(bob.id);

    await ok(carol.client.post(`/api/v1/follow_requests/${bob.id}/authorize`), "authorize");
    await eventually(
      async () => (await notifications(carol, "?types[]=follow_request")).length === 0,
      "the request notification to go",
    );
    await settle(carol);
    expect(await notifications(carol, "?types[]=follow")).toHaveLength(0);
  });

  test("favourite: once per favourite, removed by unfavourite, new on refavourite", async () => {
    const alice = await newUser(server, "alice");
    const bob = await newUser(server, "bob");
    const status = await post(alice, { status: "favourite me" });
    await ok(bob.client.post(`/api/v1/statuses/${status.id}/favourite`), "favourite");
    const first = await waitForNotification(alice, (n) => n.type === "favourite", "a favourite");
    expect(first.account.id).toBe(bob.id);
    expect(first.status.id).toBe(status.id);
    expect(first.group_key).toStartWith(`favourite-${status.id}-`);

    // Favouriting again is a no-op: still exactly one notification.
    await ok(bob.client.post(`/api/v1/statuses/${status.id}/favourite`), "favourite again");
    await settle(alice);
    expect(await notifications(alice, "?types[]=favourite")).toHaveLength(1);

    // Mastodon destroys the notification with the favourite, and a new favourite notifies anew.
    await ok(bob.client.post(`/api/v1/statuses/${status.id}/unfavourite`), "unfavourite");
    await eventually(async () => (await notifications(alice, "?types[]=favourite")).length === 0, "removal");
    await ok(bob.client.post(`/api/v1/statuses/${status.id}/favourite`), "refavourite");
    const second = await waitForNotification(alice, (n) => n.type === "favourite", "the new favourite");
    expect(second.id).not.toBe(first.id);
    expect(await notifications(alice, "?types[]=favourite")).toHaveLength(1);
  });

  test("reblog: notified with the original status, removed by unreblog", async () => {
    const alice = await newUser(server, "alice");
    const bob = await newUser(server, "bob");
    const status = await post(alice, { status: "boost me" });
    await ok(bob.client.post(`/api/v1/statuses/${status.id}/reblog`), "reblog");
    const reblog = await waitForNotification(alice, (n) => n.type === "reblog", "a reblog");
    expect(reblog.account.id).toBe(bob.id);
    expect(reblog.status.id).toBe(status.id);

    await ok(bob.client.post(`/api/v1/statuses/${status.id}/unreblog`), "unreblog");
    await eventually(async () => (await notifications(alice, "?types[]=reblog")).length === 0, "removal");
  });

  test("status: followers with notify=true hear of original posts, not of replies to others or DMs", async () => {
    const alice = await newUser(server, "alice");
    const bob = await newUser(server, "bob");
    const other = await newUser(server, "other");
    await ok(bob.client.post(`/api/v1/accounts/${alice.id}/follow`, { notify: true }), "follow with notify");
    const original = await post(alice, { status: "a new post" });
    const notified = await waitForNotification(bob, (n) => n.type === "status", "a status notification");
    expect(notified.status.id).toBe(original.id);
    expect(notified.account.id).toBe(alice.id);

    const otherStatus = await post(other, { status: "something" });
    await post(alice, { status: `@${other.username} a reply`, in_reply_to_id: otherStatus.id });
    await post(alice, { status: `@${other.username} a secret`, visibility: "direct" });
    const selfReply = await post(alice, { status: "thread continued", in_reply_to_id: original.id });
    await waitForNotification(bob, (n) => n.type === "status" && n.status.id === selfReply.id, "the self-reply");
    await settle(bob);
    const statusIds = (await notifications(bob, "?types[]=status")).map((n) => n.status.id);
    expect(statusIds.sort()).toEqual([original.id, selfReply.id].sort());
  });

  test("update: whoever boosted a status hears of its edit", async () => {
    const alice = await newUser(server, "alice");
    const bob = await newUser(server, "bob");
    const status = await post(alice, { status: "first version" });
    await ok(bob.client.post(`/api/v1/statuses/${status.id}/reblog`), "reblog");
    await ok(alice.client.put(`/api/v1/statuses/${status.id}`, { status: "second version" }), "edit");
    const update = await waitForNotification(bob, (n) => n.type === "update", "an update notification");
    expect(update.status.id).toBe(status.id);
    expect(update.account.id).toBe(alice.id);
    expect(update.status.content).toContain("second version");
  });
});

describe("suppression", () => {
  test("a mute with notifications hides them; a mute without does not", async () => {
    const alice = await newUser(server, "alice");
    const loud = await newUser(server, "loud");
    const quiet = await newUser(server, "quiet");
    await ok(alice.client.post(`/api/v1/accounts/${quiet.id}/mute`, { notifications: true }), "mute with notifications");
    await ok(alice.client.post(`/api/v1/accounts/${loud.id}/mute`, { notifications: false }), "mute without");
    await post(quiet, { status: `@${alice.username} you won't hear this` });
    const heard = await post(loud, { status: `@${alice.username} you will hear this` });
    await waitForNotification(alice, (n) => n.status?.id === heard.id, "the mention from the merely muted account");
    await settle(alice);
    expect(await notifications(alice, `?account_id=${quiet.id}`)).toHaveLength(0);
  });

  test("a block stops new notifications and hides the old ones", async () => {
    const alice = await newUser(server, "alice");
    const bob = await newUser(server, "bob");
    const status = await post(alice, { status: "hello" });
    await ok(bob.client.post(`/api/v1/statuses/${status.id}/favourite`), "favourite");
    await waitForNotification(alice, (n) => n.type === "favourite", "the favourite");

    await ok(alice.client.post(`/api/v1/accounts/${bob.id}/block`), "block");
    // Hidden at once, whether or not the block's event has run yet.
    expect(await notifications(alice, `?account_id=${bob.id}`)).toHaveLength(0);
    await post(bob, { status: `@${alice.username} can you hear me?` });
    await settle(alice);
    expect(await notifications(alice, `?account_id=${bob.id}`)).toHaveLength(0);

    await ok(alice.client.post(`/api/v1/accounts/${bob.id}/unblock`), "unblock");
    expect(await notifications(alice, `?account_id=${bob.id}`)).toHaveLength(0);
  });

  test("a notification never shows a status its recipient can no longer see", async () => {
    const alice = await newUser(server, "alice");
    const bob = await newUser(server, "bob");
    await ok(bob.client.post(`/api/v1/accounts/${alice.id}/follow`, { notify: true }), "follow with notify");
    const secret = await post(alice, { status: "followers only", visibility: "private" });
    const notified = await waitForNotification(bob, (n) => n.type === "status", "the private post's notification");
    expect(notified.status.id).toBe(secret.id);
    await ok(bob.client.post(`/api/v1/accounts/${alice.id}/unfollow`), "unfollow");
    expect((await notifications(bob)).find((n) => n.id === notified.id)).toBeUndefined();
    expect((await bob.client.get(`/api/v1/notifications/${notified.id}`)).status).toBe(404);
    const grouped = await bob.client.get("/api/v2/notifications");
    expect(grouped.body.statuses).toEqual([]);
    expect(grouped.body.notification_groups).toEqual([]);
  });

  test("a notification whose status is deleted disappears", async () => {
    const alice = await newUser(server, "alice");
    const bob = await newUser(server, "bob");
    const status = await post(bob, { status: `@${alice.username} soon gone` });
    const mention = await waitForNotification(alice, (n) => n.type === "mention", "the mention");
    expect((await bob.client.delete(`/api/v1/statuses/${status.id}`)).status).toBe(200);
    expect((await notifications(alice)).find((n) => n.id === mention.id)).toBeUndefined();
    expect((await alice.client.get(`/api/v1/notifications/${mention.id}`)).status).toBe(404);
  });
});

describe("reading and managing notifications", () => {
  let alice: User;
  let mentionId: string;
  let followId: string;
  let favouriteId: string;

  beforeAll(async () => {
    alice = await newUser(server, "alice");
    const bob = await newUser(server, "bob");
    const status = await post(alice, { status: "mine" });
    await post(bob, { status: `@${alice.username} one` });
    mentionId = (await waitForNotification(alice, (n) => n.type === "mention", "mention")).id;
    await ok(bob.client.post(`/api/v1/accounts/${alice.id}/follow`), "follow");
    followId = (await waitForNotification(alice, (n) => n.type === "follow", "follow")).id;
    await ok(bob.client.post(`/api/v1/statuses/${status.id}/favourite`), "favourite");
    favouriteId = (await waitForNotification(alice, (n) => n.type === "favourite", "favourite")).id;
  }, 60_000);

  test("types[] and exclude_types[]", async () => {
    expect((await notifications(alice, "?types[]=mention")).map((n) => n.id)).toEqual([mentionId]);
    expect((await notifications(alice, "?types[]=mention&types[]=follow")).map((n) => n.id)).toEqual([followId, mentionId]);
    expect((await notifications(alice, "?exclude_types[]=mention")).map((n) => n.id)).toEqual([favouriteId, followId]);
    expect((await notifications(alice)).map((n) => n.id)).toEqual([favouriteId, followId, mentionId]);
  });

  test("pagination: limit, max_id, min_id, since_id and Link headers without gaps or duplicates", async () => {
    const first = await alice.client.get("/api/v1/notifications?limit=2");
    expect(first.body.map((n: any) => n.id)).toEqual([favouriteId, followId]);
    const link = first.headers.get("link")!;
    expect(link).toContain('rel="next"');
    expect(link).toContain('rel="prev"');
    const next = /<([^>]+)>; rel="next"/.exec(link)![1]!;
    expect(next).toContain(`max_id=${followId}`);
    expect(next).toContain("limit=2");
    const second = await alice.client.get(new URL(next).pathname + new URL(next).search);
    expect(second.body.map((n: any) => n.id)).toEqual([mentionId]);

    const forward = await alice.client.get(`/api/v1/notifications?min_id=${mentionId}&limit=1`);
    expect(forward.body.map((n: any) => n.id)).toEqual([followId]);
    const since = await alice.client.get(`/api/v1/notifications?since_id=${mentionId}&limit=1`);
    expect(since.body.map((n: any) => n.id)).toEqual([favouriteId]);
    const empty = await alice.client.get(`/api/v1/notifications?max_id=${mentionId}`);
    expect(empty.body).toEqual([]);
    expect(empty.headers.get("link")).toBeNull();
    // limit is capped at 80, not refused.
    expect((await alice.client.get("/api/v1/notifications?limit=500")).status).toBe(200);
  });

  test("markers and unread_count", async () => {
    const markers = await alice.client.get("/api/v1/markers?timeline[]=notifications");
    expect(markers.body).toEqual({});
    expect((await alice.client.get("/api/v1/notifications/unread_count")).body).toEqual({ count: 3 });
    expect((await alice.client.get("/api/v1/notifications/unread_count?limit=2")).body).toEqual({ count: 2 });

    const saved = await ok(alice.client.post("/api/v1/markers", { notifications: { last_read_id: mentionId } }), "marker");
    assertEntity("Marker", saved.notifications);
    expect(saved.notifications.last_read_id).toBe(mentionId);
    expect((await alice.client.get("/api/v1/notifications/unread_count")).body).toEqual({ count: 2 });
    expect((await alice.client.get("/api/v1/notifications/unread_count?types[]=follow")).body).toEqual({ count: 1 });
    // v2 counts groups: a follow and a favourite, two groups.
    expect((await alice.client.get("/api/v2/notifications/unread_count")).body).toEqual({ count: 2 });
  });

  test("dismiss one, then clear", async () => {
    expect((await alice.client.post(`/api/v1/notifications/${mentionId}/dismiss`)).status).toBe(200);
    expect((await notifications(alice)).map((n) => n.id)).not.toContain(mentionId);
    expect((await alice.client.post(`/api/v1/notifications/${mentionId}/dismiss`)).status).toBe(404);
    expect((await alice.client.post("/api/v1/notifications/xyz/dismiss")).status).toBe(404);

    expect((await alice.client.post("/api/v1/notifications/clear")).status).toBe(200);
    expect(await notifications(alice)).toEqual([]);
  });
});

describe("markers", () => {
  test("round trip with versions", async () => {
    const user = await newUser(server, "marker");
    const first = await ok(
      user.client.post("/api/v1/markers", { home: { last_read_id: "100" }, notifications: { last_read_id: "7" } }),
      "save markers",
    );
    assertEntity("Marker", first.home);
    assertEntity("Marker", first.notifications);
    expect(first.home.last_read_id).toBe("100");
    const version = first.home.version;

    // Same position again: nothing changes. A new one: the version moves on.
    const same = await ok(user.client.post("/api/v1/markers", { home: { last_read_id: "100" } }), "same");
    expect(same.home.version).toBe(version);
    expect(same.notifications).toBeUndefined();
    const form = new URLSearchParams({ "home[last_read_id]": "200" });
    const moved = await ok(user.client.post("/api/v1/markers", form), "move (form-encoded)");
    expect(moved.home.version).toBe(version + 1);

    const read = await user.client.get("/api/v1/markers?timeline[]=home&timeline[]=notifications");
    expect(read.status).toBe(200);
    expect(read.body.home.last_read_id).toBe("200");
    expect(read.body.notifications.last_read_id).toBe("7");
    assertEntity("Marker", read.body.home);

    const bad = await user.client.post("/api/v1/markers", { home: { last_read_id: "not-an-id" } });
    expect(bad.status).toBe(422);
    expect((await user.client.get("/api/v1/markers?timeline[]=home")).body.home.last_read_id).toBe("200");
    // Markers are private.
    expect((await api(server).get("/api/v1/markers?timeline[]=home")).status).toBe(401);
  });
});

describe("grouped notifications (v2)", () => {
  test("three favourites of one status make one group", async () => {
    const alice = await newUser(server, "alice");
    const status = await post(alice, { status: "popular" });
    const fans = [await newUser(server, "fan"), await newUser(server, "fan"), await newUser(server, "fan")];
    for (const fan of fans) await ok(fan.client.post(`/api/v1/statuses/${status.id}/favourite`), "favourite");
    await eventually(async () => (await notifications(alice, "?types[]=favourite")).length === 3, "three favourites");
    const follower = await newUser(server, "follower");
    await ok(follower.client.post(`/api/v1/accounts/${alice.id}/follow`), "follow");
    await waitForNotification(alice, (n) => n.type === "follow", "the follow");

    const response = await alice.client.get("/api/v2/notifications");
    expect(response.status).toBe(200);
    assertEntity("GroupedNotificationsResults", response.body);
    const groups = response.body.notification_groups;
    for (const group of groups) assertEntity("NotificationGroup", group);
    expect(groups.map((g: any) => g.type)).toEqual(["follow", "favourite"]);
    const favourites = groups[1];
    expect(favourites.notifications_count).toBe(3);
    expect(favourites.group_key).toStartWith(`favourite-${status.id}-`);
    expect(favourites.status_id).toBe(status.id);
    expect([...favourites.sample_account_ids].sort()).toEqual(fans.map((f) => f.id).sort());
    // Newest sender first.
    expect(favourites.sample_account_ids[0]).toBe(fans[2]!.id);
    expect(typeof favourites.most_recent_notification_id).toBe("number");
    expect(favourites.page_min_id).toBeDefined();
    expect(favourites.page_max_id).toBe(String(favourites.most_recent_notification_id));
    expect(response.body.statuses.map((s: any) => s.id)).toEqual([status.id]);
    expect(response.body.accounts.map((a: any) => a.id).sort()).toEqual([...fans.map((f) => f.id), follower.id].sort());
    expect(response.headers.get("link")).toContain('rel="next"');

    // Without grouping favourites, each stands alone.
    const ungrouped = await alice.client.get("/api/v2/notifications?grouped_types[]=follow");
    assertEntity("GroupedNotificationsResults", ungrouped.body);
    const favouriteGroups = ungrouped.body.notification_groups.filter((g: any) => g.type === "favourite");
    expect(favouriteGroups).toHaveLength(3);
    for (const group of favouriteGroups) {
      expect(group.group_key).toBe(`ungrouped-${group.most_recent_notification_id}`);
      expect(group.notifications_count).toBe(1);
    }
    // An ungrouped key names that one notification in the group endpoints too.
    const single = favouriteGroups[0].group_key;
    const singleGroup = await alice.client.get(`/api/v2/notifications/${single}`);
    expect(singleGroup.status).toBe(200);
    assertEntity("GroupedNotificationsResults", singleGroup.body);
    expect(singleGroup.body.notification_groups.map((g: any) => [g.group_key, g.notifications_count])).toEqual([[single, 1]]);
    expect((await alice.client.get(`/api/v2/notifications/${single}/accounts`)).body).toHaveLength(1);

    // Partial avatars: the newest sender in full, the others partially.
    const partial = await alice.client.get("/api/v2/notifications?types[]=favourite&expand_accounts=partial_avatars");
    assertEntity("GroupedNotificationsResults", partial.body);
    expect(partial.body.accounts.map((a: any) => a.id)).toEqual([fans[2]!.id]);
    expect(partial.body.partial_accounts.map((a: any) => a.id).sort()).toEqual([fans[0]!.id, fans[1]!.id].sort());
    for (const account of partial.body.partial_accounts) assertEntity("PartialAccountWithAvatar", account);
    expect((await alice.client.get("/api/v2/notifications?expand_accounts=bogus")).status).toBe(422);

    // Paging by groups: one group per page.
    const page1 = await alice.client.get("/api/v2/notifications?limit=1");
    expect(page1.body.notification_groups.map((g: any) => g.type)).toEqual(["follow"]);
    const next = /<([^>]+)>; rel="next"/.exec(page1.headers.get("link")!)![1]!;
    const page2 = await alice.client.get(new URL(next).pathname + new URL(next).search);
    expect(page2.body.notification_groups.map((g: any) => g.group_key)).toEqual([favourites.group_key]);

    // The group endpoints.
    const key = encodeURIComponent(favourites.group_key);
    const one = await alice.client.get(`/api/v2/notifications/${key}`);
    expect(one.status).toBe(200);
    assertEntity("GroupedNotificationsResults", one.body);
    expect(one.body.notification_groups).toHaveLength(1);
    expect(one.body.notification_groups[0].notifications_count).toBe(3);
    expect(one.body.notification_groups[0].page_min_id).toBeUndefined();

    const accounts = await alice.client.get(`/api/v2/notifications/${key}/accounts`);
    expect(accounts.status).toBe(200);
    for (const account of accounts.body) assertEntity("Account", account);
    expect(accounts.body.map((a: any) => a.id)).toEqual([...fans].reverse().map((f) => f.id));
    const accountsPage = await alice.client.get(`/api/v2/notifications/${key}/accounts?limit=2`);
    expect(accountsPage.body).toHaveLength(2);
    expect(accountsPage.headers.get("link")).toContain("max_id=");

    expect((await fans[0]!.client.get(`/api/v2/notifications/${key}`)).status).toBe(404);
    expect((await alice.client.get("/api/v2/notifications/nonsense%20key")).status).toBe(404);

    expect((await alice.client.post(`/api/v2/notifications/${key}/dismiss`)).status).toBe(200);
    expect((await alice.client.get(`/api/v2/notifications/${key}`)).status).toBe(404);
    expect(await notifications(alice, "?types[]=favourite")).toEqual([]);
  });
});

describe("notification policy", () => {
  test("defaults, validation, and drop for_not_following", async () => {
    const alice = await newUser(server, "alice");
    const friend = await newUser(server, "friend");
    const stranger = await newUser(server, "stranger");
    await ok(alice.client.post(`/api/v1/accounts/${friend.id}/follow`), "follow friend");

    const initial = await alice.client.get("/api/v2/notifications/policy");
    expect(initial.status).toBe(200);
    assertEntity("NotificationPolicy", initial.body);
    expect(initial.body).toMatchObject({
      for_not_following: "accept",
      for_not_followers: "accept",
      for_new_accounts: "accept",
      for_private_mentions: "filter",
      for_limited_accounts: "filter",
      summary: { pending_requests_count: 0, pending_notifications_count: 0 },
    });

    const bad = await alice.client.patch("/api/v2/notifications/policy", { for_not_following: "ignore" });
    expect(bad.status).toBe(422);
    expect((await alice.client.get("/api/v2/notifications/policy")).body.for_not_following).toBe("accept");

    const updated = await alice.client.patch("/api/v2/notifications/policy", { for_not_following: "drop" });
    expect(updated.status).toBe(200);
    assertEntity("NotificationPolicy", updated.body);
    expect(updated.body.for_not_following).toBe("drop");
    const v1 = await alice.client.get("/api/v1/notifications/policy");
    assertEntity("V1NotificationPolicy", v1.body);
    expect(v1.body.filter_not_following).toBe(true);

    const status = await post(alice, { status: "who likes this?" });
    await ok(stranger.client.post(`/api/v1/statuses/${status.id}/favourite`), "stranger favourites");
    await post(stranger, { status: `@${alice.username} hi from a stranger` });
    await ok(friend.client.post(`/api/v1/statuses/${status.id}/favourite`), "friend favourites");
    await waitForNotification(alice, (n) => n.type === "favourite" && n.account.id === friend.id, "the friend's favourite");
    await settle(alice);
    expect(await notifications(alice, `?account_id=${stranger.id}&include_filtered=true`)).toEqual([]);
  });

  test("filter holds notifications as a request until accepted", async () => {
    const alice = await newUser(server, "alice");
    const stranger = await newUser(server, "stranger");
    await ok(alice.client.patch("/api/v2/notifications/policy", { for_not_following: "filter" }), "filter");
    const status = await post(stranger, { status: `@${alice.username} please notice me` });
    await settle(alice);
    expect(await notifications(alice, `?account_id=${stranger.id}`)).toEqual([]);
    const held = await notifications(alice, `?account_id=${stranger.id}&include_filtered=true`);
    expect(held.map((n) => n.status.id)).toEqual([status.id]);
    expect(held[0].filtered).toBe(true);
    // Filtered notifications count as neither unread nor as groups.
    expect((await alice.client.get("/api/v2/notifications")).body.notification_groups.some((g: any) => g.sample_account_ids.includes(stranger.id))).toBe(false);

    const policy = (await alice.client.get("/api/v2/notifications/policy")).body;
    expect(policy.summary).toEqual({ pending_requests_count: 1, pending_notifications_count: 1 });
    const requests = await alice.client.get("/api/v1/notifications/requests");
    expect(requests.status).toBe(200);
    expect(requests.body).toHaveLength(1);
    const request = requests.body[0];
    assertEntity("NotificationRequest", request);
    expect(request.account.id).toBe(stranger.id);
    expect(request.notifications_count).toBe("1");
    expect(request.last_status.id).toBe(status.id);
    const one = await alice.client.get(`/api/v1/notifications/requests/${request.id}`);
    assertEntity("NotificationRequest", one.body);
    expect((await stranger.client.get(`/api/v1/notifications/requests/${request.id}`)).status).toBe(404);

    expect((await alice.client.post(`/api/v1/notifications/requests/${request.id}/accept`)).status).toBe(200);
    expect((await notifications(alice, `?account_id=${stranger.id}`)).map((n) => n.status.id)).toEqual([status.id]);
    expect((await alice.client.get("/api/v1/notifications/requests")).body).toEqual([]);
    // Accepted senders get through from now on.
    const later = await post(stranger, { status: `@${alice.username} thanks` });
    await waitForNotification(alice, (n) => n.status?.id === later.id, "the accepted sender's next mention");
    expect((await alice.client.post(`/api/v1/notifications/requests/${request.id}/accept`)).status).toBe(404);
  });

  test("dismissing a request discards what it held", async () => {
    const alice = await newUser(server, "alice");
    const stranger = await newUser(server, "stranger");
    await ok(alice.client.patch("/api/v2/notifications/policy", { for_not_following: "filter" }), "filter");
    await post(stranger, { status: `@${alice.username} spam` });
    const request = await eventually(
      async () => (await alice.client.get("/api/v1/notifications/requests")).body[0],
      "a notification request",
    );
    expect((await alice.client.post(`/api/v1/notifications/requests/${request.id}/dismiss`)).status).toBe(200);
    expect((await alice.client.get("/api/v1/notifications/requests")).body).toEqual([]);
    expect(await notifications(alice, `?account_id=${stranger.id}&include_filtered=true`)).toEqual([]);
    expect((await alice.client.get("/api/v2/notifications/policy")).body.summary.pending_requests_count).toBe(0);
  });
});

/**
 * Poll endings can't be waited for over HTTP (Mastodon's shortest poll is
 * five minutes), so this runs the app in-process: the same routes on a
 * real socket, with the database at hand to move the poll's end into the
 * past and the poll closer called directly.
 */
describe("poll notifications", () => {
  let local: { url: string };
  let ctx: AppContext;
  let http: ReturnType<typeof Bun.serve>;
  let worker: { stop(): Promise<void> };
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "fedisky-poll-test-"));
    const port = await freePort();
    const config = loadConfig({
      ...(await backendEnv()),
      PORT: String(port),
      PUBLIC_URL: `http://localhost:${port}`,
      DATA_DIR: dataDir,
      LOG_LEVEL: "error",
    });
    ctx = await openContext(config);
    http = Bun.serve({ port, fetch: createApp(ctx).fetch });
    worker = startEventWorker(ctx);
    local = { url: `http://localhost:${port}` };
  });

  afterAll(async () => {
    await worker?.stop();
    http?.stop(true);
    if (ctx) await closeContext(ctx);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const localUser = (prefix: string) => newUser(local, prefix);

  test("the author and every voter hear that the poll ended, once", async () => {
    const author = await localUser("pollster");
    const voter = await localUser("voter");
    const bystander = await localUser("bystander");
    const status = await ok(
      author.client.post("/api/v1/statuses", { status: "which one?", poll: { options: ["a", "b"], expires_in: 300 } }),
      "post a poll",
    );
    await ok(voter.client.post(`/api/v1/polls/${status.poll.id}/votes`, { choices: [1] }), "vote");
    await ctx.sql`UPDATE polls SET expires_at = now() - interval '1 second' WHERE id = ${status.poll.id}`;
    expect(await closeEndedPolls(ctx)).toBe(1);

    const pollNotification = async (user: User) => {
      const response = await user.client.get("/api/v1/notifications?types[]=poll");
      for (const n of response.body) assertEntity("Notification", n);
      return response.body as any[];
    };
    for (const user of [author, voter]) {
      const [notification] = await eventually(async () => {
        const list = await pollNotification(user);
        return list.length > 0 && list;
      }, `${user.username}'s poll notification`);
      expect(notification.account.id).toBe(author.id);
      expect(notification.status.id).toBe(status.id);
      expect(notification.status.poll.expired).toBe(true);
    }
    // Closing again finds nothing; the bystander never hears of it.
    expect(await closeEndedPolls(ctx)).toBe(0);
    await Bun.sleep(300);
    expect(await pollNotification(author)).toHaveLength(1);
    expect(await pollNotification(bystander)).toHaveLength(0);
  });
});
