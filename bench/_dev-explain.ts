import postgres from "postgres";
const env = JSON.parse(await Bun.file("/tmp/dev/env.json").text());
const db = postgres(env.databaseUrl, { max: 1, onnotice: () => {} });
import { visibleToViewer } from "../modules/statuses/visibility.ts";
const v = env.ids[2];
const all = (await db`SELECT id FROM statuses ORDER BY id DESC LIMIT 20`).map((r) => r.id);
for (let i = 0; i < 3; i++) {
const rows = await db`EXPLAIN (ANALYZE, SUMMARY) SELECT s.id FROM statuses s WHERE s.id = ANY(${all}::bigint[]) AND ${visibleToViewer(db as any, v, "s")}`;
console.log(rows.slice(-2).map((r) => r["QUERY PLAN"]).join("\n"));
}
const rows = await db`EXPLAIN (ANALYZE, SUMMARY) SELECT s.id FROM statuses s WHERE s.id = ANY(${all}::bigint[]) AND ${visibleToViewer(db as any, v, "s")}`;
console.log(rows.map((r) => r["QUERY PLAN"]).join("\n"));
const hidden = await db`EXPLAIN (ANALYZE, SUMMARY) SELECT s.id FROM statuses s
    JOIN accounts a ON a.id = s.account_id
    LEFT JOIN statuses r ON r.id = s.reblog_of_id
    LEFT JOIN accounts ra ON ra.id = r.account_id
    WHERE s.id = ANY(${all}::bigint[])
      AND (r.deleted_at IS NOT NULL
           OR (s.account_id <> ${v}
               AND (s.account_id = ANY(${[]}::bigint[])
                    OR r.account_id = ANY(${[]}::bigint[])
                    OR EXISTS (SELECT 1 FROM account_domain_blocks d
                               WHERE d.account_id = ${v}
                                 AND (lower(d.domain) = lower(a.domain) OR lower(d.domain) = lower(ra.domain))))))`;
console.log(hidden.map((r) => r["QUERY PLAN"]).join("\n"));
await db.end();
