"""The first batch of ``prescreen.jsonl`` split in two halves, one of them never read.

The first batch (ids without ``.b-``, 333 cases) was written by someone who had not read
the rules. Issue 22's second round read half of it to learn how its rules fail (the
``tuning`` half) and kept the other half (``held_out``) unread, chosen here by a seeded
shuffle of the ids alone, per group of ids (``en-harass``, ``fr-benign``, ...) so that both
halves hold every category and language, before any case was looked at.

``python -m tests.eval.prescreen_halves CASES.jsonl`` scores a ``crible eval prescreen
--cases-json`` run per half: the share of harmful text and of benign cases sent to a person,
overall and per language, for the live and the shadow policy.
"""

from __future__ import annotations

import json
import random
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

SEED = 22_2
SET = Path(__file__).resolve().parent / "prescreen.jsonl"
PARTS = ("tuning", "held_out", "second")


def group(case_id: str) -> str:
    """The id without its number: ``en-harass-003`` is in ``en-harass``."""
    return case_id.rsplit("-", 1)[0]


def held_out_ids(ids: Iterable[str]) -> frozenset[str]:
    """Half of each group of first-batch ids (rounded up), by a seeded shuffle of the ids."""
    groups: dict[str, list[str]] = defaultdict(list)
    for case_id in ids:
        if ".b-" not in case_id:
            groups[group(case_id)].append(case_id)
    rng = random.Random(SEED)
    held: set[str] = set()
    for name in sorted(groups):
        members = sorted(groups[name])
        rng.shuffle(members)
        held.update(members[: (len(members) + 1) // 2])
    return frozenset(held)


def part(case_id: str, held: frozenset[str]) -> str:
    """Which part of the set a case is in."""
    if ".b-" in case_id:
        return "second"
    return "held_out" if case_id in held else "tuning"


def set_ids(path: Path = SET) -> list[str]:
    """The ids of a labelled set, read alone (no case is looked at)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [str(json.loads(line)["id"]) for line in lines if line.strip()]


def _to_person(row: dict[str, Any], policy: str) -> bool:
    route = row[f"{policy}_route"]
    return route is not None and route != "dismiss" and not row[f"{policy}_qa_sample"]


def score(rows: Sequence[dict[str, Any]], held: frozenset[str]) -> str:
    """Harmful text and benign cases sent to a person, per part, language and policy."""
    lines = []
    policies = ("live", "shadow") if any(r["shadow_route"] for r in rows) else ("live",)
    for policy in policies:
        for name in PARTS:
            for language in (None, "en", "fr"):
                chosen = [
                    r
                    for r in rows
                    if part(r["id"], held) == name and language in (None, r["language"])
                ]
                harmful = [r for r in chosen if r["harmful_text"]]
                benign = [r for r in chosen if r["expected_route"] == "dismiss"]
                label = f"{policy} {name} {language or 'all'}"
                lines.append(
                    f"{label:22} harmful text {_rate(harmful, policy):>16}"
                    f"   benign {_rate(benign, policy):>16}"
                )
    return "\n".join(lines)


def _rate(rows: Sequence[dict[str, Any]], policy: str) -> str:
    sent = sum(_to_person(r, policy) for r in rows)
    return f"{sent}/{len(rows)} ({100 * sent / len(rows):.1f}%)" if rows else "-"


def main(argv: Sequence[str]) -> int:
    """Score a ``--cases-json`` file per half."""
    if len(argv) != 1:
        print(__doc__)
        return 2
    rows = [json.loads(x) for x in Path(argv[0]).read_text(encoding="utf-8").splitlines() if x]
    print(score(rows, held_out_ids(set_ids())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
