/**
 * The inboxes: /users/{identifier}/inbox and the shared /inbox. Fedify
 * verifies each POST's signatures (HTTP Signatures, RFC 9421, Linked Data
 * and Object Integrity proofs) before anything is queued; activity listeners
 * are registered here with `.on(Type, …)` as the domain modules arrive.
 * Without a listener an activity is accepted (202) and dropped.
 */
import type { Federation } from "@fedify/fedify";
import type { AppContext } from "../src/context.ts";
import { logger } from "../src/log.ts";
import { INSTANCE_ACTOR } from "./actors.ts";

const log = logger("federation", "inbox");

export function registerInbox(federation: Federation<AppContext>): void {
  federation
    .setInboxListeners("/users/{identifier}/inbox", "/inbox")
    // Key lookups for the shared inbox are signed as the instance actor, so
    // senders on servers requiring authorized fetch can still be verified.
    .setSharedKeyDispatcher(() => ({ identifier: INSTANCE_ACTOR }))
    .onError((_ctx, error) => {
      log.error("Processing an inbox activity failed: {error}", { error });
    });
}
