"""JSON Schemas of the event contracts and the AsyncAPI document of the topics.

``crible schemas export`` writes them under ``deploy/schemas/``; a test fails when a file
no longer matches its model, so the contract platform teams code against never drifts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from shared.events import CaseEvent, ReportAccepted, ReportSubmitted
from shared.events.decisions import ReviewDecision, StatementIssued
from shared.events.enforcement import EnforcementAction
from shared.events.identity import IdentityEvent
from shared.events.legal import AuditCheckpoint, DisclosureEvent, RequestReceived
from shared.events.notifications import UserNotification
from shared.events.screening import BankUpdate, ScreeningVerdict
from shared.events.surge import SurgeSignal
from shared.topics import (
    CASES,
    ENFORCEMENT_ACTIONS,
    HASHBANKS_UPDATES,
    IDENTITY_EVENTS,
    LEGAL_AUDIT_CHECKPOINTS,
    LEGAL_DISCLOSURES,
    LEGAL_REQUESTS,
    REPORTS_ACCEPTED,
    REPORTS_SUBMITTED,
    REVIEW_DECISIONS,
    SCREENING_VERDICTS,
    STATEMENTS_OF_REASONS,
    SURGE_SIGNALS,
    USER_NOTIFICATIONS,
    TopicSpec,
    all_topics,
)

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "deploy" / "schemas"

#: The event model carried by each topic that has one so far.
CONTRACTS: tuple[tuple[TopicSpec, type[BaseModel]], ...] = (
    (REPORTS_SUBMITTED, ReportSubmitted),
    (REPORTS_ACCEPTED, ReportAccepted),
    (CASES, CaseEvent),
    (SCREENING_VERDICTS, ScreeningVerdict),
    (HASHBANKS_UPDATES, BankUpdate),
    (SURGE_SIGNALS, SurgeSignal),
    (REVIEW_DECISIONS, ReviewDecision),
    (ENFORCEMENT_ACTIONS, EnforcementAction),
    (STATEMENTS_OF_REASONS, StatementIssued),
    (IDENTITY_EVENTS, IdentityEvent),
    (LEGAL_REQUESTS, RequestReceived),
    (LEGAL_DISCLOSURES, DisclosureEvent),
    (USER_NOTIFICATIONS, UserNotification),
    (LEGAL_AUDIT_CHECKPOINTS, AuditCheckpoint),
)


def schema_file(model: type[BaseModel]) -> str:
    """File name of a model's schema, versioned like its ``schema_version``."""
    return f"{model.__name__}.v1.json"


def render_schemas() -> dict[str, str]:
    """File name to content of every schema file and the AsyncAPI document."""
    files = {}
    for _topic, model in CONTRACTS:
        schema = model.model_json_schema(mode="validation")
        schema["$id"] = f"https://crible.invalid/schemas/{schema_file(model)}"
        files[schema_file(model)] = _dump(schema)
    files["asyncapi.json"] = _dump(_asyncapi())
    return files


def _asyncapi() -> dict[str, Any]:
    carried = {topic.name: model for topic, model in CONTRACTS}
    channels: dict[str, Any] = {}
    for topic in all_topics():
        channel: dict[str, Any] = {
            "address": topic.name,
            "description": topic.description,
            "bindings": {
                "kafka": {
                    "partitions": topic.partitions,
                    "topicConfiguration": {
                        "cleanup.policy": ["compact" if topic.compacted else "delete"],
                        "retention.ms": topic.retention_ms,
                    },
                }
            },
        }
        if (model := carried.get(topic.name)) is not None:
            channel["messages"] = {model.__name__: {"payload": {"$ref": f"./{schema_file(model)}"}}}
        channels[topic.name] = channel
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Crible topics",
            "version": "1.0.0",
            "description": "Kafka topics of Crible. Dead-letter topics (*.dlq) carry the "
            "original bytes with crible.error.* and crible.source.* headers.",
        },
        "channels": channels,
    }


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def render_openapi(documents: dict[str, dict[str, Any]]) -> dict[str, str]:
    """File name to content of each service's OpenAPI document (``<service>.openapi.json``)."""
    return {f"{service}.openapi.json": _dump(doc) for service, doc in sorted(documents.items())}


def export(
    directory: Path = SCHEMA_DIR, openapi: dict[str, dict[str, Any]] | None = None
) -> list[Path]:
    """Write every file (and the given services' OpenAPI documents); return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in (render_schemas() | render_openapi(openapi or {})).items():
        path = directory / name
        path.write_text(content)
        written.append(path)
    return written


def stale(
    directory: Path = SCHEMA_DIR, openapi: dict[str, dict[str, Any]] | None = None
) -> list[str]:
    """Names of files missing or different from what the models (and APIs) say."""
    return [
        name
        for name, content in (render_schemas() | render_openapi(openapi or {})).items()
        if not (directory / name).exists() or (directory / name).read_text() != content
    ]
