-- The legal officers' console (services/legal/adapters/http/console): a request's history is
-- read from the audit log by request; an officer's refusal keeps its explanation sealed
-- beside the request; a legal admin deactivates an authority, proving who they are.

CREATE INDEX audit_request ON legal.audit (request_id, sequence) WHERE request_id IS NOT NULL;

-- What an officer wrote to the authority when refusing (free text: sealed like a narrowing's
-- reason, rotated with the others). The code and its article are in legal.requests.refusals.
CREATE TABLE legal.refusal_explanations (
    request_id uuid PRIMARY KEY REFERENCES legal.requests (request_id),
    officer_id text NOT NULL REFERENCES legal.officers (officer_id),
    code text NOT NULL,
    explanation bytea NOT NULL,       -- Sealed.pack() of the officer's explanation
    key_id text NOT NULL,
    refused_at timestamptz NOT NULL
);

-- The service's role reads authorities and never writes them (0009). A legal admin may
-- still deactivate one from the console: this function, run as the schema's owner, does
-- only that, and only for an active legal admin who proves who they are (their token or a
-- live console session, as legal.guard_officer_proof checks). Reactivating stays an
-- operator's act (`crible legal authorities add`).
CREATE FUNCTION legal.guard_deactivate_authority(authority text, admin text, proof text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    IF NOT legal.guard_officer_proof(admin, proof)
       OR NOT EXISTS (SELECT 1 FROM legal.officers o
                      WHERE o.officer_id = admin AND 'legal_admin' = ANY (o.roles)) THEN
        PERFORM legal.guard_refuse(
            'only a legal admin who proves who they are deactivates an authority');
    END IF;
    UPDATE legal.authorities SET active = false WHERE authority_id = authority AND active;
    RETURN FOUND;
END $$;
