-- The small preview (a resized image, or the thumbnail a client uploaded for
-- a video or audio file) is stored under its own key: its format can differ
-- from the original's (a GIF's preview is a PNG), so it cannot be derived.
ALTER TABLE media_attachments ADD COLUMN preview_key text;
-- "My media" lookups and the cascade when an account is deleted.
CREATE INDEX media_attachments_account ON media_attachments (account_id);
