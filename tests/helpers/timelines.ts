/**
 * Helpers for timeline, list and filter tests: users with a client, posting,
 * following, reading whole timelines through their Link headers, and waiting
 * for the event worker.
 *
 * Feeds are filled by the event worker, so tests wait. Before asserting that
 * a feed *lacks* something, call `settle`: an isolated account posts and
 * waits for the post in its own (already built) home; events are handled in
 * order, so everything emitted earlier has been handled too.
 */
import { expect } from "bun:test";
import { api, signUp } from "./client.ts";
import { assertEntity } from "./openapi.ts";
import type { TestServer } from "./server.ts";

export interface User {
  id: string;
  username: string;
  token: string;
  client: ReturnType<typeof api>;
}

let counter = 0;

export async function newUser(server: TestServer, prefix = "user"): Promise<User> {
  const username = `${prefix}${++counter}${Math.random().toString(36).slice(2, 6)}`;
  const { token, accountId } = await signUp(server, { username });
  if (!accountId) throw new Error(`sign-up of ${username} gave no account id`);
  return { id: accountId, username, token, client: api(server, token) };
}

export async function ok<T = any>(promise: Promise<{ status: number; body: any }>, what: string): Promise<T> {
  const response = await promise;
  if (response.status !== 200) throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as T;
}

export function post(user: User, body: Record<string, unknown>): Promise<{ id: string; [key: string]: any }> {
  return ok(user.client.post("/api/v1/statuses", body), `${user.username} posting`);
}

export function follow(user: User, target: User, options: Record<string, unknown> = {}) {
  return ok(user.client.post(`/api/v1/accounts/${target.id}/follow`, options), `${user.username} following ${target.username}`);
}

export function unfollow(user: User, target: User) {
  return ok(user.client.post(`/api/v1/accounts/${target.id}/unfollow`), `${user.username} unfollowing ${target.username}`);
}

/** Polls until `check` returns something truthy. */
export async function eventually<T>(
  check: () => Promise<T | null | undefined | false>,
  what: string,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
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

/** The URL of a Link header relation, as a path with query. */
export function linkTo(link: string | null, rel: "next" | "prev"): string | null {
  if (!link) return null;
  const match = new RegExp(`<([^>]+)>;\\s*rel="${rel}"`).exec(link);
  if (!match) return null;
  const url = new URL(match[1]!);
  return url.pathname + url.search;
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
