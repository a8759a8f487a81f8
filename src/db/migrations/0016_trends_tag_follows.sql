-- Followed hashtags: GET /api/v1/followed_tags lists the newest follows first
-- and pages by the follow row, as Mastodon does with TagFollow ids, so the
-- row needs an id of its own (the primary key stays (account_id, tag_id)).
ALTER TABLE tag_follows ADD COLUMN id bigint NOT NULL DEFAULT timestamp_id();
CREATE UNIQUE INDEX tag_follows_id ON tag_follows (id);
CREATE INDEX tag_follows_account_page ON tag_follows (account_id, id DESC);
-- Who follows a tag: what fanout of followed tags into home feeds will read.
CREATE INDEX tag_follows_tag ON tag_follows (tag_id, account_id);
