-- Dual review, appeals, an indexable queue order, reporters' trust, surges and statements.

ALTER TABLE dispatch.cases
    DROP CONSTRAINT cases_waiting_state_check,
    ADD CONSTRAINT cases_waiting_state_check CHECK (waiting_state IN
        ('queued', 'escalated', 'awaiting_second_review', 'appealed')),
    -- The outcome acting on the subject now: the automatic action's, then each final one's.
    ADD COLUMN in_force text,
    ADD COLUMN appealed boolean NOT NULL DEFAULT false,
    -- Subject.key(): surge signals find the cases of their subject by it.
    ADD COLUMN subject_key text,
    -- What the urgency was computed from, kept so that a surge or a reporter's new weight
    -- can recompute it (services/dispatch/priority.py).
    ADD COLUMN reporter_weight real NOT NULL DEFAULT 0,
    ADD COLUMN reports_per_hour real NOT NULL DEFAULT 0,
    ADD COLUMN surge_viral integer NOT NULL DEFAULT 0,
    ADD COLUMN surge_coordinated integer NOT NULL DEFAULT 0,
    -- The queue order, fixed in time so an index serves it: opened_at minus the urgency's
    -- head start (priority.rank_at). Smallest first.
    ADD COLUMN rank_at timestamptz;

UPDATE dispatch.cases SET rank_at = opened_at, subject_key = '';
ALTER TABLE dispatch.cases
    ALTER COLUMN rank_at SET NOT NULL,
    ALTER COLUMN subject_key SET NOT NULL;

DROP INDEX dispatch.cases_waiting;
-- next_case walks this index from the front until a case the reviewer may see.
CREATE INDEX cases_ranked ON dispatch.cases (rank_at)
    WHERE state IN ('queued', 'escalated', 'awaiting_second_review', 'appealed', 'leased');
CREATE INDEX cases_subject ON dispatch.cases (subject_key)
    WHERE state NOT IN ('decided', 'dismissed');

ALTER TABLE dispatch.decisions
    -- The enforcement action this decision issued, and the action or decision it reverses.
    ADD COLUMN action_id uuid,
    ADD COLUMN reverses uuid;

-- Appeals of decided cases (DSA art. 20): one open appeal per case revision at a time.
CREATE TABLE dispatch.appeals (
    appeal_id uuid PRIMARY KEY,
    case_id uuid NOT NULL,
    revision integer NOT NULL,
    -- The decision appealed.
    decision_id uuid NOT NULL REFERENCES dispatch.decisions (decision_id),
    reason text NOT NULL,
    filed_by text NOT NULL,
    filed_at timestamptz NOT NULL,
    -- The decision on the appeal, once taken.
    decided_by uuid REFERENCES dispatch.decisions (decision_id),
    FOREIGN KEY (case_id, revision) REFERENCES dispatch.cases (case_id, revision)
);
CREATE INDEX appeals_case ON dispatch.appeals (case_id, revision);

-- The reports of each case revision, from reports.accepted: what reviewers read, and who
-- reported (for reporters' trust weights). A report may arrive before the case's verdict.
CREATE TABLE dispatch.case_reports (
    case_id uuid NOT NULL,
    revision integer NOT NULL,
    report_id text NOT NULL,
    reporter_id text NOT NULL,
    language text NOT NULL,
    category text NOT NULL,
    text text,
    evidence json,
    reported_at timestamptz NOT NULL,
    PRIMARY KEY (case_id, revision, report_id)
);

-- Reporters' trust weights (services/dispatch/reporters.py); absent means neutral (1.0).
CREATE TABLE dispatch.reporters (
    reporter_id text PRIMARY KEY,
    weight real NOT NULL,
    updated_at timestamptz NOT NULL,
    confirmed integer NOT NULL DEFAULT 0,
    rejected integer NOT NULL DEFAULT 0
);
-- Final decisions whose reporters were already weighed: a redelivery weighs nothing twice.
CREATE TABLE dispatch.weighed_decisions (
    decision_id uuid PRIMARY KEY,
    weighed_at timestamptz NOT NULL
);

-- Surge signals (surge.signals), which only grow per signal id.
CREATE TABLE dispatch.surges (
    signal_id uuid PRIMARY KEY,
    subject_key text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('viral', 'coordinated')),
    count integer NOT NULL,
    reporters integer NOT NULL,
    window_end timestamptz NOT NULL,
    received_at timestamptz NOT NULL
);
CREATE INDEX surges_subject ON dispatch.surges (subject_key, kind);

-- Statements of reasons as issued, and their submission to the Transparency Database.
CREATE TABLE dispatch.statements (
    puid text PRIMARY KEY,
    decision_id uuid NOT NULL UNIQUE,
    case_id uuid NOT NULL,
    statement json NOT NULL,
    issued_at timestamptz NOT NULL,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'submitted', 'duplicate', 'rejected')),
    -- The server's reason for a rejection (no personal data: statements hold none).
    reason text,
    submitted_at timestamptz
);
CREATE INDEX statements_issued ON dispatch.statements (issued_at);
