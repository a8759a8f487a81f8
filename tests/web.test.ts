/**
 * The public web pages (modules/web): what a browser gets when someone
 * follows a link from a client — landing page, profiles, statuses, hashtags —
 * with hostile profile text escaped, private statuses never shown, and the
 * actor URLs serving pages to browsers and ActivityPub to servers.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { api, signUp } from "./helpers/client.ts";
import { startServer, type TestServer } from "./helpers/server.ts";

let server: TestServer;
/** A tiny remote server (WebFinger and one actor) so a remote account can be known here. */
let remote: ReturnType<typeof Bun.serve>;
let alice: { token: string; accountId?: string };
let bob: { token: string; accountId?: string };
const ids: Record<string, string> = {};

// 30 characters at most: the display name limit.
const HOSTILE_NAME = `<script>alert(1)</script>A"l`;
const HOSTILE_BIO = `I <b>love</b> "quotes" & <img src=x onerror=alert(1)> #cats`;

function page(path: string, accept = "text/html,application/xhtml+xml") {
  return fetch(new URL(path, server.url), { headers: { accept }, redirect: "manual" });
}

async function html(path: string): Promise<{ status: number; body: string; headers: Headers }> {
  const response = await page(path);
  return { status: response.status, body: await response.text(), headers: response.headers };
}

function startRemote(): ReturnType<typeof Bun.serve> {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const url = new URL(request.url);
      const origin = url.origin;
      if (url.pathname === "/.well-known/webfinger") {
        return Response.json({
          subject: `acct:dave@${url.host}`,
          links: [{ rel: "self", type: "application/activity+json", href: `${origin}/users/dave` }],
        });
      }
      if (url.pathname === "/users/dave") {
        return Response.json(
          {
            "@context": "https://www.w3.org/ns/activitystreams",
            id: `${origin}/users/dave`,
            type: "Person",
            preferredUsername: "dave",
            url: `${origin}/@dave`,
            inbox: `${origin}/users/dave/inbox`,
            outbox: `${origin}/users/dave/outbox`,
          },
          { headers: { "content-type": "application/activity+json" } },
        );
      }
      return new Response("not found", { status: 404 });
    },
  });
}

beforeAll(async () => {
  remote = startRemote();
  server = await startServer({
    env: { INSTANCE_TITLE: "Web Test", INSTANCE_DESCRIPTION: "A server <for> tests.", ALLOW_PRIVATE_ADDRESS: "true" },
  });
  alice = await signUp(server, { username: "alice" });
  bob = await signUp(server, { username: "bob" });
  const a = api(server, alice.token);
  const profile = await a.patch("/api/v1/accounts/update_credentials", {
    display_name: HOSTILE_NAME,
    note: HOSTILE_BIO,
    fields_attributes: { 0: { name: `<i>Site</i>`, value: "https://alice.example/" } },
  });
  expect(profile.status).toBe(200);
  const post = async (key: string, status: string, extra: Record<string, unknown> = {}) => {
    const response = await a.post("/api/v1/statuses", { status, ...extra });
    expect(response.status).toBe(200);
    ids[key] = response.body.id;
  };
  await post("public", "Hello #Gardening world", { visibility: "public" });
  await post("accented", "Coffee time #café", { visibility: "public" });
  await post("reply", "A public reply in the thread", { visibility: "public", in_reply_to_id: ids.public });
  await post("unlisted", "An unlisted thought", { visibility: "unlisted" });
  await post("private", "Followers-only SECRET-PRIVATE text", { visibility: "private" });
  await post("direct", "@bob SECRET-DIRECT message", { visibility: "direct" });
  await post("warned", "Behind a warning", { visibility: "public", spoiler_text: "<b>CW</b> spoilers" });
  const boost = await api(server, alice.token).post(`/api/v1/statuses/${ids.public}/reblog`);
  expect(boost.status).toBe(200);
  ids.boost = boost.body.id;
  const bobPost = await api(server, bob.token).post("/api/v1/statuses", { status: "Bob says hi", visibility: "public" });
  ids.bob = bobPost.body.id;
}, 90_000);

afterAll(async () => {
  remote?.stop(true);
  await server?.stop();
});

