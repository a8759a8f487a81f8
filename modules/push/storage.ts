/** SQL the push module owns: web_push_subscriptions (one per access token) and vapid_keys (vapid.ts). */
import type { Db } from "../../src/db/index.ts";

export interface PushData {
  alerts?: Record<string, boolean>;
  policy?: string;
}

export interface SubscriptionRow {
  id: string;
  access_token_id: string;
  user_id: string;
  endpoint: string;
  key_p256dh: string;
  key_auth: string;
  standard: boolean;
  data: PushData;
  created_at: Date;
  updated_at: Date;
}

export interface NewSubscription {
  accessTokenId: string;
  userId: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  standard: boolean;
  data: PushData;
}

/** Replaces the token's subscription (Mastodon destroys the old one and creates a new one). */
export async function replaceSubscription(db: Db, s: NewSubscription): Promise<SubscriptionRow> {
  const [row] = await db<SubscriptionRow[]>`
    INSERT INTO web_push_subscriptions (access_token_id, user_id, endpoint, key_p256dh, key_auth, standard, data)
    VALUES (${s.accessTokenId}, ${s.userId}, ${s.endpoint}, ${s.p256dh}, ${s.auth}, ${s.standard}, ${db.json(s.data as never)})
    ON CONFLICT (access_token_id) DO UPDATE SET
      id = timestamp_id(), endpoint = EXCLUDED.endpoint, key_p256dh = EXCLUDED.key_p256dh, key_auth = EXCLUDED.key_auth,
      standard = EXCLUDED.standard, data = EXCLUDED.data, created_at = now(), updated_at = now()
    RETURNING *`;
  return row!;
}

export async function selectSubscription(db: Db, accessTokenId: string): Promise<SubscriptionRow | null> {
  const [row] = await db<SubscriptionRow[]>`SELECT * FROM web_push_subscriptions WHERE access_token_id = ${accessTokenId}`;
  return row ?? null;
}

export async function updateSubscriptionData(db: Db, accessTokenId: string, data: PushData): Promise<SubscriptionRow | null> {
  const [row] = await db<SubscriptionRow[]>`
    UPDATE web_push_subscriptions SET data = ${db.json(data as never)}, updated_at = now()
    WHERE access_token_id = ${accessTokenId}
    RETURNING *`;
  return row ?? null;
}

export async function deleteSubscription(db: Db, accessTokenId: string): Promise<void> {
  await db`DELETE FROM web_push_subscriptions WHERE access_token_id = ${accessTokenId}`;
}
