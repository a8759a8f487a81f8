/** `announcements …`: the announcements users see in their clients (modules/announcements). */
import { createAnnouncement } from "../../../modules/announcements/index.ts";
import { deleteAnnouncement, selectAllAnnouncements } from "../../../modules/announcements/storage.ts";
import { CommandError, type Command } from "./command.ts";

function date(value: string | boolean | undefined, flag: string): Date | null {
  if (value === undefined || value === false || value === true) return null;
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) throw new CommandError(`--${flag} must be a date or date-time (ISO 8601), got "${value}"`, 2);
  return parsed;
}

const create: Command = {
  name: "announcements create",
  summary: "Publish an announcement to every user",
  details:
    "The text is plain text: links, #hashtags, @mentions of known accounts and\n" +
    ":custom_emoji: are rendered as in a post. It is published at once; with\n" +
    "--ends-at it disappears from clients after that time.",
  positionals: [],
  options: {
    text: { type: "string", value: "TEXT", description: "what to announce", required: true },
    "starts-at": { type: "string", value: "DATE", description: "when the event it announces starts (shown by clients)" },
    "ends-at": { type: "string", value: "DATE", description: "when it ends; the announcement is hidden afterwards" },
    "all-day": { type: "boolean", description: "the dates are whole days (needs --starts-at and --ends-at)" },
  },
  async run(ctx, args, out) {
    const row = await createAnnouncement(ctx, {
      text: args.values.text as string,
      startsAt: date(args.values["starts-at"], "starts-at"),
      endsAt: date(args.values["ends-at"], "ends-at"),
      allDay: args.values["all-day"] === true,
    });
    out.line(`Published announcement ${row.id}`);
  },
};

const list: Command = {
  name: "announcements list",
  summary: "List announcements, newest first",
  positionals: [],
  options: {},
  async run(ctx, _args, out) {
    const rows = await selectAllAnnouncements(ctx.sql);
    if (rows.length === 0) {
      out.line("No announcements.");
      return;
    }
    for (const row of rows) {
      const ended = row.ends_at && new Date(row.ends_at).getTime() <= Date.now() ? " (ended)" : "";
      const text = row.text.replace(/\s+/g, " ");
      out.line(`${row.id}  ${new Date(row.created_at).toISOString().slice(0, 10)}${ended}  ${text.length > 60 ? `${text.slice(0, 59)}…` : text}`);
    }
  },
};

const remove: Command = {
  name: "announcements delete",
  summary: "Delete an announcement (with its reactions and dismissals)",
  positionals: ["id"],
  options: {},
  async run(ctx, args, out) {
    const id = args.positionals.id!;
    if (!/^\d{1,19}$/.test(id)) throw new CommandError(`"${id}" is not an announcement id`, 2);
    if (!(await deleteAnnouncement(ctx.sql, id))) throw new CommandError(`no announcement ${id}`);
    out.line(`Deleted announcement ${id}`);
  },
};

export const announcementCommands: Command[] = [create, list, remove];
