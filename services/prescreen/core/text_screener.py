"""The text screener: YAML keyword rules in both languages plus an English abuse model.

Reporters' own words are screened too, with a lower weight (``reporter_weight``): a reporter
describes harm in their own words ("he threatened to kill me") and rules written for that
(``source: report``) read them, but reporters can be wrong or lie, and campaigns of false
reports exist, so a hit in their words counts for less than the same hit in the reported
message. The abuse model scores English reported messages only (tagged or identified as
English): reporters' words are read by the rules written for them.

How a reported message frames what it names (news, a lesson, a quote held up to condemn,
care, a game, banter: :mod:`services.prescreen.core.framing`) lowers its scores; the abuse
model's score counts for less in a text that addresses nobody.

With an identifier, it identifies the language of every untagged text first (it runs in a
child process, so that work overlaps the other screeners) and reports the languages with
its results, for the policy and the screeners that read them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from services.prescreen.core.framing import NO_FRAMING, Framing
from services.prescreen.core.language import LanguageIdentifier, primary
from services.prescreen.core.model import (
    REPORTERS_WORDS,
    CaseInput,
    Finding,
    ScreenerResult,
    TextItem,
    Usability,
)
from services.prescreen.core.preparation import languages_of
from services.prescreen.core.text_rules import RuleHit, RuleSet, combined_scores, normalize
from shared.events import Category

VERSION = "3"
MODEL_REF = "profanity-check"
MODEL_THRESHOLD = 0.5
DEFAULT_MAX_CHARS = 10_000
#: What a hit in a reporter's words is worth beside the same hit in the reported message.
DEFAULT_REPORTER_WEIGHT = 0.6

#: A message's frames and whether it speaks to someone.
Reading = tuple[frozenset[str], bool]
_UNFRAMED: Reading = (frozenset(), True)

#: Scores a batch of texts at once, returning one probability per text.
BatchModel = Callable[[list[str]], Sequence[float]]


def is_english(language: str | None) -> bool:
    """Whether the model applies: a text tagged or identified as English, never an unknown one."""
    return primary(language) == "en"


def rules_language(item: TextItem, identified: str | None) -> str | None:
    """Whose rules read a text: its tag's language; an untagged text, every language's.

    An identifier's guess on chat text can be wrong (English slang read as French lost every
    English rule and the English model): the guess still chooses the model and thresholds.
    """
    return identified if item.language else None


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
        framing: tuple[Framing, str] = (NO_FRAMING, ""),
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
        #: The frames and their file's digest (``""``: none).
        self.framing, framing_digest = framing
        # the files' hashes make a rule or frame change visible in every result it shaped
        self.version = f"{VERSION}+rules.{rules.digest[:12]}"
        if framing_digest:
            self.version += f"+framing.{framing_digest[:8]}"

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
        # the model reads reported messages only: in a reporter's words it scored the
        # accusation ("this is racist" at 0.95), in English only, since it reads no French
        english = [
            (index, item)
            for index, items in enumerate(texts)
            for item, language in items
            if is_english(language) and item.source != "report"
        ]
        probabilities: dict[int, float] = {}
        readings: dict[str, Reading] = {}  # each message read for frames once a batch
        if english:
            # one call for the whole batch: the model's cost is mostly per call
            scored = self.model([self._clip(item.text) for _, item in english])
            for (index, item), probability in zip(english, scored, strict=True):
                factor = self._model_factor(item, readings)
                weighted = self._weight(item) * probability * factor
                probabilities[index] = max(probabilities.get(index, 0.0), weighted)
        # the languages it identified go back with its results (none when it identifies none)
        reported = languages if self.languages is not None else [()] * len(cases)
        return [
            self._result(items, probabilities.get(index), found, readings)
            for index, (items, found) in enumerate(zip(texts, reported, strict=True))
        ]

    def _weight(self, item: TextItem) -> float:
        return self.reporter_weight if item.source == "report" else 1.0

    def _clip(self, text: str) -> str:
        return text[: self.max_chars]

    def _read(self, item: TextItem, readings: dict[str, Reading]) -> Reading:
        """A reported message's frames and address (a reporter's words are not framed)."""
        if item.source == "report":
            return _UNFRAMED
        reading = readings.get(item.text)
        if reading is None:
            reading = readings[item.text] = self.framing.read(normalize(self._clip(item.text)))
        return reading

    def _model_factor(self, item: TextItem, readings: dict[str, Reading]) -> float:
        """What the abuse model's score of a text counts for: framed, and addressed or not."""
        frames, addressed = self._read(item, readings)
        factor = self.framing.factor(frames, Category.HARASSMENT) if frames else 1.0
        return factor if addressed else factor * self.framing.unaddressed_factor

    def _framed(
        self, index: int, item: TextItem, matched: list[RuleHit], readings: dict[str, Reading]
    ) -> list[RuleHit]:
        """A text's hits as scored: where a frame lowers a category, one hit of its score.

        A frame lowers what the text says of a category as a whole (its rules' combined
        score times the factor), not each rule apart: several rules agreeing in a news report
        are still a news report.
        """
        frames = self._read(item, readings)[0] if matched else frozenset()
        if not frames:
            return matched
        factors = {hit.category: self.framing.factor(frames, hit.category) for hit in matched}
        kept = [hit for hit in matched if factors[hit.category] == 1.0]
        for category, factor in factors.items():
            if factor < 1.0:
                score = combined_scores(h for h in matched if h.category == category)[category]
                kept.append(RuleHit(f"#framed-{index}-{category.value}", category, score * factor))
        return kept

    def _result(
        self,
        items: list[tuple[TextItem, str | None]],
        probability: float | None,
        languages: tuple[str | None, ...],
        readings: dict[str, Reading],
    ) -> ScreenerResult:
        if not items:
            return ScreenerResult(self.name, self.version, Usability.NO_INPUT, languages=languages)
        hits: dict[str, tuple[RuleHit, str]] = {}  # each rule's strongest hit: findings
        scored: dict[str, RuleHit] = {}  # what the scores combine
        for index, (item, language) in enumerate(items):
            weight = self._weight(item)
            matched = [
                RuleHit(hit.rule_id, hit.category, hit.weight * weight)
                for hit in self.rules.match(
                    self._clip(item.text), rules_language(item, language), item.source
                )
            ]
            for hit in matched:
                if hit.rule_id not in hits or hits[hit.rule_id][0].weight < hit.weight:
                    hits[hit.rule_id] = (hit, item.source)
            for hit in self._framed(index, item, matched, readings):
                if hit.rule_id not in scored or scored[hit.rule_id].weight < hit.weight:
                    scored[hit.rule_id] = hit
        scores = combined_scores(scored.values())
        findings = [
            Finding("rule", hit.category, hit.rule_id, detail=REPORTERS_WORDS)
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