describe("landing page", () => {
  test("shows the instance, its registration status, the apps link and recent public local posts", async () => {
    const { status, body, headers } = await html("/");
    expect(status).toBe(200);
    expect(headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(body).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(body).toContain("<title>Web Test</title>");
    expect(body).toContain("A server &lt;for&gt; tests.");
    expect(body).toContain("Registrations are open");
    expect(body).toContain('href="https://joinmastodon.org/apps"');
    expect(body).toContain("Bob says hi");
    expect(body).toContain("Hello ");
    expect(body).not.toContain("SECRET");
    expect(body).not.toContain("An unlisted thought");
    expect(body).toContain('<meta property="og:site_name" content="Web Test">');
  });
});

describe("profile page", () => {
  test("escapes the display name and keeps the formatted bio without its raw markup", async () => {
    const { status, body } = await html("/@alice");
    expect(status).toBe(200);
    expect(body).not.toContain("<script>");
    expect(body).not.toContain("<img src=x");
    expect(body).not.toContain("<i>Site</i>");
    expect(body).toContain("&lt;script&gt;alert(1)&lt;/script&gt;A&quot;l");
    expect(body).toContain("&lt;b&gt;love&lt;/b&gt;");
    expect(body).toContain("&lt;i&gt;Site&lt;/i&gt;");
    // The bio is our formatter's HTML: its hashtag is a link.
    expect(body).toMatch(/<a href="[^"]*\/tags\/cats" class="mention hashtag" rel="tag">/);
    // Field links carry rel="me", so alice.example can verify the profile.
    expect(body).toMatch(/<a href="https:\/\/alice\.example\/"[^>]*rel="[^"]*\bme\b[^"]*"/);
  });

  test("has the ActivityPub alternate link and OpenGraph tags", async () => {
    const { body } = await html("/@alice");
    expect(body).toContain(`<link rel="alternate" type="application/activity+json" href="${server.url}/users/alice">`);
    expect(body).toContain('<meta property="og:type" content="profile">');
    expect(body).toContain(`<meta property="og:url" content="${server.url}/@alice">`);
    expect(body).toMatch(/<meta property="og:title" content="&lt;script&gt;[^"]*\(@alice@localhost\)">/);
    expect(body).toContain('<meta property="og:image" content="');
  });

  test("lists public posts and boosts only, never unlisted, private or direct ones", async () => {
    const { body } = await html("/@alice");
    expect(body).toContain(`id="status-${ids.public}"`);
    expect(body).toContain(`id="status-${ids.boost}"`);
    expect(body).toContain("boosted");
    expect(body).not.toContain("An unlisted thought");
    expect(body).not.toContain("SECRET");
    // Content warnings hide the text behind a <details>, escaped.
    expect(body).toContain("<summary>&lt;b&gt;CW&lt;/b&gt; spoilers</summary>");
  });

  test("pages with ?max_id", async () => {
    const a = api(server, bob.token);
    const posted: string[] = [];
    for (let i = 0; i < 22; i++) posted.push((await a.post("/api/v1/statuses", { status: `Bob post number ${i}` })).body.id);
    const first = await html("/@bob");
    const next = /<a href="([^"]+)" rel="next">Older posts<\/a>/.exec(first.body);
    expect(next).not.toBeNull();
    expect(first.body).toContain("Bob post number 21");
    expect(first.body).not.toContain("Bob says hi");
    const second = await html(next![1]!.replace(/&amp;/g, "&"));
    expect(second.status).toBe(200);
    expect(second.body).toContain("Bob says hi");
    expect(second.body).toContain("Bob post number 0");
    expect(second.body).not.toContain("Bob post number 21");
    expect(second.body).not.toContain("rel=\"next\"");
  });

  test("unknown accounts get the 404 page, remote handles redirect or 404", async () => {
    const missing = await html("/@nobody");
    expect(missing.status).toBe(404);
    expect(missing.body).toContain("<title>Not found - Web Test</title>");
    expect((await html("/@nobody@remote.example")).status).toBe(404);
    // A remote account known here: its page is on its own server.
    const handle = `dave@127.0.0.1:${remote.port}`;
    const lookup = await api(server, alice.token).get(`/api/v1/accounts/lookup?acct=${encodeURIComponent(handle)}`);
    expect(lookup.status).toBe(200);
    const remotePage = await page(`/@${handle}`);
    expect(remotePage.status).toBe(302);
    expect(remotePage.headers.get("location")).toBe(`http://127.0.0.1:${remote.port}/@dave`);
    const local = await page("/@ALICE");
    expect(local.status).toBe(302);
    expect(local.headers.get("location")).toBe(`${server.url}/@alice`);
  });
});

