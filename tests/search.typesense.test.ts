/**
 * The Typesense search backend: the query parser both backends share, the
 * document mapping (database rows → Typesense documents) and the query
 * building (parsed query → Typesense search parameters), unit-tested
 * without a Typesense server; the fallback to Postgres when Typesense is
 * unreachable, over HTTP; and a real round trip when TYPESENSE_URL is set.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { Client } from "typesense";
import { startServer, type TestServer } from "./helpers/server.ts";
import { api, signUp } from "./helpers/client.ts";
import { assertEntity } from "./helpers/openapi.ts";
import { parseSearchQuery, accountQueryWords, hashtagPrefix, parseHandle, SearchSyntaxError } from "../modules/search/query.ts";
import type { StatusSearchRequest } from "../modules/search/port.ts";
import {
  ACCOUNTS_SCHEMA,
  STATUSES_SCHEMA,
  accountDocument,
  buildAccountSearchParams,
  buildStatusSearchParams,
  splitId,
  statusDocument,
  type AccountIndexRow,
  type StatusIndexRow,
} from "../modules/search/typesense.ts";

setDefaultTimeout(60_000);

// ---------------------------------------------------------------------------
// The shared query parser

describe("parseSearchQuery", () => {
  test("words, phrases, exclusions", () => {
    const q = parseSearchQuery('cat +dog "keyboard cat" -mouse -"big dog" “curly quotes”');
    expect(q.terms).toEqual(["cat", "dog"]);
    expect(q.phrases).toEqual(["keyboard cat", "curly quotes"]);
    expect(q.excluded).toEqual(["mouse"]);
    expect(q.excludedPhrases).toEqual(["big dog"]);
  });

  test("operators and their negations", () => {
    const q = parseSearchQuery("from:@alice@example.com -from:bob has:media is:reply -has:poll -is:sensitive language:EN-us -language:de");
    expect(q.from).toEqual(["alice@example.com"]);
    expect(q.not.from).toEqual(["bob"]);
    expect(q.has).toEqual(["media"]);
    expect(q.is).toEqual(["reply"]);
    expect(q.not.has).toEqual(["poll"]);
    expect(q.not.is).toEqual(["sensitive"]);
    expect(q.language).toEqual(["en"]);
    expect(q.not.language).toEqual(["de"]);
    expect(q.terms).toEqual([]);
  });

  test("dates follow Mastodon's rounding: before:D and after:D both exclude D", () => {
    const q = parseSearchQuery("before:2024-03-10 after:2024-03-01");
    expect(q.before!.toISOString()).toBe("2024-03-10T00:00:00.000Z");
    expect(q.after!.toISOString()).toBe("2024-03-02T00:00:00.000Z");
    const during = parseSearchQuery("during:2024-02-29");
    expect(during.after!.toISOString()).toBe("2024-02-29T00:00:00.000Z");
    expect(during.before!.toISOString()).toBe("2024-03-01T00:00:00.000Z");
    const narrowest = parseSearchQuery("before:2024-05-01 before:2024-04-01 after:2023-01-01 after:2023-06-01");
    expect(narrowest.before!.toISOString()).toBe("2024-04-01T00:00:00.000Z");
    expect(narrowest.after!.toISOString()).toBe("2023-06-02T00:00:00.000Z");
  });

  test("invalid dates, negated dates and unknown scopes are syntax errors", () => {
    for (const bad of ["before:yesterday", "after:2024-02-30", "during:2024-13-01", "-before:2024-01-01", "in:everything", "-in:public"]) {
      expect(() => parseSearchQuery(bad)).toThrow(SearchSyntaxError);
    }
  });

  test("in: scopes", () => {
    expect(parseSearchQuery("x").in).toBe("all");
    expect(parseSearchQuery("x in:library").in).toBe("library");
    expect(parseSearchQuery("x IN:Public").in).toBe("public");
  });

  test("unknown prefixes, URLs and times stay words", () => {
    const q = parseSearchQuery("note:hello https://example.com/a 10:30 from:");
    expect(q.terms).toEqual(["note:hello", "https://example.com/a", "10:30", "from:"]);
    expect(q.from).toEqual([]);
  });

  test("an unterminated quote runs to the end; lone operators are words", () => {
    const q = parseSearchQuery('cat "keyboard warrior - +');
    expect(q.terms).toEqual(["cat"]);
    expect(q.phrases).toEqual(["keyboard warrior - +"]);
    expect(parseSearchQuery("- +").terms).toEqual(["-", "+"]);
  });

  test("a huge query is capped, not rejected", () => {
    const q = parseSearchQuery("word ".repeat(1000));
    expect(q.terms.length).toBe(32);
  });

  test("account words, handles and hashtag prefixes", () => {
    expect(accountQueryWords("@Alice.Bob@Social.Example")).toEqual(["alice", "bob", "social", "example"]);
    expect(accountQueryWords("&|!():*")).toEqual([]);
    expect(accountQueryWords("José 東京")).toEqual(["josé", "東京"]);
    expect(parseHandle("@alice@Example.COM")).toEqual({ username: "alice", domain: "example.com" });
    expect(parseHandle("alice")).toEqual({ username: "alice", domain: null });
    expect(parseHandle("alice smith")).toBeNull();
    expect(hashtagPrefix("#Cats")).toBe("cats");
    expect(hashtagPrefix("cat%")).toBeNull();
    expect(hashtagPrefix("#")).toBeNull();
  });
});

// ---------------------------------------------------------------------------
// Documents

const ID = "117657942253436930";

function statusRow(overrides: Partial<StatusIndexRow> = {}): StatusIndexRow {
  return {
    id: ID,
    account_id: "42",
    content:
      '<p>Hello <span class="h-card"><a href="https://x.example/@bob" class="u-url mention">@<span>bob</span></a></span> &amp; ' +
      '<a href="https://x.example/tags/cats" class="mention hashtag" rel="tag">#<span>cats</span></a></p>',
    spoiler_text: "",
    language: "en",
    visibility: "public",
    sensitive: false,
    in_reply_to_id: null,
    reblog_of_id: null,
    deleted_at: null,
    author_indexable: true,
    author_suspended: false,
    media_types: [],
    media_descriptions: [],
    poll_options: null,
    tags: ["Cats"],
    searchable_by: ["42", "7", "42"],
    ...overrides,
  };
}

describe("statusDocument", () => {
  test("maps a status row to the documented schema", () => {
    const doc = statusDocument(statusRow())!;
    const [ms, seq] = splitId(ID);
    expect(doc).toEqual({
      id: ID,
      text: "Hello @bob & #cats",
      account_id: "42",
      language: "en",
      visibility: "public",
      indexable: true,
      searchable_by: ["42", "7"],
      properties: [],
      tags: ["cats"],
      created_at: ms,
      id_seq: seq,
    });
    // The id's time part is the creation time in milliseconds, exactly.
    expect((BigInt(ms) << 16n) | BigInt(seq)).toBe(BigInt(ID));
    expect(ms).toBeGreaterThan(Date.UTC(2020, 0, 1));
    // Every field of the document is declared in the collection schema.
    const declared = new Set(STATUSES_SCHEMA.fields!.map((f) => f.name));
    for (const key of Object.keys(doc)) if (key !== "id") expect(declared.has(key)).toBe(true);
  });

  test("CW, media descriptions and poll options are part of the text", () => {
    const doc = statusDocument(
      statusRow({ spoiler_text: "spoilers", media_descriptions: ["a red fox"], poll_options: ["yes", "no"] }),
    )!;
    expect(doc.text).toBe("spoilers\nHello @bob & #cats\na red fox\nyes\nno");
  });

  test("properties for has:/is:", () => {
    const doc = statusDocument(
      statusRow({
        media_types: ["image", "gifv", "audio"],
        poll_options: ["a", "b"],
        sensitive: true,
        in_reply_to_id: "5",
        content: '<p><a href="https://example.com/page" target="_blank" rel="nofollow noopener">example.com/page</a></p>',
      }),
    )!;
    expect(doc.properties).toEqual(["image", "video", "audio", "media", "poll", "link", "sensitive", "reply"]);
    // Mentions and hashtags are links too, but not `has:link`.
    expect(statusDocument(statusRow())!.properties).not.toContain("link");
  });

  test("only public statuses of indexable authors are findable by everyone", () => {
    expect(statusDocument(statusRow({ visibility: "unlisted" }))!.indexable).toBe(false);
    expect(statusDocument(statusRow({ visibility: "private" }))!.indexable).toBe(false);
    expect(statusDocument(statusRow({ author_indexable: false }))!.indexable).toBe(false);
  });

  test("deleted statuses, reblogs and suspended authors have no document; no language is 'und'", () => {
    expect(statusDocument(statusRow({ deleted_at: new Date() }))).toBeNull();
    expect(statusDocument(statusRow({ reblog_of_id: "1" }))).toBeNull();
    expect(statusDocument(statusRow({ author_suspended: true }))).toBeNull();
    expect(statusDocument(statusRow({ language: null }))!.language).toBe("und");
  });
});

function accountRow(overrides: Partial<AccountIndexRow> = {}): AccountIndexRow {
  return {
    id: "42",
    username: "alice",
    domain: "social.example",
    display_name: "Alice A.",
    note: "<p>I like <b>cats</b></p>",
    fields: [{ name: "Site", value: '<a href="https://alice.example">alice.example</a>' }],
    discoverable: true,
    indexable: true,
    suspended_at: null,
    moved_to_account_id: null,
    followers_count: "12",
    last_status_at: new Date("2024-01-02T00:00:00Z"),
    ...overrides,
  };
}

describe("accountDocument", () => {
  test("maps an account row to the documented schema", () => {
    const doc = accountDocument(accountRow());
    expect(doc).toEqual({
      id: "42",
      username: "alice",
      display_name: "Alice A.",
      domain: "social.example",
      text: "I like cats\nSite\nalice.example",
      discoverable: 1,
      suspended: false,
      moved: false,
      followers_count: 12,
      last_status_at: Date.parse("2024-01-02T00:00:00Z"),
    });
    const declared = new Set(ACCOUNTS_SCHEMA.fields!.map((f) => f.name));
    for (const key of Object.keys(doc)) if (key !== "id") expect(declared.has(key)).toBe(true);
  });

  test("bios of accounts that did not opt into discovery are not searchable", () => {
    expect(accountDocument(accountRow({ discoverable: false })).text).toBe("");
    expect(accountDocument(accountRow({ discoverable: null })).discoverable).toBe(0);
  });

  test("local accounts, suspended and moved ones", () => {
    const doc = accountDocument(accountRow({ domain: null, suspended_at: new Date(), moved_to_account_id: "9", followers_count: null, last_status_at: null }));
    expect(doc.domain).toBe("");
    expect(doc.suspended).toBe(true);
    expect(doc.moved).toBe(true);
    expect(doc.followers_count).toBe(0);
    expect(doc.last_status_at).toBe(0);
  });
});

// ---------------------------------------------------------------------------
// Query building

function statusRequest(q: string, overrides: Partial<StatusSearchRequest> = {}): StatusSearchRequest {
  return {
    query: parseSearchQuery(q),
    viewerId: "100",
    fromAccountIds: [],
    notFromAccountIds: [],
    accountId: null,
    maxId: null,
    minId: null,
    limit: 20,
    offset: 0,
    ...overrides,
  };
}

describe("buildStatusSearchParams", () => {
  test("words: every word required, whole words, newest first, ids only", () => {
    const params = buildStatusSearchParams(statusRequest("cats dogs", { limit: 5, offset: 10 }))!;
    expect(params).toEqual({
      q: "cats dogs",
      query_by: "text",
      filter_by: "(indexable:=true || searchable_by:=[`100`])",
      sort_by: "created_at:desc,id_seq:desc",
      prefix: false,
      num_typos: 0,
      drop_tokens_threshold: 0,
      include_fields: "id",
      limit: 5,
      offset: 10,
    });
  });

  test("phrases and exclusions use Typesense's query syntax; stray quotes and minus signs cannot change it", () => {
    expect(buildStatusSearchParams(statusRequest('cat "keyboard cat" -mouse -"big dog"'))!.q).toBe(
      'cat "keyboard cat" -mouse -"big dog"',
    );
    expect(buildStatusSearchParams(statusRequest('+-cat ab"c'))!.q).toBe('cat ab "c"');
    // Punctuation-only words are dropped.
    expect(buildStatusSearchParams(statusRequest("cat && ||"))!.q).toBe("cat");
  });

  test("no words: no Typesense query (Postgres answers those)", () => {
    expect(buildStatusSearchParams(statusRequest("from:alice"))).toBeNull();
    expect(buildStatusSearchParams(statusRequest("-cat"))).toBeNull();
    expect(buildStatusSearchParams(statusRequest("&& !!"))).toBeNull();
  });

  test("scope: in:public and in:library", () => {
    expect(buildStatusSearchParams(statusRequest("x in:public"))!.filter_by).toBe("indexable:=true");
    expect(buildStatusSearchParams(statusRequest("x in:library"))!.filter_by).toBe("searchable_by:=[`100`]");
  });

  test("operators become filters", () => {
    const params = buildStatusSearchParams(
      statusRequest("cat has:media is:reply -has:poll -is:sensitive has:unicorns -has:unicorns language:fr -language:de -language:123", {
        fromAccountIds: ["7"],
        notFromAccountIds: ["8", "9"],
        accountId: "7",
      }),
    )!;
    expect(params.filter_by!.split(" && ")).toEqual([
      "(indexable:=true || searchable_by:=[`100`])",
      "account_id:=[`7`]",
      "account_id:!=[`8`,`9`]",
      "account_id:=[`7`]",
      "properties:=[`media`]",
      // Unknown properties match nothing, as an Elasticsearch term filter would.
      "properties:=[`__nothing__`]",
      "properties:=[`reply`]",
      "properties:!=[`poll`,`sensitive`]",
      "language:=[`fr`]",
      "language:!=[`de`]",
    ]);
  });

  test("dates and the id window", () => {
    const maxId = ((BigInt(Date.UTC(2024, 0, 5)) << 16n) | 7n).toString();
    const minId = ((BigInt(Date.UTC(2024, 0, 1)) << 16n) | 3n).toString();
    const params = buildStatusSearchParams(statusRequest("cat before:2024-03-10 after:2023-12-31", { maxId, minId }))!;
    expect(params.filter_by).toBe(
      [
        "(indexable:=true || searchable_by:=[`100`])",
        `created_at:<${Date.UTC(2024, 2, 10)}`,
        `created_at:>=${Date.UTC(2024, 0, 1)}`,
        `(created_at:<${Date.UTC(2024, 0, 5)} || (created_at:=${Date.UTC(2024, 0, 5)} && id_seq:<7))`,
        `(created_at:>${Date.UTC(2024, 0, 1)} || (created_at:=${Date.UTC(2024, 0, 1)} && id_seq:>3))`,
      ].join(" && "),
    );
  });
});

describe("buildAccountSearchParams", () => {
  test("prefix search over names, bios for signed-in searchers, live accounts, ranked", () => {
    expect(buildAccountSearchParams({ q: "alice@soc", viewerId: "1", following: false, limit: 40, offset: 0 })).toEqual({
      q: "alice soc",
      query_by: "username,display_name,domain,text",
      query_by_weights: "3,3,1,1",
      prefix: "true,true,true,false",
      filter_by: "suspended:=false && moved:=false",
      sort_by: "_text_match:desc,discoverable:desc,followers_count:desc",
      drop_tokens_threshold: 0,
      include_fields: "id",
      limit: 40,
      offset: 0,
    });
    const anonymous = buildAccountSearchParams({ q: "alice", viewerId: null, following: false, limit: 5, offset: 5 })!;
    expect(anonymous.query_by).toBe("username,display_name,domain");
    expect(anonymous.prefix).toBe("true,true,true");
    expect(buildAccountSearchParams({ q: "!!", viewerId: null, following: false, limit: 5, offset: 0 })).toBeNull();
  });
});

// ---------------------------------------------------------------------------
// Unreachable Typesense: search keeps answering from Postgres

describe("Typesense unreachable", () => {
  let server: TestServer;
  beforeAll(async () => {
    // Nothing listens on port 9 of the loopback: every Typesense call fails at once.
    server = await startServer({ env: { TYPESENSE_URL: "http://127.0.0.1:9", TYPESENSE_API_KEY: "unused" } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test("status and account searches fall back to the Postgres documents", async () => {
    const { token } = await signUp(server, { username: "fallbackuser" });
    const client = api(server, token);
    const posted = await client.post("/api/v1/statuses", { status: "the wombat is unreachable" });
    expect(posted.status).toBe(200);
    const response = await client.get("/api/v2/search?q=wombat");
    expect(response.status).toBe(200);
    assertEntity("Search", response.body);
    expect(response.body.statuses.map((s: any) => s.id)).toEqual([posted.body.id]);
    const accounts = await client.get("/api/v1/accounts/search?q=fallbackus");
    expect(accounts.body.map((a: any) => a.acct)).toEqual(["fallbackuser"]);
    expect(server.output()).toContain("answering from Postgres");
  });
});

// ---------------------------------------------------------------------------
// A real Typesense server

/**
 * Skipped here: no Typesense server can be installed in this environment.
 * Set TYPESENSE_URL and TYPESENSE_API_KEY (e.g. `docker run -p 8108:8108
 * typesense/typesense:28.0 --data-dir /tmp --api-key=xyz`) to run it.
 */
