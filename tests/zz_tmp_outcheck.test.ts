import { test, expect } from "bun:test";
import { startServer } from "/work/main/tests/helpers/server.ts";
import { newUser, follow, post, buildHome, waitForHome, ok } from "/work/main/tests/helpers/timelines.ts";
test("no failures logged", async () => {
  const server = await startServer();
  try {
    const [a, b, c] = await Promise.all([newUser(server, "a"), newUser(server, "b"), newUser(server, "c")]);
    await follow(b, a); await follow(c, b, { reblogs: false });
    await buildHome(b, server); await buildHome(c, server);
    const s = await post(a, { status: `@${b.username} hi #tag`, visibility: "public" });
    await waitForHome(b, server, s.id);
    const r = await ok(b.client.post(`/api/v1/statuses/${s.id}/reblog`), "rb");
    await ok(c.client.post(`/api/v1/accounts/${a.id}/block`), "block");
    await ok(b.client.post(`/api/v1/accounts/${a.id}/mute`), "mute");
    await ok(b.client.post(`/api/v1/accounts/${a.id}/unmute`), "unmute");
    await ok(a.client.delete(`/api/v1/statuses/${s.id}`), "del");
    await ok(b.client.post(`/api/v1/accounts/${a.id}/unfollow`), "unf");
    await Bun.sleep(1500);
    console.log(server.output());
    expect(server.output()).not.toMatch(/failed|rror/);
  } finally { await server.stop(); }
}, 60000);
