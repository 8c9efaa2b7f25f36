"""The held-out pre-screening set: its shape and its counts (no screening here)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from shared.events.reports import Category, Evidence, ReportSubmitted

HELDOUT = Path(__file__).parents[3] / "eval" / "prescreen_heldout.jsonl"
CATEGORIES = {c.value for c in Category if c is not Category.OTHER}
LANGUAGES = ("en", "fr")
ID = re.compile(r"^(en|fr)-h-[a-z]+-\d{3}$")


def _max_length(model: type[BaseModel], field: str) -> int:
    """The contract's own length limit of a text field."""
    return next(
        int(m.max_length) for m in model.model_fields[field].metadata if hasattr(m, "max_length")
    )


REPORT_MAX = _max_length(ReportSubmitted, "text")
EXCERPT_MAX = _max_length(Evidence, "message_excerpt")


def _cases() -> list[dict[str, Any]]:
    lines = HELDOUT.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


CASES = _cases()


def _language(case: dict[str, Any]) -> str:
    return str(case["id"][:2])


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_each_case_has_the_labelled_shape(case: dict[str, Any]) -> None:
    assert set(case) == {"id", "case", "expected_route", "expected_category"}
    assert ID.match(case["id"])
    body = case["case"]
    assert set(body) == {"category", "reporter_count", "texts"}
    assert body["category"] in CATEGORIES
    assert 1 <= body["reporter_count"] <= 6
    assert 1 <= len(body["texts"]) <= 2
    for text in body["texts"]:
        assert text["source"] in {"report", "excerpt"}
        assert text["text"].strip()
        if text["source"] == "report":
            assert set(text) <= {"source", "text", "language"}
            assert text.get("language", "en") in LANGUAGES
            assert len(text["text"]) <= REPORT_MAX
        else:
            assert set(text) == {"source", "text"}, "the platform never knows an excerpt's language"
            assert len(text["text"]) <= EXCERPT_MAX
    if case["expected_route"] == "human_review":
        assert case["expected_category"] in CATEGORIES
    else:
        assert case["expected_route"] == "dismiss"
        assert case["expected_category"] is None


def test_ids_are_unique() -> None:
    ids = [case["id"] for case in CASES]
    assert len(set(ids)) == len(ids)


def test_the_set_has_the_counts_issue_22_asks_for() -> None:
    routes = Counter(case["expected_route"] for case in CASES)
    assert len(CASES) == 220
    assert routes == {"human_review": 130, "dismiss": 90}
    assert Counter(_language(case) for case in CASES) == {"en": 110, "fr": 110}


def test_every_category_has_harmful_cases_in_both_languages() -> None:
    harmful = Counter(
        (case["expected_category"], _language(case))
        for case in CASES
        if case["expected_route"] == "human_review"
    )
    for category in CATEGORIES:
        total = harmful[category, "en"] + harmful[category, "fr"]
        assert total >= (14 if category in {"illegal_goods_drugs", "spam"} else 10), category
        assert min(harmful[category, "en"], harmful[category, "fr"]) >= 5, category


def test_some_reporters_chose_the_wrong_box_and_some_harmless_content_was_mass_reported() -> None:
    misfiled = [
        case for case in CASES if case["expected_category"] not in {None, case["case"]["category"]}
    ]
    mass_reported_benign = [
        case
        for case in CASES
        if case["expected_route"] == "dismiss" and case["case"]["reporter_count"] >= 4
    ]
    assert len(misfiled) >= 20
    assert len(mass_reported_benign) >= 5
