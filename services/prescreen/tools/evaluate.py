"""The eval harness: the live and shadow policies on a labelled set, side by side.

A labelled set is JSON Lines, one case a line::

    {"id": "fr-threat-01",
     "case": {"category": "harassment_threats", "reporter_count": 1,
              "texts": [{"source": "report", "text": "...", "language": "fr"}],
              "media": [{"pdq": "...", "pdq_quality": 90}], "urls": ["https://..."]},
     "expected_route": "human_review",
     "expected_category": "harassment_threats"}

``expected_category`` is the category a correct screening points to, or null for benign
content; ``expected_route`` is the route a correct policy takes. Screening runs offline with
the banks of the given bank files, exactly as a worker screens (same screeners, same code).

A run cannot hide a dead screener: every case a screener was ``unavailable`` for is counted,
the figures it touched are marked, and the command fails unless told to accept it. Figures
are given per language too (a case's language: its ``language`` field, else its id's prefix,
else its first tagged text's), and each case's outcome can be written as JSON Lines for
other tools to score (:func:`case_rows`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.prescreen.core.banks import BankSet
from services.prescreen.core.model import CaseInput, MediaItem, Route, TextItem, Usability
from services.prescreen.core.policy import Decision
from services.prescreen.core.verdicts import Screened
from services.prescreen.handlers.screening import ScreeningEngine
from services.prescreen.tools.bankfiles import read_bank_file, updates
from shared.events import Category
from shared.events.screening import BankDefined

ROUTES = (Route.ACT_NOW, Route.HUMAN_REVIEW, Route.DISMISS)


@dataclass(frozen=True, slots=True)
class Labelled:
    """One case of a labelled set and what a correct screening says of it."""

    id: str
    case: CaseInput
    expected_route: Route
    expected_category: Category | None
    language: str | None = None

    @property
    def harmful_text(self) -> bool:
        """A harmful case with texts and no media: what the text screening must catch."""
        return (
            self.expected_category is not None
            and self.expected_route is not Route.DISMISS
            and not self.case.media
            and bool(self.case.texts)
        )

    @property
    def benign(self) -> bool:
        """A case no person needs to see."""
        return self.expected_route is Route.DISMISS


@dataclass(slots=True)
class Scores:
    """Precision, recall and F1 per category and the route confusion matrix of one policy."""

    name: str
    true_pos: Counter[Category] = field(default_factory=Counter)
    false_pos: Counter[Category] = field(default_factory=Counter)
    false_neg: Counter[Category] = field(default_factory=Counter)
    confusion: Counter[tuple[Route, Route]] = field(default_factory=Counter)

    def add(self, item: Labelled, decision: Decision) -> None:
        """Count one decision against its label."""
        # A QA sample is a dismissal the policy would not have flagged.
        route = Route.DISMISS if decision.qa_sample else decision.route
        self.confusion[(item.expected_route, route)] += 1
        flagged = route is not Route.DISMISS
        expected = item.expected_category if item.expected_route is not Route.DISMISS else None
        predicted = decision.category if flagged else None
        if predicted is not None and predicted == expected:
            self.true_pos[predicted] += 1
            return
        if predicted is not None:
            self.false_pos[predicted] += 1
        if expected is not None:
            self.false_neg[expected] += 1

    def precision(self, category: Category) -> float:
        """TP / (TP + FP), or 0 with no prediction of the category."""
        flagged = self.true_pos[category] + self.false_pos[category]
        return self.true_pos[category] / flagged if flagged else 0.0

    def recall(self, category: Category) -> float:
        """TP / (TP + FN), or 0 with no case of the category."""
        actual = self.true_pos[category] + self.false_neg[category]
        return self.true_pos[category] / actual if actual else 0.0

    def f1(self, category: Category) -> float:
        """The harmonic mean of precision and recall."""
        p, r = self.precision(category), self.recall(category)
        return 2 * p * r / (p + r) if p + r else 0.0

    def route_accuracy(self) -> float:
        """Share of cases routed as labelled."""
        total = sum(self.confusion.values())
        right = sum(n for (want, got), n in self.confusion.items() if want is got)
        return right / total if total else 0.0


def read_labelled(path: Path) -> list[Labelled]:
    """Read a labelled set; a malformed line is an error naming it."""
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(_labelled(json.loads(line)))
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path}:{number}: {error}") from None
    return items


def _labelled(raw: dict[str, Any]) -> Labelled:
    case = raw["case"]
    expected = raw.get("expected_category")
    prefix = str(raw["id"]).split("-", 1)[0]
    tagged = [t["language"] for t in case.get("texts", ()) if t.get("language")]
    language = raw.get("language") or (
        prefix if len(prefix) == 2 and prefix.isalpha() else (tagged[0] if tagged else None)
    )
    return Labelled(
        id=str(raw["id"]),
        case=CaseInput(
            case_id=str(raw["id"]),
            revision=1,
            category=Category(case["category"]),
            texts=tuple(
                TextItem(t.get("source", "report"), t["text"], t.get("language"))
                for t in case.get("texts", ())
            ),
            media=tuple(
                MediaItem(
                    m.get("sha256"),
                    m.get("md5"),
                    m.get("pdq"),
                    m.get("pdq_quality"),
                    tuple(m.get("pdq_dihedral", ())),
                )
                for m in case.get("media", ())
            ),
            urls=tuple(case.get("urls", ())),
            report_count=int(case.get("report_count", case.get("reporter_count", 1))),
            reporter_count=int(case.get("reporter_count", 1)),
        ),
        expected_route=Route(raw["expected_route"]),
        expected_category=None if expected is None else Category(expected),
        language=language,
    )


def load_bank_files(paths: Iterable[Path]) -> BankSet:
    """A bank set holding the banks of these files (JSON files define their bank)."""
    banks = BankSet()
    for path in paths:
        file = read_bank_file(path)
        name = (file.definition or {}).get("name")
        if file.definition is None or not name:
            raise ValueError(f"{path}: an eval bank file must define its bank (JSON `bank`)")
        definition = BankDefined.model_validate(
            {
                "schema_version": 1,
                "type": "bank.defined",
                **{k: v for k, v in file.definition.items() if k != "name"},
                "bank": name,
            },
            strict=False,
        )
        banks.apply([definition, *updates(definition, definition.bank, file)])
    return banks


@dataclass(frozen=True, slots=True)
class EvalRun:
    """A labelled set screened: each case's outcome, the scores, what was unavailable."""

    items: Sequence[Labelled]
    screened: Sequence[Screened]
    scores: list[Scores]
    #: Cases each screener was unavailable for (a dead child, an endpoint down).
    unavailable: Counter[str]


