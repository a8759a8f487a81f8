/**
 * OAuth 2 as Mastodon 4 speaks it (Doorkeeper's behaviour): app
 * registration, the authorization-code flow with PKCE, client credentials,
 * revocation, password sign-in with throttling, and sign-up through the API.
 *
 * Secrets handed out (codes, access tokens) are 256-bit random base64url
 * strings stored only as SHA-256 hashes.
 */
import type { AppContext } from "../../src/context.ts";
import { ApiError, forbidden, tooManyRequests, unprocessable } from "../../src/http/errors.ts";
import { sha256Hex, type Auth } from "../../src/http/auth.ts";
import { createLocalAccount, validateNewAccount } from "../accounts/service.ts";
import { logger } from "../../src/log.ts";
import { DEFAULT_SCOPES, parseScopes, unknownScopes, withinAppScopes } from "./scopes.ts";
import { randomToken, safeEqual } from "./sessions.ts";
import { serializeCredentialApplication, serializeToken } from "./serializer.ts";
import { vapidPublicKey } from "../push/vapid.ts";
import * as storage from "./storage.ts";
import type { AppRow, LoginUser } from "./storage.ts";

const log = logger("oauth");

export const OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob";
const CODE_TTL_MS = 10 * 60 * 1000;

/** An OAuth error response (RFC 6749 §5.2): `{"error": code, "error_description": …}`. */
export function oauthError(status: number, error: string, description: string): ApiError {
  return new ApiError(status, error, { error_description: description });
}

// Doorkeeper's wording, which clients sometimes show verbatim.
const INVALID_CLIENT =
  "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.";
const INVALID_GRANT =
  "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.";
const INVALID_SCOPE = "The requested scope is invalid, unknown, or malformed.";

// ---------------------------------------------------------------------------
// Applications

export interface NewApp {
  name: string | undefined;
  redirectUris: unknown;
  scopes: unknown;
  website: string | undefined;
}

/** Redirect URIs as clients send them: an array, or one string separated by spaces or newlines. */
export function parseRedirectUris(value: unknown): string[] {
  const parts = Array.isArray(value) ? value.filter((v) => typeof v === "string") : typeof value === "string" ? [value] : [];
  return [...new Set(parts.flatMap((v: string) => v.split(/\s+/)).filter((v) => v !== ""))];
}

/** Doorkeeper's rules: absolute, no fragment, no script-bearing schemes; or the out-of-band URN. */
function redirectUriProblem(uri: string): string | null {
  if (uri === OOB_REDIRECT_URI) return null;
  if (uri.length > 2000) return "is too long";
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return "must be an absolute URI";
  }
  if (!/^[a-z][a-z0-9+.-]*:$/i.test(parsed.protocol)) return "must be an absolute URI";
  if (["javascript:", "data:", "vbscript:", "file:"].includes(parsed.protocol.toLowerCase())) return "uses a forbidden scheme";
  if (parsed.hash || uri.includes("#")) return "cannot contain a fragment";
  return null;
}

export async function registerApp(ctx: AppContext, input: NewApp) {
  const details: Record<string, { error: string; description: string }[]> = {};
  const add = (field: string, error: string, description: string) => (details[field] ??= []).push({ error, description });

  const name = input.name?.trim() ?? "";
  if (name === "") add("name", "ERR_BLANK", "can't be blank");
  else if (name.length > 60) add("name", "ERR_TOO_LONG", "is too long (maximum is 60 characters)");

  const redirectUris = parseRedirectUris(input.redirectUris);
  if (redirectUris.length === 0) add("redirect_uri", "ERR_BLANK", "can't be blank");
  for (const uri of redirectUris) {
    const problem = redirectUriProblem(uri);
    if (problem) add("redirect_uri", "ERR_INVALID", `${problem}: ${uri}`);
  }

  const scopes = parseScopes(input.scopes) ?? DEFAULT_SCOPES;
  const unknown = unknownScopes(scopes);
  if (unknown.length > 0) add("scopes", "ERR_INVALID", `contains unknown scopes: ${unknown.join(", ")}`);

  const website = input.website?.trim() || null;
  if (website && (website.length > 2000 || !/^https?:\/\/[^\s]+$/i.test(website) || !URL.canParse(website))) {
    add("website", "ERR_INVALID", "is not a valid URL");
  }

  if (Object.keys(details).length > 0) {
    const message = Object.entries(details)
      .map(([field, list]) => `${field === "name" ? "Application name" : field.replace("_", " ")} ${list.map((e) => e.description).join(", ")}`)
      .join(", ");
    throw unprocessable(message.charAt(0).toUpperCase() + message.slice(1), details);
  }

  const app = await storage.insertApp(ctx.sql, {
    name,
    website,
    redirectUris,
    scopes,
    clientId: randomToken(),
    clientSecret: randomToken(),
  });
  return serializeCredentialApplication(app, await vapidPublicKey(ctx));
}

