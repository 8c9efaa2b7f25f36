-- Ingest's tables: every accepted report, and one case per subject and category.
CREATE SCHEMA IF NOT EXISTS ingest;

CREATE TABLE ingest.cases (
    case_id uuid PRIMARY KEY,
    subject_kind text NOT NULL,
    subject_id text NOT NULL,
    subject_chat_id text,
    category text NOT NULL,
    revision integer NOT NULL CHECK (revision >= 1),
    status text NOT NULL CHECK (status IN ('open', 'closed')),
    report_count integer NOT NULL CHECK (report_count >= 1),
    reporter_count integer NOT NULL CHECK (reporter_count >= 1),
    first_reported_at timestamptz NOT NULL,
    last_reported_at timestamptz NOT NULL,
    reporter_languages text[] NOT NULL,
    updated_at timestamptz NOT NULL
-- Room on each page lets an update stay on the page (a HOT update, no index write):
-- a case is updated every time a report joins it.
) WITH (fillfactor = 70);

CREATE TABLE ingest.reports (
    report_id text PRIMARY KEY,
    case_id uuid NOT NULL,
    case_revision integer NOT NULL,
    reporter_id text NOT NULL,
    repeat boolean NOT NULL,
    reported_at timestamptz NOT NULL,
    accepted_at timestamptz NOT NULL,
    -- The report as submitted (validated), for reviewers and later re-screening.
    body json NOT NULL
);

-- The reports of a case revision, and whether a reporter was already counted in it.
CREATE INDEX reports_case_reporter ON ingest.reports (case_id, case_revision, reporter_id);
