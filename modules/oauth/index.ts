/**
 * Signing in, as Mastodon clients expect it: app registration, the
 * authorization-code flow (HTML login and approval pages), the token and
 * revocation endpoints, RFC 8414 metadata, and sign-up through the API.
 */
import { Elysia } from "elysia";
import type { AppContext } from "../../src/context.ts";
import { requireToken } from "../../src/http/auth.ts";
import { bool, str, type Params } from "../../src/http/params.ts";
import { clientIp, requestParams } from "../../src/http/request.ts";
import { absoluteUrl } from "../../src/http/urls.ts";
import { approvalPage, codePage, errorPage, loginPage, type AuthorizeParams } from "./pages.ts";
import { SCOPES } from "./scopes.ts";
import { serializeApplication } from "./serializer.ts";
import { vapidPublicKey } from "../push/vapid.ts";
import * as service from "./service.ts";
import type { ValidAuthorization } from "./service.ts";
import { createSession, destroySession, loadSession, sessionCookie, validCsrf, type Session } from "./sessions.ts";

/** The authorization request's parameters, carried from page to page as hidden fields. */
const AUTHORIZE_FIELDS = [
  "response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method", "lang",
] as const;

function carried(params: Params): AuthorizeParams {
  const fields: AuthorizeParams = {};
  for (const name of AUTHORIZE_FIELDS) {
    const value = str(params[name]);
    if (value !== undefined && value !== "") fields[name] = value;
  }
  return fields;
}

function authorizeQuery(params: Params): service.AuthorizeQuery {
  return {
    responseType: str(params.response_type),
    clientId: str(params.client_id),
    redirectUri: str(params.redirect_uri),
    scope: str(params.scope),
    state: str(params.state),
    codeChallenge: str(params.code_challenge),
    codeChallengeMethod: str(params.code_challenge_method),
  };
}

const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  // No form-action: browsers apply it to the redirect that follows a form post, which goes to the client's URI.
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

function page(status: number, body: string, cookie?: string): Response {
  const headers: Record<string, string> = { ...PAGE_HEADERS };
  if (cookie) headers["set-cookie"] = cookie;
  return new Response(body, { status, headers });
}

function redirectTo(location: string, status = 302, cookie?: string): Response {
  const headers: Record<string, string> = { location, "cache-control": "no-store" };
  if (cookie) headers["set-cookie"] = cookie;
  return new Response(null, { status, headers });
}

const sessionExpired = () =>
  page(403, errorPage("Session expired", "Your session expired or the form was stale. Go back to the application and sign in again."));

/** Client credentials from HTTP Basic (RFC 6749 §2.3.1: form-encoded id and secret) or the body. */
function clientCredentials(request: Request, params: Params): service.ClientCredentials {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(request.headers.get("authorization") ?? "");
  if (match) {
    const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const decode = (part: string) => {
      try {
        return decodeURIComponent(part.replace(/\+/g, " "));
      } catch {
        return part;
      }
    };
    if (colon >= 0) return { clientId: decode(decoded.slice(0, colon)), clientSecret: decode(decoded.slice(colon + 1)) };
  }
  return { clientId: str(params.client_id), clientSecret: str(params.client_secret) };
}

