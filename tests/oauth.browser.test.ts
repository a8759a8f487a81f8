/**
 * The sign-in pages in a real browser (headless Chromium): what a person
 * does when a Mastodon app sends them to /oauth/authorize.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { startServer, type TestServer } from "./helpers/server.ts";
import { OOB, api, makePkce, registerApp, signUp } from "./helpers/client.ts";

const CHROMIUM = "/usr/bin/chromium";
const HOOK_TIMEOUT = 60_000;
setDefaultTimeout(60_000);
const PASSWORD = "correct horse battery staple";

let server: TestServer;
let browser: Browser;
/** The client app's redirect endpoint: records the query it was called with. */
let callback: ReturnType<typeof Bun.serve>;
let callbacks: URL[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Chromium (apt-get install -y chromium) to run the browser tests`);
  }
  callback = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      // Only the redirect counts: the browser may also ask this origin for /favicon.ico.
      const url = new URL(request.url);
      if (url.pathname === "/callback") callbacks.push(url);
      return new Response("<!DOCTYPE html><title>Client</title><p id=done>Signed in</p>", {
        headers: { "content-type": "text/html" },
      });
    },
  });
  [server, browser] = await Promise.all([
    startServer(),
    chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
      ],
    }),
  ]);
}, HOOK_TIMEOUT);

afterAll(async () => {
  await browser?.close();
  callback?.stop(true);
  await server?.stop();
}, HOOK_TIMEOUT);

describe("signing in with a browser", () => {
  test("log in, authorize, land on the client's redirect URI, exchange the code (PKCE); then the oob flow", async () => {
    await signUp(server, { username: "browsy", email: "browsy@example.com", password: PASSWORD });
    const redirectUri = `http://127.0.0.1:${callback.port}/callback`;
    const app = await registerApp(server, { name: "Browser client", redirectUris: [redirectUri, OOB], scopes: "read write" });
    const pkce = makePkce();

    const context = await browser.newContext();
    const page = await context.newPage();
    const query = new URLSearchParams({
      response_type: "code",
      client_id: app.client_id,
      redirect_uri: redirectUri,
      scope: "read write",
      state: "browser-state",
      code_challenge: pkce.challenge,
      code_challenge_method: "S256",
    });
    await page.goto(`${server.url}/oauth/authorize?${query}`);

    // A wrong password first: the form comes back with an error.
    await page.getByLabel("E-mail address or username").fill("browsy");
    await page.getByLabel("Password").fill("not my password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForSelector("#login-error");
    expect(await page.textContent("#login-error")).toContain("Invalid");

    await page.getByLabel("E-mail address or username").fill("browsy@example.com");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForSelector("#authorize");
    expect(await page.textContent("body")).toContain("Browser client");
    expect(await page.textContent("#scopes")).toContain("write");

    await Promise.all([page.waitForURL(`${redirectUri}?**`), page.click("#authorize")]);
    const landed = callbacks.at(-1)!;
    expect(landed.searchParams.get("state")).toBe("browser-state");
    const code = landed.searchParams.get("code")!;
    expect(code).toBeString();

    const token = await api(server).post("/oauth/token", {
      grant_type: "authorization_code", code, client_id: app.client_id, redirect_uri: redirectUri, code_verifier: pkce.verifier,
    });
    expect(token.status).toBe(200);
    expect(token.body.scope).toBe("read write");

    // Still signed in: the out-of-band flow goes straight to approval and shows the code.
    const oob = new URLSearchParams({ response_type: "code", client_id: app.client_id, redirect_uri: OOB, scope: "read" });
    await page.goto(`${server.url}/oauth/authorize?${oob}`);
    await page.click("#authorize");
    const oobCode = (await page.textContent("#authorization-code"))!.trim();
    const oobToken = await api(server).post("/oauth/token", {
      grant_type: "authorization_code", code: oobCode, client_id: app.client_id, client_secret: app.client_secret, redirect_uri: OOB,
    });
    expect(oobToken.status).toBe(200);
    expect(oobToken.body.scope).toBe("read");
    await context.close();
  });
});
