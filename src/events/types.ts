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
  "favourite.removed": { statusId: string };
  "follow.created": { targetAccountId: string; followId: string };
  "follow.requested": { targetAccountId: string; followRequestId: string };
  "follow.removed": { targetAccountId: string };
  "follow_request.rejected": { requesterAccountId: string };
  "block.created": { targetAccountId: string };
  "block.removed": { targetAccountId: string };
  "mute.created": { targetAccountId: string };
  "mute.removed": { targetAccountId: string };
  "poll.voted": { pollId: string; statusId: string };
  "poll.ended": { pollId: string; statusId: string };
  "account.updated": Record<string, never>;
}

export type EventType = keyof EventPayloads;
