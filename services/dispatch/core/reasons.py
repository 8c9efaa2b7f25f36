"""The policy reasons a reviewer may give: one catalogue for the API, the console and statements.

``deploy/dispatch/policy_reasons.yaml`` (read by ``adapters/yaml_files.py``) lists, per
category, the reasons of a violation, each either an article of a law (``law``: the article in
words, the explanation, where the law applies) or a clause of the terms of service
(``clause``: the clause's own text), and the reasons of a "no violation" decision, which every
category shares. A decision's ``policy_reason`` must be one of its case's category for its
outcome: nothing else reaches a statement of reasons. An automatic action cites the category's
first clause of the terms: a machine match shows a breach of the terms; whether the content is
illegal is for a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from shared.events.decisions import DecisionOutcome
from shared.events.reports import Category

Code = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\w.:/\-]+$")]
Country = Literal[
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
]  # fmt: skip
Text500 = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Text1500 = Annotated[str, StringConstraints(min_length=1, max_length=1500)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Ground(StrEnum):
    """What a reason rests on (the statement's ``decision_ground``)."""

    LAW = "law"
    TERMS = "terms"


class ReasonRefusal(StrEnum):
    """Why a reason was refused for a decision."""

    UNKNOWN = "unknown_reason"
    NOT_FOR_CATEGORY = "reason_not_for_category"
    NOT_FOR_OUTCOME = "reason_not_for_outcome"


class ReasonRefusedError(ValueError):
    """A ``policy_reason`` outside the catalogue for the case's category and outcome."""

    def __init__(self, code: ReasonRefusal, message: str) -> None:
        super().__init__(message)
        self.code = code


class _Jurisdiction(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    countries: tuple[Country, ...] = Field(min_length=1)


class _Reason(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Code
    en: Label
    fr: Label
    #: A law's key in ``jurisdictions`` (an article of that law), or absent for the terms.
    law: str | None = None
    #: The article in words (illegal_content_legal_ground).
    legal_ground: Text500 | None = None
    #: The clause's own text (incompatible_content_ground).
    clause: Text500 | None = None
    #: Why content falls under it: the standard wording of the statement's explanation.
    explanation: Text1500

    @model_validator(mode="after")
    def _one_ground(self) -> _Reason:
        if self.law is not None and (self.legal_ground is None or self.clause is not None):
            raise ValueError(f"{self.code}: a reason under a law has legal_ground, not clause")
        if self.law is None and (self.clause is None or self.legal_ground is not None):
            raise ValueError(f"{self.code}: a reason under the terms has clause, not legal_ground")
        return self


class _NoViolation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Code
    en: Label
    fr: Label


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    jurisdictions: dict[str, _Jurisdiction]
    terms: _Jurisdiction
    no_violation: tuple[_NoViolation, ...] = Field(min_length=1)
    categories: dict[Category, tuple[_Reason, ...]]


@dataclass(frozen=True, slots=True)
class PolicyReason:
    """One reason of the catalogue, as decisions and statements use it."""

    code: str
    labels: Mapping[str, str]
    ground: Ground | None  # None: a "no violation" reason
    #: The article in words, or the clause's own text.
    ground_text: str = ""
    explanation: str = ""
    #: Where the rule applies: the law's country, or where the terms apply.
    countries: tuple[str, ...] = ()

    def label(self, language: str) -> str:
        """The reviewer's label in ``language`` (English if missing)."""
        return self.labels.get(language) or self.labels["en"]


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Every reason, by category, and the "no violation" ones."""

    violations: Mapping[Category, tuple[PolicyReason, ...]]
    no_violation: tuple[PolicyReason, ...]

    def for_outcome(self, category: Category, outcome: DecisionOutcome) -> tuple[PolicyReason, ...]:
        """The reasons a decision of ``outcome`` on a case of ``category`` may give."""
        if outcome is DecisionOutcome.NO_VIOLATION:
            return self.no_violation
        return self.violations.get(category, ())

    def reason(self, category: Category, outcome: DecisionOutcome, code: str) -> PolicyReason:
        """The reason ``code`` for this decision; ``ReasonRefusedError`` when it is not one."""
        found = next((r for r in self.for_outcome(category, outcome) if r.code == code), None)
        if found is not None:
            return found
        if code in {r.code for r in self.no_violation}:
            raise ReasonRefusedError(
                ReasonRefusal.NOT_FOR_OUTCOME, f"{code} is a reason of a no_violation decision"
            )
        if any(r.code == code for reasons in self.violations.values() for r in reasons):
            kind = "a violation" if outcome is DecisionOutcome.NO_VIOLATION else category.value
            refusal = (
                ReasonRefusal.NOT_FOR_OUTCOME
                if outcome is DecisionOutcome.NO_VIOLATION
                else ReasonRefusal.NOT_FOR_CATEGORY
            )
            raise ReasonRefusedError(refusal, f"{code} is not a reason of {kind}")
        raise ReasonRefusedError(ReasonRefusal.UNKNOWN, f"{code} is not in the policy catalogue")

    def automatic(self, category: Category) -> PolicyReason:
        """What an automatic action cites: the category's first clause of the terms."""
        return next(r for r in self.violations[category] if r.ground is Ground.TERMS)


def parse_catalogue(document: object, *, source: str = "<policy reasons>") -> Catalogue:
    """The catalogue of a parsed document; ``ValueError`` naming ``source`` when it is invalid."""
    try:
        parsed = _File.model_validate(document)
    except ValueError as error:
        raise ValueError(f"{source}: {error}") from error
    codes: set[str] = {r.code for r in parsed.no_violation}
    violations: dict[Category, tuple[PolicyReason, ...]] = {}
    for category in Category:
        entries = parsed.categories.get(category, ())
        if not any(e.law is None for e in entries):
            raise ValueError(f"{source}: {category} needs a clause of the terms")
        reasons = []
        for entry in entries:
            if entry.law is not None and entry.law not in parsed.jurisdictions:
                raise ValueError(f"{source}: {entry.code} names an unknown law {entry.law}")
            countries = (
                parsed.jurisdictions[entry.law].countries
                if entry.law is not None
                else parsed.terms.countries
            )
            reasons.append(
                PolicyReason(
                    code=entry.code,
                    labels={"en": entry.en, "fr": entry.fr},
                    ground=Ground.TERMS if entry.law is None else Ground.LAW,
                    ground_text=entry.clause or entry.legal_ground or "",
                    explanation=entry.explanation,
                    countries=tuple(sorted(set(countries))),
                )
            )
        violations[category] = tuple(reasons)
    for listed in violations.values():
        if {r.code for r in listed} & {r.code for r in parsed.no_violation}:
            raise ValueError(f"{source}: a code is both a violation and a no-violation reason")
    no_violation = tuple(
        PolicyReason(code=r.code, labels={"en": r.en, "fr": r.fr}, ground=None)
        for r in parsed.no_violation
    )
    if len(codes) != len(parsed.no_violation):
        raise ValueError(f"{source}: a no-violation code is listed twice")
    return Catalogue(violations=violations, no_violation=no_violation)
