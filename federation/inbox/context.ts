/**
 * What every inbox handler gets: the application context, the sending
 * actor as we store it (already checked: signed by it, not suspended, not
 * ours) and the activity as Fedify parsed it.
 */
import type { Activity } from "@fedify/fedify/vocab";
import type { AppContext } from "../../src/context.ts";
import type { AccountRow } from "../../modules/accounts/storage.ts";
import type { ActivityCommand, CommandKind } from "../translate/index.ts";

export interface InboxWork {
  ctx: AppContext;
  actor: AccountRow;
  activity: Activity;
  /** The personal inbox's owner (a local username), or null for the shared inbox. */
  recipient: string | null;
}

export type Command<K extends CommandKind> = Extract<ActivityCommand, { kind: K }>;
