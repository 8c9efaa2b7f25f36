"""The routing policy: per-category thresholds over the screeners' scores choose the route.

A policy is configuration (YAML), versioned; every verdict names the version that decided.
For each category the policy gives a severity, a ``review`` threshold (a score at or above
it sends the case to a person), an optional ``act_now`` threshold (automatic action, still
queued for human confirmation by dispatch), and ``act_on_hash_match`` (any match in a block
bank of the category acts at once: known child-abuse or terrorist media is removed first and
confirmed after). Of the rest, a deterministic ``qa_sample_rate`` share of dismissals goes to
human review anyway, and a case reported by ``review_when_reporters_at_least`` distinct
people is reviewed even without a screener signal (AI alone must not silence reporters).

Thresholds may differ per language (``languages: {fr: {review: 0.5}}`` under a category):
scores are not calibrated alike in every language. ``corroboration`` moves a case that some
screener already gave a score in the reported category toward a person: each distinct
reporter past the first adds ``per_reporter`` to that score, counting at most
``up_to_reporters`` of them (two to four independent people saying the same thing is
evidence; beyond that, mass reporting is what surge flags and dispatch's reporter trust
discounts); with ``needs_content``, only when a screener found the category in the case
itself, beyond the reporters' own words (their words and their number are the same people's
say, counted once; a score with no finding, such as the abuse model's low probability of
any English text, is no evidence to corroborate).
``shadow_screeners`` lists screeners this policy does not route on: a new model runs in
shadow mode first, its scores stored in every verdict and counted by the shadow policy only.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.prescreen.core.model import (
    REPORTERS_WORDS,
    CaseInput,
    Route,
    ScreenerResult,
    Usability,
)
from shared.events import Category
from shared.events.screening import Severity

_SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}
_ROUTE_RANK = {Route.DISMISS: 0, Route.HUMAN_REVIEW: 1, Route.ACT_NOW: 2}
#: Where the priority hint of each severity starts (0-100; higher is more urgent).
_PRIORITY_BASE = {Severity.LOW: 10, Severity.MEDIUM: 30, Severity.HIGH: 50, Severity.CRITICAL: 70}


class PolicyError(ValueError):
    """A policy file that cannot be used."""


class LanguageThresholds(BaseModel):
    """A category's thresholds for texts of one language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    review: float = Field(ge=0.0, le=1.0)
    act_now: float | None = Field(default=None, ge=0.0, le=1.0)


class CategoryRule(BaseModel):
    """How one category is routed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    severity: Severity
    review: float = Field(ge=0.0, le=1.0)
    act_now: float | None = Field(default=None, ge=0.0, le=1.0)
    act_on_hash_match: bool = False
    languages: dict[str, LanguageThresholds] = Field(default_factory=dict)

    def thresholds(self, language: str | None) -> tuple[float, float | None]:
        """The (review, act_now) thresholds for a case mostly in ``language``."""
        own = self.languages.get(language or "")
        return (self.review, self.act_now) if own is None else (own.review, own.act_now)


class Corroboration(BaseModel):
    """How much distinct reporters add to a score the screeners already gave."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    per_reporter: float = Field(ge=0.0, le=0.5)
    up_to_reporters: int = Field(ge=1)
    #: Only add to a score that a finding in the case itself, not in reporters' words, shows.
    needs_content: bool = False


class Policy(BaseModel):
    """A routing policy as its YAML file states it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[\w.\-]+$")
    version: int = Field(ge=1)
    qa_sample_rate: float = Field(ge=0.0, le=1.0)
    review_when_reporters_at_least: int = Field(ge=1)
    corroboration: Corroboration | None = None
    shadow_screeners: frozenset[str] = frozenset()
    default: CategoryRule
    categories: dict[Category, CategoryRule]

    def rule(self, category: Category) -> CategoryRule:
        """The rule of a category (the default one if the policy does not name it)."""
        return self.categories.get(category, self.default)


@dataclass(frozen=True, slots=True)
class Decision:
    """What a policy decided for one case revision."""

    route: Route
    category: Category
    severity: Severity
    priority_hint: int
    confidence: float
    qa_sample: bool
    policy_name: str
    policy_version: int


def parse_policy(document: object, *, source: str) -> Policy:
    """Check a policy document (``source`` names it in the error)."""
    try:
        return Policy.model_validate(document)
    except ValidationError as error:
        raise PolicyError(f"policy file {source}: {error}") from error


def category_scores(
    results: Iterable[ScreenerResult], ignored: frozenset[str] = frozenset()
) -> dict[Category, float]:
    """The highest score per category over the screeners that could use the case."""
    scores: dict[Category, float] = {}
    for result in results:
        if result.usability is not Usability.USED or result.screener in ignored:
            continue
        for category, score in result.scores.items():
            scores[category] = max(scores.get(category, 0.0), score)
    return scores


def corroborated(
    policy: Policy,
    case: CaseInput,
    scores: dict[Category, float],
    results: Iterable[ScreenerResult] = (),
) -> None:
    """Add the distinct reporters' weight to the reported category's score, if it has one."""
    rule, score = policy.corroboration, scores.get(case.category, 0.0)
    if rule is None or score <= 0.0 or case.reporter_count < 2:
        return
    if rule.needs_content and not content_found(results, case.category):
        return
    extra = min(case.reporter_count, rule.up_to_reporters) - 1
    scores[case.category] = min(1.0, score + rule.per_reporter * extra)


def content_found(results: Iterable[ScreenerResult], category: Category) -> bool:
    """Whether a screener found the category in the case itself, not in reporters' words.

    A score with no finding is no evidence: the English abuse model gives every English text
    some probability, and only from its threshold up does it name a finding.
    """
    return any(
        f.detail != REPORTERS_WORDS
        for r in results
        if r.usability is Usability.USED
        for f in r.findings
        if f.category == category
    )


def hash_matched(results: Iterable[ScreenerResult]) -> set[Category]:
    """Categories of the block banks a case's media matched."""
    return {f.category for r in results for f in r.findings if f.kind == "hash"}


