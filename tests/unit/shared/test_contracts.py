"""The report contract rejects what a platform engineer must fix, with a usable reason."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pydantic import ValidationError

from shared import schemas
from shared.events import ReportSubmitted
from shared.runtime import describe_error

VALID = {
    "schema_version": 1,
    "report_id": "r1",
    "reported_at": "2026-11-28T10:00:00+01:00",
    "reporter_id": "u1",
    "reporter_language": "pt-BR",
    "subject": {"kind": "message", "id": "5", "chat_id": "c9"},
    "category": "fraud_scam",
    "text": "they asked for my card number",
    "evidence": {"media": [{"pdq": "f" * 64, "pdq_quality": 90}], "urls": ["https://x.invalid/a"]},
}


def with_(**changes: object) -> bytes:
    return json.dumps({**VALID, **changes}).encode()


def test_a_complete_report_is_accepted() -> None:
    parsed = ReportSubmitted.model_validate_json(json.dumps(VALID))
    assert parsed.subject.key() == "message:c9:5"


@pytest.mark.parametrize(
    ("payload", "location"),
    [
        (with_(category="bad-content"), "category"),
        (with_(schema_version=2), "schema_version"),
        (with_(reported_at="2026-11-28T10:00:00"), "reported_at"),  # no time zone
        (with_(subject={"kind": "message", "id": "5"}), "subject"),  # a message needs its chat
        (with_(subject={"kind": "user", "id": "5", "chat_id": "c"}), "subject"),
        (with_(text="x" * 2001), "text"),
        (with_(reporter_id=""), "reporter_id"),
        (with_(evidence={"media": [{}]}), "evidence.media.0"),
        (with_(evidence={"urls": [""]}), "evidence.urls.0"),
        (with_(evidence={"urls": ["https://x.example/" + "a" * 2048]}), "evidence.urls.0"),
        (with_(evidence={"media": [{"pdq_dihedral": ["f" * 64]}]}), "evidence.media.0"),
        (with_(unexpected=True), "unexpected"),
        (with_(reporter_id=42), "reporter_id"),  # strict: no silent coercion
        # PostgreSQL cannot store U+0000: refused here, before a handler meets it.
        (with_(text="before\u0000after"), "text"),
        (with_(evidence={"message_excerpt": "\u0000"}), "evidence.message_excerpt"),
        (with_(evidence={"urls": ["https://x.invalid/\u0000"]}), "evidence.urls.0"),
    ],
)
def test_schema_violations_are_rejected_with_their_location(payload: bytes, location: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ReportSubmitted.model_validate_json(payload)
    assert location in describe_error(caught.value)


@pytest.mark.parametrize(
    "link",
    ["HTTPS://Scam.Example/login", "hxxp://scam[.]example", "javascript:alert(1)", "www.x.fr"],
)
def test_a_link_is_never_a_reason_to_refuse_a_report(link: str) -> None:
    report = ReportSubmitted.model_validate_json(with_(evidence={"urls": [link]}))
    assert report.evidence is not None
    assert report.evidence.urls == (link,)


def test_error_reason_never_echoes_the_message_content() -> None:
    secret = "+33612345678"
    with pytest.raises(ValidationError) as caught:
        ReportSubmitted.model_validate_json(with_(text=secret * 200))
    reason = describe_error(caught.value)
    assert secret not in reason
    assert "text: String should have at most 2000 characters" in reason


def test_exported_schemas_match_the_models() -> None:
    assert schemas.stale() == [], "run `crible schemas export` and commit deploy/schemas/"


def test_no_string_of_any_contract_can_carry_a_nul_character() -> None:
    for topic, model in schemas.CONTRACTS:
        schema = model.model_json_schema()
        open_strings = list(_strings_taking_nul(schema, model.__name__, schema.get("$defs", {})))
        assert open_strings == [], f"{topic.name}: give these fields the Text type"


def _strings_taking_nul(node: Any, path: str, defs: dict[str, Any]) -> Any:
    """Paths of the string fields whose schema would let U+0000 through."""
    if not isinstance(node, dict):
        return
    if "$ref" in node:
        yield from _strings_taking_nul(defs[node["$ref"].split("/")[-1]], path, defs)
        return
    if node.get("type") == "string" and not {"enum", "const", "format"} & node.keys():
        pattern = node.get("pattern")
        if pattern is None or re.search(pattern, "a\x00b") is not None:
            yield path
    for name, sub in node.get("properties", {}).items():
        yield from _strings_taking_nul(sub, f"{path}.{name}", defs)
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for sub in node.get(key, ()):
            yield from _strings_taking_nul(sub, path, defs)
    for key in ("items", "additionalProperties"):
        yield from _strings_taking_nul(node.get(key), f"{path}[]", defs)
