// scratch: persistent services + graph for iteration (not committed)
import postgres from "postgres";
import { runMigrations } from "../src/db/migrate.ts";
import { generateGraph } from "./graph.ts";
import { freshDatabase, startServices } from "./services.ts";
const services = await startServices({});
const databaseUrl = await freshDatabase(services.databaseUrl);
const sql = postgres(databaseUrl, { max: 4, onnotice: () => {} });
await runMigrations(sql);
const graph = await generateGraph(sql, { users: 20000, avgFanout: 60, largest: 19999, skew: 2.5, seedStatuses: 3 }, console.error);
await Bun.write("/tmp/dev/env.json", JSON.stringify({ databaseUrl, redisUrl: services.redisUrl, ids: graph.ids }));
console.error("ready");
await sql.end();
setInterval(() => {}, 1 << 30);
process.on("SIGTERM", async () => { await services.stop(); process.exit(0); });
