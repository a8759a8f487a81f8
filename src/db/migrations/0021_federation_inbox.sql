-- Incoming federation: reports that arrive as Flag activities, and the
-- lookups inbox processing does by ActivityPub id.

-- A report (Mastodon's Report, minimal): who reported whom, about which
-- statuses, with the comment as sent. Remote reports have a `uri` (the
-- Flag's id), unique so a replayed Flag files nothing twice.
CREATE TABLE reports (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  target_account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  status_ids bigint[] NOT NULL DEFAULT '{}',
  comment text NOT NULL DEFAULT '',
  uri text,
  action_taken_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX reports_uri ON reports (uri) WHERE uri IS NOT NULL;
CREATE INDEX reports_target ON reports (target_account_id, id DESC);

-- Accept/Reject/Undo name the Follow by its id.
CREATE INDEX follows_uri ON follows (uri) WHERE uri IS NOT NULL;
CREATE INDEX follow_requests_uri ON follow_requests (uri) WHERE uri IS NOT NULL;
