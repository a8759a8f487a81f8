/**
 * Helpers for timeline, list and filter tests: reading whole timelines
 * through their Link headers and waiting for the event worker. Users,
 * posting and following come from ./social.ts and are re-exported here.
 *
 * Feeds are filled by the event worker, so tests wait. Before asserting that
 * a feed *lacks* something, call `settle`: an isolated account posts and
 * waits for the post in its own (already built) home; events are handled in
 * order, so everything emitted earlier has been handled too.
 */
import { expect } from "bun:test";
import { api } from "./client.ts";
import { assertEntity } from "./openapi.ts";
import type { TestServer } from "./server.ts";
import { eventually as poll, linkTo, newUser, post, type User } from "./social.ts";

export { follow, linkTo, newUser, ok, post, unfollow, type User } from "./social.ts";

/** Polls until `check` returns something truthy; feeds are given 5 s unless told. */
export function eventually<T>(check: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 5_000): Promise<T> {
  return poll(check, what, timeoutMs);
}

/** One page of a timeline, every status validated against the Mastodon schema. */
export async function timeline(user: User | null, server: TestServer, path: string) {
  const response = await (user ? user.client : api(server)).get(path);
  if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${JSON.stringify(response.body)}`);
  for (const status of response.body) assertEntity("Status", status);
  return { statuses: response.body as any[], link: response.headers.get("link") };
}

export async function homeIds(user: User, server: TestServer, query = ""): Promise<string[]> {
  return (await timeline(user, server, `/api/v1/timelines/home${query}`)).statuses.map((s) => s.id);
}

/** Reads a timeline to the end through `next` links; fails on a repeated id. */
export async function readAll(user: User | null, server: TestServer, path: string): Promise<string[]> {
  const seen: string[] = [];
  let next: string | null = path;
  for (let pages = 0; next && pages < 200; pages++) {
    const page = await timeline(user, server, next);
    if (page.statuses.length === 0) break;
    for (const status of page.statuses) {
      expect(seen).not.toContain(status.id);
      seen.push(status.id);
    }
    next = linkTo(page.link, "next");
  }
  return seen;
}

export function waitForHome(user: User, server: TestServer, statusId: string, what = `status ${statusId} in home`) {
  return eventually(async () => (await homeIds(user, server, "?limit=40")).includes(statusId), what);
}

/** An isolated account whose own posts prove the event worker has caught up. */
export async function sentinel(server: TestServer): Promise<() => Promise<void>> {
  const user = await newUser(server, "sentinel");
  await homeIds(user, server); // builds its (empty) feed, so only fanout can add to it
  return async () => {
    const status = await post(user, { status: "sentinel", visibility: "private" });
    await waitForHome(user, server, status.id, "the event worker to catch up");
  };
}

/** Makes sure a user's home feed is built in Redis, so what appears later came from fanout. */
export async function buildHome(user: User, server: TestServer): Promise<void> {
  await homeIds(user, server);
}
