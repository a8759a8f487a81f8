-- Instance-level domain blocks, set by administrators (`bun run admin domains
-- block`). A block covers the domain and its subdomains (federation/domain-blocks.ts).
-- suspend: nothing is accepted from, delivered to or fetched from the domain,
-- and follows with its accounts are removed; silence: its accounts are
-- limited (accounts.silenced_at).
CREATE TABLE instance_domain_blocks (
  id bigint PRIMARY KEY DEFAULT timestamp_id(),
  domain text NOT NULL UNIQUE CHECK (domain = lower(domain)),
  severity text NOT NULL DEFAULT 'suspend' CHECK (severity IN ('silence', 'suspend')),
  reject_media boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
