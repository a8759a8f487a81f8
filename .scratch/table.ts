import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { translateDocument } from "../federation/translate/index.ts";
const root = "../shared/activitypub-fixtures";
for (const dir of readdirSync(root).sort()) {
  if (dir.endsWith(".md")) continue;
  for (const f of readdirSync(join(root, dir)).sort()) {
    const r = await translateDocument(JSON.parse(readFileSync(join(root, dir, f), "utf8")));
    const k = r.kind === "activity" ? `activity:${r.command.kind}` : r.kind;
    console.log(`  "${dir}/${f}": "${k}",`);
  }
}
