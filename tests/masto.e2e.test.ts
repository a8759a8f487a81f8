/**
 * A real third-party client library (masto.js 8) against the server: if its
 * request encoding (multipart for update_credentials) or its response
 * parsing disagrees with us, this is where it shows.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createRestAPIClient, type mastodon } from "masto";
import { startServer, type TestServer } from "./helpers/server.ts";
import { authorizeWithPassword, randomIp, registerApp, signUp } from "./helpers/client.ts";
import { assertEntity } from "./helpers/openapi.ts";
import { eventually as poll } from "./helpers/social.ts";

let server: TestServer;
let client: mastodon.rest.Client;
let accountId: string;
let accessToken: string;

beforeAll(async () => {
  server = await startServer();
  const signedUp = await signUp(server, { username: "masto_user", password: "a long enough password" });
  accountId = signedUp.accountId!;
  const app = await registerApp(server, { name: "masto.js", scopes: "read write" });
  accessToken = await authorizeWithPassword(server, app, {
    login: "masto_user@example.com",
    password: "a long enough password",
    scopes: "read write",
    headers: { "x-forwarded-for": randomIp() },
  });
  client = createRestAPIClient({ url: server.url, accessToken });
}, 60_000);

afterAll(() => server?.stop());

test("verifyCredentials returns the signed-in account", async () => {
  const me = await client.v1.accounts.verifyCredentials();
  expect(me.id).toBe(accountId);
  expect(me.username).toBe("masto_user");
  expect(me.acct).toBe("masto_user");
  expect(me.source.privacy).toBe("public");
  expect(me.avatar).toBe(`${server.url}/avatars/original/missing.png`);
});

test("v2 instance fetch", async () => {
  const instance = await client.v2.instance.fetch();
  expect(instance.domain).toBe(new URL(server.url).hostname);
  expect(instance.version).toStartWith("4.");
  expect(instance.configuration.statuses.maxCharacters).toBe(500);
  expect(instance.configuration.urls.streaming).toBe(`ws://${new URL(server.url).host}`);
  expect(instance.registrations.enabled).toBe(true);
});

test("updateCredentials (multipart, as masto.js sends it) changes the profile", async () => {
  const updated = await client.v1.accounts.updateCredentials({
    displayName: "Masto User",
    note: "Hello from https://masto.example",
    fieldsAttributes: [{ name: "Site", value: "https://masto.example" }],
    source: { privacy: "unlisted" },
  });
  expect(updated.displayName).toBe("Masto User");
  expect(updated.note).toContain('href="https://masto.example"');
  expect(updated.fields[0]!.name).toBe("Site");
  expect(updated.source.privacy).toBe("unlisted");

  const again = await client.v1.accounts.verifyCredentials();
  expect(again.displayName).toBe("Masto User");
  expect(again.source.note).toBe("Hello from https://masto.example");

  const publicView = await client.v1.accounts.$select(accountId).fetch();
  expect(publicView.displayName).toBe("Masto User");
  const lookedUp = await client.v1.accounts.lookup({ acct: "masto_user" });
  expect(lookedUp.id).toBe(accountId);
});

test("the raw JSON behind those calls is a valid CredentialAccount", async () => {
  const response = await fetch(`${server.url}/api/v1/accounts/verify_credentials`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  expect(response.status).toBe(200);
  assertEntity("CredentialAccount", await response.json());
});

/** Polls every 100 ms for up to 10 s (the event worker delivers asynchronously). */
const eventually = <T>(check: () => Promise<T | undefined>, what: string) => poll(check, what, 10_000, 100);

test("a day in miniature through masto.js: follow, post, home, mention, favourite, reply, context", async () => {
  const bobSignUp = await signUp(server, { username: "masto_bob" });
  const bob = createRestAPIClient({ url: server.url, accessToken: bobSignUp.token });

  const relationship = await bob.v1.accounts.$select(accountId).follow();
  expect(relationship.following).toBe(true);

  const post = await client.v1.statuses.create({ status: "Hello @masto_bob, this is #fedisky", visibility: "public" });
  expect(post.mentions.map((m) => m.acct)).toEqual(["masto_bob"]);
  expect(post.tags.map((t) => t.name)).toEqual(["fedisky"]);

  const inHome = await eventually(async () => {
    const home = await bob.v1.timelines.home.list({ limit: 20 });
    return home.find((s) => s.id === post.id);
  }, "the post in bob's home");
  expect(inHome.account.id).toBe(accountId);

  const mention = await eventually(async () => {
    const notifications = await bob.v1.notifications.list({ types: ["mention"] });
    return notifications.find((n) => n.status?.id === post.id);
  }, "bob's mention notification");
  expect(mention.account.id).toBe(accountId);

  const favourited = await bob.v1.statuses.$select(post.id).favourite();
  expect(favourited.favourited).toBe(true);
  expect(favourited.favouritesCount).toBe(1);

  const favouriteNotification = await eventually(async () => {
    const notifications = await client.v1.notifications.list({ types: ["favourite"] });
    return notifications.find((n) => n.status?.id === post.id);
  }, "alice's favourite notification");
  expect(favouriteNotification.account.username).toBe("masto_bob");

  const reply = await bob.v1.statuses.create({ status: "@masto_user hello back", inReplyToId: post.id });
  const context = await client.v1.statuses.$select(post.id).context.fetch();
  expect(context.ancestors).toEqual([]);
  expect(context.descendants.map((s) => s.id)).toEqual([reply.id]);
  const replyContext = await bob.v1.statuses.$select(reply.id).context.fetch();
  expect(replyContext.ancestors.map((s) => s.id)).toEqual([post.id]);

  const raw = await fetch(`${server.url}/api/v1/statuses/${post.id}`, { headers: { authorization: `Bearer ${accessToken}` } });
  const status = await raw.json();
  assertEntity("Status", status);
  expect(status.replies_count).toBe(1);
  expect(status.favourites_count).toBe(1);
});
