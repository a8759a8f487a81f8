-- Relationships: dismissed follow suggestions, and the index the
-- "following" list needs (0010 only indexes follows by target).

-- DELETE /api/v1/suggestions/:account_id: never suggest that account again.
CREATE TABLE suggestion_dismissals (
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  target_account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, target_account_id)
);

-- GET /api/v1/accounts/:id/following pages an account's follows by row id.
CREATE INDEX follows_account ON follows (account_id, id);
