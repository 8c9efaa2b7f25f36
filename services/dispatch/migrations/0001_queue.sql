-- Dispatch's review queue: one row per case revision that screening has seen.
CREATE SCHEMA IF NOT EXISTS dispatch;

CREATE TABLE dispatch.cases (
    case_id uuid NOT NULL,
    revision integer NOT NULL CHECK (revision >= 1),
    subject json NOT NULL,
    category text NOT NULL,            -- what reporters chose
    screened_category text NOT NULL,   -- what screening points to: the queue's category
    route text NOT NULL CHECK (route IN ('act_now', 'human_review', 'dismiss')),
    severity text NOT NULL,
    confidence real NOT NULL,
    qa_sample boolean NOT NULL,
    report_count integer NOT NULL,
    reporter_count integer NOT NULL,
    languages text[] NOT NULL,
    -- Priority before ageing (services/dispatch/priority.py); ageing is applied at read time.
    urgency real NOT NULL,
    opened_at timestamptz NOT NULL,
    due_at timestamptz NOT NULL,
    state text NOT NULL CHECK (state IN ('queued', 'leased', 'held', 'escalated',
        'awaiting_second_review', 'decided', 'appealed', 'dismissed')),
    verdict_id uuid NOT NULL,
    -- The automatic action an act_now verdict took, awaiting human confirmation.
    automatic_action_id uuid,
    verdict json NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (case_id, revision)
) WITH (fillfactor = 70);

-- The queue: what waits for a person, most urgent first, by category.
CREATE INDEX cases_waiting ON dispatch.cases (screened_category, urgency DESC)
    WHERE state IN ('queued', 'escalated', 'awaiting_second_review', 'appealed');