def evaluate(engine: ScreeningEngine, items: Sequence[Labelled]) -> EvalRun:
    """Screen the set; score the live policy and, if there is one, the shadow policy."""
    live = Scores(f"live {engine.live.name} v{engine.live.version}")
    shadow = None if engine.shadow is None else Scores(
        f"shadow {engine.shadow.name} v{engine.shadow.version}"
    )  # fmt: skip
    screened: list[Screened] = []
    unavailable: Counter[str] = Counter()
    for start in range(0, len(items), 256):
        chunk = items[start : start + 256]
        for item, one in zip(chunk, engine.screen([i.case for i in chunk]), strict=True):
            screened.append(one)
            live.add(item, one.live)
            if shadow is not None and one.shadow is not None:
                shadow.add(item, one.shadow)
            unavailable.update(
                r.screener for r in one.results if r.usability is Usability.UNAVAILABLE
            )
    scores = [live] if shadow is None else [live, shadow]
    return EvalRun(items, screened, scores, unavailable)


def _to_person(decision: Decision | None) -> bool:
    """Whether a decision sends the case to a person (a QA sample is not a finding)."""
    return decision is not None and decision.route is not Route.DISMISS and not decision.qa_sample


def _rate(hits: int, total: int) -> str:
    return f"{hits}/{total} ({100 * hits / total:.1f}%)" if total else "-"


