"""Reads what the report is computed from, in one read-only REPEATABLE READ transaction.

Every figure then comes from one snapshot: the audit chain as verified, the requests (their
sealed bodies opened here, their targets reduced at once to digests under a key made for
this run), and the moderation tables, which the database groups and counts (volumes there
are large; legal requests are few and must be opened one by one anyway). Read as the owner
role, like the other operator commands; it writes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.legal.adapters.postgres.audit_log import entries
from services.legal.adapters.postgres.requests_store import PostgresRequests
from services.legal.core.audit import AuditEntry, verify_chain
from services.legal.core.checkpoint import Anchors
from services.legal.core.fieldcrypt import FieldCipher
from services.legal.transparency.figures import legal_section, reconcile
from services.legal.transparency.moderation import ModerationCounts
from services.legal.transparency.periods import Period
from services.legal.transparency.records import PortalRefusal, RequestRecord, TrailFacts
from services.legal.transparency.report import build_report, chain_summary
from services.legal.transparency.trail import portal_refusals, trail_facts
from shared.db import Connection
from shared.events.legal import DataCategory


async def read_report(
    conn: Connection,
    period: Period,
    cipher: FieldCipher,
    *,
    audit_keys: Mapping[str, bytes],
    anchors: Anchors,
    generated_at: datetime,
) -> dict[str, Any]:
    """The report of ``period``, from one consistent snapshot of the database.

    The chain is verified with the audit keys against the signed checkpoints read from
    outside (``anchors``); the report names the newest one.
    """
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        chain, records, portal = await _legal_snapshot(conn, period, cipher)
        moderation = await _moderation(conn, period)
    return build_report(
        period=period,
        generated_at=generated_at,
        verdict=verify_chain(chain, keys=audit_keys, anchors=anchors.pairs()),
        head=chain[-1] if chain else None,
        anchors=anchors,
        records=records,
        portal=portal,
        moderation=moderation,
    )


async def read_legal_report(
    conn: Connection,
    period: Period,
    cipher: FieldCipher,
    *,
    audit_keys: Mapping[str, bytes],
    anchors: Anchors,
) -> dict[str, Any]:
    """The legal requests' part of the report, from legal's own tables (the console's).

    The moderation figures need the other services' tables, which legal's role cannot read:
    ``crible transparency`` (the owner role) makes the whole report.
    """
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        chain, records, portal = await _legal_snapshot(conn, period, cipher)
    verdict = verify_chain(chain, keys=audit_keys, anchors=anchors.pairs())
    return {
        "period": {"label": period.label, "start": period.start, "end": period.end},
        "source": {
            "audit_chain": chain_summary(verdict, chain[-1] if chain else None, anchors),
            "requests_read": len(records),
            "reconciliation": reconcile(records),
        },
        "legal_requests": legal_section(records, portal),
    }


async def _legal_snapshot(
    conn: Connection, period: Period, cipher: FieldCipher
) -> tuple[list[AuditEntry], list[RequestRecord], list[PortalRefusal]]:
    """The chain, the period's requests with their trail, and the portal's refusals."""
    chain = await entries(conn)
    facts = trail_facts(chain)
    countries = {
        row["authority_id"]: row["country"]
        for row in await conn.fetch("SELECT authority_id, country FROM legal.authorities")
    }
    records = await _requests(conn, period, cipher, facts)
    portal = portal_refusals(chain, facts, period=period, countries=countries)
    return chain, records, portal


async def _requests(
    conn: Connection, period: Period, cipher: FieldCipher, facts: Mapping[str, TrailFacts]
) -> list[RequestRecord]:
    rows = await conn.fetch(
        """SELECT r.request_id, a.country, r.state, r.received_at, r.checked_at,
                  n.categories AS narrowed
           FROM legal.requests r
           JOIN legal.authorities a USING (authority_id)
           LEFT JOIN legal.narrowings n USING (request_id)
           WHERE r.received_at >= $1 AND r.received_at < $2
           ORDER BY r.received_at, r.request_id""",
        period.start,
        period.end,
    )
    # Distinct accounts are counted on digests; the key dies with this run.
    run_key = secrets.token_bytes(32)
    records = []
    for row in rows:
        request_id: uuid.UUID = row["request_id"]
        stored = await PostgresRequests(conn, cipher).load(request_id)
        if stored is None:  # read in this same snapshot: cannot happen
            raise RuntimeError(f"request {request_id} vanished from the snapshot")
        request = stored.request
        target = f"{request.target.kind.value}\x00{request.target.value}".encode()
        narrowed = row["narrowed"]
        records.append(
            RequestRecord(
                request_id=str(request_id),
                country=row["country"],
                instrument=request.instrument,
                emergency=request.emergency,
                state=row["state"],
                received_at=row["received_at"],
                checked_at=row["checked_at"],
                target=hmac.new(run_key, target, hashlib.sha256).digest(),
                non_disclosure=request.non_disclosure_until is not None,
                refusal_codes=tuple(str(r["code"]) for r in stored.refusals),
                approved_categories=frozenset(
                    request.categories if narrowed is None else (DataCategory(c) for c in narrowed)
                ),
                trail=facts.get(str(request_id), TrailFacts()),
            )
        )
    return records


async def _moderation(conn: Connection, period: Period) -> ModerationCounts:
    bounds = (period.start, period.end)
    reports = await conn.fetch(
        """SELECT body->>'category' AS category, count(*) AS n FROM ingest.reports
           WHERE accepted_at >= $1 AND accepted_at < $2 GROUP BY 1""",
        *bounds,
    )
    # Final decisions only: the first review of a dual review decides nothing on its own.
    human = await conn.fetch(
        """SELECT outcome, count(*) AS n FROM dispatch.decisions
           WHERE final AND decided_at >= $1 AND decided_at < $2 GROUP BY 1""",
        *bounds,
    )
    automated = await _one(
        conn,
        """SELECT count(*) FILTER (WHERE automatic_action_id IS NOT NULL) AS acted,
                  count(*) FILTER (WHERE state = 'dismissed') AS dismissed
           FROM dispatch.cases WHERE opened_at >= $1 AND opened_at < $2""",
        *bounds,
    )
    # From the notice (the revision's first report) to the person's final decision; a
    # revision whose reports are gone counts from its screening verdict. Decisions on
    # appeals have their own median below.
    to_decision = await conn.fetchval(
        """SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM
                      d.decided_at - coalesce(f.first_at, c.opened_at))::float8)
           FROM dispatch.decisions d
           JOIN dispatch.cases c USING (case_id, revision)
           LEFT JOIN LATERAL (SELECT min(r.accepted_at) AS first_at FROM ingest.reports r
                              WHERE r.case_id = d.case_id AND r.case_revision = d.revision) f
               ON true
           WHERE d.final AND d.decided_at >= $1 AND d.decided_at < $2
             AND NOT EXISTS (SELECT 1 FROM dispatch.appeals a
                             WHERE a.decided_by = d.decision_id)""",
        *bounds,
    )
    appeals = await _one(
        conn,
        """SELECT count(*) AS filed, count(a.decided_by) AS decided,
                  count(*) FILTER (WHERE decided.outcome <> appealed.outcome) AS overturned,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM
                      decided.decided_at - a.filed_at)::float8) AS median
           FROM dispatch.appeals a
           JOIN dispatch.decisions appealed ON appealed.decision_id = a.decision_id
           LEFT JOIN dispatch.decisions decided ON decided.decision_id = a.decided_by
           WHERE a.filed_at >= $1 AND a.filed_at < $2""",
        *bounds,
    )
    reversals = await _one(
        conn,
        """SELECT count(*) AS total, count(*) FILTER (WHERE automatic) AS automatic,
                  count(*) FILTER (WHERE on_appeal) AS on_appeal
           FROM (SELECT EXISTS (SELECT 1 FROM dispatch.cases c
                                WHERE c.case_id = d.case_id AND c.revision = d.revision
                                  AND c.automatic_action_id = d.reverses) AS automatic,
                        EXISTS (SELECT 1 FROM dispatch.appeals a
                                WHERE a.decided_by = d.decision_id) AS on_appeal
                 FROM dispatch.decisions d
                 WHERE d.reverses IS NOT NULL AND d.final
                   AND d.decided_at >= $1 AND d.decided_at < $2) reversing""",
        *bounds,
    )
    statements = await conn.fetch(
        """SELECT coalesce(statement->>'automated_decision', 'none') AS means, count(*) AS n
           FROM dispatch.statements WHERE issued_at >= $1 AND issued_at < $2 GROUP BY 1""",
        *bounds,
    )
    return ModerationCounts(
        reports_by_category={r["category"]: r["n"] for r in reports},
        human_decisions_by_outcome={r["outcome"]: r["n"] for r in human},
        automatic_actions=automated["acted"],
        screening_dismissals=automated["dismissed"],
        median_seconds_to_decision=_rounded(to_decision),
        appeals_filed=appeals["filed"],
        appeals_decided=appeals["decided"],
        appeals_overturned=appeals["overturned"],
        median_seconds_to_decide_appeal=_rounded(appeals["median"]),
        reversals=reversals["total"],
        reversals_of_automatic_actions=reversals["automatic"],
        reversals_on_appeal=reversals["on_appeal"],
        statements_by_automation={r["means"]: r["n"] for r in statements},
    )


async def _one(conn: Connection, query: str, *args: Any) -> Any:
    # An aggregate without GROUP BY always gives exactly one row.
    row = await conn.fetchrow(query, *args)
    if row is None:
        raise RuntimeError("an aggregate query returned no row")
    return row


def _rounded(seconds: float | None) -> float | None:
    # As ``figures.median`` rounds: the same precision for every median in the report.
    return None if seconds is None else round(seconds, 3)
