/**
 * Every document in ../shared/activitypub-fixtures (real payloads from
 * Mastodon, GoToSocial, Misskey, Pleroma, Lemmy, Friendica, PeerTube and
 * others) parsed with Fedify's vocabulary, offline, and translated into our
 * model: actors → account fields, posts → status drafts, activities →
 * commands, collections → items. None may throw or need the network; each
 * keeps its classification as a regression test, with precise assertions
 * per software below.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { DocumentLoader } from "@fedify/fedify";
import { Create, Follow, Note, PUBLIC_COLLECTION as FEDIFY_PUBLIC, Undo } from "@fedify/fedify/vocab";
import {
  classifyActivity,
  parseJsonLd,
  translateDocument,
  visibilityFromAddressing,
  type ActivityCommand,
  type DocumentTranslation,
} from "../federation/translate/index.ts";

const ROOT = join(import.meta.dir, "../../shared/activitypub-fixtures");

const FILES = readdirSync(ROOT, { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".json"))
  .map((f) => relative(ROOT, join(ROOT, f)))
  .sort();

function load(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(ROOT, name), "utf8"));
}

/** Translation never fetches: a referenced document is recorded here and refused. */
const fetched: string[] = [];
const recordingLoader: DocumentLoader = async (url) => {
  fetched.push(url);
  throw new Error(`unexpected fetch of ${url}`);
};

async function translate(name: string): Promise<DocumentTranslation> {
  return translateDocument(load(name), { documentLoader: recordingLoader });
}

async function command(name: string): Promise<ActivityCommand> {
  const result = await translate(name);
  if (result.kind !== "activity") throw new Error(`${name} is ${result.kind}, not an activity`);
  return result.command;
}

async function status(name: string) {
  const result = await translate(name);
  if (result.kind === "status") return result.status;
  if (result.kind === "activity" && "status" in result.command && result.command.status) return result.command.status;
  throw new Error(`${name} carries no status: ${JSON.stringify(result)}`);
}

async function account(name: string) {
  const result = await translate(name);
  if (result.kind === "actor") return result.account;
  if (result.kind === "activity" && result.command.kind === "update-actor") return result.command.account;
  throw new Error(`${name} carries no actor: ${JSON.stringify(result)}`);
}

