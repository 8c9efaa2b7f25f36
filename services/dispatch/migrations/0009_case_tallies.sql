-- What a case revision's reports add up to, kept as they arrive (issue 20): ranking read every
-- report of a revision on each batch that touched it, and preserved evidence rebuilt its
-- reports' JSON each time, so a hot case cost more with every report it gathered.

-- Each revision's distinct reporters (the trust weights are summed over them).
CREATE TABLE dispatch.case_reporters (
    case_id uuid NOT NULL,
    revision integer NOT NULL,
    reporter_id text NOT NULL,
    PRIMARY KEY (case_id, revision, reporter_id)
);

-- A weighing finds the revisions of its reporters by this index.
CREATE INDEX case_reporters_reporter ON dispatch.case_reporters (reporter_id);

-- The revisions' reporters who have a stored weight (dispatch.reporters): the only ones a
-- rank reads one by one, the others count as neutral (1.0) from the tallies.
CREATE TABLE dispatch.case_weighted (
    case_id uuid NOT NULL,
    revision integer NOT NULL,
    reporter_id text NOT NULL,
    PRIMARY KEY (case_id, revision, reporter_id)
);

-- Each revision's reports, distinct reporters and first report, added to by each new report.
CREATE TABLE dispatch.case_tallies (
    case_id uuid NOT NULL,
    revision integer NOT NULL,
    reports integer NOT NULL,
    reporters integer NOT NULL,
    first_at timestamptz NOT NULL,
    PRIMARY KEY (case_id, revision)
);

INSERT INTO dispatch.case_reporters (case_id, revision, reporter_id)
SELECT DISTINCT case_id, revision, reporter_id FROM dispatch.case_reports;

INSERT INTO dispatch.case_weighted (case_id, revision, reporter_id)
SELECT cr.case_id, cr.revision, cr.reporter_id
FROM dispatch.case_reporters cr JOIN dispatch.reporters rp ON rp.reporter_id = cr.reporter_id;

INSERT INTO dispatch.case_tallies (case_id, revision, reports, reporters, first_at)
SELECT case_id, revision, count(*), count(DISTINCT reporter_id), min(reported_at)
FROM dispatch.case_reports GROUP BY case_id, revision;

-- The reports of preserved evidence, one row each: a new report is one insert, where the
-- reports column of dispatch.preserved_evidence was rewritten whole.
CREATE TABLE dispatch.preserved_reports (
    case_id uuid NOT NULL,
    revision integer NOT NULL,
    report_id text NOT NULL,
    reporter_id text NOT NULL,
    reported_at timestamptz NOT NULL,
    language text NOT NULL,
    text text,
    evidence jsonb,
    PRIMARY KEY (case_id, revision, report_id),
    FOREIGN KEY (case_id, revision) REFERENCES dispatch.preserved_evidence (case_id, revision)
        ON DELETE CASCADE
);

INSERT INTO dispatch.preserved_reports (case_id, revision, report_id, reporter_id,
    reported_at, language, text, evidence)
SELECT e.case_id, e.revision, r ->> 'report_id', r ->> 'reporter_id',
       (r ->> 'reported_at')::timestamptz, r ->> 'language', r ->> 'text',
       nullif(r -> 'evidence', 'null'::jsonb)
FROM dispatch.preserved_evidence e, jsonb_array_elements(e.reports) AS r
ON CONFLICT DO NOTHING;

ALTER TABLE dispatch.preserved_evidence DROP COLUMN reports;
