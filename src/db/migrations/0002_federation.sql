-- Federation (federation/kv.ts, federation/queue.ts).

-- The queue's ordering-key check looks up the other jobs sharing a key.
CREATE INDEX jobs_ordering_key ON jobs (queue, ordering_key, id) WHERE ordering_key IS NOT NULL;

-- The KV store's periodic sweep of expired entries.
CREATE INDEX fedify_kv_expires_at ON fedify_kv (expires_at) WHERE expires_at IS NOT NULL;
