/**
 * A Mastodon client in miniature for end-to-end tests: register an app, sign
 * up, sign in through the real HTML forms (cookies and CSRF tokens included,
 * as a browser would), and call the API.
 */
import type { TestServer } from "./server.ts";

export const OOB = "urn:ietf:wg:oauth:2.0:oob";

type Server = Pick<TestServer, "url">;

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

async function readBody(response: Response): Promise<any> {
  const text = await response.text();
  try {
    return text === "" ? null : JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * A tiny fetch wrapper: `await api(server, token).get("/api/v1/timelines/home")`.
 * Plain objects are sent as JSON, FormData and URLSearchParams as they are.
 */
export function api(server: Server, token?: string | null, defaults: { headers?: Record<string, string> } = {}) {
  async function request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const init: RequestInit & { headers: Record<string, string> } = {
      method,
      headers: { ...defaults.headers, ...headers },
      redirect: "manual",
    };
    if (token) init.headers.authorization = `Bearer ${token}`;
    if (body instanceof FormData || body instanceof URLSearchParams || typeof body === "string") init.body = body;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["content-type"] = "application/json";
    }
    const response = await fetch(new URL(path, server.url), init);
    return { status: response.status, headers: response.headers, body: await readBody(response) };
  }
  return {
    request,
    get: <T = any>(path: string, headers?: Record<string, string>) => request<T>("GET", path, undefined, headers),
    post: <T = any>(path: string, body?: unknown, headers?: Record<string, string>) => request<T>("POST", path, body, headers),
    put: <T = any>(path: string, body?: unknown, headers?: Record<string, string>) => request<T>("PUT", path, body, headers),
    patch: <T = any>(path: string, body?: unknown, headers?: Record<string, string>) => request<T>("PATCH", path, body, headers),
    delete: <T = any>(path: string, body?: unknown, headers?: Record<string, string>) => request<T>("DELETE", path, body, headers),
  };
}

export interface App {
  id: string;
  name: string;
  client_id: string;
  client_secret: string;
  redirect_uri: string;
  redirect_uris: string[];
  scopes: string[];
  website: string | null;
}

export async function registerApp(
  server: Server,
  opts: { name?: string; redirectUris?: string | string[]; scopes?: string; website?: string } = {},
): Promise<App> {
  const response = await api(server).post("/api/v1/apps", {
    client_name: opts.name ?? "Test client",
    redirect_uris: opts.redirectUris ?? OOB,
    scopes: opts.scopes ?? "read write follow push",
    ...(opts.website ? { website: opts.website } : {}),
  });
  if (response.status !== 200) throw new Error(`registering an app failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** An app-only token (grant_type=client_credentials). */
export async function appToken(server: Server, app: App, scope = "read"): Promise<string> {
  const response = await api(server).post("/oauth/token", {
    grant_type: "client_credentials",
    client_id: app.client_id,
    client_secret: app.client_secret,
    scope,
  });
  if (response.status !== 200) throw new Error(`client_credentials failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.access_token;
}

/**
 * A random documentation-range address for X-Forwarded-For, so helpers that
 * create many users don't trip the per-IP sign-up and sign-in limits.
 */
export function randomIp(): string {
  const byte = () => Math.floor(Math.random() * 254) + 1;
  return `198.18.${byte()}.${byte()}`;
}

/** Signs up through POST /api/v1/accounts; accountId is filled when the token can already read the account. */
export async function signUp(
  server: Server,
  user: { username: string; email?: string; password?: string },
): Promise<{ token: string; accountId?: string }> {
  const app = await registerApp(server, { name: "Sign-up helper" });
  const token = await appToken(server, app, "write:accounts");
  const response = await api(server, token, { headers: { "x-forwarded-for": randomIp() } }).post("/api/v1/accounts", {
    username: user.username,
    email: user.email ?? `${user.username}@example.com`,
    password: user.password ?? "correct horse battery staple",
    agreement: true,
    locale: "en",
  });
  if (response.status !== 200) throw new Error(`sign-up failed: ${response.status} ${JSON.stringify(response.body)}`);
  const userToken: string = response.body.access_token;
  const me = await api(server, userToken).get("/api/v1/accounts/verify_credentials");
  return { token: userToken, accountId: me.status === 200 ? me.body.id : undefined };
}

// ---------------------------------------------------------------------------
// The browser side of the authorization-code flow

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) =>
    ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[name]!,
  );
}

