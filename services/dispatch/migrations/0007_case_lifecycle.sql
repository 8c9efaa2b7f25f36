-- The case lifecycle, enforced by PostgreSQL as services/dispatch/core/lifecycle.py states it:
-- a case revision enters review as queued or dismissed, and changes state only along an
-- allowed pair; a lease given back or a hold resumed returns to the state the case waited in
-- (waiting_state). The pairs are lifecycle.allowed_pairs() and lifecycle.returns(), written
-- into the function (a table would be writable by the service's role); a test writes every
-- pair of states to dispatch.cases as crible_dispatch and compares with the Python rule.

CREATE FUNCTION dispatch.check_case_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    return_only boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.state NOT IN ('queued', 'dismissed') THEN
            RAISE EXCEPTION 'a case revision enters review as queued or dismissed, not %',
                NEW.state USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.state = OLD.state THEN
        RETURN NEW;
    END IF;
    SELECT t.return_only INTO return_only FROM (VALUES
            ('appealed', 'leased', false),
            ('awaiting_second_review', 'leased', false),
            ('decided', 'appealed', false),
            ('dismissed', 'queued', false),
            ('escalated', 'leased', false),
            ('held', 'appealed', true),
            ('held', 'awaiting_second_review', true),
            ('held', 'escalated', true),
            ('held', 'queued', true),
            ('leased', 'appealed', true),
            ('leased', 'awaiting_second_review', false),
            ('leased', 'decided', false),
            ('leased', 'escalated', false),
            ('leased', 'held', false),
            ('leased', 'queued', true),
            ('queued', 'dismissed', false),
            ('queued', 'leased', false)
        ) AS t (from_state, to_state, return_only)
    WHERE t.from_state = OLD.state AND t.to_state = NEW.state;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'a % case cannot become %', OLD.state, NEW.state
            USING ERRCODE = 'check_violation';
    END IF;
    IF return_only AND NEW.state <> OLD.waiting_state THEN
        RAISE EXCEPTION 'a % case goes back to %, where it waited, not %',
            OLD.state, OLD.waiting_state, NEW.state USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.state = 'leased' AND (NEW.leased_by IS NULL OR NEW.lease_expires_at IS NULL) THEN
        RAISE EXCEPTION 'a leased case has a lease holder and an expiry'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER cases_lifecycle
    BEFORE INSERT OR UPDATE OF state ON dispatch.cases
    FOR EACH ROW EXECUTE FUNCTION dispatch.check_case_transition();
