"""Issue 22's development set (fitted cases): the file is what its module writes."""

from __future__ import annotations

import json
from collections import Counter

from tests.eval.prescreen_dev_set import BENIGN, OUT, cases


def test_the_file_is_what_the_module_writes() -> None:
    written = [json.loads(line) for line in OUT.read_text(encoding="utf-8").splitlines()]
    assert written == cases()


def test_every_class_has_benign_cases_in_both_languages() -> None:
    for kind, entries in BENIGN.items():
        assert Counter(language for language, *_ in entries) == {"en": 6, "fr": 6}, kind
    first = [c for c in cases() if not any(b in str(c["id"]) for b in ("-second", "-round4"))]
    routes = Counter((str(case["id"])[:2], case["expected_route"]) for case in first)
    assert routes == {
        ("en", "dismiss"): 60,
        ("fr", "dismiss"): 60,
        ("en", "human_review"): 15,
        ("fr", "human_review"): 15,
    }
