-- Evidence preserved before anything is removed where the law asks for it (child sexual
-- abuse, terrorism): what dispatch knows of the content, kept for the authorities until
-- keep_until whatever becomes of the case (services/dispatch/core/evidence.py).
CREATE TABLE dispatch.preserved_evidence (
    case_id uuid NOT NULL,
    revision integer NOT NULL,
    category text NOT NULL,
    -- The enforcement action that preserved it (the first one, automatic or decided).
    action_id uuid NOT NULL,
    -- The message, user, group or channel (platform ids), and what screening matched.
    subject json NOT NULL,
    matches json NOT NULL,
    -- The reports: ids, reporters' ids, times, texts, excerpts, links and media hashes.
    reports jsonb NOT NULL,
    preserved_at timestamptz NOT NULL,
    keep_until timestamptz NOT NULL,
    -- The law that asks for the preservation and sets keep_until.
    basis text NOT NULL,
    PRIMARY KEY (case_id, revision)
);
CREATE INDEX preserved_evidence_expiry ON dispatch.preserved_evidence (keep_until);
