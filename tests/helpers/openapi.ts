/**
 * Validates our JSON entities against the community OpenAPI description of
 * the Mastodon API (../shared/mastodon-openapi/schema.json), with ajv's
 * 2020-12 draft as OpenAPI 3.1 uses.
 */
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const schemaPath = join(import.meta.dir, "../../../shared/mastodon-openapi/schema.json");
const document = JSON.parse(readFileSync(schemaPath, "utf8"));

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
// The schema uses a language-code format ajv-formats does not define.
ajv.addFormat("iso-639-1", /^[a-z]{2,3}$/);
// OpenAPI adds keywords ajv does not know; they describe, they don't constrain.
for (const keyword of ["example", "discriminator", "xml", "externalDocs"]) ajv.addKeyword(keyword);
ajv.addSchema({ $id: "mastodon", components: document.components }, "mastodon");

/** Throws with every schema error when `value` is not a valid `entity`. */
export function assertEntity(entity: string, value: unknown): void {
  const validate = ajv.getSchema(`mastodon#/components/schemas/${entity}`);
  if (!validate) throw new Error(`No schema named ${entity} in the Mastodon OpenAPI document`);
  if (!validate(value)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`).join("\n");
    throw new Error(`${entity} does not match the Mastodon schema:\n${problems}\n${JSON.stringify(value, null, 2)}`);
  }
}
