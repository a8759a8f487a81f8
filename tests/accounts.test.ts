import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startServer, type TestServer } from "./helpers/server.ts";
import { api, authorizeWithPassword, randomIp, registerApp, signUp } from "./helpers/client.ts";
import { assertEntity } from "./helpers/openapi.ts";
import { solidPng } from "../modules/instance/images.ts";

let server: TestServer;
let token: string;
let accountId: string;
let bobId: string;

beforeAll(async () => {
  server = await startServer();
  const alice = await signUp(server, { username: "alice" });
  token = alice.token;
  accountId = alice.accountId!;
  bobId = (await signUp(server, { username: "bob" })).accountId!;
}, 60_000);

afterAll(() => server?.stop());

const me = () => api(server, token).get("/api/v1/accounts/verify_credentials");

/** A token for alice with exactly these scopes, through the real authorization flow. */
async function tokenWithScopes(scopes: string): Promise<string> {
  const app = await registerApp(server, { scopes });
  return authorizeWithPassword(server, app, {
    login: "alice@example.com",
    password: "correct horse battery staple",
    scopes,
    // Each sign-in from its own address, so the per-IP sign-in limit never trips.
    headers: { "x-forwarded-for": randomIp() },
  });
}

describe("GET /api/v1/accounts/verify_credentials", () => {
  test("401 without a token", async () => {
    const response = await api(server).get("/api/v1/accounts/verify_credentials");
    expect(response.status).toBe(401);
    expect(typeof response.body.error).toBe("string");
  });

  test("401 with an unknown token", async () => {
    const response = await api(server, "not-a-real-token").get("/api/v1/accounts/verify_credentials");
    expect(response.status).toBe(401);
  });

  test("403 with a token lacking the read scope", async () => {
    const writeOnly = await tokenWithScopes("write");
    const response = await api(server, writeOnly).get("/api/v1/accounts/verify_credentials");
    expect(response.status).toBe(403);
    expect(typeof response.body.error).toBe("string");
  });

  test("200 with read, read:accounts or profile", async () => {
    for (const scopes of ["read", "read:accounts", "profile"]) {
      const scoped = await tokenWithScopes(scopes);
      const response = await api(server, scoped).get("/api/v1/accounts/verify_credentials");
      expect(response.status).toBe(200);
      expect(response.body.id).toBe(accountId);
    }
  });

  test("returns a CredentialAccount", async () => {
    const response = await me();
    expect(response.status).toBe(200);
    const account = response.body;
    assertEntity("CredentialAccount", account);
    expect(account).toMatchObject({
      id: accountId,
      username: "alice",
      acct: "alice",
      locked: false,
      bot: false,
      group: false,
      discoverable: true,
      indexable: false,
      hide_collections: false,
      noindex: false,
      note: "",
      followers_count: 0,
      following_count: 0,
      statuses_count: 0,
      last_status_at: null,
      emojis: [],
      fields: [],
      roles: [],
      moved: null,
      url: `${server.url}/@alice`,
      uri: `${server.url}/users/alice`,
      avatar: `${server.url}/avatars/original/missing.png`,
      avatar_static: `${server.url}/avatars/original/missing.png`,
      header: `${server.url}/headers/original/missing.png`,
      header_static: `${server.url}/headers/original/missing.png`,
      source: { privacy: "public", sensitive: false, language: null, note: "", fields: [], follow_requests_count: 0 },
      role: { id: "-99", name: "", permissions: "65536", color: "", highlighted: false },
    });
    expect(account).not.toHaveProperty("suspended");
    expect(account).not.toHaveProperty("limited");
    // Mastodon rounds the creation time down to midnight UTC.
    expect(account.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T00:00:00\.000Z$/);
    expect(account.created_at.slice(0, 10)).toBe(new Date().toISOString().slice(0, 10));
  });

  test("the default avatar and header are served as PNGs", async () => {
    const account = (await me()).body;
    for (const url of [account.avatar, account.header]) {
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/png");
      const bytes = new Uint8Array(await response.arrayBuffer());
      expect(Array.from(bytes.slice(0, 4))).toEqual([0x89, 0x50, 0x4e, 0x47]);
    }
  });
});