/** What each fixture means to us; "activity:x" is an activity classified as command x. */
const EXPECTED: Record<string, string> = {
  "friendica/create-note.json": "activity:create-status",
  "friendica/person-fields.json": "actor",
  "friendica/update-note-unlisted.json": "activity:update-status",
  "funkwhale/create-audio.json": "activity:create-status",
  "gotosocial/accept-like-request.json": "activity:unsupported",
  "gotosocial/announce-followers-only.json": "activity:reblog",
  "gotosocial/application-bot.json": "actor",
  "gotosocial/create-note-followers-only-delivered.json": "activity:create-status",
  "gotosocial/create-note.json": "activity:create-status",
  "gotosocial/flag.json": "activity:report",
  "gotosocial/move-test-input.json": "activity:move",
  "gotosocial/note-hashtag-emoji.json": "status",
  "gotosocial/note-interaction-policy.json": "status",
  "gotosocial/outbox-page.json": "collection",
  "gotosocial/person-aliased-moved.json": "actor",
  "gotosocial/person-emoji.json": "actor",
  "guppe/group.json": "actor",
  "hubzilla/create-image.json": "activity:create-status",
  "lemmy/announce-create-page.json": "activity:unsupported",
  "lemmy/block-user.json": "activity:unsupported",
  "lemmy/comment-note.json": "status",
  "lemmy/create-page.json": "activity:create-status",
  "lemmy/dislike-page.json": "activity:unsupported",
  "lemmy/group-outbox.json": "collection",
  "lemmy/group.json": "actor",
  "lemmy/instance-application.json": "actor",
  "lemmy/person.json": "actor",
  "lemmy/report-flag.json": "activity:report",
  "lemmy/tombstone.json": "tombstone",
  "mastodon/accept-follow.json": "activity:accept-follow",
  "mastodon/actor-person-null-inbox.json": "actor",
  "mastodon/actor-person-type-array.json": "actor",
  "mastodon/actor-person.json": "actor",
  "mastodon/announce-private-embedded.json": "activity:reblog",
  "mastodon/announce.json": "activity:reblog",
  "mastodon/block.json": "activity:block",
  "mastodon/create-note-attachment.json": "activity:create-status",
  "mastodon/create-note-cw.json": "activity:create-status",
  "mastodon/create-note-reply-mention.json": "activity:create-status",
  "mastodon/create-note-unlisted-reply.json": "activity:create-status",
  "mastodon/create-poll-vote.json": "activity:poll-vote",
  "mastodon/create-question.json": "activity:create-status",
  "mastodon/delete-actor.json": "activity:delete-actor",
  "mastodon/delete-note-tombstone.json": "activity:delete-status",
  "mastodon/featured-collection.json": "collection",
  "mastodon/flag.json": "activity:report",
  "mastodon/follow.json": "activity:follow",
  "mastodon/followers-collection-page.json": "collection",
  "mastodon/followers-collection.json": "collection",
  "mastodon/like.json": "activity:favourite",
  "mastodon/note-direct-message.json": "status",
  "mastodon/person-academy.json": "actor",
  "mastodon/person-gargron-fields.json": "actor",
  "mastodon/reject-follow.json": "activity:reject-follow",
  "mastodon/undo-follow.json": "activity:undo-follow",
  "mastodon/undo-like.json": "activity:undo-favourite",
  "mastodon/update-person.json": "activity:update-actor",
  "mbin/instance-application.json": "actor",
  "misskey/create-note.json": "activity:create-status",
  "misskey/like-custom-emoji.json": "activity:favourite",
  "misskey/like-reaction.json": "activity:favourite",
  "misskey/note-quote.json": "status",
  "misskey/note.json": "status",
  "misskey/person.json": "actor",
  "misskey/question.json": "status",
  "mitra/create-note-integrity-proof.json": "activity:create-status",
  "mitra/person.json": "actor",
  "mobilizon/event.json": "status",
  "nodebb/article.json": "status",
  "owncast/service-actor.json": "actor",
  "peertube/announce-video.json": "activity:reblog",
  "peertube/video.json": "status",
  "pleroma/create-chatmessage.json": "activity:unsupported",
  "pleroma/create-note.json": "activity:create-status",
  "pleroma/emoji-react.json": "activity:favourite",
  "pleroma/note-emoji-in-cw.json": "status",
  "pleroma/person-emoji.json": "actor",
  "pleroma/question-attachment-duplicate-keys.json": "status",
  "pleroma/question.json": "status",
  "plume/article.json": "status",
  "smithereen/question-non-anonymous.json": "status",
  "wordpress/announce-update-article.json": "activity:unsupported",
  "wordpress/person-fields.json": "actor",
};

describe("the whole corpus", () => {
  test("is walked from the tree (83 documents or more)", () => {
    expect(FILES.length).toBeGreaterThanOrEqual(83);
    for (const name of Object.keys(EXPECTED)) expect(FILES).toContain(name);
  });

  test.each(FILES)("%s parses and translates offline", async (name) => {
    fetched.length = 0;
    const parsed = await parseJsonLd(load(name));
    expect(parsed.ok).toBe(true);
    const result = await translate(name);
    const kind = result.kind === "activity" ? `activity:${result.command.kind}` : result.kind;
    if (result.kind === "unsupported") throw new Error(`${name}: ${result.reason}`);
    if (result.kind === "activity" && result.command.kind === "unsupported") {
      expect(result.command.reason.length).toBeGreaterThan(0);
      expect(result.command.reason).not.toContain("translation failed");
    }
    if (EXPECTED[name]) expect(kind).toBe(EXPECTED[name]!);
    expect(fetched).toEqual([]);
  });
});

