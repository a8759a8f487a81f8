-- Foundation: IDs, accounts and their users, OAuth, keys, Fedify's KV and queue.

-- Time-ordered 64-bit IDs like Mastodon's: milliseconds since the epoch in the
-- high 48 bits, a sequence in the low 16, so IDs sort by creation time and a
-- remote post can get an ID from its published date.
CREATE SEQUENCE IF NOT EXISTS timestamp_id_seq;
CREATE OR REPLACE FUNCTION timestamp_id(at timestamptz DEFAULT clock_timestamp())
RETURNS bigint LANGUAGE sql VOLATILE AS $$
  SELECT ((floor(extract(epoch FROM at) * 1000)::bigint) << 16)
       | (nextval('timestamp_id_seq') & 65535)
$$;

CREATE TABLE accounts (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  username text NOT NULL,
  -- NULL for local accounts.
  domain text,
  display_name text NOT NULL DEFAULT '',
  -- HTML as served; note_source keeps what the user typed.
  note text NOT NULL DEFAULT '',
  note_source text NOT NULL DEFAULT '',
  fields jsonb NOT NULL DEFAULT '[]',
  locked boolean NOT NULL DEFAULT false,
  bot boolean NOT NULL DEFAULT false,
  "group" boolean NOT NULL DEFAULT false,
  discoverable boolean,
  indexable boolean NOT NULL DEFAULT false,
  hide_collections boolean NOT NULL DEFAULT false,
  avatar_url text,
  header_url text,
  -- ActivityPub identity (NULL for local accounts: derived from PUBLIC_URL).
  uri text,
  url text,
  inbox_url text,
  shared_inbox_url text,
  outbox_url text,
  followers_url text,
  following_url text,
  featured_url text,
  actor_type text NOT NULL DEFAULT 'Person',
  moved_to_account_id bigint REFERENCES accounts(id) ON DELETE SET NULL,
  suspended_at timestamptz,
  silenced_at timestamptz,
  memorial boolean NOT NULL DEFAULT false,
  fetched_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX accounts_username_domain ON accounts (lower(username), lower(coalesce(domain, '')));
CREATE UNIQUE INDEX accounts_uri ON accounts (uri) WHERE uri IS NOT NULL;

-- Counters live apart from the account row so hot counter updates don't
-- rewrite (and lock) the profile.
CREATE TABLE account_stats (
  account_id bigint PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  statuses_count bigint NOT NULL DEFAULT 0,
  following_count bigint NOT NULL DEFAULT 0,
  followers_count bigint NOT NULL DEFAULT 0,
  last_status_at timestamptz
);

-- Sign-in identity for local accounts.
CREATE TABLE users (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  account_id bigint NOT NULL UNIQUE REFERENCES accounts(id) ON DELETE CASCADE,
  email text NOT NULL,
  password_hash text NOT NULL,
  role text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'moderator', 'admin', 'owner')),
  confirmed_at timestamptz,
  approved boolean NOT NULL DEFAULT true,
  disabled boolean NOT NULL DEFAULT false,
  locale text NOT NULL DEFAULT 'en',
  -- Why they asked to join, when registrations need approval.
  reason text,
  -- Preferences as /api/v1/preferences reports them.
  settings jsonb NOT NULL DEFAULT '{}',
  last_sign_in_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

-- Key pairs of local actors (and the instance actor), generated once: RSA
-- generation takes up to a second.
CREATE TABLE actor_keys (
  owner text NOT NULL,
  algorithm text NOT NULL CHECK (algorithm IN ('RSASSA-PKCS1-v1_5', 'Ed25519')),
  private_key jsonb NOT NULL,
  public_key jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (owner, algorithm)
);

CREATE TABLE oauth_applications (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  name text NOT NULL,
  website text,
  redirect_uris text[] NOT NULL,
  scopes text[] NOT NULL,
  client_id text NOT NULL UNIQUE,
  client_secret text NOT NULL,
  -- The user who created it through the API while signed in, if any.
  owner_user_id bigint REFERENCES users(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Authorization codes; stored hashed, single use, short-lived.
CREATE TABLE oauth_access_grants (
  code_hash text PRIMARY KEY,
  application_id bigint NOT NULL REFERENCES oauth_applications(id) ON DELETE CASCADE,
  user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  redirect_uri text NOT NULL,
  scopes text[] NOT NULL,
  code_challenge text,
  code_challenge_method text,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Access tokens; stored as SHA-256 hashes so a database leak leaks no tokens.
CREATE TABLE oauth_access_tokens (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  token_hash text NOT NULL UNIQUE,
  application_id bigint REFERENCES oauth_applications(id) ON DELETE CASCADE,
  -- NULL for client_credentials (app-only) tokens.
  user_id bigint REFERENCES users(id) ON DELETE CASCADE,
  scopes text[] NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX oauth_access_tokens_user ON oauth_access_tokens (user_id) WHERE revoked_at IS NULL;

CREATE TABLE custom_emojis (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  shortcode text NOT NULL,
  domain text,
  image_url text NOT NULL,
  static_url text NOT NULL,
  visible_in_picker boolean NOT NULL DEFAULT true,
  category text,
  disabled boolean NOT NULL DEFAULT false,
  uri text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX custom_emojis_shortcode_domain ON custom_emojis (shortcode, coalesce(domain, ''));

-- Fedify's key-value store (federation/kv.ts).
CREATE TABLE fedify_kv (
  key text PRIMARY KEY,
  value jsonb NOT NULL,
  expires_at timestamptz
);

-- Durable work queue: Fedify's message queue and, later, domain events.
-- Rows are claimed with SKIP LOCKED; `shard` partitions work across workers.
CREATE TABLE jobs (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  queue text NOT NULL,
  shard integer NOT NULL DEFAULT 0,
  payload jsonb NOT NULL,
  run_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  ordering_key text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_ready ON jobs (queue, shard, run_at);
