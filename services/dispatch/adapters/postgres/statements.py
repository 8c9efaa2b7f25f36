"""Statements of reasons as issued, kept in ``dispatch.statements`` for their submission."""

from __future__ import annotations

import uuid
from datetime import datetime

import orjson

from shared.db import Connection
from shared.publisher import Outbound
from shared.topics import STATEMENTS_OF_REASONS


async def keep_statements(conn: Connection, events: list[Outbound]) -> None:
    """Store the statements among ``events`` for their submission (pending)."""
    rows = []
    for event in events:
        if event.topic != STATEMENTS_OF_REASONS.name:
            continue
        issued = orjson.loads(event.value)
        rows.append(
            (
                issued["puid"],
                uuid.UUID(issued["decision_id"]),
                uuid.UUID(issued["case_id"]),
                orjson.dumps(issued["statement"]).decode(),
                datetime.fromisoformat(issued["issued_at"]),
            )
        )
    if rows:
        await conn.executemany(
            """INSERT INTO dispatch.statements (puid, decision_id, case_id, statement,
                   issued_at)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING""",
            rows,
        )
