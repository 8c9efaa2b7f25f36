"""The independently written set (``tests/eval/prescreen_fresh.jsonl``): its shape and counts only.

Nothing here scores the set; ``crible eval prescreen`` does that.
"""

from __future__ import annotations

import json
import re
import runpy
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from services.prescreen.tools.evaluate import Labelled, read_labelled
from shared.events import Category
from shared.events.reports import ReportSubmitted
from shared.events.screening import Route

EVAL = Path(__file__).resolve().parents[4] / "tests" / "eval"
SET = EVAL / "prescreen_fresh.jsonl"
GENERATOR = EVAL / "prescreen_fresh_set.py"
HARMFUL = [c for c in Category if c is not Category.OTHER]


@pytest.fixture(scope="module")
def items() -> list[Labelled]:
    return read_labelled(SET)


@pytest.fixture(scope="module")
def raw() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines()]


def test_the_eval_reader_reads_240_cases_half_english_half_french(items: list[Labelled]) -> None:
    assert len(items) == 240
    assert Counter(item.language for item in items) == {"en": 120, "fr": 120}


def test_ids_are_unique_and_name_language_set_and_group(items: list[Labelled]) -> None:
    ids = [item.id for item in items]
    assert len(set(ids)) == len(ids)
    groups = "|".join([*(c.value for c in HARMFUL), "benign"])
    pattern = re.compile(rf"^(en|fr)-f-({groups})-\d{{3}}$")
    assert [i for i in ids if not pattern.match(i)] == []
    for item in items:
        group = item.id.split("-")[2]
        assert group == (item.expected_category or "benign"), item.id


def test_every_harmful_category_has_about_13_cases_in_both_languages(
    items: list[Labelled],
) -> None:
    harmful = [item for item in items if not item.benign]
    assert 120 <= len(harmful) <= 140
    for category in HARMFUL:
        cases = [item for item in harmful if item.expected_category is category]
        assert 11 <= len(cases) <= 15, category
        assert {item.language for item in cases} == {"en", "fr"}, category
    for item in harmful:
        assert item.expected_route is Route.HUMAN_REVIEW, item.id
        assert item.harmful_text, item.id


def test_benign_look_alikes_are_dismissed_with_no_category(items: list[Labelled]) -> None:
    benign = [item for item in items if item.benign]
    assert 100 <= len(benign) <= 120
    assert all(item.expected_category is None for item in benign)
    assert Counter(item.language for item in benign) == {"en": 55, "fr": 55}
    assert sum(item.case.reporter_count >= 3 for item in benign) >= 10


def test_about_a_third_of_harmful_cases_were_reported_under_another_category(
    items: list[Labelled],
) -> None:
    harmful = [item for item in items if not item.benign]
    misfiled = [item for item in harmful if item.case.category is not item.expected_category]
    assert 0.25 <= len(misfiled) / len(harmful) <= 0.40


def test_texts_are_reports_or_excerpts_tagged_on_some_only(raw: list[dict[str, Any]]) -> None:
    texts = [text for row in raw for text in row["case"]["texts"]]
    assert {text["source"] for text in texts} == {"report", "excerpt"}
    tagged = [text for text in texts if "language" in text]
    assert 0 < len(tagged) < len(texts)
    for row in raw:
        for text in row["case"]["texts"]:
            assert text.get("language", row["id"][:2]) == row["id"][:2], row["id"]


def test_every_case_goes_through_the_report_contract(raw: list[dict[str, Any]]) -> None:
    """Each case could have been submitted: its words as the report, its excerpt as evidence."""
    for number, row in enumerate(raw):
        case = row["case"]
        said = {text["source"]: text["text"] for text in case["texts"]}
        report = {
            "schema_version": 1,
            "report_id": f"fresh-{number}",
            "reported_at": "2026-12-07T03:00:00+00:00",
            "reporter_id": "reporter-1",
            "reporter_language": row["id"][:2],
            "subject": {"kind": "message", "id": f"m{number}", "chat_id": "c1"},
            "category": case["category"],
            "text": said.get("report"),
            "evidence": {"message_excerpt": said["excerpt"]} if "excerpt" in said else None,
        }
        ReportSubmitted.model_validate_json(json.dumps(report))
        assert len(case["texts"]) == len(said), row["id"]


def test_the_file_is_what_its_generator_writes() -> None:
    generator = runpy.run_path(str(GENERATOR), run_name="prescreen_fresh_set")
    assert generator["render"]() == SET.read_text(encoding="utf-8")
