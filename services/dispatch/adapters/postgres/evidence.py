"""Preserved evidence in PostgreSQL: written in the transaction of the action that preserves.

The row is committed with the enforcement action's outbox record, so dispatch holds the
evidence before the platform is told to remove anything. Its reports are rows of
``dispatch.preserved_reports``: those stored by then are copied with it, and the reports
consumer adds each later one (:func:`add_reports`), one insert per report.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import orjson

from services.dispatch.core.evidence import keep_until
from services.dispatch.ports import Preservation
from shared.db import Connection

#: Copies reports of preserved case revisions into ``preserved_reports``; ``{where}`` picks
#: which (``r`` the stored report, ``e`` its preserved evidence).
_COPY = """INSERT INTO dispatch.preserved_reports (case_id, revision, report_id, reporter_id,
               reported_at, language, text, evidence)
           SELECT r.case_id, r.revision, r.report_id, r.reporter_id, r.reported_at, r.language,
                  r.text, r.evidence::jsonb
           FROM dispatch.case_reports r
           JOIN dispatch.preserved_evidence e ON e.case_id = r.case_id AND e.revision = r.revision
           WHERE {where}
           ORDER BY r.case_id, r.revision, r.report_id
           ON CONFLICT DO NOTHING"""

#: Preserving and adding reports to preserved evidence meet here: a preservation takes it
#: alone, every reports batch shared (batches do not wait for each other). A report whose
#: batch is still open when a revision's evidence is first preserved would otherwise be in
#: neither copy (the preservation cannot see it yet, its batch cannot see the evidence yet);
#: with the lock, whichever commits second sees the other's rows. One lock, not one per
#: revision: a batch may hold thousands of revisions. It is a statement of its own: the copy
#: that follows must take its snapshot after the lock is granted.
_EVIDENCE_LOCK = "SELECT pg_advisory_xact_lock{mode}(hashtextextended('dispatch.evidence', 0))"


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
    await conn.execute(_EVIDENCE_LOCK.format(mode=""))
    await conn.execute(
        """INSERT INTO dispatch.preserved_evidence (case_id, revision, category, action_id,
               subject, matches, preserved_at, keep_until, basis)
           SELECT e.case_id, e.revision, e.category, e.action_id, e.subject::json,
                  e.matches::json, e.preserved_at, e.keep_until, e.basis
           FROM unnest($1::uuid[], $2::int[], $3::text[], $4::uuid[], $5::text[], $6::text[],
                       $7::timestamptz[], $8::timestamptz[], $9::text[])
                AS e (case_id, revision, category, action_id, subject, matches,
                      preserved_at, keep_until, basis)
           ON CONFLICT (case_id, revision) DO NOTHING""",
        *(list(column) for column in zip(*rows, strict=True)),
    )
    # The reports stored so far, once per revision; later ones come with their batch.
    await conn.execute(
        _COPY.format(
            where="(r.case_id, r.revision) IN (SELECT * FROM unnest($1::uuid[], $2::int[]))"
        ),
        [row[0] for row in rows],
        [row[1] for row in rows],
    )


async def add_reports(conn: Connection, reports: Sequence[tuple[uuid.UUID, int, str]]) -> None:
    """Add these new reports (case, revision, report id) to their preserved evidence, if any.

    Only the batch's reports are copied: the cost of a batch does not grow with how many
    reports a preserved case revision already has.
    """
    await conn.execute(_EVIDENCE_LOCK.format(mode="_shared"))
    await conn.execute(
        _COPY.format(
            where="""(r.case_id, r.revision, r.report_id) IN
                         (SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[]))"""
        ),
        [r[0] for r in reports],
        [r[1] for r in reports],
        [r[2] for r in reports],
    )
