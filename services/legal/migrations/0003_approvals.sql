-- Legal officers, the two-person rule, and the disclosure packages built for authorities.

CREATE TABLE legal.officers (
    officer_id text PRIMARY KEY,
    name text NOT NULL,
    roles text[] NOT NULL,
    token_hash bytea UNIQUE,
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE legal.approvals (
    request_id uuid PRIMARY KEY REFERENCES legal.requests (request_id),
    prepared_by text NOT NULL,
    prepared_at timestamptz NOT NULL,
    approved_by text,
    approved_at timestamptz,
    -- The two-person rule, in the database too (services/legal/approval.py).
    CONSTRAINT two_people CHECK (
        approved_by IS NULL OR lower(btrim(approved_by)) <> lower(btrim(prepared_by)))
);

-- The package, encrypted to the authority's X25519 key and signed by the platform: only the
-- authority can open it, so storing it does not hold readable personal data.
CREATE TABLE legal.packages (
    request_id uuid PRIMARY KEY REFERENCES legal.requests (request_id),
    blob bytea NOT NULL,
    built_at timestamptz NOT NULL,
    downloads integer NOT NULL DEFAULT 0
);
