/**
 * Create(Note | Question | Article, Page… shown as a link): a remote post,
 * stored through federation/remote-statuses.ts when it concerns someone
 * here (Mastodon's rule: followed author, local mention, reply to or in a
 * local thread). The object was checked by classifyActivity: it lives on
 * the actor's server and is attributed to the actor. An object sent only as
 * a URI is fetched from its server.
 *
 * A Note that answers a local poll by naming an option is a vote
 * (Mastodon's shape), cast through the vote use case.
 */
import { ApiError } from "../../src/http/errors.ts";
import { logger } from "../../src/log.ts";
import { votePoll } from "../../modules/statuses/services/vote-poll.ts";
import { fetchDocument, statusByUri, storeStatusDraft } from "../remote-statuses.ts";
import type { StatusDraft } from "../translate/index.ts";
import type { Command, InboxWork } from "./context.ts";

const log = logger("federation", "inbox");

async function fetchedDraft(work: InboxWork, uri: string): Promise<StatusDraft | null> {
  try {
    const fetched = await fetchDocument(work.ctx, uri);
    if (fetched.translation.kind !== "status") return null;
    const draft = fetched.translation.status;
    return draft.authorUri === work.actor.uri && new URL(draft.uri).origin === new URL(work.actor.uri!).origin ? draft : null;
  } catch (error) {
    log.info("Fetching {uri} for a Create failed: {error}", { uri, error });
    return null;
  }
}

export async function onCreate(work: InboxWork, command: Command<"create-status">): Promise<void> {
  const draft = command.status ?? (await fetchedDraft(work, command.objectUri));
  if (!draft) return;
  await storeStatusDraft(work.ctx, draft, { author: work.actor, solicited: false });
}

export async function onPollVote(work: InboxWork, command: Command<"poll-vote">): Promise<void> {
  const { ctx, actor } = work;
  const question = await statusByUri(ctx, command.questionUri);
  if (!question?.local) {
    // Not one of our polls: an ordinary reply that happens to have a name.
    await storeStatusDraft(ctx, command.status, { author: actor, solicited: false });
    return;
  }
  const [poll] = await ctx.sql`SELECT id, options FROM polls WHERE status_id = ${question.id}`;
  const choice = poll ? (poll.options as string[]).indexOf(command.choice) : -1;
  if (choice < 0) return;
  try {
    await votePoll(ctx, actor.id, poll!.id, [String(choice)]);
  } catch (error) {
    // Already voted, poll closed, not visible to the voter: the vote does not count, as for a local voter.
    if (!(error instanceof ApiError)) throw error;
  }
}
