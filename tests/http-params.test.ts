import { describe, expect, test } from "bun:test";
import { bool, id, list, nestParams } from "../src/http/params.ts";
import { pageIds } from "../src/http/pagination.ts";
import { ConfigError, loadConfig } from "../src/config.ts";

const nest = (query: string) => nestParams(new URLSearchParams(query).entries());

describe("nestParams reads parameters like Rails", () => {
  test("arrays, indexed hashes and arrays of hashes", () => {
    expect(nest("x[]=1&x[]=2")).toEqual({ x: ["1", "2"] });
    expect(nest("f[0][name]=a&f[0][value]=b&f[1][name]=c")).toEqual({
      f: { "0": { name: "a", value: "b" }, "1": { name: "c" } },
    });
    expect(nest("k[][keyword]=a&k[][whole_word]=1&k[][keyword]=b")).toEqual({
      k: [{ keyword: "a", whole_word: "1" }, { keyword: "b" }],
    });
    expect(nest("poll[options][]=yes&poll[options][]=no&poll[expires_in]=300")).toEqual({
      poll: { options: ["yes", "no"], expires_in: "300" },
    });
  });

  test("a plain key and odd keys stay as they are", () => {
    expect(nest("status=hi&weird]key=1")).toEqual({ status: "hi", "weird]key": "1" });
  });
});

describe("coercion", () => {
  test("booleans as Mastodon accepts them", () => {
    expect(bool("true", false)).toBe(true);
    expect(bool("1", false)).toBe(true);
    expect(bool("0", true)).toBe(false);
    expect(bool(undefined, true)).toBe(true);
  });

  test("ids are digits within bigint range, else undefined", () => {
    expect(id("123")).toBe("123");
    expect(id("12a")).toBeUndefined();
    expect(id("99999999999999999999")).toBeUndefined();
  });

  test("list takes one value or many", () => {
    expect(list("a")).toEqual(["a"]);
    expect(list(["a", "b"])).toEqual(["a", "b"]);
    expect(list(undefined)).toEqual([]);
  });
});

describe("pageIds", () => {
  const ids = ["9", "8", "7", "6", "5", "4", "3", "2", "1"];
  test("max_id, since_id and min_id", () => {
    expect(pageIds(ids, { limit: 3 })).toEqual(["9", "8", "7"]);
    expect(pageIds(ids, { limit: 3, maxId: "7" })).toEqual(["6", "5", "4"]);
    expect(pageIds(ids, { limit: 3, sinceId: "7" })).toEqual(["9", "8"]);
    // min_id reads forward: the three just above 2, newest first.
    expect(pageIds(ids, { limit: 3, minId: "2" })).toEqual(["5", "4", "3"]);
  });
});

describe("configuration", () => {
  const fails = (env: Record<string, string>, variable: string) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^${variable}:`));
  };

  test("defaults", () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.publicUrl.href).toBe("http://localhost:3000/");
    expect(config.localDomain).toBe("localhost");
    expect(config.redis.kind).toBe("memory");
    expect(config.registrations).toBe("open");
  });

  test("malformed values name their variable", () => {
    fails({ PORT: "abc" }, "PORT");
    fails({ PUBLIC_URL: "not a url" }, "PUBLIC_URL");
    fails({ PUBLIC_URL: "https://x.example/sub" }, "PUBLIC_URL");
    fails({ REGISTRATIONS: "sometimes" }, "REGISTRATIONS");
    fails({ DATABASE_URL: "mysql://x" }, "DATABASE_URL");
    fails({ REDIS_URL: "http://x" }, "REDIS_URL");
    fails({ UPSTASH_REDIS_REST_URL: "https://x.example" }, "UPSTASH_REDIS_REST_TOKEN");
    fails({ WORKER_ID: "3", WORKER_COUNT: "2" }, "WORKER_ID");
    fails({ ALLOW_PRIVATE_ADDRESS: "maybe" }, "ALLOW_PRIVATE_ADDRESS");
    fails({ TYPESENSE_URL: "http://t.example" }, "TYPESENSE_API_KEY");
  });

  test("LOCAL_DOMAIN defaults to PUBLIC_URL's host name, without the port", () => {
    expect(loadConfig({ PUBLIC_URL: "https://social.example:8443" }).localDomain).toBe("social.example");
  });
});
