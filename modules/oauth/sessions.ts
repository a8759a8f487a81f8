/**
 * Browser sessions for the sign-in pages: an opaque random id in an HttpOnly
 * cookie, and in Redis (keyed by the id's SHA-256, so a Redis dump holds no
 * usable cookies) the signed-in user and the session's CSRF token.
 *
 * Redis is the right home: sessions are short-lived state, and losing them
 * only means signing in again. Every visitor of the authorize page gets a
 * session (anonymous at first) so the login form itself carries a CSRF token.
 */
import { timingSafeEqual } from "node:crypto";
import type { AppContext } from "../../src/context.ts";
import { sha256Hex } from "../../src/http/auth.ts";

export const SESSION_COOKIE = "fedisky_session";
const SESSION_TTL_SECONDS = 7 * 24 * 3600;

export interface Session {
  /** The raw cookie value; only its hash is stored. */
  id: string;
  csrf: string;
  userId: string | null;
}

export function randomToken(bytes = 32): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("base64url");
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

async function key(id: string): Promise<string> {
  return `oauth:session:${await sha256Hex(id)}`;
}

function cookieValue(request: Request, name: string): string | null {
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return v.join("=");
  }
  return null;
}

export async function loadSession(ctx: AppContext, request: Request): Promise<Session | null> {
  const id = cookieValue(request, SESSION_COOKIE);
  if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
  const stored = await ctx.redis.get(await key(id));
  if (!stored) return null;
  const { csrf, userId } = JSON.parse(stored) as { csrf: string; userId: string | null };
  return { id, csrf, userId };
}

/** A new session; callers send `sessionCookie(ctx, session)` with the response. */
export async function createSession(ctx: AppContext, userId: string | null): Promise<Session> {
  const session = { id: randomToken(), csrf: randomToken(), userId };
  await ctx.redis.set(await key(session.id), JSON.stringify({ csrf: session.csrf, userId }), {
    ex: SESSION_TTL_SECONDS,
  });
  return session;
}

export async function destroySession(ctx: AppContext, session: Session): Promise<void> {
  await ctx.redis.del(await key(session.id));
}

export function sessionCookie(ctx: AppContext, session: Session | null): string {
  const secure = ctx.config.publicUrl.protocol === "https:" ? "; Secure" : "";
  // Lax keeps the cookie on the top-level navigation from the client app to /oauth/authorize
  // while withholding it from cross-site form posts.
  const attributes = `; Path=/; HttpOnly; SameSite=Lax${secure}`;
  return session
    ? `${SESSION_COOKIE}=${session.id}; Max-Age=${SESSION_TTL_SECONDS}${attributes}`
    : `${SESSION_COOKIE}=; Max-Age=0${attributes}`;
}

export function validCsrf(session: Session | null, presented: string | undefined): boolean {
  return session !== null && presented !== undefined && safeEqual(session.csrf, presented);
}
