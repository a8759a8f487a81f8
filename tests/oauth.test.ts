import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { hasScope } from "../src/http/auth.ts";
import { startServer, type TestServer } from "./helpers/server.ts";
import { assertEntity } from "./helpers/openapi.ts";
import {
  OOB, api, appToken, authorizeCode, authorizeWithPassword, browser, formFields, makePkce, randomIp, registerApp, signUp,
  type App,
} from "./helpers/client.ts";

// End-to-end: server starts and argon2 sign-ins take seconds; bun's default of 5 s is too tight under load.
// (A timed-out test also kills the server process, failing every test after it.)
const HOOK_TIMEOUT = 60_000;
setDefaultTimeout(60_000);

describe("hasScope", () => {
  test("a scope grants itself", () => {
    expect(hasScope(["read:statuses"], "read:statuses")).toBe(true);
    expect(hasScope(["read:statuses"], "read:accounts")).toBe(false);
  });

  test("top-level scopes grant their granular forms", () => {
    expect(hasScope(["read"], "read:accounts")).toBe(true);
    expect(hasScope(["write"], "write:statuses")).toBe(true);
    expect(hasScope(["admin:read"], "admin:read:accounts")).toBe(true);
    expect(hasScope(["admin:write"], "admin:write:reports")).toBe(true);
  });

  test("granular scopes don't grant their family", () => {
    expect(hasScope(["read:accounts"], "read")).toBe(false);
    expect(hasScope(["admin:read:accounts"], "admin:read")).toBe(false);
  });

  test("write doesn't grant read, and read doesn't grant admin", () => {
    expect(hasScope(["write"], "read")).toBe(false);
    expect(hasScope(["write"], "read:statuses")).toBe(false);
    expect(hasScope(["read"], "admin:read")).toBe(false);
    expect(hasScope(["read", "write"], "admin:read:accounts")).toBe(false);
  });

  test("follow grants the block, follow and mute scopes only", () => {
    for (const scope of ["read:blocks", "write:blocks", "read:follows", "write:follows", "read:mutes", "write:mutes"]) {
      expect(hasScope(["follow"], scope)).toBe(true);
    }
    expect(hasScope(["follow"], "write:statuses")).toBe(false);
    expect(hasScope(["follow"], "read")).toBe(false);
  });
});

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
}, HOOK_TIMEOUT);

afterAll(async () => {
  await server?.stop();
}, HOOK_TIMEOUT);

const PASSWORD = "correct horse battery staple";

/** A user for one test, with a fresh IP so sign-in throttling of other tests can't interfere. */
async function newUser(name: string) {
  const username = `${name}_${Math.random().toString(36).slice(2, 8)}`;
  const { token } = await signUp(server, { username, email: `${username}@example.com`, password: PASSWORD });
  return { username, email: `${username}@example.com`, token, ip: randomIp() };
}

function tokenRequest(body: Record<string, string>, headers: Record<string, string> = {}) {
  return api(server).post("/oauth/token", new URLSearchParams(body), {
    "content-type": "application/x-www-form-urlencoded",
    ...headers,
  });
}

