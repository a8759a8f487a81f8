import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startServer, type TestServer } from "./helpers/server.ts";
import { api, signUp } from "./helpers/client.ts";
import { assertEntity } from "./helpers/openapi.ts";

/** Requests go to the port; PUBLIC_URL is only what the server emits. */
function local(server: TestServer) {
  return { url: `http://localhost:${server.port}` };
}

describe("with a public URL and contact e-mail configured", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({
      env: {
        PUBLIC_URL: "https://social.example",
        LOCAL_DOMAIN: "social.example",
        INSTANCE_TITLE: "Social Example",
        INSTANCE_DESCRIPTION: "A place for tests.",
        CONTACT_EMAIL: "admin@social.example",
      },
    });
    await signUp(local(server), { username: "alice" });
  }, 60_000);

  afterAll(() => server?.stop());

  test("GET /api/v2/instance is a valid Instance built on PUBLIC_URL", async () => {
    const response = await api(local(server)).get("/api/v2/instance");
    expect(response.status).toBe(200);
    const instance = response.body;
    assertEntity("Instance", instance);
    expect(instance).toMatchObject({
      domain: "social.example",
      title: "Social Example",
      description: "A place for tests.",
      icon: [],
      rules: [],
      languages: ["en"],
      api_versions: { mastodon: 2 },
      contact: { email: "admin@social.example", account: null },
      thumbnail: { url: "https://social.example/images/thumbnail.png" },
      registrations: { enabled: true, approval_required: false, message: null, url: null },
      configuration: {
        urls: { streaming: "wss://social.example", status: null },
        // The server's VAPID key (modules/push/vapid.ts): an uncompressed P-256 point, URL-safe base64.
        vapid: { public_key: expect.stringMatching(/^B[A-Za-z0-9_-]{86}=$/) },
        accounts: { max_featured_tags: 10, max_pinned_statuses: 5 },
        statuses: { max_characters: 500, max_media_attachments: 4, characters_reserved_per_url: 23 },
        polls: { max_options: 4, max_characters_per_option: 50, min_expiration: 300, max_expiration: 2629746 },
        translation: { enabled: false },
      },
    });
    // Clients (masto.js, Elk, Ivory) parse the leading semver to pick features.
    expect(instance.version).toMatch(/^4\.\d+\.\d+ \(compatible; fedisky \d+\.\d+\.\d+\)$/);
    const media = instance.configuration.media_attachments;
    expect(media.supported_mime_types).toContain("image/png");
    for (const key of ["image_size_limit", "image_matrix_limit", "video_size_limit", "video_frame_rate_limit", "video_matrix_limit", "description_limit"]) {
      expect(media[key]).toBeGreaterThan(0);
    }
    expect(instance.usage.users.active_month).toBe(1);
    expect(JSON.stringify(instance)).not.toContain("localhost");
  });

  test("GET /api/v1/instance is a valid V1Instance", async () => {
    const response = await api(local(server)).get("/api/v1/instance");
    expect(response.status).toBe(200);
    const instance = response.body;
    assertEntity("V1Instance", instance);
    expect(instance).toMatchObject({
      uri: "social.example",
      title: "Social Example",
      short_description: "A place for tests.",
      email: "admin@social.example",
      urls: { streaming_api: "wss://social.example" },
      stats: { user_count: 1, status_count: 0, domain_count: 0 },
      thumbnail: "https://social.example/images/thumbnail.png",
      registrations: true,
      approval_required: false,
      invites_enabled: false,
      contact_account: null,
      rules: [],
    });
    expect(instance.version).toStartWith("4.");
    expect(instance.configuration.statuses.max_characters).toBe(500);
  });

  test("the thumbnail is served", async () => {
    const response = await fetch(`${local(server).url}/images/thumbnail.png`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
  });

  test("extended description and privacy policy", async () => {
    const description = await api(local(server)).get("/api/v1/instance/extended_description");
    expect(description.status).toBe(200);
    assertEntity("ExtendedDescription", description.body);
    expect(description.body.content).toBe("<p>A place for tests.</p>");
    const policy = await api(local(server)).get("/api/v1/instance/privacy_policy");
    expect(policy.status).toBe(200);
    assertEntity("PrivacyPolicy", policy.body);
    expect(policy.body.content).toContain("social.example");
  });
});