describe.skipIf(!process.env.TYPESENSE_URL)("Typesense round trip", () => {
  let server: TestServer;
  let client: Client;
  const word = `tsword${Date.now().toString(36)}`;
  const users = {} as Record<"author" | "follower" | "stranger", { id: string; client: ReturnType<typeof api> }>;
  const statuses = {} as Record<"public" | "private" | "reply", string>;

  const searchIds = async (who: keyof typeof users, q: string) => {
    const response = await users[who].client.get(`/api/v2/search?${new URLSearchParams({ q, type: "statuses" })}`);
    expect(response.status).toBe(200);
    assertEntity("Search", response.body);
    return response.body.statuses.map((s: any) => s.id) as string[];
  };
  /** Indexing runs in the event worker, after the write: wait until the index agrees. */
  const eventually = async <T>(read: () => Promise<T>, expected: T) => {
    let value = await read();
    for (let i = 0; i < 50 && JSON.stringify(value) !== JSON.stringify(expected); i++) {
      await Bun.sleep(100);
      value = await read();
    }
    expect(value as unknown).toEqual(expected as unknown);
  };

  beforeAll(async () => {
    server = await startServer({
      env: { TYPESENSE_URL: process.env.TYPESENSE_URL!, TYPESENSE_API_KEY: process.env.TYPESENSE_API_KEY ?? "" },
    });
    client = new Client({ nodes: [{ url: process.env.TYPESENSE_URL! }], apiKey: process.env.TYPESENSE_API_KEY ?? "" });
    for (const name of ["author", "follower", "stranger"] as const) {
      const { token, accountId } = await signUp(server, { username: `ts${name}${Date.now().toString(36)}` });
      users[name] = { id: accountId!, client: api(server, token) };
    }
    await users.author.client.patch("/api/v1/accounts/update_credentials", { indexable: true });
    await users.follower.client.post(`/api/v1/accounts/${users.author.id}/follow`);
    const post = async (body: Record<string, unknown>) => (await users.author.client.post("/api/v1/statuses", body)).body.id as string;
    statuses.public = await post({ status: `${word} in public` });
    statuses.private = await post({ status: `${word} for followers`, visibility: "private" });
    statuses.reply = await post({ status: `${word} replying`, in_reply_to_id: statuses.public });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test("documents land in Typesense with the mapped fields", async () => {
    await eventually(async () => {
      try {
        const doc = (await client.collections("statuses").documents(statuses.public).retrieve()) as Record<string, unknown>;
        return [doc.account_id, doc.visibility, doc.indexable];
      } catch {
        return null;
      }
    }, [users.author.id, "public", true]);
  });

  test("searches answer from Typesense with visibility enforced", async () => {
    await eventually(() => searchIds("stranger", word), [statuses.reply, statuses.public]);
    // The follower may read the private status but has it in no library: not found (Mastodon 4.2).
    await eventually(() => searchIds("follower", word), [statuses.reply, statuses.public]);
    await eventually(() => searchIds("author", word), [statuses.reply, statuses.private, statuses.public]);
    await eventually(() => searchIds("stranger", `${word} is:reply`), [statuses.reply]);
    await eventually(() => searchIds("stranger", `${word} -is:reply`), [statuses.public]);
  });

  test("a favourite puts the private status in the follower's library; deletion removes documents", async () => {
    await users.follower.client.post(`/api/v1/statuses/${statuses.private}/favourite`);
    await eventually(() => searchIds("follower", word), [statuses.reply, statuses.private, statuses.public]);
    await users.author.client.delete(`/api/v1/statuses/${statuses.reply}`);
    await eventually(() => searchIds("stranger", word), [statuses.public]);
  });
});
