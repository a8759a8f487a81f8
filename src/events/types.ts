/**
 * The catalogue of domain events. `accountId` of an event is the account
 * that acted (it decides the shard); payloads carry the IDs consumers need.
 * Producers: modules/statuses and modules/relationships (and federation/ for
 * remote actions). Consumers: timelines (fanout), notifications, federation
 * (delivery), trends and search (later).
 */
export interface EventPayloads {
  /** A status (or a reblog, which is a status) was created. */
  "status.created": { statusId: string };
  /** A status's content changed (edit). */
  "status.updated": { statusId: string };
  /** A status was deleted; its row is soft-deleted (deleted_at) so consumers can still read it. */
  "status.deleted": { statusId: string };
  "favourite.created": { statusId: string; favouriteId: string };
  /** `favouriteId`: the removed row's id (the Like that federation undoes). */
  "favourite.removed": { statusId: string; favouriteId?: string };
  "follow.created": { targetAccountId: string; followId: string };
  "follow.requested": { targetAccountId: string; followRequestId: string };
  /**
   * A follow or a pending request ended. `followUri`: the Follow activity's id
   * when known. `removedBy`: who ended it when not the follower (the target
   * removing a follower, blocking, or a remote side's Block) — federation
   * answers only for local actors: Undo(Follow) when the follower is,
   * Reject(Follow) when the target is.
   */
  "follow.removed": { targetAccountId: string; followUri?: string | null; removedBy?: string };
  "follow_request.rejected": { requesterAccountId: string; followUri?: string | null };
  "block.created": { targetAccountId: string };
  /** `blockUri`: the Block activity's id, when one was sent (Undo(Block) names it). */
  "block.removed": { targetAccountId: string; blockUri?: string | null };
  "mute.created": { targetAccountId: string };
  "mute.removed": { targetAccountId: string };
  "poll.voted": { pollId: string; statusId: string };
  "poll.ended": { pollId: string; statusId: string };
  "account.updated": Record<string, never>;
  /** A local user filed a report (modules/reports); `forward`: a Flag is owed to the target's server. */
  "report.created": { reportId: string; targetAccountId: string; forward: boolean };

  // Workers' own jobs (bulk lane), produced by modules/timelines/fanout.ts and src/workers/backfill.ts.

  /**
   * One chunk of a large fanout: followers with follow id after `after`
   * (null: from the first), `op` push or remove. `upTo` is set once the
   * chunk has handed its successor off, so a replay redelivers exactly its
   * range and emits nothing. `index` numbers chunks (spreads them over shards).
   */
  "fanout.chunk": {
    statusId: string;
    op: "push" | "remove";
    phase: "home" | "lists";
    after: string | null;
    upTo?: string;
    index: number;
  };
  /** Fetch replies other servers did not deliver for a remote status in local homes; `round` counts visits. */
  "backfill.replies": { statusId: string; round: number };
  /** Fetch a newly discovered remote account's recent posts (its outbox's first page); federation/backfill.ts. */
  "account.recent_posts": Record<string, never>;
}

export type EventType = keyof EventPayloads;