export const oauthModule = (ctx: AppContext) => {
  const authorizeUrl = (fields: AuthorizeParams) =>
    absoluteUrl(ctx.config, `/oauth/authorize?${new URLSearchParams(fields)}`);

  async function approveAndRespond(userId: string, request: ValidAuthorization): Promise<Response> {
    const approval = await service.approve(ctx, userId, request);
    return approval.kind === "oob" ? page(200, codePage(approval.code, request.app.name)) : redirectTo(approval.url);
  }

  function showLogin(session: Session, params: Params, app: { name: string }, problem?: { status: number; login: string; error: string }) {
    return page(
      problem?.status ?? 200,
      loginPage({ csrf: session.csrf, request: carried(params), appName: app.name, login: problem?.login, error: problem?.error }),
    );
  }

  return new Elysia({ name: "oauth" })
    .post("/api/v1/apps", async ({ request, body }) => {
      const params = requestParams(request, body);
      return service.registerApp(ctx, {
        name: str(params.client_name),
        redirectUris: params.redirect_uris,
        scopes: Array.isArray(params.scopes) ? params.scopes : str(params.scopes),
        website: str(params.website),
      });
    })

    .get("/api/v1/apps/verify_credentials", async ({ request }) => {
      const auth = await requireToken(ctx, request);
      return serializeApplication(await service.verifyAppCredentials(ctx, auth), await vapidPublicKey(ctx));
    })

    .get("/oauth/authorize", async ({ request }) => {
      const params = requestParams(request, undefined);
      const check = await service.checkAuthorization(ctx, authorizeQuery(params));
      if (check.kind === "fatal") return page(400, errorPage("Authorization failed", check.message));
      if (check.kind === "redirect") return redirectTo(check.url);

      const session = await loadSession(ctx, request);
      const forceLogin = bool(params.force_login, false);
      const user = session?.userId && !forceLogin ? await service.sessionUser(ctx, session.userId) : null;
      if (session && user) {
        if (await service.alreadyAuthorized(ctx, user.id, check.request)) return approveAndRespond(user.id, check.request);
        return page(200, approvalPage({
          csrf: session.csrf,
          request: carried(params),
          app: check.request.app,
          username: user.username,
          scopes: check.request.scopes,
        }));
      }
      if (session) return showLogin(session, params, check.request.app);
      const fresh = await createSession(ctx, null);
      const response = showLogin(fresh, params, check.request.app);
      response.headers.set("set-cookie", sessionCookie(ctx, fresh));
      return response;
    })

    .post("/auth/sign_in", async ({ request, body, server }) => {
      const params = requestParams(request, body);
      const session = await loadSession(ctx, request);
      if (!session || !validCsrf(session, str(params.csrf_token))) return sessionExpired();
      const check = await service.checkAuthorization(ctx, authorizeQuery(params));
      if (check.kind === "fatal") return page(400, errorPage("Authorization failed", check.message));
      if (check.kind === "redirect") return redirectTo(check.url);

      const login = str(params.login) ?? "";
      const result = await service.signIn(ctx, { login, password: str(params.password) ?? "", ip: clientIp(request, server) });
      if (!result.ok) {
        const [status, error] = {
          throttled: [429, "Too many attempts. Please wait a few minutes and try again."],
          invalid: [401, "Invalid e-mail address, username or password."],
          disabled: [403, "Your account is disabled."],
        }[result.reason] as [number, string];
        return showLogin(session, params, check.request.app, { status, login, error });
      }
      // A new session id at sign-in, so a session planted before login (fixation) is worthless.
      await destroySession(ctx, session);
      const signedIn = await createSession(ctx, result.user.id);
      return redirectTo(authorizeUrl(carried(params)), 303, sessionCookie(ctx, signedIn));
    })

    .post("/auth/sign_out", async ({ request, body }) => {
      const params = requestParams(request, body);
      const session = await loadSession(ctx, request);
      if (!session || !validCsrf(session, str(params.csrf_token))) return sessionExpired();
      await destroySession(ctx, session);
      const fields = carried(params);
      if (fields.client_id) return redirectTo(authorizeUrl(fields), 303, sessionCookie(ctx, null));
      return page(200, errorPage("Signed out", "You have signed out."), sessionCookie(ctx, null));
    })

    .post("/oauth/authorize", async ({ request, body }) => {
      const params = requestParams(request, body);
      const session = await loadSession(ctx, request);
      if (!session || !validCsrf(session, str(params.csrf_token))) return sessionExpired();
      const check = await service.checkAuthorization(ctx, authorizeQuery(params));
      if (check.kind === "fatal") return page(400, errorPage("Authorization failed", check.message));
      if (check.kind === "redirect") return redirectTo(check.url);
      const user = session.userId ? await service.sessionUser(ctx, session.userId) : null;
      if (!user) return redirectTo(authorizeUrl(carried(params)), 303);

      if (str(params.decision) === "approve") return approveAndRespond(user.id, check.request);
      const denied = service.denialRedirect(check.request);
      return denied ? redirectTo(denied) : page(200, errorPage("Authorization denied", "You denied the application access to your account."));
    })

    .post("/oauth/token", async ({ request, body, set }) => {
      const params = requestParams(request, body);
      set.headers["cache-control"] = "no-store";
      return service.exchangeToken(ctx, {
        ...clientCredentials(request, params),
        grantType: str(params.grant_type),
        code: str(params.code),
        redirectUri: str(params.redirect_uri),
        codeVerifier: str(params.code_verifier),
        scope: Array.isArray(params.scope) ? params.scope.join(" ") : str(params.scope),
      });
    })

    .post("/oauth/revoke", async ({ request, body }) => {
      const params = requestParams(request, body);
      await service.revoke(ctx, { ...clientCredentials(request, params), token: str(params.token) });
      return {};
    })

    .get("/.well-known/oauth-authorization-server", () => ({
      issuer: absoluteUrl(ctx.config, "/"),
      service_documentation: "https://docs.joinmastodon.org/",
      authorization_endpoint: absoluteUrl(ctx.config, "/oauth/authorize"),
      token_endpoint: absoluteUrl(ctx.config, "/oauth/token"),
      app_registration_endpoint: absoluteUrl(ctx.config, "/api/v1/apps"),
      revocation_endpoint: absoluteUrl(ctx.config, "/oauth/revoke"),
      scopes_supported: [...SCOPES],
      response_types_supported: ["code"],
      response_modes_supported: ["query"],
      grant_types_supported: ["authorization_code", "client_credentials"],
      // "none": public clients may authenticate the code exchange with PKCE alone.
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "none"],
      code_challenge_methods_supported: ["S256"],
    }))

    .post("/api/v1/accounts", async ({ request, body, server }) => {
      const auth = await requireToken(ctx, request, "write:accounts");
      const params = requestParams(request, body);
      const result = await service.signUp(ctx, auth, {
        username: str(params.username) ?? "",
        email: str(params.email) ?? "",
        password: str(params.password) ?? "",
        agreement: bool(params.agreement, false),
        locale: str(params.locale),
        reason: str(params.reason),
        ip: clientIp(request, server),
      });
      return result.token;
    });
};
