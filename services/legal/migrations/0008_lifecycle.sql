-- One request lifecycle, enforced by PostgreSQL as by services/legal/core/lifecycle.py (a test
-- compares the state list and guard_request_transitions() with the Python enum), so that no
-- writer, the service's own role included, can skip a step. Officers are referenced by id and
-- must prove who they are (their token, or a console session opened with it) for the
-- database to accept their preparation or approval: the proof is checked here and never
-- stored. Triggers named guard_* are what `crible db guard` keeps any non-superuser from
-- disabling, dropping or replacing (shared/db_guard.py).

-- The states, renamed to the lifecycle's words.
ALTER TABLE legal.requests DROP CONSTRAINT requests_state_check;
UPDATE legal.requests SET state = 'package_ready' WHERE state = 'approved';
UPDATE legal.requests SET state = 'downloaded' WHERE state = 'disclosed';
UPDATE legal.requests r SET state = 'prepared'
    WHERE state = 'accepted'
      AND EXISTS (SELECT 1 FROM legal.approvals a WHERE a.request_id = r.request_id);
UPDATE legal.requests r SET state = 'narrowed'
    WHERE state = 'accepted'
      AND EXISTS (SELECT 1 FROM legal.narrowings n WHERE n.request_id = r.request_id);
ALTER TABLE legal.requests ADD CONSTRAINT requests_state_check CHECK (state IN (
    'received', 'accepted', 'refused', 'narrowed', 'prepared', 'approved', 'package_ready',
    'no_data', 'downloaded', 'link_expired', 'preserving', 'preservation_ended'));

-- Officers by id: one spelling per person, and every preparer and approver a registered one.
-- (NOT VALID: rows written before this migration are not re-checked; new ones are.)
ALTER TABLE legal.officers ADD CONSTRAINT officer_id_format
    CHECK (officer_id ~ '^[a-z0-9][a-z0-9._-]{0,63}$') NOT VALID;
ALTER TABLE legal.approvals
    ADD CONSTRAINT approvals_prepared_by FOREIGN KEY (prepared_by)
        REFERENCES legal.officers (officer_id) NOT VALID,
    ADD CONSTRAINT approvals_approved_by FOREIGN KEY (approved_by)
        REFERENCES legal.officers (officer_id) NOT VALID,
    DROP CONSTRAINT two_people,
    ADD CONSTRAINT two_people CHECK (approved_by IS NULL OR approved_by <> prepared_by),
    -- The credential an officer presents: checked by guard_approvals(), never kept.
    ADD COLUMN preparer_proof text CHECK (preparer_proof IS NULL),
    ADD COLUMN approver_proof text CHECK (approver_proof IS NULL);

-- A narrowing is an officer's, or the retention limit's (automatic, at the checks).
ALTER TABLE legal.narrowings
    ALTER COLUMN officer_id DROP NOT NULL,
    ADD COLUMN automatic boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT narrowed_by CHECK (automatic OR officer_id IS NOT NULL),
    ADD CONSTRAINT narrowings_officer FOREIGN KEY (officer_id)
        REFERENCES legal.officers (officer_id) NOT VALID;

-- The legal officers' console signs in with the officer's token once, then a session whose
-- secret only the browser holds (SHA-256 here); opening one takes the token's proof too.
CREATE TABLE legal.officer_sessions (
    session_hash bytea PRIMARY KEY,
    officer_id text NOT NULL REFERENCES legal.officers (officer_id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    ended_at timestamptz,
    sign_in_proof text CHECK (sign_in_proof IS NULL)
);

-- Whether ``proof`` is the credential of the active officer ``officer`` (who holds a legal
-- role): their token, or a live console session of theirs.
CREATE FUNCTION legal.guard_officer_proof(officer text, proof text) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
    SELECT proof IS NOT NULL AND EXISTS (
        SELECT 1 FROM legal.officers o
        WHERE o.officer_id = officer AND o.active
          AND o.roles && ARRAY['legal_officer', 'legal_admin']::text[]
          AND (o.token_hash = sha256(convert_to(proof, 'UTF8'))
               OR EXISTS (SELECT 1 FROM legal.officer_sessions s
                          WHERE s.officer_id = o.officer_id
                            AND s.session_hash = sha256(convert_to(proof, 'UTF8'))
                            AND s.ended_at IS NULL AND s.expires_at > now())))
$$;

-- Every allowed change of a request's state (core/lifecycle.py's TRANSITIONS).
CREATE FUNCTION legal.guard_request_transitions()
RETURNS TABLE (from_state text, to_state text)
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
    VALUES ('received', 'accepted'), ('received', 'refused'),
           ('accepted', 'narrowed'), ('accepted', 'prepared'), ('accepted', 'refused'),
           ('narrowed', 'narrowed'), ('narrowed', 'prepared'), ('narrowed', 'refused'),
           ('prepared', 'approved'), ('prepared', 'refused'),
           ('approved', 'package_ready'), ('approved', 'no_data'), ('approved', 'preserving'),
           ('package_ready', 'downloaded'), ('package_ready', 'link_expired'),
           ('preserving', 'preservation_ended')
