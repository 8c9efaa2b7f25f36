-- Reviewers, their leases on cases, their decisions, and their exposure to graphic content.
CREATE TABLE dispatch.reviewers (
    reviewer_id text PRIMARY KEY,
    name text NOT NULL,
    languages text[] NOT NULL,
    clearances text[] NOT NULL,
    roles text[] NOT NULL,
    exposure_cap integer NOT NULL CHECK (exposure_cap >= 0),
    active boolean NOT NULL DEFAULT true,
    -- SHA-256 of the bearer token: a stolen table does not give the tokens away.
    token_hash bytea UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE dispatch.cases
    ADD COLUMN leased_by text REFERENCES dispatch.reviewers (reviewer_id),
    ADD COLUMN lease_expires_at timestamptz;

CREATE TABLE dispatch.decisions (
    decision_id uuid PRIMARY KEY,
    case_id uuid NOT NULL,
    revision integer NOT NULL,
    reviewer_id text NOT NULL REFERENCES dispatch.reviewers (reviewer_id),
    outcome text NOT NULL,
    policy_reason text NOT NULL,
    explanation text NOT NULL,
    final boolean NOT NULL,
    decided_at timestamptz NOT NULL,
    FOREIGN KEY (case_id, revision) REFERENCES dispatch.cases (case_id, revision)
);
CREATE INDEX decisions_case ON dispatch.decisions (case_id, revision, reviewer_id);

-- Graphic cases shown to a reviewer, for the per-shift exposure cap.
CREATE TABLE dispatch.exposures (
    reviewer_id text NOT NULL REFERENCES dispatch.reviewers (reviewer_id),
    case_id uuid NOT NULL,
    revision integer NOT NULL,
    shown_at timestamptz NOT NULL,
    PRIMARY KEY (reviewer_id, case_id, revision)
);