describe("Mastodon", () => {
  test("a mention post: public, the mention's actor URI, content sanitised", async () => {
    const s = await status("mastodon/create-note-reply-mention.json");
    expect(s.visibility).toBe("public");
    expect(s.mentions).toEqual(["http://localtesting.pleroma.lol/users/lain"]);
    expect(s.sensitive).toBe(true);
    expect(s.spoilerText).toBe("cw");
    expect(s.content).toContain(`class="u-url mention" rel="nofollow noopener" target="_blank"`);
  });

  test("a content warning makes the post sensitive, hashtags come from tags", async () => {
    const s = await status("mastodon/create-note-cw.json");
    expect(s.spoilerText).toBe("cw");
    expect(s.sensitive).toBe(true);
    expect(s.hashtags).toEqual(["NSFW"]);
  });

  test("Public in cc is unlisted", async () => {
    const s = await status("mastodon/create-note-unlisted-reply.json");
    expect(s.visibility).toBe("unlisted");
    expect(s.mentions).toEqual(["https://mamot.fr/users/retiolus"]);
  });

  test("a direct message: only the mentioned actor, who is also the silent addressee", async () => {
    const s = await status("mastodon/note-direct-message.json");
    expect(s.visibility).toBe("direct");
    expect(s.mentions).toEqual(["https://ds9.lemmy.ml/u/nutomic"]);
    expect(s.addressed).toEqual(["https://ds9.lemmy.ml/u/nutomic"]);
    expect(s.inReplyToUri).toBe("https://mastodon.world/users/nutomic/statuses/110854464248188528");
    expect(s.language).toBe("es");
  });

  test("an attachment keeps its URL and media type", async () => {
    const s = await status("mastodon/create-note-attachment.json");
    expect(s.attachments).toHaveLength(1);
    expect(s.attachments[0]).toMatchObject({
      type: "image",
      mediaType: "image/jpeg",
      url: "http://mastodon.example.org/system/media_attachments/files/000/000/002/original/334ce029e7bfb920.jpg",
    });
  });

  test("a Question's options, votes and end", async () => {
    const s = await status("mastodon/create-question.json");
    expect(s.objectType).toBe("Question");
    expect(s.poll).toEqual({
      options: ["Dunno", "Everyone knows that!", "25 char limit is dumb", "I can't even fit a funny"],
      votesCounts: [0, 1, 0, 1],
      multiple: false,
      expiresAt: new Date("2019-05-11T09:03:36Z"),
      votersCount: null,
      closed: false,
    });
  });

  test("a poll vote is a Note named after the option, replying to the Question", async () => {
    const c = await command("mastodon/create-poll-vote.json");
    expect(c).toMatchObject({
      kind: "poll-vote",
      actor: "https://mastodon.sdf.org/users/rinpatch",
      questionUri: "https://testing.uguu.ltd/objects/9d300947-2dcb-445d-8978-9a3b4b84fa14",
      choice: "suya..",
    });
  });

  test("an Announce is a public reblog; a private one carries its embedded post", async () => {
    expect(await command("mastodon/announce.json")).toMatchObject({
      kind: "reblog",
      object: "http://mastodon.example.org/@admin/99541947525187367",
      visibility: "public",
      status: null,
    });
    const c = await command("mastodon/announce-private-embedded.json");
    if (c.kind !== "reblog") throw new Error(c.kind);
    expect(c.visibility).toBe("private");
    expect(c.status?.content).toBe("this is a private toot");
    expect(c.status?.visibility).toBe("private");
  });

  test("follow, accept, reject, undo, like, block", async () => {
    expect(await command("mastodon/follow.json")).toMatchObject({
      kind: "follow",
      actor: "http://mastodon.example.org/users/admin",
      object: "http://localtesting.pleroma.lol/users/lain",
    });
    expect(await command("mastodon/accept-follow.json")).toMatchObject({
      kind: "accept-follow",
      followId: "http://localtesting.pleroma.lol/users/lain#follows/4",
      follower: "http://localtesting.pleroma.lol/users/lain",
    });
    expect(await command("mastodon/reject-follow.json")).toMatchObject({ kind: "reject-follow" });
    expect(await command("mastodon/undo-follow.json")).toMatchObject({
      kind: "undo-follow",
      followId: "http://mastodon.example.org/users/admin#follows/2",
      object: "http://localtesting.pleroma.lol/users/lain",
    });
    expect(await command("mastodon/like.json")).toMatchObject({
      kind: "favourite",
      object: "http://localtesting.pleroma.lol/objects/eb92579d-3417-42a8-8652-2492c2d4f454",
      reaction: null,
    });
    expect(await command("mastodon/undo-like.json")).toMatchObject({ kind: "undo-favourite", favouriteId: "http://mastodon.example.org/users/admin#likes/2" });
    expect(await command("mastodon/block.json")).toMatchObject({ kind: "block", object: "http://localtesting.pleroma.lol/users/lain" });
  });

  test("Delete of the actor itself (under a context without ActivityStreams) and of a Tombstone", async () => {
    expect(await command("mastodon/delete-actor.json")).toMatchObject({ kind: "delete-actor", actor: "http://mastodon.example.org/users/admin" });
    expect(await command("mastodon/delete-note-tombstone.json")).toMatchObject({
      kind: "delete-status",
      objectUri: "http://mastodon.example.org/users/gargron/statuses/99620895606148759",
    });
  });

  test("an Update of a Person with an unreadable key still updates the profile", async () => {
    const parsed = await parseJsonLd(load("mastodon/update-person.json"));
    expect(parsed.ok && parsed.warnings[0]).toContain("keys and proofs ignored");
    const a = await account("mastodon/update-person.json");
    expect(a.username).toBe("gargron");
    expect(a.displayName).toBe("gargle");
    expect(a.note).toBe("<p>Some bio</p>");
    expect(a.fields).toEqual([
      { name: "foo", value: "updated", verified_at: null },
      { name: "foo1", value: "updated", verified_at: null },
    ]);
  });

  test("a Flag lists the reported account and posts, with the comment", async () => {
    expect(await command("mastodon/flag.json")).toMatchObject({
      kind: "report",
      objects: ["https://example.com/users/1", "https://example.com/posts/380590", "https://example.com/posts/380591"],
      comment: "Please take a look at this user and their posts",
    });
  });

  test("actors: fields sanitised, aliases, featured collections, type array, null inbox, bare-string icon", async () => {
    const gargron = await account("mastodon/person-gargron-fields.json");
    expect(gargron).toMatchObject({
      username: "Gargron",
      domain: "mastodon.social",
      displayName: "Eugen",
      discoverable: true,
      indexable: true,
      sharedInboxUrl: "https://mastodon.social/inbox",
      featuredUrl: "https://mastodon.social/users/Gargron/collections/featured",
      featuredTagsUrl: "https://mastodon.social/users/Gargron/collections/tags",
      alsoKnownAs: ["https://tooting.ai/users/Gargron"],
      publicKeyIds: ["https://mastodon.social/users/Gargron#main-key"],
    });
    expect(gargron.fields.map((f) => f.name)).toEqual(["Patreon", "Homepage"]);
    expect(gargron.fields[0]!.value).toContain(`<a href="https://www.patreon.com/mastodon" rel="nofollow noopener" target="_blank">`);

    const typeArray = await account("mastodon/actor-person-type-array.json");
    expect(typeArray.actorType).toBe("Person");
    expect(typeArray.username).toBe("foo");

    const noInbox = await account("mastodon/actor-person-null-inbox.json");
    expect(noInbox.inboxUrl).toBeNull();
    expect(noInbox.avatarUrl).toBe("https://quitter.no/avatar/7477-300-20160211190340.png");
    expect(noInbox.headerUrl).toBe("https://ap.example.com/headers/original/missing.png");
  });

  test("collections: featured posts inline, followers by first page, a page's items and next", async () => {
    const featured = await translate("mastodon/featured-collection.json");
    if (featured.kind !== "collection") throw new Error(featured.kind);
    expect(featured.collection.items.map((i) => i.uri)).toEqual(["https://mastodon.social/users/LemmyDev/statuses/104246642906910728"]);
    expect(featured.collection.items[0]!.object).not.toBeNull();

    const followers = await translate("mastodon/followers-collection.json");
    if (followers.kind !== "collection") throw new Error(followers.kind);
    expect(followers.collection).toMatchObject({ totalItems: 437, items: [], first: "http://localhost:4001/users/masto_closed/followers?page=1" });

    const page = await translate("mastodon/followers-collection-page.json");
    if (page.kind !== "collection") throw new Error(page.kind);
    expect(page.collection.page).toBe(true);
    expect(page.collection.items).toHaveLength(12);
    expect(page.collection.items[0]).toEqual({ uri: "https://testing.uguu.ltd/users/rin", object: null });
    expect(page.collection.next).toBe("http://localhost:4001/users/masto_closed/followers?page=2");
  });
});

