-- The authority portal: registered authorities, nonces already used, requests received, and
-- the hash-chained audit log of every step (services/legal/audit.py).

CREATE TABLE legal.authorities (
    authority_id text PRIMARY KEY,
    name text NOT NULL,
    country text NOT NULL,
    kind text NOT NULL,
    contact text NOT NULL,
    signing_key bytea NOT NULL,       -- Ed25519 public key, raw 32 bytes
    encryption_key bytea NOT NULL,    -- X25519 public key, raw 32 bytes
    token_hash bytea UNIQUE,          -- SHA-256 of the portal token
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE legal.nonces (
    authority_id text NOT NULL REFERENCES legal.authorities (authority_id),
    nonce text NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (authority_id, nonce)
);

-- The request as received is sealed: its target may be a phone number.
CREATE TABLE legal.requests (
    request_id uuid PRIMARY KEY,
    authority_id text NOT NULL REFERENCES legal.authorities (authority_id),
    instrument text NOT NULL,
    emergency boolean NOT NULL,
    state text NOT NULL CHECK (state IN ('accepted', 'refused', 'approved', 'disclosed')),
    refusals json NOT NULL,           -- codes, articles and details: never a personal value
    body bytea NOT NULL,              -- Sealed.pack() of the request's JSON
    key_id text NOT NULL,
    received_at timestamptz NOT NULL
);
CREATE INDEX requests_authority ON legal.requests (authority_id, received_at);

CREATE TABLE legal.audit (
    sequence bigint PRIMARY KEY,
    recorded_at timestamptz NOT NULL,
    request_id text,
    step text NOT NULL,
    actor text NOT NULL,
    details json NOT NULL,
    previous_hash bytea NOT NULL,
    entry_hash bytea NOT NULL UNIQUE
);
-- Append-only: the service's role may insert and read, never change or delete.
CREATE FUNCTION legal.audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'legal.audit is append-only';
END $$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON legal.audit
    FOR EACH STATEMENT EXECUTE FUNCTION legal.audit_is_append_only();
