-- What a case revision's own reports say, beside the last verdict's figures: prescreen stops
-- re-issuing a verdict once its priority hint stops changing, so reviewers see the larger of
-- the two (services/dispatch/adapters/postgres/ranking.py keeps these current as reports arrive).
ALTER TABLE dispatch.cases
    ADD COLUMN reports_seen integer NOT NULL DEFAULT 0,
    ADD COLUMN reporters_seen integer NOT NULL DEFAULT 0;
