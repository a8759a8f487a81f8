/**
 * Request parameters the way Rails (and so Mastodon) reads them: JSON,
 * form-encoded and multipart bodies, and query strings all become the same
 * nested object, with `a[]=1&a[]=2` as arrays and `f[0][name]=x` as nested
 * objects. Coercion helpers accept what Mastodon accepts ("true", "1", "on").
 */
import { unprocessable } from "./errors.ts";

export type Params = Record<string, unknown>;

/** Folds bracketed keys (`a[b][]`) into nested objects and arrays. */
export function nestParams(entries: Iterable<[string, unknown]>): Params {
  const root: Params = {};
  for (const [rawKey, value] of entries) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(rawKey);
    if (!match) {
      root[rawKey] = value;
      continue;
    }
    const path = [match[1]!, ...[...match[2]!.matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1]!)];
    let node: any = root;
    for (let i = 0; i < path.length; i++) {
      const key = path[i]!;
      const last = i === path.length - 1;
      if (key === "") {
        // `a[]`: append; `a[][b]` is not a shape clients send, treat as append too.
        if (!Array.isArray(node)) break;
        if (last) node.push(value);
        else {
          // Rails' rule for `a[][k]=1&a[][j]=2`: keys fill the last hash until one repeats.
          const nextKey = path[i + 1]!;
          const tail = node[node.length - 1];
          const reuse = tail && typeof tail === "object" && !Array.isArray(tail) && !(nextKey in tail);
          const child = reuse ? tail : {};
          if (!reuse) node.push(child);
          node = child;
        }
        continue;
      }
      if (last) {
        node[key] = value;
      } else {
        const wantsArray = path[i + 1] === "";
        if (typeof node[key] !== "object" || node[key] === null || (wantsArray && !Array.isArray(node[key]))) {
          node[key] = wantsArray ? [] : {};
        }
        node = node[key];
      }
    }
  }
  return root;
}

export function paramsFromSearch(search: URLSearchParams): Params {
  return nestParams(search.entries());
}

export function bool(value: unknown, fallback: boolean): boolean;
export function bool(value: unknown, fallback?: undefined): boolean | undefined;
export function bool(value: unknown, fallback?: boolean): boolean | undefined {
  if (value === undefined || value === null || value === "") return fallback;
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  const text = String(value).toLowerCase();
  if (["true", "1", "on", "t", "yes"].includes(text)) return true;
  if (["false", "0", "off", "f", "no"].includes(text)) return false;
  return fallback;
}

export function str(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

export function int(
  value: unknown,
  name: string,
  options: { min?: number; max?: number } = {},
): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const number = typeof value === "number" ? value : Number(String(value));
  if (!Number.isInteger(number)) throw unprocessable(`${name} must be an integer`);
  if (options.min !== undefined && number < options.min) throw unprocessable(`${name} must be at least ${options.min}`);
  if (options.max !== undefined && number > options.max) return options.max;
  return number;
}

/** An array parameter; a single value counts as a one-element array. */
export function list(value: unknown): string[] {
  if (value === undefined || value === null || value === "") return [];
  if (Array.isArray(value)) return value.map((v) => str(v)).filter((v): v is string => v !== undefined);
  if (typeof value === "object") return Object.values(value as object).map(String);
  return [String(value)];
}

const MAX_BIGINT = 9223372036854775807n;

/** A snowflake ID parameter: digits within bigint range, else undefined (never a SQL error). */
export function id(value: unknown): string | undefined {
  const text = str(value);
  return text !== undefined && /^\d{1,19}$/.test(text) && BigInt(text) <= MAX_BIGINT ? text : undefined;
}
