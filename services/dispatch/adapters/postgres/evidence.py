"""Preserved evidence in PostgreSQL: written in the transaction of the action that preserves.

The row is committed with the enforcement action's outbox record, so dispatch holds the
evidence before the platform is told to remove anything. Reports that arrive later are added
(the reports consumer calls :func:`refresh_reports`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import orjson

from services.dispatch.core.evidence import keep_until
from services.dispatch.ports import Preservation
from shared.db import Connection

_REPORTS = """coalesce((SELECT jsonb_agg(jsonb_build_object(
                   'report_id', r.report_id, 'reporter_id', r.reporter_id,
                   'reported_at', r.reported_at, 'language', r.language, 'text', r.text,
                   'evidence', r.evidence::jsonb) ORDER BY r.reported_at, r.report_id)
               FROM dispatch.case_reports r
               WHERE r.case_id = {case} AND r.revision = {revision}), '[]'::jsonb)"""


async def preserve(conn: Connection, evidence: Sequence[Preservation]) -> None:
    """Keep the evidence of each case revision (the first preservation stands).

    One statement over arrays (``unnest``) for all of them.
    """
    rows = []
    for one in evidence:
        until, basis = keep_until(one.category, one.preserved_at)
        rows.append(
            (
                one.case[0],
                one.case[1],
                one.category.value,
                one.action_id,
                orjson.dumps(dict(one.subject)).decode(),
                orjson.dumps([dict(m) for m in one.matches]).decode(),
                one.preserved_at,
                until,
                basis,
            )
        )
    if not rows:
        return
    await conn.execute(
        f"""INSERT INTO dispatch.preserved_evidence (case_id, revision, category, action_id,
                subject, matches, reports, preserved_at, keep_until, basis)
            SELECT e.case_id, e.revision, e.category, e.action_id, e.subject::json,
                   e.matches::json, {_REPORTS.format(case="e.case_id", revision="e.revision")},
                   e.preserved_at, e.keep_until, e.basis
            FROM unnest($1::uuid[], $2::int[], $3::text[], $4::uuid[], $5::text[], $6::text[],
                        $7::timestamptz[], $8::timestamptz[], $9::text[])
                 AS e (case_id, revision, category, action_id, subject, matches,
                       preserved_at, keep_until, basis)
            ON CONFLICT (case_id, revision) DO NOTHING""",
        *(list(column) for column in zip(*rows, strict=True)),
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
