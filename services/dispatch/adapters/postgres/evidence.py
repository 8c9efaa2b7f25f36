"""Preserved evidence in PostgreSQL: written in the transaction of the action that preserves.

The row is committed with the enforcement action's outbox record, so dispatch holds the
evidence before the platform is told to remove anything. Reports that arrive later are added
(the reports consumer calls :func:`refresh_reports`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from services.dispatch.core.evidence import keep_until
from shared.db import Connection
from shared.events.reports import Category

_REPORTS = """coalesce((SELECT jsonb_agg(jsonb_build_object(
                   'report_id', r.report_id, 'reporter_id', r.reporter_id,
                   'reported_at', r.reported_at, 'language', r.language, 'text', r.text,
                   'evidence', r.evidence::jsonb) ORDER BY r.reported_at, r.report_id)
               FROM dispatch.case_reports r
               WHERE r.case_id = {case} AND r.revision = {revision}), '[]'::jsonb)"""


async def preserve(
    conn: Connection,
    *,
    case: tuple[uuid.UUID, int],
    category: Category,
    action_id: uuid.UUID,
    subject: dict[str, Any],
    matches: Sequence[dict[str, Any]],
    now: datetime,
) -> None:
    """Keep the evidence of a case revision (the first preservation stands)."""
    until, basis = keep_until(category, now)
    await conn.execute(
        f"""INSERT INTO dispatch.preserved_evidence (case_id, revision, category, action_id,
                subject, matches, reports, preserved_at, keep_until, basis)
            VALUES ($1, $2, $3, $4, $5, $6, {_REPORTS.format(case="$1", revision="$2")},
                    $7, $8, $9)
            ON CONFLICT (case_id, revision) DO NOTHING""",
        case[0],
        case[1],
        category.value,
        action_id,
        orjson.dumps(subject).decode(),
        orjson.dumps(list(matches)).decode(),
        now,
        until,
        basis,
    )


async def refresh_reports(conn: Connection, keys: Sequence[tuple[uuid.UUID, int]]) -> None:
    """Add the reports that arrived since to the preserved evidence of these case revisions."""
    await conn.execute(
        f"""UPDATE dispatch.preserved_evidence e
            SET reports = {_REPORTS.format(case="e.case_id", revision="e.revision")}
            WHERE (e.case_id, e.revision) IN (SELECT * FROM unnest($1::uuid[], $2::int[]))""",
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
