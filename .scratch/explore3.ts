import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { translateDocument } from "../federation/translate/index.ts";
const root = "../shared/activitypub-fixtures";
for (const dir of readdirSync(root).sort()) {
  if (dir.endsWith(".md")) continue;
  for (const f of readdirSync(join(root, dir)).sort()) {
    const json = JSON.parse(readFileSync(join(root, dir, f), "utf8"));
    const r = await translateDocument(json);
    const summary = r.kind === "actor" ? { u: r.account.username, d: r.account.domain, dn: r.account.displayName, f: r.account.fields.length, av: r.account.avatarUrl, hd: r.account.headerUrl, inbox: r.account.inboxUrl, bot: r.account.bot, group: r.account.group, emojis: r.account.emojis.map(e=>e.shortcode), moved: r.account.movedToUri, aka: r.account.alsoKnownAs }
      : r.kind === "status" ? { v: r.status.visibility, m: r.status.mentions, h: r.status.hashtags, e: r.status.emojis.map(e=>e.shortcode), a: r.status.attachments.length, poll: r.status.poll, c: r.status.content.slice(0, 100), q: r.status.quoteUri, lang: r.status.language, cw: r.status.spoilerText }
      : r.kind === "activity" ? (r.command.kind === "create-status" || r.command.kind === "update-status" || r.command.kind === "poll-vote" ? { ...r.command, status: r.command.status && { v: r.command.status.visibility, m: r.command.status.mentions, h: r.command.status.hashtags, a: r.command.status.attachments, c: r.command.status.content.slice(0,120), poll: r.command.status.poll, cw: r.command.status.spoilerText, addr: r.command.status.addressed } } : r.command.kind === "update-actor" ? { kind: r.command.kind, u: r.command.account.username, f: r.command.account.fields } : r.command)
      : r.kind === "collection" ? { ...r.collection, items: r.collection.items.map(i => i.uri + (i.object ? "*" : "")) }
      : r;
    console.log(`${dir}/${f}: ${r.kind} ${r.type} ${JSON.stringify(summary)}`);
  }
}
