"""Statements of reasons as handlers issue them: the event, and its record for the outbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.dispatch.core.statements import puid_for
from shared.events.decisions import StatementIssued
from shared.runtime.contract import Outbound
from shared.topics import STATEMENTS_OF_REASONS


def issued(
    statement: dict[str, Any], decision_id: uuid.UUID, case_id: uuid.UUID, now: datetime
) -> StatementIssued:
    """The ``StatementIssued`` event of a statement."""
    return StatementIssued(
        schema_version=1,
        puid=puid_for(decision_id),
        decision_id=decision_id,
        case_id=case_id,
        statement=statement,
        issued_at=now,
    )


def outbound(event: StatementIssued) -> Outbound:
    """The event as published on ``statements.of_reasons`` (key: the case id)."""
    return Outbound(
        STATEMENTS_OF_REASONS.name, str(event.case_id).encode(), event.model_dump_json().encode()
    )