describe("PATCH /api/v1/accounts/update_credentials", () => {
  test("needs write:accounts", async () => {
    expect((await api(server).patch("/api/v1/accounts/update_credentials", { display_name: "x" })).status).toBe(401);
    const readOnly = await tokenWithScopes("read");
    const response = await api(server, readOnly).patch("/api/v1/accounts/update_credentials", { display_name: "x" });
    expect(response.status).toBe(403);
    expect((await me()).body.display_name).not.toBe("x");
  });

  test("JSON: display name, note with a link, fields as an array, locked and bot", async () => {
    const response = await api(server, token).patch("/api/v1/accounts/update_credentials", {
      display_name: "  Alice Liddell  ",
      note: "Down the <rabbit> hole.\nSee https://example.com/wonderland for more.\n\nSecond paragraph & more",
      locked: true,
      bot: true,
      fields_attributes: [
        { name: "Website", value: "https://alice.example" },
        { name: "Pronouns", value: "she/her" },
      ],
    });
    expect(response.status).toBe(200);
    const account = response.body;
    assertEntity("CredentialAccount", account);
    expect(account.display_name).toBe("Alice Liddell");
    expect(account.locked).toBe(true);
    expect(account.bot).toBe(true);
    expect(account.note).toBe(
      "<p>Down the &lt;rabbit&gt; hole.<br />See " +
        '<a href="https://example.com/wonderland" target="_blank" rel="nofollow noopener noreferrer" translate="no">' +
        '<span class="invisible">https://</span><span class="">example.com/wonderland</span><span class="invisible"></span></a>' +
        " for more.</p><p>Second paragraph &amp; more</p>",
    );
    expect(account.source.note).toBe(
      "Down the <rabbit> hole.\nSee https://example.com/wonderland for more.\n\nSecond paragraph & more",
    );
    expect(account.fields).toHaveLength(2);
    expect(account.fields[0].name).toBe("Website");
    expect(account.fields[0].value).toContain('<a href="https://alice.example"');
    expect(account.fields[0].value).toContain('rel="nofollow noopener noreferrer me"');
    expect(account.fields[0].verified_at).toBeNull();
    expect(account.fields[1]).toEqual({ name: "Pronouns", value: "she/her", verified_at: null });
    expect(account.source.fields).toEqual([
      { name: "Website", value: "https://alice.example", verified_at: null },
      { name: "Pronouns", value: "she/her", verified_at: null },
    ]);

    // The public view shows the same profile.
    const publicView = await api(server).get(`/api/v1/accounts/${accountId}`);
    expect(publicView.body.note).toBe(account.note);
    expect(publicView.body.bot).toBe(true);
  });

  test("form-encoded: indexed fields_attributes, booleans as strings, source[…]", async () => {
    const form = new URLSearchParams({
      display_name: "Form Alice",
      note: "Plain note",
      locked: "false",
      bot: "0",
      discoverable: "false",
      hide_collections: "true",
      "fields_attributes[0][name]": "Blog",
      "fields_attributes[0][value]": "blog.example, not a link",
      "fields_attributes[1][name]": "",
      "fields_attributes[1][value]": "",
      "source[privacy]": "unlisted",
      "source[sensitive]": "true",
      "source[language]": "de",
    });
    const response = await api(server, token).patch("/api/v1/accounts/update_credentials", form);
    expect(response.status).toBe(200);
    const account = response.body;
    assertEntity("CredentialAccount", account);
    expect(account).toMatchObject({
      display_name: "Form Alice",
      note: "<p>Plain note</p>",
      locked: false,
      bot: false,
      discoverable: false,
      hide_collections: true,
      // The blank pair is dropped; a bare domain stays text, as in Mastodon.
      fields: [{ name: "Blog", value: "blog.example, not a link", verified_at: null }],
      source: { privacy: "unlisted", sensitive: true, language: "de" },
    });

    const preferences = await api(server, token).get("/api/v1/preferences");
    expect(preferences.status).toBe(200);
    assertEntity("Preferences", preferences.body);
    expect(preferences.body).toEqual({
      "posting:default:visibility": "unlisted",
      "posting:default:sensitive": true,
      "posting:default:language": "de",
      "reading:expand:media": "default",
      "reading:expand:spoilers": false,
      "reading:autoplay:gifs": false,
    });
  });

  test("multipart: display name, note, indexed fields, locked, bot", async () => {
    const form = new FormData();
    form.set("display_name", "Multipart Alice");
    form.set("note", "Visit http://alice.example/a/very/long/path/that/needs/cutting/off today");
    form.set("locked", "true");
    form.set("bot", "true");
    form.set("fields_attributes[0][name]", "Home");
    form.set("fields_attributes[0][value]", "https://home.example");
    form.set("fields_attributes[1][name]", "Likes");
    form.set("fields_attributes[1][value]", "tea & <cake>");
    const response = await api(server, token).patch("/api/v1/accounts/update_credentials", form);
    expect(response.status).toBe(200);
    const account = response.body;
    assertEntity("CredentialAccount", account);
    expect(account.display_name).toBe("Multipart Alice");
    expect(account.locked).toBe(true);
    expect(account.bot).toBe(true);
    // Long URLs are shortened for display after 30 characters, the rest hidden.
    expect(account.note).toContain('<span class="invisible">http://</span>');
    expect(account.note).toContain('<span class="ellipsis">alice.example/a/very/long/path</span>');
    expect(account.note).toContain('<span class="invisible">/that/needs/cutting/off</span>');
    expect(account.fields.map((f: { name: string }) => f.name)).toEqual(["Home", "Likes"]);
    expect(account.fields[1].value).toBe("tea &amp; &lt;cake&gt;");
    expect(account.source.fields[1].value).toBe("tea & <cake>");
  });

  test("the bio links hashtags and known accounts; unknown handles stay text", async () => {
    const response = await api(server, token).patch("/api/v1/accounts/update_credentials", {
      note: "Tea with @bob and @nobody, #TeaTime",
    });
    expect(response.status).toBe(200);
    expect(response.body.note).toBe(
      `<p>Tea with <span class="h-card" translate="no"><a href="${server.url}/@bob" class="u-url mention">@<span>bob</span></a></span>` +
        ` and @nobody, <a href="${server.url}/tags/TeaTime" class="mention hashtag" rel="tag">#<span>TeaTime</span></a></p>`,
    );
    expect(response.body.source.note).toBe("Tea with @bob and @nobody, #TeaTime");
  });

  test("sending no fields_attributes keeps the fields; an empty list clears them", async () => {
    const kept = await api(server, token).patch("/api/v1/accounts/update_credentials", { display_name: "Alice" });
    expect(kept.body.fields).toHaveLength(2);
    const cleared = await api(server, token).patch("/api/v1/accounts/update_credentials", { fields_attributes: [] });
    expect(cleared.status).toBe(200);
    expect(cleared.body.fields).toEqual([]);
    expect(cleared.body.display_name).toBe("Alice");
  });

  test("an avatar upload (multipart) becomes the account's avatar, served as a 400×400 image", async () => {
    const form = new FormData();
    form.set("avatar", new Blob([solidPng(640, 480, [0xd0, 0x40, 0x20, 0xff])], { type: "image/png" }), "me.png");
    const response = await api(server, token).patch("/api/v1/accounts/update_credentials", form);
    expect(response.status).toBe(200);
    assertEntity("CredentialAccount", response.body);
    const { avatar, avatar_static } = response.body;
    expect(avatar).not.toContain("missing.png");
    expect(avatar_static).toBe(avatar);
    expect((await api(server).get(`/api/v1/accounts/${accountId}`)).body.avatar).toBe(avatar);
    const image = await fetch(avatar);
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/png");
    const bytes = new Uint8Array(await image.arrayBuffer());
    // PNG IHDR: width and height are the big-endian words at bytes 16 and 20.
    const view = new DataView(bytes.buffer);
    expect([view.getUint32(16), view.getUint32(20)]).toEqual([400, 400]);
  });

  describe("invalid input is refused with 422 and changes nothing", () => {
    const invalid: [string, Record<string, unknown>][] = [
      ["display name over 30 characters", { display_name: "x".repeat(31), locked: true }],
      ["note over 500 characters", { note: "y".repeat(501), display_name: "Changed" }],
      [
        "five fields",
        {
          display_name: "Changed",
          fields_attributes: Array.from({ length: 5 }, (_, i) => ({ name: `n${i}`, value: `v${i}` })),
        },
      ],
      ["a field value over 255 characters", { fields_attributes: [{ name: "long", value: "z".repeat(256) }] }],
      ["an unknown default privacy", { source: { privacy: "everyone" }, display_name: "Changed" }],
      ["fields_attributes that are not pairs", { fields_attributes: "nope", display_name: "Changed" }],
    ];
    for (const [name, body] of invalid) {
      test(name, async () => {
        const before = (await me()).body;
        const response = await api(server, token).patch("/api/v1/accounts/update_credentials", body);
        expect(response.status).toBe(422);
        expect(response.body.error).toStartWith("Validation failed");
        expect((await me()).body).toEqual(before);
      });
    }

    test("five fields in the indexed multipart form", async () => {
      const before = (await me()).body;
      const form = new FormData();
      form.set("display_name", "Changed");
      for (let i = 0; i < 5; i++) {
        form.set(`fields_attributes[${i}][name]`, `n${i}`);
        form.set(`fields_attributes[${i}][value]`, `v${i}`);
      }
      const response = await api(server, token).patch("/api/v1/accounts/update_credentials", form);
      expect(response.status).toBe(422);
      expect((await me()).body).toEqual(before);
    });

    test("an avatar that is not a readable image", async () => {
      const before = (await me()).body;
      const form = new FormData();
      form.set("display_name", "Changed");
      form.set("avatar", new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], { type: "image/png" }), "a.png");
      const response = await api(server, token).patch("/api/v1/accounts/update_credentials", form);
      expect(response.status).toBe(422);
      expect(typeof response.body.error).toBe("string");
      expect((await me()).body).toEqual(before);
    });
  });
});

