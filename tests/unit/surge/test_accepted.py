"""The intake's reading of ``reports.accepted``: the fields surge uses, refused when invalid."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from pydantic import BaseModel, ValidationError

from services.surge.core.accepted import AcceptedSeen, ReportSeen
from services.surge.core.records import fingerprint
from services.surge.core.stages import accepted_of
from shared.events.reports import ReportAccepted, ReportSubmitted
from shared.runtime.errors import describe_error
from tests.unit.surge.helpers import T0
from tests.unit.surge.helpers import accepted_event as event


def test_a_valid_event_gives_the_record_surge_counts() -> None:
    record = accepted_of(orjson.dumps(event()))

    assert record is not None
    assert record.report == fingerprint("r1")
    assert record.reporter == fingerprint("u1")
    assert record.subject == "message:c1:m1"
    assert record.parts == ("message", "m1", "c1")
    assert record.category == "spam"
    assert record.at == T0


def test_what_ingest_wrote_is_read_as_the_contract_reads_it() -> None:
    value = orjson.dumps(event())
    full = ReportAccepted.model_validate_json(value)

    seen = AcceptedSeen.model_validate_json(value)

    assert seen.report.model_dump() == full.report.model_dump(include=set(ReportSeen.model_fields))
    assert seen.repeat == full.repeat


def test_a_repeat_is_skipped() -> None:
    assert accepted_of(orjson.dumps({**event(), "repeat": True})) is None


@pytest.mark.parametrize(
    ("model", "contract"), [(AcceptedSeen, ReportAccepted), (ReportSeen, ReportSubmitted)]
)
def test_each_field_read_has_the_contract_s_type_and_constraints(
    model: type[BaseModel], contract: type[BaseModel]
) -> None:
    for name, field in model.model_fields.items():
        if name == "report":
            continue  # ReportSeen, checked against ReportSubmitted
        expected = contract.model_fields[name]
        assert (field.annotation, field.metadata) == (expected.annotation, expected.metadata)
    assert model.model_config.get("strict") is True


def _without(key: str) -> dict[str, Any]:
    report = event()["report"]
    del report[key]
    return {**event(), "report": report}


REFUSED: dict[str, bytes | None] = {
    "no value": None,
    "not JSON": b"{not json",
    "not UTF-8": b"\xff\xfe not utf-8",
    "not an object": b"[1, 2, 3]",
    "empty object": b"{}",
    "another event version": orjson.dumps({**event(), "schema_version": 2}),
    "another report version": orjson.dumps(event(schema_version=2)),
    "no report": orjson.dumps({k: v for k, v in event().items() if k != "report"}),
    "repeat missing": orjson.dumps({k: v for k, v in event().items() if k != "repeat"}),
    "repeat not a boolean": orjson.dumps({**event(), "repeat": "false"}),
    "report id missing": orjson.dumps(_without("report_id")),
    "report id with a space": orjson.dumps(event(report_id="r 1")),
    "report id too long": orjson.dumps(event(report_id="r" * 65)),
    "reporter id empty": orjson.dumps(event(reporter_id="")),
    "reporter id with NUL": orjson.dumps(event(reporter_id="u\x001")),
    "reporter id a number": orjson.dumps(event(reporter_id=1)),
    "time without a zone": orjson.dumps(event(reported_at="2026-11-28T10:00:00")),
    "time not a time": orjson.dumps(event(reported_at="yesterday")),
    "time a number": orjson.dumps(event(reported_at=T0)),
    "message without its chat": orjson.dumps(event(subject={"kind": "message", "id": "m1"})),
    "user with a chat": orjson.dumps(event(subject={"kind": "user", "id": "u", "chat_id": "c"})),
    "unknown subject kind": orjson.dumps(event(subject={"kind": "planet", "id": "p"})),
    "unknown field in the subject": orjson.dumps(
        event(subject={"kind": "user", "id": "u", "extra": 1})
    ),
    "unknown category": orjson.dumps(event(category="not-a-category")),
}


@pytest.mark.parametrize("value", REFUSED.values(), ids=REFUSED.keys())
def test_an_invalid_field_surge_uses_is_refused(value: bytes | None) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - pydantic's ValidationError is one
        accepted_of(value)


def test_a_refusal_s_reason_names_the_contract_and_the_field_not_its_value() -> None:
    with pytest.raises(ValidationError) as refused:
        accepted_of(orjson.dumps(event(reporter_id="secret-u\x001")))

    reason = describe_error(refused.value)  # the dead letter's crible.error.message
    assert reason.startswith("1 validation error(s) for ReportAccepted: report.reporter_id: ")
    assert "secret" not in reason


def test_fields_surge_does_not_read_are_left_to_ingest() -> None:
    # ingest validated them; surge counts the report whatever its text or evidence holds.
    value = orjson.dumps(event(text="\x00", evidence={"urls": "not a list"}))

    with pytest.raises(ValidationError):
        ReportAccepted.model_validate_json(value)
    assert accepted_of(value) is not None
