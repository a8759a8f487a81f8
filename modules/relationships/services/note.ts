/** Personal notes on accounts (POST /api/v1/accounts/:id/note): a blank comment removes the note. */
import type { AppContext } from "../../../src/context.ts";
import { unprocessable } from "../../../src/http/errors.ts";
import { deleteNote, upsertNote } from "../storage.ts";

/** Mastodon's AccountNote limit. */
export const NOTE_MAX_LENGTH = 2000;

export async function setNote(ctx: AppContext, accountId: string, targetId: string, comment: string): Promise<void> {
  if ([...comment].length > NOTE_MAX_LENGTH) {
    throw unprocessable(`Comment is too long (maximum is ${NOTE_MAX_LENGTH} characters)`);
  }
  if (comment.trim() === "") await deleteNote(ctx.sql, accountId, targetId);
  else await upsertNote(ctx.sql, accountId, targetId, comment);
}
