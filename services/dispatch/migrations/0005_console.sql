-- The reviewer console: sessions, and media reveals counted as graphic exposure.

-- A signed-in browser. Only the SHA-256 of the cookie's value is stored; the CSRF token is
-- per session and goes into every form.
CREATE TABLE dispatch.sessions (
    session_hash bytea PRIMARY KEY,
    reviewer_id text NOT NULL REFERENCES dispatch.reviewers (reviewer_id),
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_expiry ON dispatch.sessions (expires_at);

-- One exposure per graphic case leased (media_index -1) and one per media revealed.
ALTER TABLE dispatch.exposures ADD COLUMN media_index integer NOT NULL DEFAULT -1;
ALTER TABLE dispatch.exposures DROP CONSTRAINT exposures_pkey;
ALTER TABLE dispatch.exposures ADD PRIMARY KEY (reviewer_id, case_id, revision, media_index);