// ---------------------------------------------------------------------------
// Authorization requests (GET/POST /oauth/authorize)

/** The query of /oauth/authorize, as received. */
export interface AuthorizeQuery {
  responseType?: string;
  clientId?: string;
  redirectUri?: string;
  scope?: string;
  state?: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
}

export interface ValidAuthorization {
  app: AppRow;
  redirectUri: string;
  scopes: string[];
  state?: string;
  codeChallenge: string | null;
}

/**
 * What to do with an authorization request: `fatal` problems are shown on
 * our own page because the client or redirect URI can't be trusted with a
 * redirect; `redirect` sends an OAuth error back to the (registered) client.
 */
export type AuthorizationCheck =
  | { kind: "ok"; request: ValidAuthorization }
  | { kind: "fatal"; message: string }
  | { kind: "redirect"; url: string };

export async function checkAuthorization(ctx: AppContext, query: AuthorizeQuery): Promise<AuthorizationCheck> {
  const app = query.clientId ? await storage.findAppByClientId(ctx.sql, query.clientId) : null;
  if (!app) {
    return { kind: "fatal", message: "Client authentication failed: the application is unknown. Ask its developer to register it again." };
  }
  if (!query.redirectUri) return { kind: "fatal", message: "The request is missing the redirect_uri parameter." };
  if (!app.redirectUris.includes(query.redirectUri)) {
    return { kind: "fatal", message: "The redirect URI included is not valid for this application." };
  }
  // Out-of-band clients have nowhere to receive an error, so those are shown on our page too.
  const fail = (error: string, description: string): AuthorizationCheck =>
    query.redirectUri === OOB_REDIRECT_URI
      ? { kind: "fatal", message: description }
      : { kind: "redirect", url: errorRedirect(query.redirectUri!, error, description, query.state) };
  if (query.responseType !== "code") {
    return fail("unsupported_response_type", "The authorization server does not support this response type.");
  }
  const scopes = parseScopes(query.scope) ?? DEFAULT_SCOPES;
  if (unknownScopes(scopes).length > 0 || !withinAppScopes(scopes, app.scopes)) return fail("invalid_scope", INVALID_SCOPE);
  let codeChallenge: string | null = null;
  if (query.codeChallenge !== undefined && query.codeChallenge !== "") {
    if (query.codeChallengeMethod !== "S256") {
      return fail("invalid_request", "Only the S256 code_challenge_method is supported.");
    }
    if (!/^[A-Za-z0-9_-]{43}$/.test(query.codeChallenge)) {
      return fail("invalid_request", "The code_challenge must be a base64url-encoded SHA-256 digest.");
    }
    codeChallenge = query.codeChallenge;
  }
  return { kind: "ok", request: { app, redirectUri: query.redirectUri, scopes, state: query.state, codeChallenge } };
}

function errorRedirect(redirectUri: string, error: string, description: string, state?: string): string {
  return withParams(redirectUri, { error, error_description: description, state });
}

/** Adds parameters to a redirect URI, keeping its own query. */
function withParams(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, value);
  return url.href;
}

