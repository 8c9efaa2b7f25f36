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
        """Store the new case states, verdicts and shadow decisions (idempotently)."""
        if verdicts:
            await self._conn.executemany(
                """INSERT INTO prescreen.verdicts (verdict_id, case_id, case_revision,
                       case_event_id, route, screened_category, severity, priority_hint,
                       policy_name, policy_version, qa_sample, screened_at, body)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                   ON CONFLICT (verdict_id) DO NOTHING""",
                [_values(v) for v in verdicts],
            )
        if shadows:
            await self._conn.executemany(
                """INSERT INTO prescreen.shadow_decisions (verdict_id, policy_name,
                       policy_version, route, screened_category, severity, priority_hint,
                       agrees, decided_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                   ON CONFLICT (verdict_id) DO NOTHING""",
                [_values(s) for s in shadows],
            )
        if states:
            await self._conn.executemany(
                """INSERT INTO prescreen.case_screening (case_id, revision, report_count,
                       case_event_id, verdict_id, fingerprint, screened_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7)
                   ON CONFLICT (case_id) DO UPDATE SET revision = EXCLUDED.revision,
                       report_count = EXCLUDED.report_count,
                       case_event_id = EXCLUDED.case_event_id,
                       verdict_id = EXCLUDED.verdict_id, fingerprint = EXCLUDED.fingerprint,
                       screened_at = EXCLUDED.screened_at
                   WHERE (case_screening.revision, case_screening.report_count)
                       < (EXCLUDED.revision, EXCLUDED.report_count)""",
                [_values(s) for s in states],
            )


def _values(row: CaseScreening | VerdictRow | ShadowRow) -> tuple[object, ...]:
    return tuple(getattr(row, name) for name in row.__slots__)
