/**
 * Update(Note | Question): the author edited a post we hold (edit history,
 * status.updated — notifications tell those who boosted it) or its poll's
 * counts moved. Update(Person): the actor's profile, stored as sent
 * (the signature vouches for it), as Mastodon does.
 */
import { storeActor } from "../remote-accounts.ts";
import { updateStatusDraft } from "../remote-statuses.ts";
import { isActorObject } from "../translate/actor.ts";
import { getterOptions } from "../translate/common.ts";
import type { Command, InboxWork } from "./context.ts";

export async function onUpdateStatus(work: InboxWork, command: Command<"update-status">): Promise<void> {
  await updateStatusDraft(work.ctx, work.actor, command.status);
}

export async function onUpdateActor(work: InboxWork, _command: Command<"update-actor">): Promise<void> {
  const object = await work.activity.getObject(getterOptions());
  if (!object || !isActorObject(object)) return;
  await storeActor(work.ctx, object, { refresh: true });
}
