// scratch: home read latency against the dev env (not committed)
import { mkdtempSync } from "node:fs";
import { tmpdir, loadavg } from "node:os";
import { join } from "node:path";
import { freePort } from "./services.ts";
const env = JSON.parse(await Bun.file("/tmp/dev/env.json").text());
const port = await freePort();
const prefix = process.env.PREFIX ?? `dev${Date.now()}:`;
const proc = Bun.spawn(["bun", "run", join(import.meta.dir, "../src/main.ts")], {
  env: { PATH: process.env.PATH!, HOME: "/tmp", DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, REDIS_KEY_PREFIX: prefix,
    DATA_DIR: mkdtempSync(join(tmpdir(), "devread-")), LOG_LEVEL: "warning", PORT: String(port), PUBLIC_URL: `http://localhost:${port}`,
    IN_PROCESS_WORKERS: "false", REGISTRATIONS: "closed", ...(process.env.EXTRA ? JSON.parse(process.env.EXTRA) : {}) },
  stdout: "pipe", stderr: "inherit" });
const reader = proc.stdout.getReader(); let out = "";
while (!out.includes("listening on")) { const { value } = await reader.read(); out += new TextDecoder().decode(value); }
const base = `http://localhost:${port}`;
const users = Array.from({ length: 200 }, (_, i) => 2 + i * 97);
const read = async (i: number) => { const t0 = performance.now(); const r = await fetch(`${base}/api/v1/timelines/home?limit=20`, { headers: { authorization: `Bearer bench-${i}` } }); const b = await r.text(); if (r.status !== 200) throw new Error(b); return performance.now() - t0; };
const pct = (v: number[], p: number) => { const s = [...v].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))]!.toFixed(1); };
for (let i = 0; i < users.length; i += 16) await Promise.all(users.slice(i, i + 16).map(read));
for (const u of users) await read(u); // warm JIT
const seq: number[] = [];
for (let k = 0; k < 2; k++) for (const u of users) seq.push(await read(u));
console.log(`load ${loadavg()[0]!.toFixed(2)} sequential: p50 ${pct(seq, 50)} p99 ${pct(seq, 99)} mean ${(seq.reduce((a, b) => a + b) / seq.length).toFixed(2)}`);
for (const conc of [100]) {
  const lat: number[] = []; const end = performance.now() + 5000;
  await Promise.all(Array.from({ length: conc }, async (_, n) => { while (performance.now() < end) lat.push(await read(users[(n + lat.length) % users.length]!)); }));
  console.log(`closed loop ${conc}: ${(lat.length / 5).toFixed(0)} reads/s p50 ${pct(lat, 50)} p99 ${pct(lat, 99)}`);
}
{ // open loop 60/s like the bench
  const lat: number[] = []; const end = performance.now() + 5000; const ps: Promise<void>[] = [];
  let n = 0; const t0 = performance.now();
  while (performance.now() < end) { const due = t0 + n * (1000 / 60); const w = due - performance.now(); if (w > 0) await Bun.sleep(w); const u = users[n++ % users.length]!; ps.push(read(u).then((l) => { lat.push(l); })); }
  await Promise.all(ps);
  console.log(`open loop 60/s: p50 ${pct(lat, 50)} p99 ${pct(lat, 99)}`);
}
proc.kill(); process.exit(0);
