-- Part 2: deadlines, preservation orders and user notices.

-- Each request's deadline, from its instrument (services/legal/deadlines.py), and the end of
-- a non-disclosure order (a date, not personal data) for the notices and the reports.
ALTER TABLE legal.requests
    ADD COLUMN due_at timestamptz,
    ADD COLUMN deadline_article text,
    ADD COLUMN non_disclosure_until date,
    ADD COLUMN answered_at timestamptz;
ALTER TABLE legal.requests DROP CONSTRAINT requests_state_check;
ALTER TABLE legal.requests ADD CONSTRAINT requests_state_check
    CHECK (state IN ('received', 'accepted', 'refused', 'approved', 'no_data', 'disclosed',
                     'preserving', 'preservation_ended'));
CREATE INDEX requests_open_due ON legal.requests (due_at) WHERE answered_at IS NULL;

-- A preservation order freezes one account's data against retention until it ends or is
-- lifted (CPP art. 60-2: up to a year; Regulation 2023/1543 art. 11: 60 days, +30 once).
CREATE TABLE legal.preservations (
    request_id uuid PRIMARY KEY REFERENCES legal.requests (request_id),
    platform_user_id text NOT NULL,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    extended_at timestamptz,
    lifted_at timestamptz,
    ended_recorded_at timestamptz    -- when the end was written to the audit chain
);
CREATE INDEX preservations_user ON legal.preservations (platform_user_id)
    WHERE lifted_at IS NULL;

-- The notice owed to a user whose data was disclosed: sent at once, or when a non-disclosure
-- order ends or an emergency has passed.
CREATE TABLE legal.notices (
    request_id uuid PRIMARY KEY REFERENCES legal.requests (request_id),
    platform_user_id text NOT NULL,
    notify_after timestamptz NOT NULL,
    delayed_by text CHECK (delayed_by IN ('non_disclosure_order', 'emergency')),
    sent_at timestamptz
);
CREATE INDEX notices_due ON legal.notices (notify_after) WHERE sent_at IS NULL;
