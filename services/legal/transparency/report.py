"""The whole report as one JSON-ready document (pure).

What it covers, what it was computed from, and its figures. The JSON, CSV and HTML forms
are all rendered from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from services.legal.core.audit import AuditEntry, ChainVerdict
from services.legal.core.checkpoint import Anchors
from services.legal.transparency.figures import legal_section, reconcile
from services.legal.transparency.moderation import ModerationCounts, moderation_section
from services.legal.transparency.periods import Period
from services.legal.transparency.records import PortalRefusal, RequestRecord

#: Bumped when a figure changes meaning or a key moves.
FORMAT_VERSION = 1


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def chain_summary(
    verdict: ChainVerdict, head: AuditEntry | None, anchors: Anchors | None = None
) -> dict[str, Any]:
    """How the chain the figures were read from verified, and what anchored it.

    Its last entry, and the newest signed checkpoint it was verified against.
    """
    newest = None if anchors is None else anchors.newest
    last = 0 if head is None else head.sequence
    return {
        "intact": verdict.intact and not (anchors and anchors.refused),
        "entries_checked": verdict.entries_checked,
        "broken_at": verdict.broken_at,
        "break_kind": None if verdict.kind is None else verdict.kind.value,
        "break_detail": verdict.detail or None,
        "last_sequence": None if head is None else head.sequence,
        "last_hash": None if head is None else head.entry_hash.hex(),
        "last_recorded_at": None if head is None else _utc(head.recorded_at),
        "checkpoint": None
        if newest is None
        else {
            "size": newest.size,
            "head": newest.head.hex(),
            "signed_at": _utc(newest.time),
            "origin": newest.origin,
        },
        "checkpoints_verified": 0 if anchors is None else len(anchors.verified),
        "checkpoints_refused": [] if anchors is None else list(anchors.refused),
        "entries_not_anchored": last - (0 if newest is None else newest.size),
    }


def build_report(
    *,
    period: Period,
    generated_at: datetime,
    verdict: ChainVerdict,
    head: AuditEntry | None,
    anchors: Anchors | None = None,
    records: Sequence[RequestRecord],
    portal: Sequence[PortalRefusal],
    moderation: ModerationCounts,
) -> dict[str, Any]:
    """The report of ``period`` from what was read in one snapshot."""
    return {
        "format_version": FORMAT_VERSION,
        "period": {"label": period.label, "start": _utc(period.start), "end": _utc(period.end)},
        "generated_at": _utc(generated_at),
        "source": {
            "audit_chain": chain_summary(verdict, head, anchors),
            "requests_read": len(records),
            "reconciliation": reconcile(records),
        },
        "legal_requests": legal_section(records, portal),
        "moderation": moderation_section(moderation),
    }