describe("GoToSocial", () => {
  test("a bare-string `to` of the followers collection is followers-only", async () => {
    const s = await status("gotosocial/create-note-followers-only-delivered.json");
    expect(s.visibility).toBe("private");
    expect(s.addressed).toEqual([]);
  });

  test("a followers-only boost is a private reblog", async () => {
    expect(await command("gotosocial/announce-followers-only.json")).toMatchObject({ kind: "reblog", visibility: "private" });
  });

  test("hashtag, custom emoji, and media with alt text, blurhash and focal point", async () => {
    const s = await status("gotosocial/note-hashtag-emoji.json");
    expect(s.hashtags).toEqual(["welcome"]);
    expect(s.emojis).toEqual([
      {
        shortcode: "rainbow",
        url: "http://localhost:8080/fileserver/01AY6P665V14JJR0AFVRT7311Y/emoji/original/01F8MH9H8E4VG3KDYJR9EGPXCQ.png",
        mediaType: "image/png",
        uri: "http://localhost:8080/emoji/01F8MH9H8E4VG3KDYJR9EGPXCQ",
        updated: new Date("2021-09-20T10:40:37Z"),
      },
    ]);
    expect(s.attachments[0]).toMatchObject({
      type: "image",
      description: "Black and white image of some 50's style text saying: Welcome On Board",
      blurhash: "LIIE|gRj00WB-;j[t7j[4nWBj[Rj",
      focus: { x: -0.5, y: 0.5 },
    });
    expect(s.language).toBe("en");
    expect(s.repliesUri).toBe("http://localhost:8080/users/admin/statuses/01F8MH75CBF9JFX4ZAD54N0W0R/replies");
  });

  test("a content warning, Move, Flag, an interaction approval", async () => {
    expect((await status("gotosocial/create-note.json")).spoilerText).toBe("introduction post");
    expect(await command("gotosocial/move-test-input.json")).toMatchObject({
      kind: "move",
      origin: "http://fossbros-anonymous.io/users/foss_satan",
      target: "https://turnip.farm/users/turniplover6969",
    });
    expect(await command("gotosocial/flag.json")).toMatchObject({ kind: "report", comment: "dark souls sucks, please yeet this nerd" });
    const accept = await command("gotosocial/accept-like-request.json");
    expect(accept).toMatchObject({ kind: "unsupported", activityType: "Accept" });
  });

  test("actors: bot, moved with aliases, emoji", async () => {
    expect(await account("gotosocial/application-bot.json")).toMatchObject({ bot: true, actorType: "Application", domain: "localhost:8080" });
    expect(await account("gotosocial/person-aliased-moved.json")).toMatchObject({
      movedToUri: "http://localhost:8080/users/1happyturtle",
      alsoKnownAs: ["http://localhost:8080/users/1happyturtle"],
    });
    expect((await account("gotosocial/person-emoji.json")).emojis.map((e) => e.shortcode)).toEqual(["rainbow"]);
  });

  test("an outbox page lists its Create activities inline", async () => {
    const page = await translate("gotosocial/outbox-page.json");
    if (page.kind !== "collection") throw new Error(page.kind);
    expect(page.collection.items).toHaveLength(2);
    expect(page.collection.items.every((i) => i.object !== null)).toBe(true);
    expect(page.collection.partOf).toBe("http://localhost:8080/users/admin/outbox");
  });
});

