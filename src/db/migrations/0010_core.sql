-- Core social graph and content: statuses, relationships, timelines' inputs,
-- notifications. Counters live in *_stats tables, updated in the same
-- transaction as the row that changes them, so counts stay exact.

CREATE TABLE statuses (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  -- ActivityPub id; NULL for local statuses (derived from PUBLIC_URL).
  uri text,
  url text,
  -- What the author typed (local statuses), kept for edits and redraft.
  text text NOT NULL DEFAULT '',
  -- HTML as served.
  content text NOT NULL DEFAULT '',
  spoiler_text text NOT NULL DEFAULT '',
  sensitive boolean NOT NULL DEFAULT false,
  language text,
  visibility text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'unlisted', 'private', 'direct')),
  in_reply_to_id bigint REFERENCES statuses(id) ON DELETE SET NULL,
  in_reply_to_account_id bigint REFERENCES accounts(id) ON DELETE SET NULL,
  -- Set on reblogs, which are statuses of their own, as in Mastodon.
  reblog_of_id bigint REFERENCES statuses(id) ON DELETE CASCADE,
  -- Thread root, for conversation mutes and direct-message conversations.
  conversation_id bigint,
  application_id bigint REFERENCES oauth_applications(id) ON DELETE SET NULL,
  local boolean NOT NULL DEFAULT true,
  edited_at timestamptz,
  deleted_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX statuses_uri ON statuses (uri) WHERE uri IS NOT NULL;
CREATE INDEX statuses_account ON statuses (account_id, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX statuses_reply_to ON statuses (in_reply_to_id) WHERE in_reply_to_id IS NOT NULL;
CREATE INDEX statuses_reblog_of ON statuses (reblog_of_id) WHERE reblog_of_id IS NOT NULL;
CREATE INDEX statuses_public ON statuses (id DESC) WHERE visibility = 'public' AND reblog_of_id IS NULL AND deleted_at IS NULL;
CREATE INDEX statuses_conversation ON statuses (conversation_id) WHERE conversation_id IS NOT NULL;
CREATE UNIQUE INDEX statuses_one_reblog ON statuses (account_id, reblog_of_id) WHERE reblog_of_id IS NOT NULL AND deleted_at IS NULL;

CREATE TABLE status_stats (
  status_id bigint PRIMARY KEY REFERENCES statuses(id) ON DELETE CASCADE,
  replies_count bigint NOT NULL DEFAULT 0,
  reblogs_count bigint NOT NULL DEFAULT 0,
  favourites_count bigint NOT NULL DEFAULT 0
);

CREATE TABLE status_edits (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  status_id bigint NOT NULL REFERENCES statuses(id) ON DELETE CASCADE,
  text text NOT NULL,
  content text NOT NULL,
  spoiler_text text NOT NULL DEFAULT '',
  sensitive boolean NOT NULL DEFAULT false,
  poll_options jsonb,
  media_attachment_ids bigint[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX status_edits_status ON status_edits (status_id, id);

CREATE TABLE mentions (
  status_id bigint NOT NULL REFERENCES statuses(id) ON DELETE CASCADE,
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  -- Silent mentions (from edits) don't notify.
  silent boolean NOT NULL DEFAULT false,
  PRIMARY KEY (status_id, account_id)
);
CREATE INDEX mentions_account ON mentions (account_id, status_id DESC);

CREATE TABLE tags (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  name text NOT NULL,
  display_name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX tags_name ON tags (lower(name));

CREATE TABLE statuses_tags (
  status_id bigint NOT NULL REFERENCES statuses(id) ON DELETE CASCADE,
  tag_id bigint NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  PRIMARY KEY (tag_id, status_id)
);
CREATE INDEX statuses_tags_status ON statuses_tags (status_id);

CREATE TABLE tag_follows (
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  tag_id bigint NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, tag_id)
);

CREATE TABLE featured_tags (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  tag_id bigint NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, tag_id)
);

CREATE TABLE media_attachments (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  account_id bigint REFERENCES accounts(id) ON DELETE CASCADE,
  status_id bigint REFERENCES statuses(id) ON DELETE SET NULL,
  type text NOT NULL DEFAULT 'image',
  file_key text,
  remote_url text,
  content_type text,
  description text,
  blurhash text,
  meta jsonb NOT NULL DEFAULT '{}',
  focus text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_attachments_status ON media_attachments (status_id) WHERE status_id IS NOT NULL;

CREATE TABLE polls (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  status_id bigint NOT NULL UNIQUE REFERENCES statuses(id) ON DELETE CASCADE,
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  options text[] NOT NULL,
  votes_counts bigint[] NOT NULL,
  multiple boolean NOT NULL DEFAULT false,
  hide_totals boolean NOT NULL DEFAULT false,
  voters_count bigint NOT NULL DEFAULT 0,
  expires_at timestamptz,
  -- Set once the "poll ended" notifications went out.
  ended_notified_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE poll_votes (
  poll_id bigint NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  choice integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (poll_id, account_id, choice)
);

CREATE TABLE favourites (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  status_id bigint NOT NULL REFERENCES statuses(id) ON DELETE CASCADE,
  uri text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, status_id)
);
CREATE INDEX favourites_status ON favourites (status_id, id DESC);

CREATE TABLE bookmarks (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  status_id bigint NOT NULL REFERENCES statuses(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, status_id)
);

CREATE TABLE status_pins (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  status_id bigint NOT NULL REFERENCES statuses(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, status_id)
);

CREATE TABLE conversation_mutes (
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  conversation_id bigint NOT NULL,
  PRIMARY KEY (account_id, conversation_id)
);

-- Direct-message conversations as each participant sees them.
CREATE TABLE account_conversations (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  conversation_id bigint NOT NULL,
  participant_account_ids bigint[] NOT NULL DEFAULT '{}',
  last_status_id bigint REFERENCES statuses(id) ON DELETE SET NULL,
  unread boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, conversation_id)
);

-- Relationships ------------------------------------------------------------

CREATE TABLE follows (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  target_account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  show_reblogs boolean NOT NULL DEFAULT true,
  notify boolean NOT NULL DEFAULT false,
  languages text[],
  uri text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, target_account_id)
);
-- Fanout reads a target's followers in id order, a page at a time.
CREATE INDEX follows_target ON follows (target_account_id, id);

CREATE TABLE follow_requests (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  target_account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  show_reblogs boolean NOT NULL DEFAULT true,
  notify boolean NOT NULL DEFAULT false,
  languages text[],
  uri text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, target_account_id)
);
CREATE INDEX follow_requests_target ON follow_requests (target_account_id, id);