$$;

CREATE FUNCTION legal.guard_refuse(what text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    RAISE EXCEPTION 'refused by the legal lifecycle: %', what USING ERRCODE = 'check_violation';
END $$;

CREATE FUNCTION legal.guard_no_truncate() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    RAISE EXCEPTION '% keeps legal records: never truncated', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE FUNCTION legal.guard_request_lifecycle() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
    approval record;
    prepared boolean;
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM legal.guard_refuse('a legal request is never deleted');
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.state <> 'received' THEN
            PERFORM legal.guard_refuse('a request starts as received');
        END IF;
        RETURN NEW;
    END IF;
    IF (NEW.request_id, NEW.authority_id, NEW.instrument, NEW.emergency, NEW.received_at)
       IS DISTINCT FROM (OLD.request_id, OLD.authority_id, OLD.instrument, OLD.emergency,
                         OLD.received_at)
       OR (NEW.due_at, NEW.deadline_article) IS DISTINCT FROM (OLD.due_at, OLD.deadline_article)
    THEN
        PERFORM legal.guard_refuse('what was received is never rewritten');
    END IF;
    IF NEW.state = OLD.state THEN
        RETURN NEW;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM legal.guard_request_transitions() t
                   WHERE t.from_state = OLD.state AND t.to_state = NEW.state) THEN
        PERFORM legal.guard_refuse(format('a request that is %s cannot become %s',
                                          OLD.state, NEW.state));
    END IF;
    SELECT * INTO approval FROM legal.approvals a WHERE a.request_id = NEW.request_id;
    prepared := FOUND;
    CASE NEW.state
    WHEN 'accepted' THEN
        IF NEW.checked_at IS NULL THEN
            PERFORM legal.guard_refuse('accepted without its checks');
        END IF;
    WHEN 'refused' THEN
        IF json_array_length(NEW.refusals) = 0 THEN
            PERFORM legal.guard_refuse('refused without a reason');
        END IF;
        NEW.answered_at := coalesce(NEW.answered_at, now());
    WHEN 'narrowed' THEN
        IF NOT EXISTS (SELECT 1 FROM legal.narrowings n WHERE n.request_id = NEW.request_id) THEN
            PERFORM legal.guard_refuse('narrowed without a narrowing');
        END IF;
    WHEN 'prepared' THEN
        IF NOT prepared THEN
            PERFORM legal.guard_refuse('prepared by nobody');
        END IF;
    WHEN 'approved' THEN
        IF NOT prepared OR approval.approved_by IS NULL
           OR approval.approved_by = approval.prepared_by
           OR (SELECT count(*) FROM legal.officers o
               WHERE o.officer_id IN (approval.prepared_by, approval.approved_by) AND o.active
                 AND o.roles && ARRAY['legal_officer', 'legal_admin']::text[]) <> 2 THEN
            PERFORM legal.guard_refuse(
                'approved without two different, registered, active officers');
        END IF;
        NEW.answered_at := coalesce(NEW.answered_at, now());
    WHEN 'package_ready' THEN
        IF NOT EXISTS (SELECT 1 FROM legal.packages p WHERE p.request_id = NEW.request_id) THEN
            PERFORM legal.guard_refuse('ready without a package');
        END IF;
    WHEN 'downloaded' THEN
        IF NOT EXISTS (SELECT 1 FROM legal.packages p
                       WHERE p.request_id = NEW.request_id AND p.downloaded_at IS NOT NULL) THEN
            PERFORM legal.guard_refuse('downloaded without a download');
        END IF;
    WHEN 'link_expired' THEN
        IF NOT EXISTS (SELECT 1 FROM legal.packages p
                       WHERE p.request_id = NEW.request_id AND p.downloaded_at IS NULL
                         AND p.expires_at <= now()) THEN
            PERFORM legal.guard_refuse('the link has not expired');
        END IF;
    WHEN 'preserving' THEN
        IF NOT EXISTS (SELECT 1 FROM legal.preservations p
                       WHERE p.request_id = NEW.request_id) THEN
            PERFORM legal.guard_refuse('preserving without an order');
        END IF;
    WHEN 'preservation_ended' THEN
        IF NOT EXISTS (SELECT 1 FROM legal.preservations p
                       WHERE p.request_id = NEW.request_id
                         AND (p.lifted_at IS NOT NULL OR p.ends_at <= now())) THEN
            PERFORM legal.guard_refuse('the order has not ended');
        END IF;
    ELSE
        NULL;  -- no_data: only from approved, checked above
    END CASE;
    RETURN NEW;
