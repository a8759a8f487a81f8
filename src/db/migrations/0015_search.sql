-- Search on PostgreSQL (the default backend; modules/search/postgres.ts).
--
-- Searchable text lives in two side tables kept current by triggers, in the
-- same transaction as the write that changes it: search never lags behind
-- and needs no worker, and the hot `statuses`/`accounts` rows (read with
-- `SELECT *` by other modules) carry no tsvector. When Typesense is
-- configured these tables stay maintained, and the Typesense adapter falls
-- back to them if Typesense is unreachable.

-- Statuses -------------------------------------------------------------------

-- Text of a status as a tsvector: each word once verbatim ('simple') and once
-- stemmed ('english'), like Mastodon's `text` and `text.stemmed` fields, so
-- "cats" finds "cat" while phrases and exact words still match as typed.
-- The leading stop word shifts the stemmed half one position further, so a
-- phrase never matches across the seam (last word, then first word again).
CREATE OR REPLACE FUNCTION search_text_vector(doc text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT to_tsvector('simple'::regconfig, doc) || to_tsvector('english'::regconfig, 'the ' || doc)
$$;

-- Served HTML to words: tags and character references become spaces.
CREATE OR REPLACE FUNCTION search_html_text(html text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT regexp_replace(regexp_replace(coalesce(html, ''), '<[^>]*>', ' ', 'g'), '&#?[a-zA-Z0-9]+;', ' ', 'g')
$$;

-- One row per live, non-reblog status. Mastodon indexes the CW, the text,
-- media descriptions and poll options; so do we.
CREATE TABLE status_search_documents (
  status_id bigint PRIMARY KEY REFERENCES statuses(id) ON DELETE CASCADE,
  vector tsvector NOT NULL
);
CREATE INDEX status_search_documents_vector ON status_search_documents USING gin (vector);

CREATE OR REPLACE FUNCTION refresh_status_search_document(p_status_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  s record;
  doc text;
BEGIN
  SELECT spoiler_text, content, deleted_at, reblog_of_id INTO s FROM statuses WHERE id = p_status_id;
  IF NOT FOUND OR s.deleted_at IS NOT NULL OR s.reblog_of_id IS NOT NULL THEN
    DELETE FROM status_search_documents WHERE status_id = p_status_id;
    RETURN;
  END IF;
  doc := concat_ws(' ',
    s.spoiler_text,
    search_html_text(s.content),
    (SELECT string_agg(description, ' ') FROM media_attachments WHERE status_id = p_status_id AND description IS NOT NULL),
    (SELECT array_to_string(options, ' ') FROM polls WHERE status_id = p_status_id));
  -- A tsvector holds at most 1 MB; long remote articles are indexed by their beginning.
  INSERT INTO status_search_documents (status_id, vector) VALUES (p_status_id, search_text_vector(left(doc, 100000)))
  ON CONFLICT (status_id) DO UPDATE SET vector = EXCLUDED.vector;
END
$$;

CREATE OR REPLACE FUNCTION statuses_search_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM refresh_status_search_document(NEW.id);
  RETURN NULL;
END
$$;

CREATE TRIGGER statuses_search_insert AFTER INSERT ON statuses
  FOR EACH ROW WHEN (NEW.reblog_of_id IS NULL AND NEW.deleted_at IS NULL)
  EXECUTE FUNCTION statuses_search_trigger();
CREATE TRIGGER statuses_search_update AFTER UPDATE OF content, spoiler_text, deleted_at ON statuses
  FOR EACH ROW WHEN (NEW.reblog_of_id IS NULL AND (
    OLD.content IS DISTINCT FROM NEW.content
    OR OLD.spoiler_text IS DISTINCT FROM NEW.spoiler_text
    OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at))
  EXECUTE FUNCTION statuses_search_trigger();

-- Media descriptions and poll options belong to the status's document.
CREATE OR REPLACE FUNCTION media_attachments_search_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status_id IS NOT NULL THEN PERFORM refresh_status_search_document(OLD.status_id); END IF;
  ELSIF TG_OP = 'INSERT' THEN
    IF NEW.status_id IS NOT NULL THEN PERFORM refresh_status_search_document(NEW.status_id); END IF;
  ELSIF OLD.status_id IS DISTINCT FROM NEW.status_id THEN
    IF OLD.status_id IS NOT NULL THEN PERFORM refresh_status_search_document(OLD.status_id); END IF;
    IF NEW.status_id IS NOT NULL THEN PERFORM refresh_status_search_document(NEW.status_id); END IF;
  ELSIF NEW.status_id IS NOT NULL AND OLD.description IS DISTINCT FROM NEW.description THEN
    PERFORM refresh_status_search_document(NEW.status_id);
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION polls_search_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM refresh_status_search_document(OLD.status_id);
  ELSIF TG_OP = 'INSERT' OR OLD.options IS DISTINCT FROM NEW.options THEN
    PERFORM refresh_status_search_document(NEW.status_id);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER media_attachments_search AFTER INSERT OR DELETE OR UPDATE OF status_id, description ON media_attachments
  FOR EACH ROW EXECUTE FUNCTION media_attachments_search_trigger();
CREATE TRIGGER polls_search AFTER INSERT OR DELETE OR UPDATE OF options ON polls
  FOR EACH ROW EXECUTE FUNCTION polls_search_trigger();

SELECT refresh_status_search_document(id) FROM statuses WHERE deleted_at IS NULL AND reblog_of_id IS NULL;

-- Accounts -------------------------------------------------------------------

-- Handles and names to words: dots, @, hyphens and the like separate words,
-- exactly as modules/search/query.ts splits what the user typed, so
-- "alice.bob@social.example" is found by "bob", "social" or "alice@soc".
CREATE OR REPLACE FUNCTION search_name_text(name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT translate(lower(coalesce(name, '')), '._@-''’/:+~', '          ')
$$;

-- Display name (weight A) over username (B) over domain (C), as Mastodon ranks.
CREATE TABLE account_search_documents (
  account_id bigint PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  vector tsvector NOT NULL
);
CREATE INDEX account_search_documents_vector ON account_search_documents USING gin (vector);

CREATE OR REPLACE FUNCTION accounts_search_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO account_search_documents (account_id, vector)
  VALUES (NEW.id,
    setweight(to_tsvector('simple'::regconfig, search_name_text(NEW.display_name)), 'A')
    || setweight(to_tsvector('simple'::regconfig, search_name_text(NEW.username)), 'B')
    || setweight(to_tsvector('simple'::regconfig, search_name_text(NEW.domain)), 'C'))
  ON CONFLICT (account_id) DO UPDATE SET vector = EXCLUDED.vector;
  RETURN NULL;
END
$$;

CREATE TRIGGER accounts_search_insert AFTER INSERT ON accounts
  FOR EACH ROW EXECUTE FUNCTION accounts_search_trigger();
CREATE TRIGGER accounts_search_update AFTER UPDATE OF username, display_name, domain ON accounts
  FOR EACH ROW WHEN (
    OLD.username IS DISTINCT FROM NEW.username
    OR OLD.display_name IS DISTINCT FROM NEW.display_name
    OR OLD.domain IS DISTINCT FROM NEW.domain)
  EXECUTE FUNCTION accounts_search_trigger();

INSERT INTO account_search_documents (account_id, vector)
SELECT id,
  setweight(to_tsvector('simple'::regconfig, search_name_text(display_name)), 'A')
  || setweight(to_tsvector('simple'::regconfig, search_name_text(username)), 'B')
  || setweight(to_tsvector('simple'::regconfig, search_name_text(domain)), 'C')
FROM accounts
ON CONFLICT (account_id) DO NOTHING;

-- `user@dom…` queries: username prefix in index order.
CREATE INDEX accounts_username_prefix ON accounts (lower(username) text_pattern_ops);

-- Hashtags -------------------------------------------------------------------

-- Prefix search on tag names (LIKE 'abc%' needs pattern ops outside the C locale).
CREATE INDEX tags_name_prefix ON tags (lower(name) text_pattern_ops);