/** The hidden fields of the page's form posting to `action`. */
export function formFields(pageHtml: string, action: string): Record<string, string> {
  const forms = [...pageHtml.matchAll(/<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/g)];
  const form = forms.find((match) => decodeEntities(match[1]!) === action);
  if (!form) throw new Error(`no form posting to ${action} in:\n${pageHtml}`);
  const fields: Record<string, string> = {};
  for (const input of form[2]!.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    fields[decodeEntities(input[1]!)] = decodeEntities(input[2]!);
  }
  return fields;
}

/** Fetch with a cookie jar and no automatic redirects, as a browser tab. */
export function browser(server: Server, headers: Record<string, string> = {}) {
  const cookies = new Map<string, string>();
  return {
    cookies,
    async fetch(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
      const requestHeaders: Record<string, string> = { ...headers };
      if (cookies.size > 0) requestHeaders.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
      if (init.form) requestHeaders["content-type"] = "application/x-www-form-urlencoded";
      const response = await fetch(new URL(url, server.url), {
        method: init.method ?? (init.form ? "POST" : "GET"),
        headers: requestHeaders,
        body: init.form ? new URLSearchParams(init.form) : undefined,
        redirect: "manual",
      });
      for (const cookie of response.headers.getSetCookie()) {
        const [pair] = cookie.split(";");
        const [name, ...value] = pair!.split("=");
        if (/max-age=0/i.test(cookie)) cookies.delete(name!.trim());
        else cookies.set(name!.trim(), value.join("="));
      }
      return response;
    },
  };
}

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function makePkce(): Pkce {
  const verifier = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  const challenge = new Bun.CryptoHasher("sha256").update(verifier).digest("base64url");
  return { verifier, challenge };
}

export interface AuthorizeOptions {
  login: string;
  password: string;
  scopes?: string;
  redirectUri?: string;
  state?: string;
  pkce?: Pkce;
  /** Extra headers for every request (e.g. X-Forwarded-For). */
  headers?: Record<string, string>;
}

/**
 * Drives GET /oauth/authorize → login form → approval form like a browser
 * and returns the authorization code (from the redirect or the oob page).
 */
export async function authorizeCode(server: Server, app: App, opts: AuthorizeOptions): Promise<{ code: string; redirectUri: string; location?: string }> {
  const tab = browser(server, opts.headers);
  const redirectUri = opts.redirectUri ?? app.redirect_uris[0]!;
  const query = new URLSearchParams({
    response_type: "code",
    client_id: app.client_id,
    redirect_uri: redirectUri,
    scope: opts.scopes ?? "read",
  });
  if (opts.state) query.set("state", opts.state);
  if (opts.pkce) {
    query.set("code_challenge", opts.pkce.challenge);
    query.set("code_challenge_method", "S256");
  }

  const loginPage = await tab.fetch(`/oauth/authorize?${query}`);
  if (loginPage.status !== 200) throw new Error(`authorize page: ${loginPage.status} ${await loginPage.text()}`);
  const signIn = await tab.fetch("/auth/sign_in", {
    form: { ...formFields(await loginPage.text(), "/auth/sign_in"), login: opts.login, password: opts.password },
  });
  if (signIn.status !== 303) throw new Error(`sign-in: ${signIn.status} ${await signIn.text()}`);

  let response = await tab.fetch(signIn.headers.get("location")!);
  if (response.status === 200) {
    const approval = await response.text();
    if (approval.includes('id="authorization-code"')) return { code: oobCode(approval), redirectUri };
    response = await tab.fetch("/oauth/authorize", {
      form: { ...formFields(approval, "/oauth/authorize"), decision: "approve" },
    });
  }
  if (response.status === 200) return { code: oobCode(await response.text()), redirectUri };
  const location = response.headers.get("location");
  if (response.status !== 302 || !location) throw new Error(`approval: ${response.status} ${await response.text()}`);
  const code = new URL(location).searchParams.get("code");
  if (!code) throw new Error(`no code in redirect ${location}`);
  return { code, redirectUri, location };
}

export function oobCode(pageHtml: string): string {
  const match = /<code id="authorization-code">([^<]+)<\/code>/.exec(pageHtml);
  if (!match) throw new Error(`no authorization code on the page:\n${pageHtml}`);
  return decodeEntities(match[1]!);
}

/** The full flow: sign in through the forms and exchange the code for a user token. */
export async function authorizeWithPassword(server: Server, app: App, opts: AuthorizeOptions): Promise<string> {
  const { code, redirectUri } = await authorizeCode(server, app, opts);
  const response = await api(server).post("/oauth/token", {
    grant_type: "authorization_code",
    code,
    client_id: app.client_id,
    redirect_uri: redirectUri,
    ...(opts.pkce ? { code_verifier: opts.pkce.verifier } : { client_secret: app.client_secret }),
  });
  if (response.status !== 200) throw new Error(`token exchange: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.access_token;
}