describe("status page", () => {
  test("shows a public status with its thread, alternate link and OpenGraph tags", async () => {
    const { status, body } = await html(`/@alice/${ids.public}`);
    expect(status).toBe(200);
    expect(body).toContain(`<link rel="alternate" type="application/activity+json" href="${server.url}/users/alice/statuses/${ids.public}">`);
    expect(body).toContain('<meta property="og:type" content="article">');
    expect(body).toContain('<meta property="og:description" content="Hello #Gardening world">');
    expect(body).toContain(`id="status-${ids.public}"`);
    expect(body).toContain("A public reply in the thread");
    expect(body).not.toContain("<script>");
  });

  test("an unlisted status is shown but not indexed", async () => {
    const { status, body } = await html(`/@alice/${ids.unlisted}`);
    expect(status).toBe(200);
    expect(body).toContain("An unlisted thought");
    expect(body).toContain('<meta name="robots" content="noindex, noarchive">');
  });

  test("private and direct statuses are a 404 that leaks nothing", async () => {
    for (const key of ["private", "direct"]) {
      const { status, body } = await html(`/@alice/${ids[key]}`);
      expect(status).toBe(404);
      expect(body).not.toContain("SECRET");
      expect(body).not.toContain(ids[key]!);
      expect(body).not.toContain("alert");
    }
    // Asking through the actor-style URL redirects to the same 404.
    const redirected = await page(`/users/alice/statuses/${ids.private}`);
    expect(redirected.status).toBe(302);
    const followed = await html(redirected.headers.get("location")!);
    expect(followed.status).toBe(404);
    expect(followed.body).not.toContain("SECRET");
  });

  test("a status under another user's name, a bad id or a deleted status is a 404", async () => {
    expect((await html(`/@bob/${ids.public}`)).status).toBe(404);
    expect((await html("/@alice/not-a-number")).status).toBe(404);
    expect((await html("/@alice/99999999999999999999999")).status).toBe(404);
    const gone = await api(server, alice.token).post("/api/v1/statuses", { status: "soon deleted" });
    await api(server, alice.token).delete(`/api/v1/statuses/${gone.body.id}`);
    expect((await html(`/@alice/${gone.body.id}`)).status).toBe(404);
  });

  test("a boost's page redirects to its original", async () => {
    const response = await page(`/@alice/${ids.boost}`);
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(`${server.url}/@alice/${ids.public}`);
  });
});

describe("actor and status URLs", () => {
  test("as HTML they redirect to the pages", async () => {
    const actor = await page("/users/alice");
    expect(actor.status).toBe(302);
    expect(actor.headers.get("location")).toBe(`${server.url}/@alice`);
    const status = await page(`/users/alice/statuses/${ids.public}`);
    expect(status.status).toBe(302);
    expect(status.headers.get("location")).toBe(`${server.url}/@alice/${ids.public}`);
    expect((await html("/users/nobody")).status).toBe(404);
  });

  test("as ActivityPub they are still served by Fedify", async () => {
    for (const path of ["/users/alice", "/@alice"]) {
      const response = await page(path, "application/activity+json");
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toContain("application/activity+json");
      const actor = await response.json();
      expect(actor.id).toBe(`${server.url}/users/alice`);
      expect(actor.type).toBe("Person");
    }
    const note = await page(`/@alice/${ids.public}`, 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"');
    expect(note.status).toBe(200);
    expect((await note.json()).id).toBe(`${server.url}/users/alice/statuses/${ids.public}`);
    // An unknown actor asked for as JSON gets JSON, not a page.
    const missing = await page("/users/nobody", "application/activity+json");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "Record not found" });
  });
});

describe("hashtag page", () => {
  test("lists public posts with the tag, case-insensitively", async () => {
    const { status, body } = await html("/tags/gardening");
    expect(status).toBe(200);
    expect(body).toContain("<h1>#Gardening</h1>");
    expect(body).toContain(`id="status-${ids.public}"`);
    expect((await html("/tags/neverused")).status).toBe(404);
    const accented = await html(`/tags/${encodeURIComponent("CAFÉ")}`);
    expect(accented.status).toBe(200);
    expect(accented.body).toContain(`id="status-${ids.accented}"`);
  });
});

describe("everything else", () => {
  test("unknown paths are an HTML 404 for browsers and JSON for the API", async () => {
    const missing = await html("/no/such/page");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const apiMissing = await page("/api/v1/no_such_endpoint");
    expect(apiMissing.status).toBe(404);
    expect(await apiMissing.json()).toEqual({ error: "Record not found" });
  });

  test("robots.txt and favicon.ico", async () => {
    const robots = await page("/robots.txt", "*/*");
    expect(robots.status).toBe(200);
    expect(await robots.text()).toContain("User-agent: *");
    const icon = await page("/favicon.ico", "*/*");
    expect(icon.status).toBe(200);
    expect(icon.headers.get("content-type")).toBe("image/x-icon");
    const bytes = new Uint8Array(await icon.arrayBuffer());
    expect([...bytes.slice(0, 4)]).toEqual([0, 0, 1, 0]);
  });
});