END $$;

CREATE TRIGGER guard_request_lifecycle BEFORE INSERT OR UPDATE OR DELETE ON legal.requests
    FOR EACH ROW EXECUTE FUNCTION legal.guard_request_lifecycle();
CREATE TRIGGER guard_requests_kept BEFORE TRUNCATE ON legal.requests
    FOR EACH STATEMENT EXECUTE FUNCTION legal.guard_no_truncate();

-- The two-person rule on the rows themselves: prepared by a proven officer of an open
-- request, approved once by another proven officer of a prepared one; never rewritten.
CREATE FUNCTION legal.guard_approvals() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
    current text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM legal.guard_refuse('an approval record is never deleted');
    END IF;
    SELECT r.state INTO current FROM legal.requests r WHERE r.request_id = NEW.request_id;
    IF TG_OP = 'INSERT' THEN
        IF current IS DISTINCT FROM 'accepted' AND current IS DISTINCT FROM 'narrowed' THEN
            PERFORM legal.guard_refuse('only an accepted request is prepared');
        END IF;
        IF NEW.approved_by IS NOT NULL OR NEW.approved_at IS NOT NULL THEN
            PERFORM legal.guard_refuse('a request is prepared before it is approved');
        END IF;
        IF NOT legal.guard_officer_proof(NEW.prepared_by, NEW.preparer_proof) THEN
            PERFORM legal.guard_refuse('the preparer did not prove who they are');
        END IF;
    ELSE
        IF (NEW.request_id, NEW.prepared_by, NEW.prepared_at)
           IS DISTINCT FROM (OLD.request_id, OLD.prepared_by, OLD.prepared_at) THEN
            PERFORM legal.guard_refuse('a preparation is never rewritten');
        END IF;
        IF OLD.approved_by IS NOT NULL THEN
            IF (NEW.approved_by, NEW.approved_at) IS DISTINCT FROM
               (OLD.approved_by, OLD.approved_at) THEN
                PERFORM legal.guard_refuse('an approval is never rewritten');
            END IF;
        ELSIF NEW.approved_by IS NOT NULL THEN
            IF current IS DISTINCT FROM 'prepared' THEN
                PERFORM legal.guard_refuse('only a prepared request is approved');
            END IF;
            IF NEW.approved_by = NEW.prepared_by THEN
                PERFORM legal.guard_refuse('the two-person rule: the preparer cannot approve');
            END IF;
            IF NOT legal.guard_officer_proof(NEW.approved_by, NEW.approver_proof) THEN
                PERFORM legal.guard_refuse('the approver did not prove who they are');
            END IF;
            NEW.approved_at := coalesce(NEW.approved_at, now());
        END IF;
    END IF;
    NEW.preparer_proof := NULL;
    NEW.approver_proof := NULL;
    RETURN NEW;
END $$;

CREATE TRIGGER guard_approvals BEFORE INSERT OR UPDATE OR DELETE ON legal.approvals
    FOR EACH ROW EXECUTE FUNCTION legal.guard_approvals();
CREATE TRIGGER guard_approvals_kept BEFORE TRUNCATE ON legal.approvals
    FOR EACH STATEMENT EXECUTE FUNCTION legal.guard_no_truncate();

