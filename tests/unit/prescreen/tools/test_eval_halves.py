"""The first batch's halves: chosen from the ids alone, the same every time, every group split."""

from __future__ import annotations

from collections import Counter

from tests.eval.prescreen_halves import group, held_out_ids, part, score, set_ids


def test_the_halves_are_fixed_by_the_seed_and_split_every_group() -> None:
    ids = set_ids()
    held = held_out_ids(ids)
    assert held == held_out_ids(list(reversed(ids)))  # the order the ids come in is no matter
    first = [i for i in ids if ".b-" not in i]
    assert held <= set(first)  # the second batch is never in the unread half
    sizes = Counter(group(i) for i in first)
    kept = Counter(group(i) for i in held)
    for name, size in sizes.items():
        assert kept[name] == (size + 1) // 2, name
    assert {part(i, held) for i in ids} == {"tuning", "held_out", "second"}


def test_score_counts_harmful_text_and_benign_sent_to_a_person_per_half() -> None:
    held = frozenset({"en-x-001"})
    rows = [
        _row("en-x-001", harmful=True, route="human_review"),
        _row("en-x-002", harmful=True, route="dismiss"),
        _row("en-x-003", harmful=False, route="human_review", qa=True),  # a QA sample
        _row("en-x.b-001", harmful=False, route="human_review"),
    ]
    lines = score(rows, held).splitlines()
    assert "harmful text 1/1 (100.0%)" in _line(lines, "live held_out all")
    assert "harmful text 0/1 (0.0%) benign 0/1 (0.0%)" in _line(lines, "live tuning all")
    assert "benign 1/1 (100.0%)" in _line(lines, "live second all")


def _row(case_id: str, *, harmful: bool, route: str, qa: bool = False) -> dict[str, object]:
    return {
        "id": case_id, "language": "en", "harmful_text": harmful,
        "expected_route": "human_review" if harmful else "dismiss",
        "live_route": route, "live_qa_sample": qa, "shadow_route": None,
        "shadow_qa_sample": False,
    }  # fmt: skip


def _line(lines: list[str], label: str) -> str:
    return next(" ".join(line.split()) for line in lines if line.startswith(label))
