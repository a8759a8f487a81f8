/**
 * Mastodon's streams: what a client may subscribe to, the scope each needs,
 * and the channels behind each (Mastodon's streaming server's
 * channelsForStream and channelNameFromPath, with its error messages).
 */
import type { AppContext } from "../../src/context.ts";
import { hasScope } from "../../src/http/auth.ts";
import { bool, id, str } from "../../src/http/params.ts";
import { selectList } from "../timelines/storage.ts";
import { normalizeTagName } from "../timelines/timelines.ts";
import {
  directChannel,
  hashtagChannel,
  homeChannel,
  HOME_BROADCAST,
  listChannel,
  notificationsChannel,
  publicChannel,
} from "./channels.ts";

export interface StreamAuth {
  tokenId: string;
  accountId: string;
  scopes: string[];
}

/** A refused subscription: sent to a WebSocket client as `{"error", "status"}`, to an SSE client as the HTTP status. */
export class StreamError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "StreamError";
  }
}

/**
 * How the session treats a channel's messages: `home` and `list` carry
 * fanout's deliveries, `public` needs the viewer's mutes and blocks checked,
 * `broadcast` needs the audience checked (channels.ts, HOME_BROADCAST).
 */
export type ChannelKind = "home" | "notifications" | "list" | "direct" | "public" | "broadcast";

export interface StreamSpec {
  /** The `stream` field of messages: ["user"], ["hashtag", "<tag as asked>"], ["list", "<id>"]. */
  name: string[];
  /** Identity for (un)subscribing: the same stream asked twice is one subscription. */
  key: string;
  channels: { channel: string; kind: ChannelKind }[];
  listId?: string;
}

export const STREAM_NAMES = [
  "user",
  "user:notification",
  "public",
  "public:media",
  "public:local",
  "public:local:media",
  "public:remote",
  "public:remote:media",
  "hashtag",
  "hashtag:local",
  "list",
  "direct",
] as const;

const SCOPE_ERROR = "Access token does not cover required scopes";

function requireScope(auth: StreamAuth, stream: string): void {
  const scope = stream.startsWith("user:notification") ? "read:notifications" : "read:statuses";
  if (!hasScope(auth.scopes, scope)) throw new StreamError(401, SCOPE_ERROR);
}

/** The stream a client asked for, with the parameters it came with (`tag`, `list`). */
export async function resolveStream(
  ctx: AppContext,
  auth: StreamAuth,
  rawName: unknown,
  params: Record<string, unknown>,
): Promise<StreamSpec> {
  const stream = str(Array.isArray(rawName) ? rawName[0] : rawName);
  if (!stream || !(STREAM_NAMES as readonly string[]).includes(stream)) throw new StreamError(400, "Unknown stream type");
  requireScope(auth, stream);
  const me = auth.accountId;
  switch (stream) {
    case "user": {
      const channels: StreamSpec["channels"] = [
        { channel: homeChannel(me), kind: "home" },
        { channel: HOME_BROADCAST, kind: "broadcast" },
      ];
      // The user stream carries notifications too, for tokens that may read them.
      if (hasScope(auth.scopes, "read:notifications")) channels.push({ channel: notificationsChannel(me), kind: "notifications" });
      return { name: ["user"], key: "user", channels };
    }
    case "user:notification":
      return {
        name: ["user:notification"],
        key: "user:notification",
        channels: [{ channel: notificationsChannel(me), kind: "notifications" }],
      };
    case "direct":
      return { name: ["direct"], key: "direct", channels: [{ channel: directChannel(me), kind: "direct" }] };
    case "hashtag":
    case "hashtag:local": {
      const asked = str(params.tag);
      const tag = asked === undefined ? "" : normalizeTagName(asked);
      if (tag === "") throw new StreamError(400, "Missing tag name parameter");
      const channel = hashtagChannel(tag, stream === "hashtag:local");
      return { name: [stream, asked!], key: `${stream}:${tag}`, channels: [{ channel, kind: "public" }] };
    }
    case "list": {
      if (params.list === undefined || params.list === "") throw new StreamError(400, "Missing list name parameter");
      const listId = id(params.list);
      const list = listId ? await selectList(ctx.sql, me, listId) : null;
      if (!list) throw new StreamError(401, "Not authorized to stream this list");
      return {
        name: ["list", list.id],
        key: `list:${list.id}`,
        listId: list.id,
        channels: [
          { channel: listChannel(list.id), kind: "list" },
          { channel: HOME_BROADCAST, kind: "broadcast" },
        ],
      };
    }
    default: {
      // public, public:local, public:remote and their :media forms
      const scope = { local: stream.includes(":local"), remote: stream.includes(":remote"), media: stream.endsWith(":media") };
      return { name: [stream], key: stream, channels: [{ channel: publicChannel(scope), kind: "public" }] };
    }
  }
}

/**
 * The stream of a Server-Sent Events request: its path below
 * /api/v1/streaming (Mastodon's channelNameFromPath), or `?stream=` on
 * /api/v1/streaming itself. Null for a path that names no stream.
 */
export function sseStreamName(subpath: string, query: Record<string, unknown>): string | null {
  const media = bool(query.only_media, false) ? ":media" : "";
  switch (subpath.replace(/\/+$/, "")) {
    case "":
      return str(query.stream) ?? null;
    case "/user":
      return "user";
    case "/user/notification":
      return "user:notification";
    case "/public":
      return `public${media}`;
    case "/public/local":
      return `public:local${media}`;
    case "/public/remote":
      return `public:remote${media}`;
    case "/hashtag":
      return "hashtag";
    case "/hashtag/local":
      return "hashtag:local";
    case "/list":
      return "list";
    case "/direct":
      return "direct";
    default:
      return null;
  }
}

/** The key resolveStream would give, without its checks: what an unsubscribe names (null: nothing it could name). */
export function streamKey(rawName: unknown, params: Record<string, unknown>): string | null {
  const stream = str(Array.isArray(rawName) ? rawName[0] : rawName);
  if (!stream || !(STREAM_NAMES as readonly string[]).includes(stream)) return null;
  if (stream === "hashtag" || stream === "hashtag:local") {
    const tag = str(params.tag);
    return tag === undefined ? null : `${stream}:${normalizeTagName(tag)}`;
  }
  if (stream === "list") {
    const listId = id(params.list);
    return listId ? `list:${BigInt(listId)}` : null;
  }
  return stream;
}