describe("app registration", () => {
  test("POST /api/v1/apps returns a CredentialApplication", async () => {
    const res = await api(server).post("/api/v1/apps", {
      client_name: "My client",
      redirect_uris: "https://client.example/callback\nhttps://client.example/other",
      scopes: "read write:statuses",
      website: "https://client.example",
    });
    expect(res.status).toBe(200);
    assertEntity("CredentialApplication", res.body);
    expect(res.body.name).toBe("My client");
    expect(res.body.scopes).toEqual(["read", "write:statuses"]);
    expect(res.body.redirect_uris).toEqual(["https://client.example/callback", "https://client.example/other"]);
    expect(res.body.redirect_uri).toBe("https://client.example/callback\nhttps://client.example/other");
    expect(res.body.client_secret_expires_at).toBe(0);
    expect(res.body.client_id.length).toBeGreaterThanOrEqual(43);
    expect(res.body.client_secret.length).toBeGreaterThanOrEqual(43);
  });

  test("accepts redirect_uris as an array and form data; scopes default to read", async () => {
    const form = new URLSearchParams();
    form.append("client_name", "Form client");
    form.append("redirect_uris[]", "myapp://oauth");
    form.append("redirect_uris[]", OOB);
    const res = await api(server).post("/api/v1/apps", form, { "content-type": "application/x-www-form-urlencoded" });
    expect(res.status).toBe(200);
    expect(res.body.redirect_uris).toEqual(["myapp://oauth", OOB]);
    expect(res.body.scopes).toEqual(["read"]);
    expect(res.body.website).toBeNull();
  });

  test.each([
    ["a relative redirect URI", { redirect_uris: "/callback" }],
    ["a redirect URI with a fragment", { redirect_uris: "https://client.example/cb#x" }],
    ["a javascript: redirect URI", { redirect_uris: "javascript:alert(1)" }],
    ["no redirect URI", { redirect_uris: "" }],
    ["an unknown scope", { scopes: "read destroy:everything" }],
    ["no name", { client_name: "" }],
  ])("rejects %s with 422", async (_, override) => {
    const res = await api(server).post("/api/v1/apps", {
      client_name: "Bad",
      redirect_uris: OOB,
      scopes: "read",
      ...override,
    });
    expect(res.status).toBe(422);
    expect(res.body.error).toStartWith("Validation failed");
  });

  test("GET /api/v1/apps/verify_credentials with an app token returns the Application", async () => {
    const app = await registerApp(server, { name: "Verify me", website: "https://verify.example" });
    const token = await appToken(server, app);
    const res = await api(server, token).get("/api/v1/apps/verify_credentials");
    expect(res.status).toBe(200);
    assertEntity("Application", res.body);
    expect(res.body.name).toBe("Verify me");
    expect(res.body.client_secret).toBeUndefined();
    expect((await api(server).get("/api/v1/apps/verify_credentials")).status).toBe(401);
    expect((await api(server, "not-a-token").get("/api/v1/apps/verify_credentials")).status).toBe(401);
  });
});