describe("Misskey", () => {
  test("a Like with _misskey_reaction is a favourite with that reaction", async () => {
    expect(await command("misskey/like-reaction.json")).toMatchObject({
      kind: "favourite",
      object: "https://testing.pleroma.lol/objects/c331bbf7-2eb9-4801-a709-2a6103492a5a",
      reaction: "pudding",
      emoji: null,
    });
  });

  test("a custom emoji reaction carries its Emoji", async () => {
    expect(await command("misskey/like-custom-emoji.json")).toMatchObject({
      kind: "favourite",
      reaction: ":hanapog:",
      emoji: { shortcode: "hanapog", url: "https://misskey.local.live/files/webpublic-8f8a9768-7264-4171-88d6-2356aabeadcd" },
    });
  });

  test("a quote, a poll without end, a person", async () => {
    expect((await status("misskey/note-quote.json")).quoteUri).toBe("https://misskey.io/notes/8vs6wxufd0");
    const poll = (await status("misskey/question.json")).poll;
    expect(poll).toMatchObject({ options: ["Working", "Broken af"], votesCounts: [0, 1], multiple: false, expiresAt: null });
    expect(await account("misskey/person.json")).toMatchObject({ username: "aimu", domain: "misskey.io", displayName: "あいむ" });
    expect((await status("misskey/create-note.json")).content).toBe("<p><span>meow</span></p>");
  });
});