/** Mastodon skips the approval page when the user already holds a token for these exact scopes. */
export async function alreadyAuthorized(ctx: AppContext, userId: string, request: ValidAuthorization): Promise<boolean> {
  const wanted = [...request.scopes].sort().join(" ");
  const held = await storage.userTokenScopes(ctx.sql, userId, request.app.id);
  return held.some((scopes) => [...scopes].sort().join(" ") === wanted);
}

export type Approval = { kind: "redirect"; url: string } | { kind: "oob"; code: string };

export async function approve(ctx: AppContext, userId: string, request: ValidAuthorization): Promise<Approval> {
  const code = randomToken();
  await storage.insertGrant(ctx.sql, await sha256Hex(code), {
    applicationId: request.app.id,
    userId,
    redirectUri: request.redirectUri,
    scopes: request.scopes,
    codeChallenge: request.codeChallenge,
    codeChallengeMethod: request.codeChallenge ? "S256" : null,
    expiresAt: new Date(Date.now() + CODE_TTL_MS),
  });
  await storage.deleteStaleGrants(ctx.sql);
  if (request.redirectUri === OOB_REDIRECT_URI) return { kind: "oob", code };
  return { kind: "redirect", url: withParams(request.redirectUri, { code, state: request.state }) };
}

/** Where a denied request goes; null for out-of-band clients, which have nowhere to go. */
export function denialRedirect(request: ValidAuthorization): string | null {
  if (request.redirectUri === OOB_REDIRECT_URI) return null;
  return errorRedirect(
    request.redirectUri,
    "access_denied",
    "The resource owner or authorization server denied the request.",
    request.state,
  );
}

// ---------------------------------------------------------------------------
// Password sign-in with throttling

const SIGN_IN_WINDOW_SECONDS = 5 * 60;
const SIGN_IN_FAILURES_PER_ACCOUNT = 5;
const SIGN_IN_FAILURES_PER_IP = 25;

export type SignInResult =
  | { ok: true; user: LoginUser }
  | { ok: false; reason: "invalid" | "throttled" | "disabled" };

let dummyHash: Promise<string> | null = null;

/** Counts a failure in a fixed window that starts with the first failure. */
async function countFailure(ctx: AppContext, key: string, windowSeconds: number): Promise<void> {
  const count = await ctx.redis.incr(key);
  // Re-arm the expiry if a crash between incr and expire left the counter immortal.
  if (count === 1 || (await ctx.redis.ttl(key)) === -1) await ctx.redis.expire(key, windowSeconds);
}

async function count(ctx: AppContext, key: string): Promise<number> {
  return Number((await ctx.redis.get(key)) ?? 0);
}

export async function signIn(ctx: AppContext, input: { login: string; password: string; ip: string }): Promise<SignInResult> {
  const login = input.login.trim();
  const user = login === "" ? null : await storage.findLoginUser(ctx.sql, login);
  // Keyed by the user when known, so alternating between username and e-mail doesn't double the budget.
  const accountKey = `oauth:sign_in_failures:account:${user ? user.id : login.toLowerCase()}`;
  const ipKey = `oauth:sign_in_failures:ip:${input.ip}`;
  const [accountFailures, ipFailures] = await Promise.all([count(ctx, accountKey), count(ctx, ipKey)]);
  if (accountFailures >= SIGN_IN_FAILURES_PER_ACCOUNT || ipFailures >= SIGN_IN_FAILURES_PER_IP) {
    return { ok: false, reason: "throttled" };
  }

  // Verify against a dummy hash for unknown logins so timing doesn't reveal which exist.
  dummyHash ??= Bun.password.hash(randomToken(), { algorithm: "argon2id" });
  const valid = await Bun.password.verify(input.password, user?.passwordHash ?? (await dummyHash)).catch(() => false);
  if (!user || !valid) {
    await Promise.all([
      countFailure(ctx, accountKey, SIGN_IN_WINDOW_SECONDS),
      countFailure(ctx, ipKey, SIGN_IN_WINDOW_SECONDS),
    ]);
    return { ok: false, reason: "invalid" };
  }
  if (user.disabled || user.suspended) return { ok: false, reason: "disabled" };
  await ctx.redis.del(accountKey);
  await storage.touchSignIn(ctx.sql, user.id);
  log.info("User {userId} signed in", { userId: user.id });
  return { ok: true, user };
}

