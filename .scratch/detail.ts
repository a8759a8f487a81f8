import { readFileSync } from "node:fs";
import { translateDocument } from "../federation/translate/index.ts";
for (const f of process.argv.slice(2)) {
  const r = await translateDocument(JSON.parse(readFileSync(`../shared/activitypub-fixtures/${f}`, "utf8")));
  console.log(f, JSON.stringify(r, (k, v) => (k === "object" && v && typeof v === "object" && v.constructor?.name?.startsWith("Note") ? "[obj]" : v), 1).slice(0, 3000));
}