def decide(policy: Policy, case: CaseInput, results: list[ScreenerResult]) -> Decision:
    """Route one case revision by the screeners' results."""
    scores = category_scores(results, policy.shadow_screeners)
    routed = [r for r in results if r.screener not in policy.shadow_screeners]
    corroborated(policy, case, scores, routed)
    matched = hash_matched(r for r in results if r.screener not in policy.shadow_screeners)
    best: tuple[int, int, float, Category] | None = None  # (route, severity, score, category)
    for category, score in scores.items():
        rule = policy.rule(category)
        route = _route(rule, score, hashed=category in matched, language=case.language)
        if route is Route.DISMISS:
            continue
        candidate = (_ROUTE_RANK[route], _SEVERITY_RANK[rule.severity], score, category)
        if best is None or candidate > best:
            best = candidate
    if best is not None:
        route_rank, _, score, category = best
        route = next(r for r, rank in _ROUTE_RANK.items() if rank == route_rank)
        return _decision(policy, case, route, category, score, qa_sample=False)
    if case.reporter_count >= policy.review_when_reporters_at_least:
        score = scores.get(case.category, 0.0)
        return _decision(policy, case, Route.HUMAN_REVIEW, case.category, score, qa_sample=False)
    score = max(scores.values(), default=0.0)
    if _sampled(policy, case):
        return _decision(policy, case, Route.HUMAN_REVIEW, case.category, score, qa_sample=True)
    return _decision(policy, case, Route.DISMISS, case.category, score, qa_sample=False)


def _route(rule: CategoryRule, score: float, *, hashed: bool, language: str | None) -> Route:
    if hashed and rule.act_on_hash_match:
        return Route.ACT_NOW
    review, act_now = rule.thresholds(language)
    if act_now is not None and score >= act_now:
        return Route.ACT_NOW
    if score >= review:
        return Route.HUMAN_REVIEW
    return Route.DISMISS


def _sampled(policy: Policy, case: CaseInput) -> bool:
    """Whether a dismissal is in the QA sample: the same answer every time for a revision."""
    if policy.qa_sample_rate <= 0.0:
        return False
    digest = hashlib.blake2b(f"{case.case_id}/{case.revision}".encode(), digest_size=8).digest()
    return int.from_bytes(digest) / 2**64 < policy.qa_sample_rate


def priority_hint(severity: Severity, confidence: float, reporters: int) -> int:
    """0-100: severity first, then the model's confidence, then how many people reported.

    Reporters count logarithmically (a thousand reporters is not a thousand times worse than
    one, and a brigade should not buy the top of the queue): +5 per doubling, at most +15.
    """
    reporters_bonus = min(15.0, 5.0 * math.log2(max(1, reporters)))
    return max(0, min(100, round(_PRIORITY_BASE[severity] + 15.0 * confidence + reporters_bonus)))


def _decision(
    policy: Policy,
    case: CaseInput,
    route: Route,
    category: Category,
    confidence: float,
    *,
    qa_sample: bool,
) -> Decision:
    severity = policy.rule(category).severity
    hint = priority_hint(severity, confidence, case.reporter_count)
    if route is Route.DISMISS:
        hint = 0
    return Decision(
        route=route,
        category=category,
        severity=severity,
        priority_hint=hint,
        confidence=round(confidence, 4),
        qa_sample=qa_sample,
        policy_name=policy.name,
        policy_version=policy.version,
    )
