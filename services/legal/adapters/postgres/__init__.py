"""Legal's SQL: the only place that speaks to PostgreSQL; :func:`legal_unit` binds the ports."""

from __future__ import annotations

from services.legal.adapters.postgres.audit_log import PostgresAuditChain
from services.legal.adapters.postgres.identity_store import PostgresIdentity
from services.legal.adapters.postgres.notices import PostgresNotices
from services.legal.adapters.postgres.preservations import PostgresPreservations
from services.legal.adapters.postgres.requests_store import PostgresRequests
from services.legal.ports import KeyStore, Legal
from shared.db import Connection


def legal_unit(conn: Connection, keys: KeyStore) -> Legal:
    """Every port over ``conn``: one unit of work in the caller's transaction."""
    return Legal(
        requests=PostgresRequests(conn, keys.cipher()),
        preservations=PostgresPreservations(conn),
        notices=PostgresNotices(conn),
        identity=PostgresIdentity(conn),
        audit=PostgresAuditChain(conn, keys.audit_ring()),
        keys=keys,
    )