describe("GET /api/v1/accounts/:id", () => {
  test("needs no token and returns an Account", async () => {
    const response = await api(server).get(`/api/v1/accounts/${accountId}`);
    expect(response.status).toBe(200);
    assertEntity("Account", response.body);
    expect(response.body.id).toBe(accountId);
    expect(response.body.acct).toBe("alice");
    // Private details stay private.
    expect(response.body).not.toHaveProperty("source");
    expect(response.body).not.toHaveProperty("role");
  });

  test("unknown id is 404 JSON", async () => {
    const response = await api(server).get("/api/v1/accounts/1234567890");
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(response.body).toEqual({ error: "Record not found" });
  });

  test("non-numeric and out-of-range ids are 404, not 500", async () => {
    for (const id of ["abc", "12abc", "-1", "99999999999999999999", "9223372036854775808"]) {
      const response = await api(server).get(`/api/v1/accounts/${id}`);
      expect(response.status).toBe(404);
      expect(typeof response.body.error).toBe("string");
    }
  });

  test("several accounts at once with id[]", async () => {
    const response = await api(server).get(`/api/v1/accounts?id[]=${accountId}&id[]=${bobId}&id[]=123&id[]=x`);
    expect(response.status).toBe(200);
    expect(response.body.map((a: { username: string }) => a.username)).toEqual(["alice", "bob"]);
    for (const account of response.body) assertEntity("Account", account);
  });
});