describe("with the defaults", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ env: { REGISTRATIONS: "closed" } });
  }, 60_000);

  afterAll(() => server?.stop());

  test("streaming URL is ws:// on an http PUBLIC_URL; title is the domain; no contact e-mail", async () => {
    const v2 = (await api(server).get("/api/v2/instance")).body;
    const { host, hostname } = new URL(server.url);
    expect(v2.configuration.urls.streaming).toBe(`ws://${host}`);
    // LOCAL_DOMAIN defaults to PUBLIC_URL's host name, without the port.
    expect(v2.domain).toBe(hostname);
    expect(v2.title).toBe(hostname);
    // Mastodon sends "" when no contact address is configured.
    expect(v2.contact.email).toBe("");
    const v1 = (await api(server).get("/api/v1/instance")).body;
    expect(v1.urls.streaming_api).toBe(`ws://${host}`);
    expect(v1.email).toBe("");
  });

  test("registrations reflect REGISTRATIONS=closed", async () => {
    const v2 = (await api(server).get("/api/v2/instance")).body;
    expect(v2.registrations).toMatchObject({ enabled: false, approval_required: false });
    const v1 = (await api(server).get("/api/v1/instance")).body;
    expect(v1.registrations).toBe(false);
    expect(v1.approval_required).toBe(false);
  });

  test("custom emojis, peers and rules are empty lists", async () => {
    for (const path of ["/api/v1/custom_emojis", "/api/v1/instance/peers", "/api/v1/instance/rules"]) {
      const response = await api(server).get(path);
      expect(response.status).toBe(200);
      expect(response.body).toEqual([]);
    }
  });

  test("activity: twelve weekly buckets, newest first, counts as strings", async () => {
    const response = await api(server).get("/api/v1/instance/activity");
    expect(response.status).toBe(200);
    expect(response.body).toHaveLength(12);
    const weeks = response.body.map((bucket: { week: string }) => Number(bucket.week));
    for (let i = 1; i < weeks.length; i++) expect(weeks[i - 1] - weeks[i]).toBe(7 * 24 * 3600);
    // Weeks start on Monday 00:00 UTC, and the newest one contains now.
    expect(new Date(weeks[0] * 1000).getUTCDay()).toBe(1);
    expect(Date.now() / 1000 - weeks[0]).toBeLessThan(7 * 24 * 3600);
    for (const bucket of response.body) {
      expect(bucket).toEqual({ week: expect.any(String), statuses: "0", logins: "0", registrations: "0" });
    }
  });

  test("instance endpoints need no token and ignore a bad one", async () => {
    const response = await api(server, "garbage-token").get("/api/v2/instance");
    expect(response.status).toBe(200);
  });

  test("unknown API paths are 404 JSON", async () => {
    for (const path of ["/api/v1/nope", "/api/v2/nope/deeper", "/api/v1/instance/nope"]) {
      const response = await api(server).get(path);
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toContain("application/json");
      expect(typeof response.body.error).toBe("string");
    }
  });

  test("CORS headers on /api/v2/instance and a 204 preflight", async () => {
    const response = await fetch(`${server.url}/api/v2/instance`, { headers: { origin: "https://client.example" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");

    const preflight = await fetch(`${server.url}/api/v2/instance`, {
      method: "OPTIONS",
      headers: {
        origin: "https://client.example",
        "access-control-request-method": "GET",
        "access-control-request-headers": "authorization",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-methods")).toContain("GET");
    expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
  });
});

describe("with REGISTRATIONS=approval", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ env: { REGISTRATIONS: "approval" } });
  }, 60_000);

  afterAll(() => server?.stop());

  test("registrations are open but need approval", async () => {
    const v2 = (await api(server).get("/api/v2/instance")).body;
    expect(v2.registrations).toMatchObject({ enabled: true, approval_required: true });
    const v1 = (await api(server).get("/api/v1/instance")).body;
    expect(v1.registrations).toBe(true);
    expect(v1.approval_required).toBe(true);
  });
});
