-- Prescreen's tables: the banks and their hashes, the verdicts, and the shadow decisions.
CREATE SCHEMA IF NOT EXISTS prescreen;

-- Banks as `crible banks` defined them (hashbanks.updates is the change feed; these rows are
-- what a worker loads at start-up, then it follows the topic from bank_offsets).
CREATE TABLE prescreen.banks (
    name text PRIMARY KEY,
    kind text CHECK (kind IN ('block', 'allow')), -- NULL: hashes seen before the definition
    category text,
    pdq_threshold integer NOT NULL DEFAULT 31 CHECK (pdq_threshold BETWEEN 0 AND 64),
    description text NOT NULL DEFAULT '',
    removed boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE prescreen.bank_hashes (
    bank text NOT NULL,
    algorithm text NOT NULL CHECK (algorithm IN ('sha256', 'md5', 'pdq')),
    hash bytea NOT NULL,
    quality smallint,
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (bank, algorithm, hash)
);

-- The next offset of hashbanks.updates each partition's rows reflect, written in the same
-- transaction as the rows: a snapshot of the tables plus the topic from here is exact.
CREATE TABLE prescreen.bank_offsets (
    partition integer PRIMARY KEY,
    next_offset bigint NOT NULL
);

-- The last case state screened per case: events older than it are stale, and a new event
-- whose verdict would say the same thing publishes nothing.
CREATE TABLE prescreen.case_screening (
    case_id uuid PRIMARY KEY,
    revision integer NOT NULL,
    report_count integer NOT NULL,
    case_event_id uuid NOT NULL,
    verdict_id uuid NOT NULL,
    fingerprint text NOT NULL,
    screened_at timestamptz NOT NULL
) WITH (fillfactor = 70);

-- Every verdict published (the body is the event as sent).
CREATE TABLE prescreen.verdicts (
    verdict_id uuid PRIMARY KEY,
    case_id uuid NOT NULL,
    case_revision integer NOT NULL,
    case_event_id uuid NOT NULL UNIQUE,
    route text NOT NULL,
    screened_category text NOT NULL,
    severity text NOT NULL,
    priority_hint integer NOT NULL,
    policy_name text NOT NULL,
    policy_version integer NOT NULL,
    qa_sample boolean NOT NULL,
    screened_at timestamptz NOT NULL,
    body json NOT NULL
);
CREATE INDEX verdicts_case ON prescreen.verdicts (case_id, case_revision);

-- What the shadow policy would have decided for each verdict (never published).
CREATE TABLE prescreen.shadow_decisions (
    verdict_id uuid PRIMARY KEY,
    policy_name text NOT NULL,
    policy_version integer NOT NULL,
    route text NOT NULL,
    screened_category text NOT NULL,
    severity text NOT NULL,
    priority_hint integer NOT NULL,
    agrees boolean NOT NULL,
    decided_at timestamptz NOT NULL
);
