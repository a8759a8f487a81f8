-- Notifications: ids, filtered notifications (policy v2) and their requests.

-- Notification ids come from a plain sequence, as in Mastodon: the grouped API
-- (v2) sends `most_recent_notification_id` as a JSON number, which a
-- JavaScript client only reads exactly below 2^53 — a snowflake would not be.
-- Sequence ids still grow with time, which is all pagination needs.
CREATE SEQUENCE IF NOT EXISTS notifications_id_seq OWNED BY notifications.id;
SELECT setval('notifications_id_seq', GREATEST((SELECT max(id) FROM notifications), 1));
ALTER TABLE notifications ALTER COLUMN id SET DEFAULT nextval('notifications_id_seq');

-- A notification the recipient's policy said to `filter`: stored, but shown
-- only through its notification request (or with include_filtered).
ALTER TABLE notifications ADD COLUMN filtered boolean NOT NULL DEFAULT false;
CREATE INDEX notifications_filtered ON notifications (account_id, from_account_id) WHERE filtered;

-- One request per (recipient, sender) with filtered notifications pending.
CREATE TABLE notification_requests (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  from_account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  last_status_id bigint REFERENCES statuses(id) ON DELETE SET NULL,
  notifications_count bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, from_account_id)
);
CREATE INDEX notification_requests_account ON notification_requests (account_id, id DESC);

-- Senders whose request the recipient accepted: never filtered again.
CREATE TABLE notification_permissions (
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  from_account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, from_account_id)
);

-- Conversations are listed by their last status, newest first.
CREATE INDEX account_conversations_account ON account_conversations (account_id, last_status_id DESC);