describe("Pleroma", () => {
  test("an EmojiReact (undefined in its context) is a favourite with the emoji", async () => {
    expect(await command("pleroma/emoji-react.json")).toMatchObject({
      kind: "favourite",
      object: "http://localtesting.pleroma.lol/objects/eb92579d-3417-42a8-8652-2492c2d4f454",
      reaction: "👌",
    });
  });

  test("an emoji in the content warning, polls, a chat message", async () => {
    const cw = await status("pleroma/note-emoji-in-cw.json");
    expect(cw.spoilerText).toBe(":joker_smile:");
    expect(cw.emojis.map((e) => e.shortcode).sort()).toEqual(["joker_disapprove", "joker_smile"]);
    expect(cw.language).toBeNull();
    expect((await status("pleroma/question.json")).poll).toMatchObject({ options: ["yes", "no"], votesCounts: [4, 0] });
    const duplicateKeys = await status("pleroma/question-attachment-duplicate-keys.json");
    expect(duplicateKeys.poll?.options).toHaveLength(6);
    expect(duplicateKeys.attachments).toHaveLength(1);
    expect(await command("pleroma/create-chatmessage.json")).toMatchObject({ kind: "unsupported", reason: "chat messages are not supported" });
    expect((await account("pleroma/person-emoji.json")).emojis.map((e) => e.shortcode)).toEqual(["anarchy", "bzh", "gentoo"]);
  });
});

describe("Lemmy", () => {
  test("a Page is shown as its title and a link", async () => {
    const s = await status("lemmy/create-page.json");
    expect(s.converted).toBe(true);
    expect(s.content).toBe(
      `<p><strong>test post</strong></p><p><a href="http://ds9.lemmy.ml/post/1" rel="nofollow noopener" target="_blank">http://ds9.lemmy.ml/post/1</a></p>`,
    );
    expect(s.visibility).toBe("public");
  });

  test("a comment (no @context) replies to its post, in its language", async () => {
    const s = await status("lemmy/comment-note.json");
    expect(s.inReplyToUri).toBe("https://enterprise.lemmy.ml/post/55143");
    expect(s.language).toBe("fr");
    expect(s.content).toBe("<p>first comment!</p>");
  });

  test("community relays, dislikes and bans are unsupported; a report keeps its summary", async () => {
    expect(await command("lemmy/announce-create-page.json")).toMatchObject({ kind: "unsupported", reason: "Announce of an activity (Create) is not supported" });
    expect(await command("lemmy/dislike-page.json")).toMatchObject({ kind: "unsupported" });
    expect(await command("lemmy/block-user.json")).toMatchObject({ kind: "unsupported" });
    expect(await command("lemmy/report-flag.json")).toMatchObject({ kind: "report", objects: ["http://enterprise.lemmy.ml/post/7"], comment: "report this post" });
  });

  test("a community is a group, the instance a bot, a deleted comment a tombstone", async () => {
    expect(await account("lemmy/group.json")).toMatchObject({ group: true, username: "tenforward" });
    expect(await account("lemmy/instance-application.json")).toMatchObject({ bot: true });
    expect(await translate("lemmy/tombstone.json")).toMatchObject({ kind: "tombstone", uri: "https://lemmy.ml/comment/110273" });
  });
});

describe("others", () => {
  test("Friendica: unlisted update, profile fields", async () => {
    expect((await status("friendica/update-note-unlisted.json")).visibility).toBe("unlisted");
    const create = await translateDocument(load("friendica/create-note.json"), {
      followersUrl: "https://soc.schuerz.at/followers/jakob",
    });
    if (create.kind !== "activity" || create.command.kind !== "create-status") throw new Error("not a create");
    expect(create.command.status?.addressed).not.toContain("https://soc.schuerz.at/followers/jakob");
    expect((await account("friendica/person-fields.json")).fields).toHaveLength(6);
  });

  test("PeerTube: a Video is a link, its Announce a reblog", async () => {
    const video = await status("peertube/video.json");
    expect(video.converted).toBe(true);
    expect(video.content).toContain(`<a href="https://tilvids.com/videos/watch/e7946124-7b72-4ad7-9d22-844a84bb2de1"`);
    expect(await command("peertube/announce-video.json")).toMatchObject({ kind: "reblog", object: "https://tilvids.com/videos/watch/e7946124-7b72-4ad7-9d22-844a84bb2de1" });
  });

  test("Smithereen: a non-anonymous poll's voters", async () => {
    expect((await status("smithereen/question-non-anonymous.json")).poll).toMatchObject({ votesCounts: [4, 4, 6], votersCount: 14 });
  });

  test("Owncast: a Service with a single-object attachment field", async () => {
    const owncast = await account("owncast/service-actor.json");
    expect(owncast.bot).toBe(true);
    expect(owncast.fields).toEqual([
      { name: "Stream", value: `<a href="https://owncast.example.org" rel="nofollow noopener" target="_blank">https://owncast.example.org</a>`, verified_at: null },
    ]);
  });

  test("WordPress relays an Update: unsupported; Mitra's signed Create is read", async () => {
    expect(await command("wordpress/announce-update-article.json")).toMatchObject({ kind: "unsupported" });
    expect(await command("mitra/create-note-integrity-proof.json")).toMatchObject({ kind: "create-status" });
  });
});