/** The signed-in user behind a session, or null when it can no longer sign in. */
export async function sessionUser(ctx: AppContext, userId: string): Promise<LoginUser | null> {
  const user = await storage.findLoginUserById(ctx.sql, userId);
  return user && !user.disabled && !user.suspended ? user : null;
}

// ---------------------------------------------------------------------------
// Token endpoint and revocation

export interface ClientCredentials {
  clientId?: string;
  clientSecret?: string;
}

/**
 * The calling application. A secret, when given, must match; without one
 * the client is public and must prove itself another way (PKCE).
 */
async function authenticateClient(ctx: AppContext, client: ClientCredentials, allowPublic: boolean) {
  const app = client.clientId ? await storage.findAppByClientId(ctx.sql, client.clientId) : null;
  if (!app) throw oauthError(401, "invalid_client", INVALID_CLIENT);
  if (client.clientSecret !== undefined) {
    if (!safeEqual(client.clientSecret, app.clientSecret)) throw oauthError(401, "invalid_client", INVALID_CLIENT);
    return { app, confidential: true };
  }
  if (!allowPublic) throw oauthError(401, "invalid_client", INVALID_CLIENT);
  return { app, confidential: false };
}

async function issueToken(ctx: AppContext, appId: string, userId: string | null, scopes: string[]) {
  const accessToken = randomToken();
  const row = await storage.insertToken(ctx.sql, {
    tokenHash: await sha256Hex(accessToken),
    applicationId: appId,
    userId,
    scopes,
  });
  return serializeToken(row, accessToken);
}

export interface TokenRequest extends ClientCredentials {
  grantType?: string;
  code?: string;
  redirectUri?: string;
  codeVerifier?: string;
  scope?: string;
}