describe("authorization code flow", () => {
  let app: App;
  const redirectUri = "https://client.example/callback";

  beforeAll(async () => {
    app = await registerApp(server, { redirectUris: [redirectUri, OOB], scopes: "read write follow" });
  });

  test("login with username, approve, redirect with code and state, exchange with the secret", async () => {
    const user = await newUser("alice");
    const { code, location } = await authorizeCode(server, app, {
      login: user.username, password: PASSWORD, scopes: "read write", state: "xyz 123", headers: { "x-forwarded-for": user.ip },
    });
    const url = new URL(location!);
    expect(`${url.origin}${url.pathname}`).toBe(redirectUri);
    expect(url.searchParams.get("state")).toBe("xyz 123");
    expect(code.length).toBeGreaterThanOrEqual(43);

    const res = await tokenRequest({
      grant_type: "authorization_code", code, redirect_uri: redirectUri, client_id: app.client_id, client_secret: app.client_secret,
    });
    expect(res.status).toBe(200);
    assertEntity("Token", res.body);
    expect(res.body.token_type).toBe("Bearer");
    expect(res.body.scope).toBe("read write");
    expect(res.body.access_token.length).toBeGreaterThanOrEqual(43);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const me = await api(server, res.body.access_token).get("/api/v1/apps/verify_credentials");
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(app.id);
  });

  test("login with e-mail address works too", async () => {
    const user = await newUser("bob");
    const token = await authorizeWithPassword(server, app, {
      login: user.email.toUpperCase(), password: PASSWORD, headers: { "x-forwarded-for": user.ip },
    });
    expect((await api(server, token).get("/api/v1/apps/verify_credentials")).status).toBe(200);
  });

  test("PKCE: a public client exchanges with the verifier; a wrong verifier fails", async () => {
    const user = await newUser("carol");
    const pkce = makePkce();
    const token = await authorizeWithPassword(server, app, {
      login: user.username, password: PASSWORD, pkce, redirectUri, headers: { "x-forwarded-for": user.ip },
    });
    expect((await api(server, token).get("/api/v1/apps/verify_credentials")).status).toBe(200);

    const other = makePkce();
    const { code } = await authorizeCode(server, app, {
      login: user.username, password: PASSWORD, pkce, redirectUri, headers: { "x-forwarded-for": user.ip },
    });
    const res = await tokenRequest({
      grant_type: "authorization_code", code, redirect_uri: redirectUri, client_id: app.client_id, code_verifier: other.verifier,
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("invalid_grant");
    expect(res.body.error_description).toBeString();
  });

  test("without PKCE a client must send its secret", async () => {
    const user = await newUser("dave");
    const { code } = await authorizeCode(server, app, {
      login: user.username, password: PASSWORD, redirectUri, headers: { "x-forwarded-for": user.ip },
    });
    const res = await tokenRequest({ grant_type: "authorization_code", code, redirect_uri: redirectUri, client_id: app.client_id });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe("invalid_client");
  });

  test("a wrong client secret is invalid_client", async () => {
    const res = await tokenRequest({
      grant_type: "authorization_code", code: "x", redirect_uri: redirectUri, client_id: app.client_id, client_secret: "wrong",
    });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe("invalid_client");
  });

  test("out-of-band: the code is shown on a page", async () => {
    const user = await newUser("erin");
    const { code, location } = await authorizeCode(server, app, {
      login: user.username, password: PASSWORD, redirectUri: OOB, headers: { "x-forwarded-for": user.ip },
    });
    expect(location).toBeUndefined();
    const res = await tokenRequest({
      grant_type: "authorization_code", code, redirect_uri: OOB, client_id: app.client_id, client_secret: app.client_secret,
    });
    expect(res.status).toBe(200);
  });

  test("a code works once", async () => {
    const user = await newUser("frank");
    const { code } = await authorizeCode(server, app, {
      login: user.username, password: PASSWORD, redirectUri: OOB, headers: { "x-forwarded-for": user.ip },
    });
    const body = { grant_type: "authorization_code", code, redirect_uri: OOB, client_id: app.client_id, client_secret: app.client_secret };
    expect((await tokenRequest(body)).status).toBe(200);
    const again = await tokenRequest(body);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe("invalid_grant");
  });

  test("the redirect_uri must match the one the code was issued for", async () => {
    const user = await newUser("grace");
    const { code } = await authorizeCode(server, app, {
      login: user.username, password: PASSWORD, redirectUri, headers: { "x-forwarded-for": user.ip },
    });
    const res = await tokenRequest({
      grant_type: "authorization_code", code, redirect_uri: OOB, client_id: app.client_id, client_secret: app.client_secret,
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("invalid_grant");
  });

  test("another app can't redeem the code", async () => {
    const user = await newUser("heidi");
    const thief = await registerApp(server);
    const { code } = await authorizeCode(server, app, {
      login: user.username, password: PASSWORD, redirectUri: OOB, headers: { "x-forwarded-for": user.ip },
    });
    const res = await tokenRequest({
      grant_type: "authorization_code", code, redirect_uri: OOB, client_id: thief.client_id, client_secret: thief.client_secret,
    });
    expect(res.body.error).toBe("invalid_grant");
  });

  test("an unregistered redirect_uri or unknown client gets an error page, never a redirect", async () => {
    const tab = browser(server);
    const bad = await tab.fetch(
      `/oauth/authorize?${new URLSearchParams({ response_type: "code", client_id: app.client_id, redirect_uri: "https://evil.example/cb" })}`,
    );
    expect(bad.status).toBe(400);
    expect(bad.headers.get("location")).toBeNull();
    expect(bad.headers.get("content-type")).toStartWith("text/html");
    expect(await bad.text()).toContain("redirect URI");

    const unknown = await tab.fetch(`/oauth/authorize?${new URLSearchParams({ response_type: "code", client_id: "nope", redirect_uri: redirectUri })}`);
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get("location")).toBeNull();
  });

  test("scopes the app wasn't registered for are refused with invalid_scope", async () => {
    const tab = browser(server);
    const res = await tab.fetch(`/oauth/authorize?${new URLSearchParams({
      response_type: "code", client_id: app.client_id, redirect_uri: redirectUri, scope: "read push", state: "s1",
    })}`);
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location")!);
    expect(location.searchParams.get("error")).toBe("invalid_scope");
    expect(location.searchParams.get("state")).toBe("s1");

    const token = await tokenRequest({
      grant_type: "client_credentials", client_id: app.client_id, client_secret: app.client_secret, scope: "admin:read",
    });
    expect(token.status).toBe(400);
    expect(token.body.error).toBe("invalid_scope");
  });

  test("granular scopes covered by the app's scopes are allowed", async () => {
    const user = await newUser("ivan");
    const token = await authorizeWithPassword(server, app, {
      login: user.username, password: PASSWORD, scopes: "read:statuses write:follows", headers: { "x-forwarded-for": user.ip },
    });
    expect(token.length).toBeGreaterThanOrEqual(43);
  });

  test("deny redirects with error=access_denied", async () => {
    const user = await newUser("judy");
    const tab = browser(server, { "x-forwarded-for": user.ip });
    const query = new URLSearchParams({ response_type: "code", client_id: app.client_id, redirect_uri: redirectUri, state: "st" });
    const login = await tab.fetch(`/oauth/authorize?${query}`);
    const signIn = await tab.fetch("/auth/sign_in", {
      form: { ...formFields(await login.text(), "/auth/sign_in"), login: user.username, password: PASSWORD },
    });
    expect(signIn.status).toBe(303);
    const approval = await tab.fetch(signIn.headers.get("location")!);
    const pageHtml = await approval.text();
    expect(pageHtml).toContain("Authorize");
    const denied = await tab.fetch("/oauth/authorize", { form: { ...formFields(pageHtml, "/oauth/authorize"), decision: "deny" } });
    expect(denied.status).toBe(302);
    const location = new URL(denied.headers.get("location")!);
    expect(location.searchParams.get("error")).toBe("access_denied");
    expect(location.searchParams.get("state")).toBe("st");
    expect(location.searchParams.get("code")).toBeNull();
  });

  test("a wrong password is rejected and signs nobody in", async () => {
    const user = await newUser("ken");
    const tab = browser(server, { "x-forwarded-for": user.ip });
    const query = new URLSearchParams({ response_type: "code", client_id: app.client_id, redirect_uri: redirectUri });
    const login = await tab.fetch(`/oauth/authorize?${query}`);
    const res = await tab.fetch("/auth/sign_in", {
      form: { ...formFields(await login.text(), "/auth/sign_in"), login: user.username, password: "wrong password" },
    });
    expect(res.status).toBe(401);
    expect(await res.text()).toContain("Invalid e-mail address, username or password");
    // Still the login page, not the approval page.
    expect(await (await tab.fetch(`/oauth/authorize?${query}`)).text()).toContain('action="/auth/sign_in"');
  });

  test("form posts without the session's CSRF token are refused", async () => {
    const user = await newUser("leo");
    const tab = browser(server, { "x-forwarded-for": user.ip });
    const query = new URLSearchParams({ response_type: "code", client_id: app.client_id, redirect_uri: redirectUri });
    const login = await tab.fetch(`/oauth/authorize?${query}`);
    const fields = formFields(await login.text(), "/auth/sign_in");
    const res = await tab.fetch("/auth/sign_in", {
      form: { ...fields, csrf_token: "forged", login: user.username, password: PASSWORD },
    });
    expect(res.status).toBe(403);
    // And with no session cookie at all.
    const stranger = browser(server);
    const res2 = await stranger.fetch("/auth/sign_in", { form: { ...fields, login: user.username, password: PASSWORD } });
    expect(res2.status).toBe(403);
  });

  test("too many failed sign-ins for one account are throttled with 429", async () => {
    const user = await newUser("mallory");
    const query = new URLSearchParams({ response_type: "code", client_id: app.client_id, redirect_uri: redirectUri });
    // Spread over IPs so the per-account counter is what trips.
    for (let i = 0; i < 5; i++) {
      const tab = browser(server, { "x-forwarded-for": randomIp() });
      const login = await tab.fetch(`/oauth/authorize?${query}`);
      const res = await tab.fetch("/auth/sign_in", {
        form: { ...formFields(await login.text(), "/auth/sign_in"), login: i % 2 ? user.email : user.username, password: `wrong ${i}` },
      });
      expect(res.status).toBe(401);
    }
    const tab = browser(server, { "x-forwarded-for": randomIp() });
    const login = await tab.fetch(`/oauth/authorize?${query}`);
    const res = await tab.fetch("/auth/sign_in", {
      form: { ...formFields(await login.text(), "/auth/sign_in"), login: user.username, password: PASSWORD },
    });
    expect(res.status).toBe(429);
    expect(await res.text()).toContain("Too many attempts");
  });

  test("too many failed sign-ins from one address are throttled with 429", async () => {
    const user = await newUser("oscar");
    const ip = randomIp();
    const tab = browser(server, { "x-forwarded-for": ip });
    const query = new URLSearchParams({ response_type: "code", client_id: app.client_id, redirect_uri: redirectUri });
    const login = await tab.fetch(`/oauth/authorize?${query}`);
    const fields = formFields(await login.text(), "/auth/sign_in");
    for (let i = 0; i < 25; i++) {
      const res = await tab.fetch("/auth/sign_in", { form: { ...fields, login: `nobody${i}`, password: "guess" } });
      expect(res.status).toBe(401);
    }
    const res = await tab.fetch("/auth/sign_in", { form: { ...fields, login: user.username, password: PASSWORD } });
    expect(res.status).toBe(429);
  });

  test("user-controlled text is escaped on the pages", async () => {
    const evil = await registerApp(server, { name: `<script>alert("x")</script>` });
    const user = await newUser("peggy");
    const tab = browser(server, { "x-forwarded-for": user.ip });
    const query = new URLSearchParams({ response_type: "code", client_id: evil.client_id, redirect_uri: OOB, state: `"><img src=x>` });
    const login = await tab.fetch(`/oauth/authorize?${query}`);
    const html = await login.text();
    expect(html).not.toContain("<script>alert");
    expect(html).toContain("&lt;script&gt;");
    expect(html).not.toContain("<img src=x>");
    expect(login.headers.get("x-frame-options")).toBe("DENY");
  });
});

describe("client credentials and revocation", () => {
  test("client_credentials gives an app token; HTTP Basic works as well", async () => {
    const app = await registerApp(server, { scopes: "read write" });
    const basic = Buffer.from(`${app.client_id}:${app.client_secret}`).toString("base64");
    const res = await tokenRequest({ grant_type: "client_credentials", scope: "write" }, { authorization: `Basic ${basic}` });
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe("write");
    const defaulted = await tokenRequest({ grant_type: "client_credentials", client_id: app.client_id, client_secret: app.client_secret });
    expect(defaulted.body.scope).toBe("read");
    const noSecret = await tokenRequest({ grant_type: "client_credentials", client_id: app.client_id });
    expect(noSecret.status).toBe(401);
    expect(noSecret.body.error).toBe("invalid_client");
  });

  test("the password grant is not supported", async () => {
    const app = await registerApp(server);
    const res = await tokenRequest({
      grant_type: "password", username: "x", password: "y", client_id: app.client_id, client_secret: app.client_secret,
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("unsupported_grant_type");
  });

  test("a revoked token stops working; unknown tokens revoke fine", async () => {
    const app = await registerApp(server);
    const user = await newUser("rupert");
    const token = await authorizeWithPassword(server, app, { login: user.username, password: PASSWORD, headers: { "x-forwarded-for": user.ip } });
    expect((await api(server, token).get("/api/v1/apps/verify_credentials")).status).toBe(200);

    const res = await api(server).post("/oauth/revoke", { token, client_id: app.client_id, client_secret: app.client_secret });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    expect((await api(server, token).get("/api/v1/apps/verify_credentials")).status).toBe(401);

    const unknown = await api(server).post("/oauth/revoke", { token: "unknown", client_id: app.client_id, client_secret: app.client_secret });
    expect(unknown.status).toBe(200);
    expect(unknown.body).toEqual({});
  });

  test("another app can't revoke a token it doesn't own", async () => {
    const app = await registerApp(server);
    const other = await registerApp(server);
    const token = await appToken(server, app);
    await api(server).post("/oauth/revoke", { token, client_id: other.client_id, client_secret: other.client_secret });
    expect((await api(server, token).get("/api/v1/apps/verify_credentials")).status).toBe(200);
  });
});

describe("HTTP details", () => {
  test("CORS on /oauth/token, including the preflight", async () => {
    const preflight = await fetch(`${server.url}/oauth/token`, {
      method: "OPTIONS",
      headers: { origin: "https://client.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-methods")).toContain("POST");

    const res = await tokenRequest({ grant_type: "client_credentials", client_id: "nope", client_secret: "nope" }, { origin: "https://client.example" });
    expect(res.status).toBe(401);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const ok = await api(server).get("/.well-known/oauth-authorization-server");
    expect(ok.headers.get("access-control-allow-origin")).toBe("*");
  });

  test("a malformed JSON body is a 400 JSON error", async () => {
    for (const path of ["/oauth/token", "/api/v1/apps"]) {
      const res = await api(server).post(path, "{not json", { "content-type": "application/json" });
      expect(res.status).toBe(400);
      expect(res.body.error).toBeString();
    }
  });

  test("the metadata document is built on PUBLIC_URL, whatever the Host header says", async () => {
    const res = await fetch(`${server.url}/.well-known/oauth-authorization-server`, { headers: { host: "evil.example:1234" } });
    expect(res.status).toBe(200);
    const metadata = await res.json();
    expect(metadata.issuer).toBe(`${server.url}/`);
    expect(metadata.authorization_endpoint).toBe(`${server.url}/oauth/authorize`);
    expect(metadata.token_endpoint).toBe(`${server.url}/oauth/token`);
    expect(metadata.revocation_endpoint).toBe(`${server.url}/oauth/revoke`);
    expect(metadata.app_registration_endpoint).toBe(`${server.url}/api/v1/apps`);
    expect(metadata.response_types_supported).toEqual(["code"]);
    expect(metadata.grant_types_supported).toEqual(["authorization_code", "client_credentials"]);
    expect(metadata.code_challenge_methods_supported).toEqual(["S256"]);
    expect(metadata.scopes_supported).toContain("write:statuses");
    expect(metadata.token_endpoint_auth_methods_supported).toContain("client_secret_basic");
    expect(metadata.service_documentation).toBeString();
    expect(metadata.response_modes_supported).toContain("query");
    expect(JSON.stringify(metadata)).not.toContain("evil.example");
  });

  test("the sign-in redirect is built on PUBLIC_URL too", async () => {
    const app = await registerApp(server);
    const user = await newUser("sybil");
    const tab = browser(server, { host: "evil.example", "x-forwarded-for": user.ip });
    const login = await tab.fetch(`/oauth/authorize?${new URLSearchParams({ response_type: "code", client_id: app.client_id, redirect_uri: OOB })}`);
    const res = await tab.fetch("/auth/sign_in", {
      form: { ...formFields(await login.text(), "/auth/sign_in"), login: user.username, password: PASSWORD },
    });
    expect(res.headers.get("location")).toStartWith(`${server.url}/oauth/authorize?`);
  });
});

describe("sign-up (open registrations)", () => {
  async function signUpRequest(body: Record<string, unknown>, ip = randomIp()) {
    const app = await registerApp(server);
    const token = await appToken(server, app, "write:accounts");
    return api(server, token, { headers: { "x-forwarded-for": ip } }).post("/api/v1/accounts", body);
  }

  test("creates a usable account and returns a Token with the app's scopes", async () => {
    const res = await signUpRequest({ username: "newbie", email: "newbie@example.com", password: PASSWORD, agreement: true, locale: "en" });
    expect(res.status).toBe(200);
    assertEntity("Token", res.body);
    expect(res.body.scope).toBe("read write follow push");
    expect((await api(server, res.body.access_token).get("/api/v1/apps/verify_credentials")).status).toBe(200);
    // The password works on the sign-in form.
    const app = await registerApp(server);
    const token = await authorizeWithPassword(server, app, { login: "newbie", password: PASSWORD, headers: { "x-forwarded-for": randomIp() } });
    expect(token).toBeString();
  });

  test("requires an app token with write:accounts", async () => {
    const body = { username: "noscope", email: "noscope@example.com", password: PASSWORD, agreement: true };
    expect((await api(server).post("/api/v1/accounts", body)).status).toBe(401);
    const app = await registerApp(server);
    const readOnly = await appToken(server, app, "read");
    expect((await api(server, readOnly).post("/api/v1/accounts", body)).status).toBe(403);
  });

  test("422 with details for a taken username, a bad e-mail or a missing agreement", async () => {
    await signUpRequest({ username: "taken", email: "taken@example.com", password: PASSWORD, agreement: true });
    const taken = await signUpRequest({ username: "TAKEN", email: "other@example.com", password: PASSWORD, agreement: true });
    expect(taken.status).toBe(422);
    expect(taken.body.error).toStartWith("Validation failed");
    expect(taken.body.details.username[0].error).toBe("ERR_TAKEN");

    const badEmail = await signUpRequest({ username: "bademail", email: "not-an-email", password: PASSWORD, agreement: true });
    expect(badEmail.status).toBe(422);
    expect(badEmail.body.details.email[0].error).toBe("ERR_INVALID");
    expect(badEmail.body.details.email[0].description).toBeString();

    const noAgreement = await signUpRequest({ username: "noagree", email: "noagree@example.com", password: PASSWORD });
    expect(noAgreement.status).toBe(422);
    expect(noAgreement.body.details.agreement[0].error).toBe("ERR_ACCEPTED");
  });

  test("sign-ups are rate-limited per address", async () => {
    const ip = randomIp();
    for (let i = 0; i < 5; i++) {
      const res = await signUpRequest({ username: `burst${i}`, email: `burst${i}@example.com`, password: PASSWORD, agreement: true }, ip);
      expect(res.status).toBe(200);
    }
    const res = await signUpRequest({ username: "burst5", email: "burst5@example.com", password: PASSWORD, agreement: true }, ip);
    expect(res.status).toBe(429);
  });
});

describe("sign-up with REGISTRATIONS=approval and closed", () => {
  let approval: TestServer;
  let closed: TestServer;

  beforeAll(async () => {
    [approval, closed] = await Promise.all([
      startServer({ env: { REGISTRATIONS: "approval" } }),
      startServer({ env: { REGISTRATIONS: "closed" } }),
    ]);
  }, HOOK_TIMEOUT);

  afterAll(async () => {
    await Promise.all([approval?.stop(), closed?.stop()]);
  }, HOOK_TIMEOUT);

  test("approval: a token is returned but the API refuses it until approved", async () => {
    const app = await registerApp(approval);
    const token = await appToken(approval, app, "write:accounts");
    const res = await api(approval, token).post("/api/v1/accounts", {
      username: "waiting", email: "waiting@example.com", password: PASSWORD, agreement: "1", reason: "Hi!",
    });
    expect(res.status).toBe(200);
    const me = await api(approval, res.body.access_token).get("/api/v1/apps/verify_credentials");
    expect(me.status).toBe(403);
    expect(me.body.error).toBe("Your login is missing a confirmed e-mail address or is pending approval");
  });

  test("closed: 403", async () => {
    const app = await registerApp(closed);
    const token = await appToken(closed, app, "write:accounts");
    const res = await api(closed, token).post("/api/v1/accounts", {
      username: "nope", email: "nope@example.com", password: PASSWORD, agreement: true,
    });
    expect(res.status).toBe(403);
    expect(res.body.error).toBeString();
  });
});
