/**
 * VotePoll (Mastodon's VoteService and VoteValidator): one ballot per
 * account, on someone else's open poll, with valid choices (one unless the
 * poll is multiple-choice). The poll row is locked for the ballot, so
 * concurrent ballots (even from the same account) serialise and the
 * counters stay exact.
 */
import type { AppContext } from "../../../src/context.ts";
import { notFound, unprocessable } from "../../../src/http/errors.ts";
import { id, list } from "../../../src/http/params.ts";
import { emitEvent } from "../../../src/events/index.ts";
import { nudgeEventWorker } from "../../../src/events/worker.ts";
import { canSeeStatus } from "../visibility.ts";
import { insertVotes, ownVotes, selectPoll, type PollRow } from "../storage.ts";

/** The poll, when its status is visible to the viewer; 404 otherwise. */
export async function visiblePoll(ctx: AppContext, viewerId: string | null, rawId: unknown): Promise<PollRow> {
  const pollId = id(rawId);
  const poll = pollId ? await selectPoll(ctx.sql, pollId) : null;
  if (!poll || !(await canSeeStatus(ctx.sql, viewerId, poll.status_id))) throw notFound();
  return poll;
}

function readChoices(raw: unknown, poll: PollRow): number[] {
  const values = list(raw);
  const choices = values.map((v) => (/^\d+$/.test(v.trim()) ? Number(v.trim()) : -1));
  if (choices.length === 0) throw unprocessable("Choices can't be blank");
  if (choices.some((c) => c < 0 || c >= poll.options.length)) {
    throw unprocessable("The chosen vote option does not exist");
  }
  if (new Set(choices).size !== choices.length) throw unprocessable("The chosen vote option does not exist");
  if (!poll.multiple && choices.length > 1) throw unprocessable("This poll allows only one choice");
  return choices;
}

export async function votePoll(ctx: AppContext, accountId: string, rawId: unknown, rawChoices: unknown): Promise<string> {
  const found = await visiblePoll(ctx, accountId, rawId);
  if (found.account_id === accountId) throw unprocessable("You cannot vote in your own polls");
  await ctx.sql.begin(async (tx) => {
    const poll = await selectPoll(tx, found.id, true);
    if (!poll) throw notFound();
    if (poll.expires_at !== null && new Date(poll.expires_at).getTime() <= Date.now()) {
      throw unprocessable("The poll has already ended");
    }
    const choices = readChoices(rawChoices, poll);
    if ((await ownVotes(tx, poll.id, accountId)).length > 0) throw unprocessable("You have already voted on this poll");
    await insertVotes(tx, poll.id, accountId, choices);
    await emitEvent(tx, "poll.voted", accountId, { pollId: poll.id, statusId: poll.status_id });
  });
  nudgeEventWorker();
  return found.id;
}
