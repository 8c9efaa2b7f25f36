-- The service's role may only insert into and read the audit log: `crible migrate` revokes
-- UPDATE, DELETE and TRUNCATE on tables whose comment starts with "append-only".
COMMENT ON TABLE legal.audit IS
    'append-only: the hash-chained audit log of legal requests (services/legal/audit.py)';
