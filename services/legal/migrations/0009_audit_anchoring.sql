-- The audit chain keyed (HMAC under a key the database never holds: key_id names it; entries
-- written before carry none) and anchored outside the database by signed checkpoints, kept
-- here too. Who may act is written by operators only: the service's role reads officers
-- and authorities, never writes them (shared/db.py revokes writes on "read-only" tables).
ALTER TABLE legal.audit ADD COLUMN key_id text;

CREATE TABLE legal.audit_checkpoints (
    size bigint PRIMARY KEY,
    head bytea NOT NULL,
    signed_at timestamptz NOT NULL,
    origin text NOT NULL,
    note text NOT NULL           -- the signed note, as published on legal.audit.checkpoints
);
COMMENT ON TABLE legal.audit_checkpoints IS
    'append-only: signed checkpoints of legal.audit (services/legal/core/checkpoint.py)';

CREATE FUNCTION legal.guard_append_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    RAISE EXCEPTION '%.% is append-only', TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER guard_checkpoints_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON legal.audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION legal.guard_append_only();

COMMENT ON TABLE legal.officers IS
    'read-only: legal officers, registered with `crible legal officers add` (owner role)';
COMMENT ON TABLE legal.authorities IS
    'read-only: authorities, registered with `crible legal authorities add` (owner role)';
