-- Escalation and holds: where a leased case goes back to, and why it waits.
ALTER TABLE dispatch.cases
    -- The state a lease returns the case to when it ends (queued, or escalated).
    ADD COLUMN waiting_state text NOT NULL DEFAULT 'queued'
        CHECK (waiting_state IN ('queued', 'escalated')),
    ADD COLUMN reason text;

DROP INDEX dispatch.cases_waiting;
CREATE INDEX cases_waiting ON dispatch.cases (screened_category, urgency DESC)
    WHERE state IN ('queued', 'escalated', 'leased');
