"""Case rows written the way dispatch moves them, for tests that seed dispatch's tables.

PostgreSQL enforces the case lifecycle (migration 0007): a row enters as ``queued`` or
``dismissed`` and changes state one allowed step at a time. ``entry_state`` and
``move_case`` seed a row in any state along a path the trigger accepts.
"""

from __future__ import annotations

import uuid

import asyncpg

#: The steps a queued case takes to each state (a dismissed one is inserted as such).
_STEPS: dict[str, tuple[str, ...]] = {
    "queued": (),
    "dismissed": (),
    "leased": ("leased",),
    "held": ("leased", "held"),
    "escalated": ("leased", "escalated"),
    "awaiting_second_review": ("leased", "awaiting_second_review"),
    "decided": ("leased", "decided"),
    "appealed": ("leased", "decided", "appealed"),
}


def entry_state(state: str) -> str:
    """The state to insert a case revision in, on its way to ``state``."""
    return "dismissed" if state == "dismissed" else "queued"


async def move_case(
    db: asyncpg.Connection, case_id: uuid.UUID, state: str, *, reviewer: str, revision: int = 1
) -> None:
    """Walk an inserted case revision to ``state``; ``reviewer`` (a known id) holds the lease."""
    for step in _STEPS[state]:
        await db.execute(
            """UPDATE dispatch.cases SET state = $3::text,
                   leased_by = CASE WHEN $3::text = 'leased' THEN $4 ELSE NULL END,
                   lease_expires_at = CASE WHEN $3::text = 'leased'
                                           THEN now() + interval '5 minutes' END
               WHERE case_id = $1 AND revision = $2""",
            case_id,
            revision,
            step,
            reviewer,
        )
