"""The audit chain verified on request (a legal admin's), the run itself audited.

The chain is recomputed with the audit keys against the signed checkpoints kept beside it
in ``legal.audit_checkpoints``; auditors check against the published ones with ``crible
audit verify``, which reads them from the topic and from their own copies.
"""

from __future__ import annotations

from typing import Any

from services.legal.adapters.postgres import audit_log
from services.legal.core.approval import Officer
from services.legal.core.audit import AuditStep
from services.legal.core.checkpoint import open_all
from services.legal.core.registrations import findings
from services.legal.ports import KeyStore, Legal
from shared.db import Connection


async def verify_and_record(
    legal: Legal, conn: Connection, keys: KeyStore, officer: Officer
) -> dict[str, Any]:
    """Verify the chain against its kept checkpoints and record the run; the verdict."""
    anchors = open_all(
        await audit_log.kept_notes(conn),
        public=keys.platform_key().public_key(),
        name=keys.audit_origin,
    )
    verdict = await audit_log.verify(conn, keys.audit_ring().keys, anchors.pairs())
    # Only a chain that verifies vouches for registrations.
    found = (
        findings(await audit_log.registrations(conn), await audit_log.entries(conn))
        if verdict.intact
        else []
    )
    await legal.audit.record(
        AuditStep.CHAIN_VERIFIED,
        actor=officer.officer_id,
        details={"intact": verdict.intact, "entries": verdict.entries_checked},
    )
    newest = anchors.newest
    return {
        "intact": verdict.intact and not anchors.refused,
        "entries_checked": verdict.entries_checked,
        "broken_at": verdict.broken_at,
        "kind": verdict.kind and verdict.kind.value,
        "detail": verdict.detail,
        "checkpoints_refused": list(anchors.refused),
        "newest_checkpoint": None
        if newest is None
        else {"size": newest.size, "signed_at": newest.time.isoformat()},
        "not_yet_anchored": verdict.entries_checked - (0 if newest is None else newest.size),
        # Credentials changed around the registration commands (services/legal/README.md).
        "unregistered_changes": [
            {
                "change_id": f.change.change_id,
                "kind": f.change.kind,
                "principal_id": f.change.principal_id,
                "changed_at": f.change.changed_at.isoformat(),
                "changed_by": f.change.changed_by,
                "acknowledged_by_incident": f.incident,
            }
            for f in found
        ],
    }
