-- Part 1's last pieces: requests wait in 'received' until the legal service has checked them
-- (from legal.requests); the signed legal document is kept sealed; an officer's narrowing is
-- recorded with its reason (sealed: free text); a package is fetched through a one-time
-- link that expires, and is erased once downloaded.
ALTER TABLE legal.requests DROP CONSTRAINT requests_state_check;
ALTER TABLE legal.requests ADD CONSTRAINT requests_state_check
    CHECK (state IN ('received', 'accepted', 'refused', 'approved', 'no_data', 'disclosed'));
ALTER TABLE legal.requests ADD COLUMN checked_at timestamptz;

CREATE TABLE legal.documents (
    request_id uuid PRIMARY KEY REFERENCES legal.requests (request_id),
    sha256 text NOT NULL,             -- as the request states it, checked on upload
    media_type text NOT NULL,
    size integer NOT NULL,
    blob bytea NOT NULL,              -- Sealed.pack() of the document
    key_id text NOT NULL
);

-- The scope two officers approve when it is narrower than the one asked for.
CREATE TABLE legal.narrowings (
    request_id uuid PRIMARY KEY REFERENCES legal.requests (request_id),
    officer_id text NOT NULL,
    categories text[] NOT NULL,
    date_from timestamptz NOT NULL,
    date_to timestamptz NOT NULL,
    reason bytea NOT NULL,            -- Sealed.pack() of the officer's reason
    key_id text NOT NULL,
    narrowed_at timestamptz NOT NULL
);

ALTER TABLE legal.packages
    ADD COLUMN link_hash bytea UNIQUE,          -- SHA-256 of the one-time link's secret
    ADD COLUMN expires_at timestamptz,
    ADD COLUMN package_sha256 text,
    ADD COLUMN downloaded_at timestamptz;
