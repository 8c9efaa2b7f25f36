-- A request whose target the platform does not know is answered "no data", not an error.
ALTER TABLE legal.requests DROP CONSTRAINT requests_state_check;
ALTER TABLE legal.requests ADD CONSTRAINT requests_state_check
    CHECK (state IN ('accepted', 'refused', 'approved', 'no_data', 'disclosed'));
