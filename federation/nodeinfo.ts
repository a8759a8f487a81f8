/**
 * NodeInfo and host-meta. Fedify serves NodeInfo 2.1 (/nodeinfo/2.1) from
 * the dispatcher registered here; it links only that version from
 * /.well-known/nodeinfo, while crawlers and older software still ask for
 * 2.0 — so the discovery document and /nodeinfo/2.0 are ours (Elysia
 * routes; the federation handler lets /.well-known/nodeinfo through), built
 * from the same data.
 */
import { Elysia } from "elysia";
import { nodeInfoToJson, type Federation, type NodeInfo } from "@fedify/fedify";
import packageJson from "../package.json";
import type { AppContext } from "../src/context.ts";
import { corsHeaders } from "../src/http/cors.ts";
import { absoluteUrl } from "../src/http/urls.ts";
import { escapeHtml } from "../src/text/index.ts";
import { usageCounts } from "./storage.ts";

export const SOFTWARE_NAME = "fedisky";
export const SOFTWARE_VERSION: string = packageJson.version;

const PROFILE_2_0 = "http://nodeinfo.diaspora.software/ns/schema/2.0";
const PROFILE_2_1 = "http://nodeinfo.diaspora.software/ns/schema/2.1";

export async function buildNodeInfo(ctx: AppContext): Promise<NodeInfo> {
  const usage = await usageCounts(ctx.sql);
  return {
    software: { name: SOFTWARE_NAME, version: SOFTWARE_VERSION },
    protocols: ["activitypub"],
    services: { inbound: [], outbound: [] },
    openRegistrations: ctx.config.registrations === "open",
    usage: {
      users: { total: usage.users, activeMonth: usage.activeMonth, activeHalfyear: usage.activeHalfyear },
      localPosts: usage.localPosts,
      localComments: 0,
    },
    metadata: { nodeName: ctx.config.instance.title, nodeDescription: ctx.config.instance.description },
  };
}

export function registerNodeInfo(federation: Federation<AppContext>): void {
  federation.setNodeInfoDispatcher("/nodeinfo/2.1", (ctx) => buildNodeInfo(ctx.data));
}

/** The 2.1 document minus what 2.0's schema forbids (it allows no extra software fields). */
function toNodeInfo20(nodeInfo: NodeInfo): Record<string, unknown> {
  const json = nodeInfoToJson(nodeInfo) as Record<string, unknown>;
  const software = json.software as Record<string, unknown>;
  return {
    ...json,
    $schema: `${PROFILE_2_0}#`,
    version: "2.0",
    software: { name: software.name, version: software.version },
  };
}

function json(body: unknown, contentType: string): Response {
  return new Response(JSON.stringify(body), { headers: { "content-type": contentType, ...corsHeaders } });
}

export const nodeinfoRoutes = (ctx: AppContext) => {
  const webfingerTemplate = `${absoluteUrl(ctx.config, "/.well-known/webfinger")}?resource={uri}`;
  return new Elysia({ name: "nodeinfo" })
    .get("/.well-known/nodeinfo", () =>
      json(
        {
          links: [
            { rel: PROFILE_2_0, href: absoluteUrl(ctx.config, "/nodeinfo/2.0") },
            { rel: PROFILE_2_1, href: absoluteUrl(ctx.config, "/nodeinfo/2.1") },
          ],
        },
        "application/json; charset=utf-8",
      ),
    )
    .get("/nodeinfo/2.0", async () =>
      json(toNodeInfo20(await buildNodeInfo(ctx)), `application/json; profile="${PROFILE_2_0}#"; charset=utf-8`),
    )
    .get(
      "/.well-known/host-meta",
      () =>
        new Response(
          '<?xml version="1.0" encoding="UTF-8"?>\n' +
            '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n' +
            `  <Link rel="lrdd" template="${escapeHtml(webfingerTemplate)}"/>\n` +
            "</XRD>\n",
          { headers: { "content-type": "application/xrd+xml; charset=utf-8", ...corsHeaders } },
        ),
    )
    .get("/.well-known/host-meta.json", () =>
      json({ links: [{ rel: "lrdd", template: webfingerTemplate }] }, "application/json; charset=utf-8"),
    );
};
