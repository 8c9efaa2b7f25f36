"""The events handlers publish besides decisions: statements of reasons as issued."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import orjson

from services.dispatch.core.statements import puid_for
from shared.publisher import Outbound
from shared.topics import STATEMENTS_OF_REASONS


def issued_event(
    statement: dict[str, Any] | None,
    decision_id: uuid.UUID,
    case_id: uuid.UUID,
    key: bytes,
    now: datetime,
) -> Outbound:
    """The ``StatementIssued`` event of a statement."""
    issued = {
        "schema_version": 1,
        "puid": puid_for(decision_id),
        "decision_id": decision_id,
        "case_id": str(case_id),
        "statement": statement,
        "issued_at": now,
    }
    return Outbound(STATEMENTS_OF_REASONS.name, key, orjson.dumps(issued))
