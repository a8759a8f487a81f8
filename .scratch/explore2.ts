import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { getTypeId } from "@fedify/fedify/vocab";
import { parseJsonLd } from "../federation/translate/jsonld.ts";
const root = "../shared/activitypub-fixtures";
for (const dir of readdirSync(root)) {
  if (dir.endsWith(".md")) continue;
  for (const f of readdirSync(join(root, dir))) {
    const json = JSON.parse(readFileSync(join(root, dir, f), "utf8"));
    const r = await parseJsonLd(json);
    if (r.ok) console.log(`${dir}/${f}: ${getTypeId(r.object).href.replace(/.*[#/]/, "")} ${r.warnings.join(";")}`);
    else console.log(`${dir}/${f}: ERROR ${r.error.slice(0, 200)}`);
  }
}