export async function exchangeToken(ctx: AppContext, request: TokenRequest) {
  switch (request.grantType) {
    case "authorization_code":
      return exchangeCode(ctx, request);
    case "client_credentials":
      return clientCredentialsToken(ctx, request);
    case undefined:
    case "":
      throw oauthError(400, "invalid_request", "The request is missing the grant_type parameter.");
    default:
      // Includes `password` and `refresh_token`: Mastodon 4 issues neither.
      throw oauthError(400, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.");
  }
}

async function exchangeCode(ctx: AppContext, request: TokenRequest) {
  const { app, confidential } = await authenticateClient(ctx, request, true);
  if (!request.code) throw oauthError(400, "invalid_request", "The request is missing the code parameter.");
  // Consumed before any other check: a failed attempt burns the code, so a PKCE verifier can't be guessed at.
  const grant = await storage.consumeGrant(ctx.sql, await sha256Hex(request.code));
  if (!grant || grant.applicationId !== app.id || grant.expiresAt.getTime() < Date.now()) {
    throw oauthError(400, "invalid_grant", INVALID_GRANT);
  }
  if (request.redirectUri !== grant.redirectUri) throw oauthError(400, "invalid_grant", INVALID_GRANT);
  if (grant.codeChallenge) {
    if (!request.codeVerifier || !/^[A-Za-z0-9._~-]{43,128}$/.test(request.codeVerifier)) {
      throw oauthError(400, "invalid_grant", "The code_verifier is missing or malformed.");
    }
    const digest = new Bun.CryptoHasher("sha256").update(request.codeVerifier).digest("base64url");
    if (!safeEqual(digest, grant.codeChallenge)) throw oauthError(400, "invalid_grant", INVALID_GRANT);
  } else if (!confidential) {
    // Without a secret, only PKCE ties the exchange to the client that started the flow.
    throw oauthError(401, "invalid_client", INVALID_CLIENT);
  }
  const user = await sessionUser(ctx, grant.userId);
  if (!user) throw oauthError(400, "invalid_grant", INVALID_GRANT);
  await storage.touchSignIn(ctx.sql, grant.userId);
  return issueToken(ctx, app.id, grant.userId, grant.scopes);
}

async function clientCredentialsToken(ctx: AppContext, request: TokenRequest) {
  const { app } = await authenticateClient(ctx, request, false);
  const scopes = parseScopes(request.scope) ?? DEFAULT_SCOPES;
  if (unknownScopes(scopes).length > 0 || !withinAppScopes(scopes, app.scopes)) {
    throw oauthError(400, "invalid_scope", INVALID_SCOPE);
  }
  return issueToken(ctx, app.id, null, scopes);
}

/** RFC 7009: unknown tokens and other clients' tokens are answered with success too, revealing nothing. */
export async function revoke(ctx: AppContext, request: ClientCredentials & { token?: string }): Promise<void> {
  const { app } = await authenticateClient(ctx, request, true);
  if (!request.token) throw oauthError(400, "invalid_request", "The request is missing the token parameter.");
  await storage.revokeToken(ctx.sql, await sha256Hex(request.token), app.id);
}

export async function verifyAppCredentials(ctx: AppContext, auth: Auth): Promise<AppRow> {
  const app = auth.applicationId ? await storage.findAppById(ctx.sql, auth.applicationId) : null;
  if (!app) throw new ApiError(401, "The access token is invalid");
  return app;
}

// ---------------------------------------------------------------------------
// Sign-up (POST /api/v1/accounts)

const SIGN_UPS_PER_IP = 5;
const SIGN_UP_WINDOW_SECONDS = 30 * 60;

export interface SignUp {
  username: string;
  email: string;
  password: string;
  agreement: boolean;
  locale?: string;
  reason?: string;
  ip: string;
}

export async function signUp(ctx: AppContext, auth: Auth, input: SignUp) {
  if (!auth.applicationId) throw forbidden("This method requires an application token");
  const mode = ctx.config.registrations;
  if (mode === "closed") throw forbidden("This action is not allowed");

  // Every attempt counts (not only successes), so the endpoint can't be used to probe for taken names.
  const attemptsKey = `oauth:sign_ups:ip:${input.ip}`;
  const attempts = await ctx.redis.incr(attemptsKey);
  if (attempts === 1 || (await ctx.redis.ttl(attemptsKey)) === -1) await ctx.redis.expire(attemptsKey, SIGN_UP_WINDOW_SECONDS);
  if (attempts > SIGN_UPS_PER_IP) throw tooManyRequests();

  const account = {
    username: input.username,
    email: input.email,
    password: input.password,
    locale: input.locale,
    reason: input.reason,
    // There is no SMTP to send a confirmation link, so the address counts as confirmed at once.
    confirmed: true,
    approved: mode === "open",
  };
  const details = validateNewAccount(account);
  if (!input.agreement) (details.agreement ??= []).push({ error: "ERR_ACCEPTED", description: "must be accepted" });
  if (input.locale !== undefined && !/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(input.locale)) {
    (details.locale ??= []).push({ error: "ERR_INCLUSION", description: "is not included in the list" });
  }
  if (Object.keys(details).length > 0) {
    const message = Object.entries(details)
      .map(([field, list]) => `${field.charAt(0).toUpperCase()}${field.slice(1)} ${list.map((e) => e.description).join(", ")}`)
      .join(", ");
    throw unprocessable(message, details);
  }

  const created = await createLocalAccount(ctx, account);
  const app = await storage.findAppById(ctx.sql, auth.applicationId);
  if (!app) throw new ApiError(401, "The access token is invalid");
  await storage.touchSignIn(ctx.sql, created.userId);
  log.info("Account {username} signed up ({mode})", { username: input.username, mode });
  // As Mastodon's AppSignUpService: the new user's token carries the app's registered scopes.
  return { token: await issueToken(ctx, app.id, created.userId, app.scopes), accountId: created.accountId };
}
