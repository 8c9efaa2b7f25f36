"""PostgreSQL implementation of :class:`CaseStorePort`, with one statement per kind of write."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

import asyncpg
import orjson

from services.ingest.core import CaseId, CaseState, CaseStatus, Ingestion, Known
from shared.db import Connection
from shared.events import Category, ReportSubmitted, Subject


def _lock_key(case_id: CaseId) -> int:
    # The first 64 bits of the UUID (its first 16 hex digits), as a signed bigint.
    high = int(case_id[:8] + case_id[9:13] + case_id[14:18], 16)
    return high - (1 << 64) if high >= 1 << 63 else high


class PostgresCaseStore:
    """Works inside the transaction of the connection it is given."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def lock_cases(self, case_ids: Collection[CaseId]) -> None:
        """Transaction-scoped advisory locks, taken in key order so workers never deadlock.

        Advisory locks also cover cases that do not exist yet, which row locks cannot.
        """
        keys = sorted({_lock_key(c) for c in case_ids})
        await self._conn.execute(
            "SELECT count(pg_advisory_xact_lock(k)) FROM unnest($1::bigint[]) AS k", keys
        )

    async def load(self, reports: Sequence[ReportSubmitted], case_ids: Sequence[CaseId]) -> Known:
        """Stored report ids among ``reports``, their cases, and reporters already counted.

        A reporter is counted in a revision once one of their reports is stored in it.
        """
        conn = self._conn
        report_ids = [r.report_id for r in reports]
        known_ids = await conn.fetch(
            "SELECT report_id FROM ingest.reports WHERE report_id = ANY($1::text[])", report_ids
        )
        # A case id names one subject and category: take them from the reports.
        named = {
            case_id: (r.subject, r.category) for r, case_id in zip(reports, case_ids, strict=True)
        }
        rows = await conn.fetch(
            """
            SELECT case_id::text, revision, status, report_count, reporter_count,
                   first_reported_at, last_reported_at, reporter_languages
            FROM ingest.cases WHERE case_id = ANY($1::uuid[])
            """,
            list(named),
        )
        cases = {row["case_id"]: _case_from_row(row, *named[row["case_id"]]) for row in rows}
        candidates = {
            (case.case_id, case.revision, r.reporter_id)
            for r, case_id in zip(reports, case_ids, strict=True)
            if (case := cases.get(case_id)) is not None and case.status is CaseStatus.OPEN
        }
        counted: set[tuple[CaseId, int, str]] = set()
        if candidates:
            c_ids, c_revs, c_reporters = zip(*candidates, strict=True)
            found = await conn.fetch(
                """
                SELECT DISTINCT q.case_id, q.revision, q.reporter_id
                FROM unnest($1::uuid[], $2::int[], $3::text[]) AS q(case_id, revision, reporter_id)
                JOIN ingest.reports r ON r.case_id = q.case_id
                    AND r.case_revision = q.revision AND r.reporter_id = q.reporter_id
                """,
                list(c_ids),
                list(c_revs),
                list(c_reporters),
            )
            counted = {(str(f["case_id"]), f["revision"], f["reporter_id"]) for f in found}
        return Known(report_ids={r["report_id"] for r in known_ids}, cases=cases, reporters=counted)

    async def save(
        self, ingestion: Ingestion, *, accepted_at: datetime, bodies: Mapping[str, bytes]
    ) -> None:
        """Insert the reports, upsert the cases: two statements per batch."""
        # Rows travel as one JSON document per statement, encoded by orjson and unpacked by
        # PostgreSQL (json_to_recordset): far cheaper for this process than binding arrays,
        # and the database has a core to spare. Report bodies are embedded as encoded.
        conn = self._conn
        if ingestion.accepted:
            reports = orjson.dumps(
                [
                    {
                        "report_id": a.report.report_id,
                        "case_id": a.case_id,
                        "case_revision": a.case_revision,
                        "reporter_id": a.report.reporter_id,
                        "repeat": a.repeat,
                        "reported_at": a.report.reported_at,
                        "body": orjson.Fragment(bodies[a.report.report_id]),
                    }
                    for a in ingestion.accepted
                ]
            )
            await conn.execute(
                """
                INSERT INTO ingest.reports (report_id, case_id, case_revision, reporter_id,
                                            repeat, reported_at, accepted_at, body)
                SELECT r.report_id, r.case_id, r.case_revision, r.reporter_id, r.repeat,
                       r.reported_at, $2, r.body
                FROM json_to_recordset(convert_from($1::bytea, 'UTF8')::json) AS r(
                    report_id text, case_id uuid, case_revision int, reporter_id text,
                    repeat boolean, reported_at timestamptz, body json)
                ON CONFLICT (report_id) DO NOTHING
                """,
                reports,
                accepted_at,
            )
        if ingestion.changes:
            cases = orjson.dumps(
                [
                    {
                        "case_id": c.case_id,
                        "kind": c.subject.kind,
                        "sid": c.subject.id,
                        "chat": c.subject.chat_id,
                        "category": c.category,
                        "revision": c.revision,
                        "status": c.status,
                        "reports": c.report_count,
                        "reporters": c.reporter_count,
                        "first_at": c.first_reported_at,
                        "last_at": c.last_reported_at,
                        "languages": c.reporter_languages,
                    }
                    for c in (change.state for change in ingestion.changes)
                ]
            )
            await conn.execute(
                """
                INSERT INTO ingest.cases (case_id, subject_kind, subject_id, subject_chat_id,
                    category, revision, status, report_count, reporter_count,
                    first_reported_at, last_reported_at, reporter_languages, updated_at)
                SELECT c.case_id, c.kind, c.sid, c.chat, c.category, c.revision, c.status,
                       c.reports, c.reporters, c.first_at, c.last_at,
                       ARRAY(SELECT json_array_elements_text(c.languages)), $2
                FROM json_to_recordset(convert_from($1::bytea, 'UTF8')::json) AS c(
                    case_id uuid, kind text, sid text, chat text, category text, revision int,
                    status text, reports int, reporters int, first_at timestamptz,
                    last_at timestamptz, languages json)
                ON CONFLICT (case_id) DO UPDATE SET
                    revision = EXCLUDED.revision,
                    status = EXCLUDED.status,
                    report_count = EXCLUDED.report_count,
                    reporter_count = EXCLUDED.reporter_count,
                    first_reported_at = EXCLUDED.first_reported_at,
                    last_reported_at = EXCLUDED.last_reported_at,
                    reporter_languages = EXCLUDED.reporter_languages,
                    updated_at = EXCLUDED.updated_at
                """,
                cases,
                accepted_at,
            )

    async def close_case(self, case_id: CaseId, *, revision: int) -> bool:
        """Mark the current revision decided, if it is still the current one."""
        status = await self._conn.execute(
            "UPDATE ingest.cases SET status = 'closed' WHERE case_id = $1 AND revision = $2",
            case_id,
            revision,
        )
        return bool(status == "UPDATE 1")


def _case_from_row(row: asyncpg.Record, subject: Subject, category: Category) -> CaseState:
    return CaseState(
        case_id=row["case_id"],
        subject=subject,
        category=category,
        revision=row["revision"],
        status=CaseStatus(row["status"]),
        report_count=row["report_count"],
        reporter_count=row["reporter_count"],
        first_reported_at=row["first_reported_at"],
        last_reported_at=row["last_reported_at"],
        reporter_languages=tuple(row["reporter_languages"]),
    )
