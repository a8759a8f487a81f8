import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Object as APObject, getTypeId } from "@fedify/vocab";
import { preloadedContexts } from "@fedify/vocab-runtime";
const root = "../shared/activitypub-fixtures";
const loader = async (url: string) => {
  if (url in preloadedContexts) return { contextUrl: null, document: preloadedContexts[url], documentUrl: url };
  console.log("   (unknown context/document)", url);
  throw new Error("offline: " + url);
};
for (const dir of readdirSync(root)) {
  if (dir.endsWith(".md")) continue;
  for (const f of readdirSync(join(root, dir))) {
    const json = JSON.parse(readFileSync(join(root, dir, f), "utf8"));
    try {
      const o = await APObject.fromJsonLd(json, { documentLoader: loader, contextLoader: loader });
      console.log(`${dir}/${f}: ${o.constructor.name} ${getTypeId(o).href}`);
    } catch (e) {
      console.log(`${dir}/${f}: ERROR ${(e as Error).message.slice(0, 200)}`);
    }
  }
}
