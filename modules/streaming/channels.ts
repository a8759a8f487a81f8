/**
 * The Redis pub/sub contract between the writers (event handlers, fanout)
 * and the streaming hub. Channel names are Mastodon's, so a reader of its
 * streaming server finds the same ones here.
 *
 * Messages carry ids, never rendered entities: a status looks different to
 * every viewer (visibility, `favourited`, filters), so the hub renders it
 * for each connected viewer when it arrives — the cost follows live
 * connections, not audiences. Every message is one line of JSON (Upstash's
 * SSE subscribe carries one `data:` line per message):
 *
 *   {"event":"update","status_id":"…"}             a status for the stream
 *   {"event":"status.update","status_id":"…"}      it was edited
 *   {"event":"delete","payload":"<status id>"}     it was deleted (the id is all clients get)
 *   {"event":"notification","notification_id":"…"}
 *   {"event":"conversation","status_id":"…"}       the recipient's conversation now ends with it
 *   {"event":"filters_changed"}
 *
 * Who publishes what:
 *
 *   timeline:<accountId>                 home deliveries (modules/timelines/feed-manager.ts: update,
 *                                        delete) and filters_changed (publisher.ts)
 *   timeline:<accountId>:notifications   notification (publisher.ts, from notifications/handlers.ts)
 *   timeline:list:<listId>               list deliveries (feed-manager.ts: update, delete)
 *   timeline:direct:<accountId>          conversation (publisher.ts)
 *   timeline:public[:local|:remote][:media], timeline:hashtag:<tag>[:local]
 *                                        public statuses: update, status.update, delete (publisher.ts)
 *   streaming:home                       HOME_BROADCAST, below
 *
 * Channel names avoid "/", "?", "#", "%" and "," (Upstash puts them in a URL
 * path); tags are word characters, ids digits.
 */
import { feedChannel } from "../timelines/feed-manager.ts";

export const homeChannel = (accountId: string) => feedChannel("home", accountId);
export const listChannel = (listId: string) => feedChannel("list", listId);
export const notificationsChannel = (accountId: string) => `timeline:${accountId}:notifications`;
export const directChannel = (accountId: string) => `timeline:direct:${accountId}`;

export interface PublicScope {
  local?: boolean;
  remote?: boolean;
  media?: boolean;
}

export function publicChannel(scope: PublicScope): string {
  const where = scope.local ? ":local" : scope.remote ? ":remote" : "";
  return `timeline:public${where}${scope.media ? ":media" : ""}`;
}

/** `tag` normalised as timelines' normalizeTagName does (publisher and subscriber must agree). */
export const hashtagChannel = (tag: string, local: boolean) => `timeline:hashtag:${tag}${local ? ":local" : ""}`;

/**
 * Home-stream events that no per-user channel carries, published once for
 * every process that has user or list streams open; each process picks the
 * audience among its own connections (one query per message, whatever the
 * number of connections):
 *
 * - `status.update` with `account_id`: an edit reaches the author, their
 *   followers, the mentioned, and lists with the author (fanout pushes
 *   only new statuses, so edits have no per-user message);
 * - `update` / `delete` with `account_id`: a post or deletion of an account
 *   merged into homes at read time (over FANOUT_MERGE_THRESHOLD followers),
 *   which fanout never pushes to followers; reaches followers' user streams.
 */
export const HOME_BROADCAST = "streaming:home";

export type ChannelMessage =
  | { event: "update" | "status.update"; status_id: string; account_id?: string; edited_at?: string | null }
  | { event: "delete"; payload: string; account_id?: string }
  | { event: "notification"; notification_id: string }
  | { event: "conversation"; status_id: string }
  | { event: "filters_changed" };

const isId = (value: unknown): value is string => typeof value === "string" && /^\d{1,19}$/.test(value);

/** A message from a channel, or null for anything this version does not understand (skipped, never fatal). */
export function parseChannelMessage(raw: string): ChannelMessage | null {
  let message: any;
  try {
    message = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!message || typeof message !== "object") return null;
  const accountId = isId(message.account_id) ? message.account_id : undefined;
  switch (message.event) {
    case "update":
    case "status.update":
      return isId(message.status_id) ? { event: message.event, status_id: message.status_id, account_id: accountId } : null;
    case "delete":
      return isId(message.payload) ? { event: "delete", payload: message.payload, account_id: accountId } : null;
    case "notification":
      return isId(message.notification_id) ? { event: "notification", notification_id: message.notification_id } : null;
    case "conversation":
      return isId(message.status_id) ? { event: "conversation", status_id: message.status_id } : null;
    case "filters_changed":
      return { event: "filters_changed" };
    default:
      return null;
  }
}