-- A package only for an approved request; what was built is never rewritten; its link may
-- be cut short, never lengthened; it is taken once, and erased as it is.
CREATE FUNCTION legal.guard_packages() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM legal.guard_refuse('a package record is never deleted');
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF (SELECT r.state FROM legal.requests r WHERE r.request_id = NEW.request_id)
           IS DISTINCT FROM 'approved' THEN
            PERFORM legal.guard_refuse('a package is built only for an approved request');
        END IF;
        IF NEW.downloaded_at IS NOT NULL OR NEW.downloads <> 0 THEN
            PERFORM legal.guard_refuse('a new package has not been downloaded');
        END IF;
        RETURN NEW;
    END IF;
    IF (NEW.request_id, NEW.built_at, NEW.package_sha256, NEW.link_hash)
       IS DISTINCT FROM (OLD.request_id, OLD.built_at, OLD.package_sha256, OLD.link_hash) THEN
        PERFORM legal.guard_refuse('what was built is never rewritten');
    END IF;
    IF NEW.expires_at > OLD.expires_at THEN
        PERFORM legal.guard_refuse('a link is never lengthened');
    END IF;
    IF OLD.downloaded_at IS NOT NULL THEN
        IF NEW.downloaded_at IS DISTINCT FROM OLD.downloaded_at
           OR NEW.downloads <> OLD.downloads OR length(NEW.blob) <> 0 THEN
            PERFORM legal.guard_refuse('a package is downloaded once');
        END IF;
    ELSIF NEW.downloaded_at IS NOT NULL THEN
        IF NEW.downloads <> OLD.downloads + 1 OR length(NEW.blob) <> 0 THEN
            PERFORM legal.guard_refuse('a package is erased as it is downloaded');
        END IF;
    ELSIF NEW.blob IS DISTINCT FROM OLD.blob OR NEW.downloads <> OLD.downloads THEN
        PERFORM legal.guard_refuse('a package waiting for its authority is never changed');
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER guard_packages BEFORE INSERT OR UPDATE OR DELETE ON legal.packages
    FOR EACH ROW EXECUTE FUNCTION legal.guard_packages();
CREATE TRIGGER guard_packages_kept BEFORE TRUNCATE ON legal.packages
    FOR EACH STATEMENT EXECUTE FUNCTION legal.guard_no_truncate();

-- Narrowed only while the request is open; a preservation only for an approved order.
CREATE FUNCTION legal.guard_narrowings() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    IF (SELECT r.state FROM legal.requests r WHERE r.request_id = NEW.request_id)
       NOT IN ('accepted', 'narrowed') THEN
        PERFORM legal.guard_refuse('only an accepted request is narrowed');
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER guard_narrowings BEFORE INSERT OR UPDATE ON legal.narrowings
    FOR EACH ROW EXECUTE FUNCTION legal.guard_narrowings();

CREATE FUNCTION legal.guard_preservations() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    IF TG_OP = 'INSERT' AND (SELECT r.state FROM legal.requests r
                             WHERE r.request_id = NEW.request_id) IS DISTINCT FROM 'approved'
    THEN
        PERFORM legal.guard_refuse('only an approved order preserves');
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.request_id, NEW.platform_user_id, NEW.starts_at)
       IS DISTINCT FROM (OLD.request_id, OLD.platform_user_id, OLD.starts_at) THEN
        PERFORM legal.guard_refuse('what an order preserves is never rewritten');
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER guard_preservations BEFORE INSERT OR UPDATE ON legal.preservations
    FOR EACH ROW EXECUTE FUNCTION legal.guard_preservations();

-- A console session is opened with the officer's token, and only ever ended.
CREATE FUNCTION legal.guard_officer_sessions() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT 1 FROM legal.officers o
                       WHERE o.officer_id = NEW.officer_id AND o.active
                         AND o.token_hash = sha256(convert_to(NEW.sign_in_proof, 'UTF8'))) THEN
            PERFORM legal.guard_refuse('a session is opened with the officer''s own token');
        END IF;
        IF NEW.expires_at > now() + interval '12 hours' THEN
            PERFORM legal.guard_refuse('a session lasts at most 12 hours');
        END IF;
        NEW.created_at := now();
    ELSIF (NEW.session_hash, NEW.officer_id, NEW.created_at, NEW.expires_at)
          IS DISTINCT FROM (OLD.session_hash, OLD.officer_id, OLD.created_at, OLD.expires_at)
          OR OLD.ended_at IS NOT NULL THEN
        PERFORM legal.guard_refuse('a session is only ever ended');
    END IF;
    NEW.sign_in_proof := NULL;
    RETURN NEW;
END $$;

CREATE TRIGGER guard_officer_sessions BEFORE INSERT OR UPDATE ON legal.officer_sessions
    FOR EACH ROW EXECUTE FUNCTION legal.guard_officer_sessions();

-- The audit log's own guard takes the guard_ name the schema guard watches.
ALTER TRIGGER audit_append_only ON legal.audit RENAME TO guard_audit_append_only;