describe("edge cases and forgeries", () => {
  const note = (extra: Record<string, unknown>) => ({
    "@context": "https://www.w3.org/ns/activitystreams",
    id: "https://a.example/notes/1",
    type: "Note",
    attributedTo: "https://a.example/users/alice",
    content: "<p>hi</p>",
    ...extra,
  });

  test("a bare Public or as:Public in `to` is public, and no addressee", async () => {
    for (const to of ["Public", "as:Public", ["as:Public"]]) {
      const result = await translateDocument(note({ to }));
      if (result.kind !== "status") throw new Error(result.kind);
      expect(result.status.visibility).toBe("public");
      expect(result.status.addressed).toEqual([]);
    }
  });

  test("addressing rules", () => {
    const followersUrl = "https://a.example/users/alice/followers";
    expect(visibilityFromAddressing({ to: [FEDIFY_PUBLIC.href], cc: [] })).toBe("public");
    expect(visibilityFromAddressing({ to: [followersUrl], cc: [FEDIFY_PUBLIC.href] })).toBe("unlisted");
    expect(visibilityFromAddressing({ to: [followersUrl], cc: [], followersUrl })).toBe("private");
    expect(visibilityFromAddressing({ to: ["https://b.example/users/bob"], cc: [], followersUrl })).toBe("direct");
    expect(visibilityFromAddressing({ to: [], cc: [] })).toBe("direct");
    // With the real collection known, a look-alike is not it.
    expect(visibilityFromAddressing({ to: ["https://a.example/users/mallory/followers"], cc: [], followersUrl })).toBe("direct");
  });

  test("hostile content and URLs are neutralised", async () => {
    const result = await translateDocument(
      note({
        to: "Public",
        content: `<p onclick="x">hi<script>alert(1)</script><a href="javascript:alert(1)">x</a></p>`,
        summary: "<b>cw</b>",
        url: "javascript:alert(1)",
        attachment: [
          { type: "Document", mediaType: "image/png", url: "javascript:alert(1)" },
          { type: "Document", mediaType: "image/png", url: "https://a.example/ok.png", name: "alt\u0000text", blurhash: "<script>" },
        ],
        tag: [{ type: "Hashtag", name: "#bad tag<script>" }, { type: "Hashtag", name: "#good" }, { type: "Mention", href: "javascript:alert(1)" }],
      }),
    );
    if (result.kind !== "status") throw new Error(result.kind);
    expect(result.status.content).toBe("<p>hix</p>");
    // A content warning is plain text (shown, never rendered, as Mastodon does).
    expect(result.status.spoilerText).toBe("<b>cw</b>");
    expect(result.status.sensitive).toBe(true);
    expect(result.status.url).toBeNull();
    expect(result.status.attachments).toEqual([
      { type: "image", url: "https://a.example/ok.png", mediaType: "image/png", description: "alttext", blurhash: null, width: null, height: null, focus: null },
    ]);
    expect(result.status.hashtags).toEqual(["good"]);
    expect(result.status.mentions).toEqual([]);
  });

  test("a Create of someone else's post, or of a post on another server, changes nothing", async () => {
    const create = (object: Record<string, unknown>) => ({
      "@context": "https://www.w3.org/ns/activitystreams",
      id: "https://a.example/activities/1",
      type: "Create",
      actor: "https://a.example/users/alice",
      object,
    });
    expect(await command2(create(note({ attributedTo: "https://a.example/users/bob" })))).toMatchObject({
      kind: "unsupported",
      reason: "the object is attributed to someone else",
    });
    expect(await command2(create(note({ id: "https://b.example/notes/1" })))).toMatchObject({
      kind: "unsupported",
      reason: "the object is not on the actor's server",
    });
    expect(await command2({ ...create({}), object: "https://a.example/notes/9" })).toMatchObject({
      kind: "create-status",
      objectUri: "https://a.example/notes/9",
      status: null,
    });
  });

  test("deleting, undoing, updating or moving for someone else is refused", async () => {
    const activity = (type: string, object: unknown, extra: Record<string, unknown> = {}) => ({
      "@context": "https://www.w3.org/ns/activitystreams",
      id: "https://a.example/activities/2",
      type,
      actor: "https://a.example/users/alice",
      object,
      ...extra,
    });
    expect(await command2(activity("Delete", "https://b.example/notes/1"))).toMatchObject({ kind: "unsupported" });
    expect(await command2(activity("Delete", "https://b.example/users/bob"))).toMatchObject({ kind: "unsupported" });
    expect(await command2(activity("Undo", { type: "Follow", id: "https://a.example/f/1", actor: "https://a.example/users/bob", object: "https://c.example/users/carol" }))).toMatchObject({
      kind: "unsupported",
      reason: "the undone activity is someone else's",
    });
    expect(await command2(activity("Undo", "https://a.example/likes/1"))).toMatchObject({ kind: "undo-reference", objectId: "https://a.example/likes/1" });
    expect(
      await command2(activity("Update", { type: "Person", id: "https://a.example/users/bob", preferredUsername: "bob", inbox: "https://a.example/users/bob/inbox" })),
    ).toMatchObject({ kind: "unsupported", reason: "an actor can only update itself" });
    expect(await command2(activity("Move", "https://a.example/users/bob", { target: "https://c.example/users/carol" }))).toMatchObject({
      kind: "unsupported",
      reason: "an actor can only move itself",
    });
    expect(await command2(activity("Update", "https://a.example/notes/1"))).toMatchObject({ kind: "unsupported" });
  });

  test("an Announce embedding a post from another server does not trust the embedded copy", async () => {
    const c = await command2({
      "@context": "https://www.w3.org/ns/activitystreams",
      id: "https://a.example/announces/1",
      type: "Announce",
      actor: "https://a.example/users/alice",
      to: "https://www.w3.org/ns/activitystreams#Public",
      object: { ...note({ id: "https://b.example/notes/1", attributedTo: "https://b.example/users/bob" }), content: "forged" },
    });
    expect(c).toMatchObject({ kind: "reblog", object: "https://b.example/notes/1", status: null });
  });

  test("unparseable input is unsupported, never thrown", async () => {
    expect(await translateDocument("not an object")).toMatchObject({ kind: "unsupported" });
    expect(await translateDocument({ "@context": "https://www.w3.org/ns/activitystreams", type: "Note", id: 42 })).toMatchObject({ kind: "unsupported" });
    expect(await translateDocument({ type: "Person", id: "https://a.example/u/x" })).toMatchObject({ kind: "unsupported" });
  });

  test("activities built by Fedify (as its inbox hands them over) classify the same", async () => {
    const actor = new URL("https://a.example/users/alice");
    const follow = new Follow({ id: new URL("https://a.example/follows/1"), actor, object: new URL("https://b.example/users/bob") });
    expect(await classifyActivity(follow)).toMatchObject({ kind: "follow", object: "https://b.example/users/bob" });
    const undo = new Undo({ id: new URL("https://a.example/undo/1"), actor, object: follow });
    expect(await classifyActivity(undo)).toMatchObject({ kind: "undo-follow", followId: "https://a.example/follows/1" });
    const create = new Create({
      id: new URL("https://a.example/creates/1"),
      actor,
      object: new Note({
        id: new URL("https://a.example/notes/1"),
        attribution: actor,
        content: "<p>hello <script>x</script></p>",
        to: FEDIFY_PUBLIC,
      }),
    });
    const c = await classifyActivity(create);
    expect(c).toMatchObject({ kind: "create-status", status: { content: "<p>hello </p>", visibility: "public" } });
  });
});

async function command2(json: Record<string, unknown>): Promise<ActivityCommand> {
  const result = await translateDocument(json, { documentLoader: recordingLoader });
  if (result.kind !== "activity") throw new Error(`${result.kind}: ${JSON.stringify(result)}`);
  return result.command;
}