CREATE TABLE blocks (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  target_account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  uri text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, target_account_id)
);
CREATE INDEX blocks_target ON blocks (target_account_id);

CREATE TABLE mutes (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  target_account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  hide_notifications boolean NOT NULL DEFAULT true,
  expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, target_account_id)
);

CREATE TABLE account_domain_blocks (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  domain text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, domain)
);

-- Endorsements ("feature on profile").
CREATE TABLE account_pins (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  target_account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, target_account_id)
);

CREATE TABLE account_notes (
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  target_account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  comment text NOT NULL,
  PRIMARY KEY (account_id, target_account_id)
);

-- Lists and filters ----------------------------------------------------------

CREATE TABLE lists (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  title text NOT NULL,
  replies_policy text NOT NULL DEFAULT 'list' CHECK (replies_policy IN ('followed', 'list', 'none')),
  exclusive boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE list_accounts (
  list_id bigint NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  PRIMARY KEY (list_id, account_id)
);
CREATE INDEX list_accounts_account ON list_accounts (account_id);

CREATE TABLE filters (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  title text NOT NULL,
  context text[] NOT NULL,
  action text NOT NULL DEFAULT 'warn' CHECK (action IN ('warn', 'hide', 'blur')),
  expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE filter_keywords (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  filter_id bigint NOT NULL REFERENCES filters(id) ON DELETE CASCADE,
  keyword text NOT NULL,
  whole_word boolean NOT NULL DEFAULT true
);

CREATE TABLE filter_statuses (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  filter_id bigint NOT NULL REFERENCES filters(id) ON DELETE CASCADE,
  status_id bigint NOT NULL REFERENCES statuses(id) ON DELETE CASCADE,
  UNIQUE (filter_id, status_id)
);

-- Notifications and markers ---------------------------------------------------

CREATE TABLE notifications (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  from_account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  type text NOT NULL,
  status_id bigint REFERENCES statuses(id) ON DELETE CASCADE,
  -- Notifications of one kind about one thing share a group (API v2).
  group_key text NOT NULL,
  -- Idempotency: one notification per cause, however often the event replays.
  dedupe_key text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, dedupe_key)
);
CREATE INDEX notifications_account ON notifications (account_id, id DESC);
CREATE INDEX notifications_group ON notifications (account_id, group_key, id DESC);

CREATE TABLE notification_policies (
  account_id bigint PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  for_not_following text NOT NULL DEFAULT 'accept',
  for_not_followers text NOT NULL DEFAULT 'accept',
  for_new_accounts text NOT NULL DEFAULT 'accept',
  for_private_mentions text NOT NULL DEFAULT 'filter',
  for_limited_accounts text NOT NULL DEFAULT 'filter'
);

CREATE TABLE markers (
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  timeline text NOT NULL CHECK (timeline IN ('home', 'notifications')),
  last_read_id bigint NOT NULL,
  version integer NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, timeline)
);

-- Idempotency-Key for POST /api/v1/statuses.
CREATE TABLE idempotency_keys (
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  key text NOT NULL,
  status_id bigint REFERENCES statuses(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, key)
);

-- Domain events ----------------------------------------------------------------
-- Every write with consequences inserts an event in the same transaction
-- (a transactional outbox). Events carry a virtual shard derived from the
-- account they concern; the worker that owns a shard claims its events with
-- SKIP LOCKED under a lease and deletes them once handled. A crash before the
-- delete means the event runs again: processing is at least once, and every
-- consumer is idempotent.
CREATE TABLE events (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  shard integer NOT NULL,
  type text NOT NULL,
  account_id bigint NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',
  attempts integer NOT NULL DEFAULT 0,
  run_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_ready ON events (shard, run_at, id);
