"""Prescreen's screening tables: case screening states, verdicts, shadow decisions."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from services.prescreen.core.screening_state import CaseScreening
from services.prescreen.ports import ShadowRow, VerdictRow
from shared.db import Connection


class PostgresScreeningStore:
    """Works inside the transaction of the connection it is given."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def lock_and_load(self, case_ids: Sequence[UUID]) -> dict[UUID, CaseScreening]:
        """The cases' last screened states, locked until the transaction ends.

        Rows are locked in case-id order so that two workers never deadlock; a case not yet
        screened has no row to lock, and its first verdict is guarded by the verdict id's
        uniqueness instead.
        """
        rows = await self._conn.fetch(
            """SELECT case_id, revision, report_count, case_event_id, verdict_id, fingerprint,
                      screened_at
               FROM prescreen.case_screening WHERE case_id = ANY($1::uuid[])
               ORDER BY case_id FOR UPDATE""",
            sorted(set(case_ids)),
        )
        return {r["case_id"]: CaseScreening(**dict(r)) for r in rows}

    async def save(
        self,
        states: Sequence[CaseScreening],
        verdicts: Sequence[VerdictRow],
        shadows: Sequence[ShadowRow],
    ) -> None:
        """Store the new case states, verdicts and shadow decisions (idempotently).

        Each table gets one statement over arrays of the batch's rows (``unnest``), not one
        execution per row: PostgreSQL plans and starts the statement once per batch.
        """
        if verdicts:
            await self._conn.execute(
                """INSERT INTO prescreen.verdicts (verdict_id, case_id, case_revision,
                       case_event_id, route, screened_category, severity, priority_hint,
                       policy_name, policy_version, qa_sample, screened_at, body)
                   SELECT v.verdict_id, v.case_id, v.case_revision, v.case_event_id, v.route,
                          v.screened_category, v.severity, v.priority_hint, v.policy_name,
                          v.policy_version, v.qa_sample, v.screened_at, v.body::json
                   FROM unnest($1::uuid[], $2::uuid[], $3::integer[], $4::uuid[], $5::text[],
                               $6::text[], $7::text[], $8::integer[], $9::text[],
                               $10::integer[], $11::boolean[], $12::timestamptz[], $13::text[])
                        AS v(verdict_id, case_id, case_revision, case_event_id, route,
                             screened_category, severity, priority_hint, policy_name,
                             policy_version, qa_sample, screened_at, body)
                   ON CONFLICT (verdict_id) DO NOTHING""",
                *_columns(verdicts),
            )
        if shadows:
            await self._conn.execute(
                """INSERT INTO prescreen.shadow_decisions (verdict_id, policy_name,
                       policy_version, route, screened_category, severity, priority_hint,
                       agrees, decided_at)
                   SELECT * FROM unnest($1::uuid[], $2::text[], $3::integer[], $4::text[],
                                        $5::text[], $6::text[], $7::integer[], $8::boolean[],
                                        $9::timestamptz[])
                   ON CONFLICT (verdict_id) DO NOTHING""",
                *_columns(shadows),
            )
        if states:
            # one row per case (the handler keeps each case's last state): an upsert may
            # not touch a row twice in one statement
            await self._conn.execute(
                """INSERT INTO prescreen.case_screening (case_id, revision, report_count,
                       case_event_id, verdict_id, fingerprint, screened_at)
                   SELECT * FROM unnest($1::uuid[], $2::integer[], $3::integer[], $4::uuid[],
                                        $5::uuid[], $6::text[], $7::timestamptz[])
                   ON CONFLICT (case_id) DO UPDATE SET revision = EXCLUDED.revision,
                       report_count = EXCLUDED.report_count,
                       case_event_id = EXCLUDED.case_event_id,
                       verdict_id = EXCLUDED.verdict_id, fingerprint = EXCLUDED.fingerprint,
                       screened_at = EXCLUDED.screened_at
                   WHERE (case_screening.revision, case_screening.report_count)
                       < (EXCLUDED.revision, EXCLUDED.report_count)""",
                *_columns(states),
            )


def _columns(rows: Sequence[CaseScreening | VerdictRow | ShadowRow]) -> list[list[object]]:
    """The rows' fields as one list per column, in the dataclass's field order."""
    names = rows[0].__slots__
    return [[getattr(row, name) for row in rows] for name in names]
