-- Client endpoints: announcements, reports filed through the API, Web Push
-- subscriptions and the server's VAPID key.

-- Announcements -----------------------------------------------------------------

-- Set by administrators (`bun run admin announcements create`). Only the
-- text is stored: it is rendered when served, as Mastodon does, so mentions
-- link accounts that appeared since.
CREATE TABLE announcements (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  text text NOT NULL,
  starts_at timestamptz,
  ends_at timestamptz,
  all_day boolean NOT NULL DEFAULT false,
  published boolean NOT NULL DEFAULT true,
  published_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX announcements_published ON announcements (published_at) WHERE published;

-- Mastodon's AnnouncementMute: the user dismissed (read) the announcement.
CREATE TABLE announcement_dismissals (
  announcement_id bigint NOT NULL REFERENCES announcements(id) ON DELETE CASCADE,
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, announcement_id)
);

-- One row per (announcement, account, emoji): a unicode emoji or a local custom emoji's shortcode.
CREATE TABLE announcement_reactions (
  announcement_id bigint NOT NULL REFERENCES announcements(id) ON DELETE CASCADE,
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (announcement_id, account_id, name)
);

-- Reports (table from 0021) -------------------------------------------------------

-- What POST /api/v1/reports records besides 0021's minimal columns.
ALTER TABLE reports ADD COLUMN category text NOT NULL DEFAULT 'other'
  CHECK (category IN ('spam', 'legal', 'violation', 'other'));
ALTER TABLE reports ADD COLUMN rule_ids bigint[];
-- The reporter asked for (and we owe) a Flag to the target's server.
ALTER TABLE reports ADD COLUMN forwarded boolean NOT NULL DEFAULT false;
ALTER TABLE reports ADD COLUMN application_id bigint REFERENCES oauth_applications(id) ON DELETE SET NULL;
CREATE INDEX reports_account ON reports (account_id, id DESC);

-- Web Push ------------------------------------------------------------------------

-- The server's VAPID key pair (ECDSA P-256), generated on first use. One row.
CREATE TABLE vapid_keys (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  -- The uncompressed public point, URL-safe base64 as clients receive it.
  public_key text NOT NULL,
  -- The private key as a JWK.
  private_key jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- One subscription per access token, as in Mastodon: signing in again from
-- another browser subscribes that session separately.
CREATE TABLE web_push_subscriptions (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  access_token_id bigint NOT NULL UNIQUE REFERENCES oauth_access_tokens(id) ON DELETE CASCADE,
  user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  endpoint text NOT NULL,
  key_p256dh text NOT NULL,
  key_auth text NOT NULL,
  standard boolean NOT NULL DEFAULT false,
  -- {"alerts": {"mention": true, …}, "policy": "all"}
  data jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX web_push_subscriptions_user ON web_push_subscriptions (user_id);