def case_rows(run: EvalRun) -> list[dict[str, Any]]:
    """One row per case, for other tools to score a run (``--cases-json``)."""
    rows = []
    for item, one in zip(run.items, run.screened, strict=True):
        shadow = one.shadow
        rows.append(
            {
                "id": item.id,
                "language": item.language,
                "expected_route": item.expected_route.value,
                "harmful_text": item.harmful_text,
                "expected_category": None
                if item.expected_category is None
                else item.expected_category.value,
                "live_route": one.live.route.value,
                "live_category": one.live.category.value,
                "live_qa_sample": one.live.qa_sample,
                "shadow_route": None if shadow is None else shadow.route.value,
                "shadow_category": None if shadow is None else shadow.category.value,
                "shadow_qa_sample": None if shadow is None else shadow.qa_sample,
                "screeners": {r.screener: r.usability.value for r in one.results},
            }
        )
    return rows


def render(run: EvalRun) -> str:
    """A plain-text report: the targets' figures per language, per-category metrics, routes.

    When a screener was unavailable for some cases, a warning says so first and every
    figure those cases entered is marked ``!``.
    """
    items, scores = run.items, run.scores
    touched = {
        index
        for index, one in enumerate(run.screened)
        if any(r.usability is Usability.UNAVAILABLE for r in one.results)
    }
    mark = " !" if touched else ""
    lines = [f"{len(items)} labelled cases", ""]
    if touched:
        lines += [
            "WARNING: screeners were unavailable; the figures marked ! include cases screened "
            "without them: "
            + ", ".join(f"{name} for {n} case(s)" for name, n in sorted(run.unavailable.items())),
            "",
        ]
    lines += _targets(run, touched), ""
    header = f"{'category':34}" + "".join(f"{s.name[:24]:>26}" for s in scores)
    lines += [header, f"{'':34}" + f"{'precision  recall     F1':>26}" * len(scores)]
    present = sorted(
        {i.expected_category for i in items if i.expected_category is not None}, key=str
    )
    hit = {
        c
        for index in touched
        for c in (items[index].expected_category, run.screened[index].live.category)
        if c is not None
    }
    for category in present:
        cells = "".join(
            f"{s.precision(category):>10.2f}{s.recall(category):>8.2f}{s.f1(category):>8.2f}"
            for s in scores
        )
        lines.append(f"{category.value:34}{cells}{' !' if category in hit else ''}")
    for s in scores:
        lines += ["", f"routes, {s.name} (rows: expected, columns: decided){mark}"]
        lines.append(f"{'':16}" + "".join(f"{r.value:>14}" for r in ROUTES))
        for want in ROUTES:
            row = "".join(f"{s.confusion[(want, got)]:>14}" for got in ROUTES)
            lines.append(f"{want.value:16}{row}")
        lines.append(f"route accuracy {s.route_accuracy():.3f}{mark}")
    return "\n".join(lines)


def _targets(run: EvalRun, touched: set[int]) -> str:
    """Harmful text and benign cases sent to a person, per policy, overall and per language."""
    languages = sorted({i.language for i in run.items if i.language}, key=str)
    lines = ["sent to a person (QA samples not counted)"]
    for policy in ("live", "shadow"):
        if policy == "shadow" and all(one.shadow is None for one in run.screened):
            continue
        for language in (None, *languages):
            harmful = benign = to_person_harmful = to_person_benign = 0
            marked = False
            for index, (item, one) in enumerate(zip(run.items, run.screened, strict=True)):
                if language is not None and item.language != language:
                    continue
                decision = one.live if policy == "live" else one.shadow
                if item.harmful_text:
                    harmful += 1
                    to_person_harmful += _to_person(decision)
                elif item.benign:
                    benign += 1
                    to_person_benign += _to_person(decision)
                else:
                    continue
                marked |= index in touched
            label = f"{policy} {language or 'all'}"
            lines.append(
                f"  {label:12} harmful text {_rate(to_person_harmful, harmful):>18}"
                f"   benign {_rate(to_person_benign, benign):>18}{' !' if marked else ''}"
            )
    return "\n".join(lines)
