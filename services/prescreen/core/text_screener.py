"""The text screener: YAML keyword rules in both languages plus an English abuse model.

Reporters' own words are screened too, with a lower weight (``reporter_weight``): a reporter
describes harm in their own words ("he threatened to kill me") and rules written for that
(``source: report``) read them, but reporters can be wrong or lie, and campaigns of false
reports exist, so a hit in their words counts for less than the same hit in the reported
message. The abuse model scores English texts only (tagged or identified as English).

With an identifier, it identifies the language of every untagged text first (it runs in a
child process, so that work overlaps the other screeners) and reports the languages with
its results, for the policy and the screeners that read them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from services.prescreen.core.language import LanguageIdentifier, primary
from services.prescreen.core.model import CaseInput, Finding, ScreenerResult, TextItem, Usability
from services.prescreen.core.preparation import languages_of
from services.prescreen.core.text_rules import RuleHit, RuleSet, combined_scores
from shared.events import Category

VERSION = "2"
MODEL_REF = "profanity-check"
MODEL_THRESHOLD = 0.5
DEFAULT_MAX_CHARS = 10_000
#: What a hit in a reporter's words is worth beside the same hit in the reported message.
DEFAULT_REPORTER_WEIGHT = 0.6

#: Scores a batch of texts at once, returning one probability per text.
BatchModel = Callable[[list[str]], Sequence[float]]


def is_english(language: str | None) -> bool:
    """Whether the model applies: a text tagged or identified as English, never an unknown one."""
    return primary(language) == "en"


class TextScreener:
    """Scores a case's texts with the rules and, for English texts, the abuse model."""

    name = "text"

    def __init__(
        self,
        rules: RuleSet,
        *,
        max_chars: int = DEFAULT_MAX_CHARS,
        model: BatchModel,
        reporter_weight: float = DEFAULT_REPORTER_WEIGHT,
        languages: LanguageIdentifier | None = None,
    ) -> None:
        if max_chars < 1:
            raise ValueError("max_chars must be positive")
        if not 0.0 <= reporter_weight <= 1.0:
            raise ValueError("reporter_weight is between 0 and 1")
        self.rules = rules
        self.max_chars = max_chars
        self.model = model
        self.reporter_weight = reporter_weight
        self.languages = languages
        # the rules file's hash makes a rule change visible in every result it shaped
        self.version = f"{VERSION}+rules.{rules.digest[:12]}"

    def screen(self, cases: Sequence[CaseInput]) -> list[ScreenerResult]:
        """Score every case; the model runs once over the batch's English texts."""
        if self.languages is None:
            languages = [tuple(item.language for item in case.texts) for case in cases]
        else:
            languages = languages_of(cases, self.languages)
        texts = [
            [
                (item, language)
                for item, language in zip(case.texts, found, strict=True)
                if item.text.strip()
            ]
            for case, found in zip(cases, languages, strict=True)
        ]
        english = [
            (index, self._weight(item), self._clip(item.text))
            for index, items in enumerate(texts)
            for item, language in items
            if is_english(language)
        ]
        probabilities: dict[int, float] = {}
        if english:
            # one call for the whole batch: the model's cost is mostly per call
            for (index, weight, _), probability in zip(
                english, self.model([t for _, _, t in english]), strict=True
            ):
                probabilities[index] = max(probabilities.get(index, 0.0), weight * probability)
        # the languages it identified go back with its results (none when it identifies none)
        reported = languages if self.languages is not None else [()] * len(cases)
        return [
            self._result(items, probabilities.get(index), found)
            for index, (items, found) in enumerate(zip(texts, reported, strict=True))
        ]

    def _weight(self, item: TextItem) -> float:
        return self.reporter_weight if item.source == "report" else 1.0

    def _clip(self, text: str) -> str:
        return text[: self.max_chars]

    def _result(
        self,
        items: list[tuple[TextItem, str | None]],
        probability: float | None,
        languages: tuple[str | None, ...],
    ) -> ScreenerResult:
        if not items:
            return ScreenerResult(self.name, self.version, Usability.NO_INPUT, languages=languages)
        hits: dict[str, tuple[RuleHit, str]] = {}
        for item, language in items:
            weight = self._weight(item)
            for hit in self.rules.match(self._clip(item.text), language, item.source):
                weighted = RuleHit(hit.rule_id, hit.category, hit.weight * weight)
                if hit.rule_id not in hits or hits[hit.rule_id][0].weight < weighted.weight:
                    hits[hit.rule_id] = (weighted, item.source)
        scores = combined_scores(hit for hit, _ in hits.values())
        findings = [
            Finding("rule", hit.category, hit.rule_id, detail="reporter's words")
            if source == "report"
            else Finding("rule", hit.category, hit.rule_id)
            for hit, source in hits.values()
        ]
        if probability is not None:
            harassment = scores.get(Category.HARASSMENT, 0.0)
            scores[Category.HARASSMENT] = max(harassment, probability)
            if probability >= MODEL_THRESHOLD:
                findings.append(Finding("model", Category.HARASSMENT, MODEL_REF))
        long_texts = sum(len(item.text) > self.max_chars for item, _ in items)
        notes = (
            (f"{long_texts} text(s) over {self.max_chars} characters, scored on their start",)
            if long_texts
            else ()
        )
        return ScreenerResult(
            self.name, self.version, Usability.USED, scores, tuple(findings), notes, languages
        )
