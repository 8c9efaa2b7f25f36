"""Event contracts: strict pydantic models, one per kind of message on a Crible topic.

These models are the contract that non-Python platform back ends code against, through the
JSON Schemas exported under ``deploy/schemas/`` (``crible schemas export``).
"""

from shared.events.base import Event
from shared.events.cases import CaseEvent, CaseEventType
from shared.events.reports import (
    Category,
    Evidence,
    MediaHashes,
    ReportAccepted,
    ReportSubmitted,
    Subject,
    SubjectKind,
)

__all__ = [
    "CaseEvent",
    "CaseEventType",
    "Category",
    "Event",
    "Evidence",
    "MediaHashes",
    "ReportAccepted",
    "ReportSubmitted",
    "Subject",
    "SubjectKind",
]
