/**
 * Public, unauthenticated instance metadata: what clients read before
 * anyone signs in (limits, registrations, streaming URL), the custom emoji
 * list, and the placeholder images account entities point at.
 */
import { Elysia } from "elysia";
import type { AppContext } from "../../src/context.ts";
import { vapidPublicKey } from "../push/vapid.ts";
import { IMAGE_PATHS, placeholderImage } from "./images.ts";
import { serializeCustomEmoji, serializeInstanceV1, serializeInstanceV2 } from "./serializer.ts";
import { instanceService } from "./service.ts";
import { selectListedEmojis, selectPeers } from "./storage.ts";
import { listDomainBlocks } from "../../federation/domain-blocks.ts";

export const instanceModule = (ctx: AppContext) => {
  const service = instanceService(ctx);
  const app = new Elysia({ name: "instance" })
    .get("/api/v2/instance", async () => serializeInstanceV2(ctx.config, await service.stats(), await vapidPublicKey(ctx)))
    .get("/api/v1/instance", async () => serializeInstanceV1(ctx.config, await service.stats()))
    .get("/api/v1/instance/peers", () => selectPeers(ctx.sql))
    .get("/api/v1/instance/activity", () => service.activity())
    .get("/api/v1/instance/rules", () => [])
    // Instance-level domain blocks (`bun run admin domains block`), always public here.
    .get("/api/v1/instance/domain_blocks", async () =>
      (await listDomainBlocks(ctx.sql)).map((b) => ({
        domain: b.domain,
        digest: new Bun.CryptoHasher("sha256").update(b.domain).digest("hex"),
        severity: b.severity,
        comment: null,
      })),
    )
    .get("/api/v1/instance/extended_description", () => service.extendedDescription())
    .get("/api/v1/instance/privacy_policy", () => service.privacyPolicy())
    .get("/api/v1/instance/translation_languages", () => ({}))
    .get("/api/v1/custom_emojis", async () => (await selectListedEmojis(ctx.sql)).map(serializeCustomEmoji));

  for (const path of IMAGE_PATHS) {
    app.get(
      path,
      () =>
        new Response(placeholderImage(path), {
          headers: { "content-type": "image/png", "cache-control": "public, max-age=86400" },
        }),
    );
  }
  return app;
};
