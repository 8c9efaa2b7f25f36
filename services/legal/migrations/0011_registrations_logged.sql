-- Who may act, changed only as registration does it: every change of an officer's or an
-- authority's credentials is logged here by a trigger (append-only, for every writer), and
-- `crible audit verify` finds each one named on the audit chain (`crible legal officers add`
-- and `authorities add` write the entry, with the change_id). A change made around the
-- commands (an UPDATE of token_hash or of a key by someone with the owner's credentials)
-- has no entry: it is named, and the check fails until an incident acknowledges it.
CREATE TABLE legal.registrations (
    change_id bigserial PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('officer', 'authority')),
    principal_id text NOT NULL,
    active boolean NOT NULL,
    credentials text NOT NULL,       -- fingerprints as the audit entry gives them
    changed_at timestamptz NOT NULL DEFAULT now(),
    changed_by text NOT NULL DEFAULT session_user
);
COMMENT ON TABLE legal.registrations IS
    'read-only, append-only: every change of who may act (officers, authorities), written '
    'by triggers, for crible audit verify';
CREATE TRIGGER guard_registrations_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON legal.registrations
    FOR EACH STATEMENT EXECUTE FUNCTION legal.guard_append_only();

-- Rows come from the logging triggers below, not from a writer's INSERT: a row made up by
-- hand would only raise a false alarm, but the log says what the tables went through.
CREATE FUNCTION legal.guard_registrations_from_triggers() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    IF pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'legal.registrations is written by the triggers on officers and authorities'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;

-- The fingerprint the commands put on the chain: sha256 of the stored value, 16 hex digits.
CREATE FUNCTION legal.guard_fingerprint(value bytea) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
    SELECT CASE WHEN value IS NULL THEN 'none'
                ELSE 'sha256:' || left(encode(sha256(value), 'hex'), 16) END
$$;

CREATE FUNCTION legal.guard_log_officer() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO legal.registrations (kind, principal_id, active, credentials)
        VALUES ('officer', OLD.officer_id, false, 'deleted');
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.token_hash, NEW.roles, NEW.active, NEW.officer_id)
       IS NOT DISTINCT FROM (OLD.token_hash, OLD.roles, OLD.active, OLD.officer_id) THEN
        RETURN NEW;
    END IF;
    INSERT INTO legal.registrations (kind, principal_id, active, credentials)
    VALUES ('officer', NEW.officer_id, NEW.active,
            'token=' || legal.guard_fingerprint(NEW.token_hash)
            || ' roles=' || array_to_string(NEW.roles, ' '));
    RETURN NEW;
END $$;
CREATE TRIGGER guard_log_officers AFTER INSERT OR UPDATE OR DELETE ON legal.officers
    FOR EACH ROW EXECUTE FUNCTION legal.guard_log_officer();

CREATE FUNCTION legal.guard_log_authority() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO legal.registrations (kind, principal_id, active, credentials)
        VALUES ('authority', OLD.authority_id, false, 'deleted');
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE'
       AND (NEW.token_hash, NEW.signing_key, NEW.encryption_key, NEW.active, NEW.authority_id,
            NEW.country, NEW.kind)
       IS NOT DISTINCT FROM (OLD.token_hash, OLD.signing_key, OLD.encryption_key, OLD.active,
                             OLD.authority_id, OLD.country, OLD.kind) THEN
        RETURN NEW;
    END IF;
    INSERT INTO legal.registrations (kind, principal_id, active, credentials)
    VALUES ('authority', NEW.authority_id, NEW.active,
            'token=' || legal.guard_fingerprint(NEW.token_hash)
            || ' signing_key=' || legal.guard_fingerprint(NEW.signing_key)
            || ' encryption_key=' || legal.guard_fingerprint(NEW.encryption_key)
            || ' country=' || NEW.country || ' kind=' || NEW.kind);
    RETURN NEW;
END $$;
CREATE TRIGGER guard_log_authorities AFTER INSERT OR UPDATE OR DELETE ON legal.authorities
    FOR EACH ROW EXECUTE FUNCTION legal.guard_log_authority();

-- Registrations older than this log: one baseline row each, matched by what they hold.
-- (Written before the guard below exists.)
INSERT INTO legal.registrations (kind, principal_id, active, credentials, changed_by)
SELECT 'officer', officer_id, active,
       'token=' || legal.guard_fingerprint(token_hash) || ' roles=' || array_to_string(roles, ' '),
       'baseline'
FROM legal.officers ORDER BY officer_id;
INSERT INTO legal.registrations (kind, principal_id, active, credentials, changed_by)
SELECT 'authority', authority_id, active,
       'token=' || legal.guard_fingerprint(token_hash)
       || ' signing_key=' || legal.guard_fingerprint(signing_key)
       || ' encryption_key=' || legal.guard_fingerprint(encryption_key)
       || ' country=' || country || ' kind=' || kind,
       'baseline'
FROM legal.authorities ORDER BY authority_id;

CREATE TRIGGER guard_registrations_written_by_triggers BEFORE INSERT ON legal.registrations
    FOR EACH ROW EXECUTE FUNCTION legal.guard_registrations_from_triggers();
