/**
 * The social basics end-to-end tests share: users signed up with an API
 * client, posting, `ok` for calls that must answer 200, polling with
 * `eventually` (the event worker is asynchronous), and reading every page of
 * a paginated endpoint through its Link headers.
 */
import { expect } from "bun:test";
import { api, signUp } from "./client.ts";
import { assertEntity } from "./openapi.ts";
import type { TestServer } from "./server.ts";

type Server = Pick<TestServer, "url">;
export type Client = ReturnType<typeof api>;

export interface User {
  id: string;
  username: string;
  token: string;
  client: Client;
}

/** Signs `username` up (exactly that name) and gives back its id, token and client. */
export async function namedUser(server: Server, username: string): Promise<User> {
  const { token, accountId } = await signUp(server, { username });
  if (!accountId) throw new Error(`sign-up of ${username} gave no account id`);
  return { id: accountId, username, token, client: api(server, token) };
}

let counter = 0;

/** A fresh user named `prefix`, a counter and a few random letters. */
export function newUser(server: Server, prefix = "user"): Promise<User> {
  return namedUser(server, `${prefix}${++counter}${Math.random().toString(36).slice(2, 6)}`);
}

/** `n` fresh users, signed up concurrently. */
export function newUsers(server: Server, prefix: string, n: number): Promise<User[]> {
  return Promise.all(Array.from({ length: n }, () => newUser(server, prefix)));
}

/** The body of a response that must be 200; anything else throws with `what`. */
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

/** Polls every `intervalMs` until `check` returns something truthy; throws after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | null | undefined | false>,
  what: string,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(intervalMs);
  }
}

/** GET `path`, expecting 200 and a list of `entity`, each checked against the Mastodon schema. */
export async function entities(client: Client, path: string, entity: string): Promise<any[]> {
  const response = await client.get(path);
  expect(response.status).toBe(200);
  for (const item of response.body) assertEntity(entity, item);
  return response.body;
}

/** The user's notifications (v1), schema-checked. */
export function notifications(user: User, query = ""): Promise<any[]> {
  return entities(user.client, `/api/v1/notifications${query}`, "Notification");
}

/** The URL of a Link header relation, as a path with query. */
export function linkTo(link: string | null, rel: "next" | "prev"): string | null {
  if (!link) return null;
  const match = new RegExp(`<([^>]+)>;\\s*rel="${rel}"`).exec(link);
  if (!match) return null;
  const url = new URL(match[1]!);
  return url.pathname + url.search;
}

/**
 * Follows every Link rel="next" from `path` as `viewer` (null: anonymous),
 * collecting the non-empty pages and every page's Link header (the empty
 * last page's included). Throws when there are more than `maxPages` pages.
 */
export async function allPages(
  server: Server,
  viewer: User | null,
  path: string,
  maxPages = 30,
): Promise<{ pages: any[][]; links: (string | null)[] }> {
  const client = viewer ? viewer.client : api(server);
  const pages: any[][] = [];
  const links: (string | null)[] = [];
  let next: string | null = path;
  while (next) {
    const response: { status: number; headers: Headers; body: any[] } = await client.get(next);
    expect(response.status).toBe(200);
    const link = response.headers.get("link");
    links.push(link);
    if (response.body.length === 0) break;
    pages.push(response.body);
    next = linkTo(link, "next");
    if (pages.length > maxPages) throw new Error("pagination does not end");
  }
  return { pages, links };
}