describe("GET /api/v1/accounts/lookup", () => {
  test("finds a local account by username, @username and username@domain", async () => {
    const { host, hostname } = new URL(server.url);
    for (const acct of ["alice", "ALICE", "@alice", `alice@${hostname}`, `@alice@${hostname.toUpperCase()}`, `alice@${host}`]) {
      const response = await api(server).get(`/api/v1/accounts/lookup?acct=${encodeURIComponent(acct)}`);
      expect(response.status).toBe(200);
      assertEntity("Account", response.body);
      expect(response.body.id).toBe(accountId);
    }
  });

  test("404 for unknown, remote or missing acct", async () => {
    for (const query of ["?acct=nobody", "?acct=alice@elsewhere.example", "?acct=", ""]) {
      const response = await api(server).get(`/api/v1/accounts/lookup${query}`);
      expect(response.status).toBe(404);
      expect(typeof response.body.error).toBe("string");
    }
  });
});

describe("GET /api/v1/preferences", () => {
  test("needs read:accounts", async () => {
    expect((await api(server).get("/api/v1/preferences")).status).toBe(401);
    const writeOnly = await tokenWithScopes("write");
    expect((await api(server, writeOnly).get("/api/v1/preferences")).status).toBe(403);
  });

  test("defaults for a new user", async () => {
    const carol = await signUp(server, { username: "carol" });
    const response = await api(server, carol.token).get("/api/v1/preferences");
    expect(response.status).toBe(200);
    assertEntity("Preferences", response.body);
    expect(response.body).toEqual({
      "posting:default:visibility": "public",
      "posting:default:sensitive": false,
      "posting:default:language": null,
      "reading:expand:media": "default",
      "reading:expand:spoilers": false,
      "reading:autoplay:gifs": false,
    });
  });
});
