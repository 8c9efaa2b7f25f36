"""Pre-screening verdicts (``screening.verdicts``) and hash-bank updates (``hashbanks.updates``).

Verdicts are published by prescreen; bank updates by ``crible banks`` on a compacted topic
that every prescreen worker follows.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import (
    AwareDatetime,
    ConfigDict,
    Field,
    RootModel,
    StringConstraints,
    model_validator,
)
from pydantic.config import JsonDict

from shared.events.base import Event, LanguageTag, Text
from shared.events.reports import Category, Subject

#: A short name from configuration: a bank, a rule id, a domain list, a policy.
Name = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\w.:/+\-]+$")]
Note = Annotated[Text, StringConstraints(max_length=256)]


class Route(StrEnum):
    """What should happen to a case revision."""

    ACT_NOW = "act_now"
    HUMAN_REVIEW = "human_review"
    DISMISS = "dismiss"


class Severity(StrEnum):
    """How harmful the case would be if the screening is right."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Usability(StrEnum):
    """Whether a screener could use the case's data."""

    USED = "used"
    NO_INPUT = "no_input"
    UNUSABLE = "unusable"
    UNAVAILABLE = "unavailable"


class ScreenerMatch(Event):
    """One thing a screener matched."""

    kind: Literal["hash", "rule", "domain", "model"]
    category: Category
    ref: Name = Field(description="The bank, rule id, domain list or model label that matched.")
    distance: int | None = Field(
        default=None, ge=0, le=256, description="Hamming distance of a PDQ match; 0 if exact."
    )
    detail: Note | None = Field(
        default=None, description="The hash algorithm, or the registrable domain (never PII)."
    )


class ScreenerReport(Event):
    """What one screener said about the case revision."""

    name: Name
    version: Name
    usability: Usability = Field(description="Whether the screener had data it could use.")
    scores: dict[Category, Annotated[float, Field(ge=0.0, le=1.0)]]
    matches: tuple[ScreenerMatch, ...] = Field(max_length=64)
    notes: tuple[Note, ...] = Field(
        default=(), max_length=16, description="Fields left aside and why."
    )


class PolicyRef(Event):
    """The routing policy that decided, by name and version."""

    name: Name
    version: int = Field(ge=1)


class ScreeningVerdict(Event):
    """What pre-screening concluded about one case revision (key: the case id).

    A revision's verdict is issued again only when new reports change what it says (route,
    severity, priority hint, matches); consumers keep the one with the highest
    ``(case_revision, report_count)``.
    """

    schema_version: Literal[1]
    verdict_id: UUID = Field(description="Stable per case event: a redelivery yields the same.")
    case_id: UUID
    case_revision: int = Field(ge=1)
    case_event_id: UUID = Field(description="The case event this verdict screened.")
    subject: Subject
    category: Category = Field(description="The category reporters chose.")
    screened_category: Category = Field(description="The category the screening points to.")
    route: Route
    severity: Severity
    priority_hint: int = Field(ge=0, le=100, description="Higher is more urgent.")
    confidence: float = Field(ge=0.0, le=1.0, description="Highest score behind the route.")
    qa_sample: bool = Field(description="A dismissal sent to human review as a quality check.")
    policy: PolicyRef
    report_count: int = Field(ge=1)
    reporter_count: int = Field(ge=1)
    reporter_languages: tuple[LanguageTag, ...] = Field(max_length=32)
    screeners: tuple[ScreenerReport, ...] = Field(max_length=16)
    screened_at: AwareDatetime


class BankKind(StrEnum):
    """A bank of known violating media, or an allow-list of known false positives."""

    BLOCK = "block"
    ALLOW = "allow"


class HashAlgorithm(StrEnum):
    """The hashes a bank holds."""

    SHA256 = "sha256"
    MD5 = "md5"
    PDQ = "pdq"


class BankDefined(Event):
    """A bank created or changed (key ``bank:<name>``)."""

    schema_version: Literal[1]
    type: Literal["bank.defined"]
    bank: Name
    kind: BankKind
    category: Category | None = Field(description="Required for a block bank.")
    pdq_threshold: int = Field(default=31, ge=0, le=64)
    description: Annotated[Text, StringConstraints(max_length=500)] = ""

    def key(self) -> bytes:
        """The compaction key: the bank's latest definition is what stays."""
        return f"bank:{self.bank}".encode()


class BankRemoved(Event):
    """A bank withdrawn with all its hashes (key ``bank:<name>``)."""

    schema_version: Literal[1]
    type: Literal["bank.removed"]
    bank: Name

    def key(self) -> bytes:
        """The compaction key, shared with the bank's definitions."""
        return f"bank:{self.bank}".encode()


#: A SHA-256 or PDQ hash (64 hex digits) or an MD5 (32), lowercase; which length an update
#: needs depends on its algorithm (:data:`HEX_DIGITS`).
HashHex = Annotated[str, StringConstraints(pattern=r"^([0-9a-f]{32}|[0-9a-f]{64})$")]
#: Hex digits of each algorithm's hashes.
HEX_DIGITS = {"sha256": 64, "md5": 32, "pdq": 64}


#: The same rule for the JSON Schema, so that producers in other languages see it.
_LENGTH_SCHEMA: JsonDict = {
    "allOf": [
        {
            "if": {"properties": {"algorithm": {"const": algorithm}}},
            "then": {"properties": {"hash": {"pattern": f"^[0-9a-f]{{{digits}}}$"}}},
        }
        for algorithm, digits in HEX_DIGITS.items()
    ]
}


def _check_length(algorithm: HashAlgorithm, value: str) -> None:
    want = HEX_DIGITS[algorithm.value]
    if len(value) != want:
        raise ValueError(f"a {algorithm.value} hash has {want} hex digits, not {len(value)}")


def _hash_key(bank: str, algorithm: HashAlgorithm, value: str) -> bytes:
    """The compaction key of a hash: one record per bank, algorithm and hash stays."""
    return f"hash:{bank}:{algorithm.value}:{value}".encode()


class HashAdded(Event):
    """A hash put in a bank (key ``hash:<bank>:<algorithm>:<hash>``)."""

    model_config = ConfigDict(json_schema_extra=_LENGTH_SCHEMA)

    schema_version: Literal[1]
    type: Literal["hash.added"]
    bank: Name
    algorithm: HashAlgorithm
    hash: HashHex
    quality: int | None = Field(default=None, ge=0, le=100, description="PDQ quality, if known.")

    @model_validator(mode="after")
    def _length_of_its_algorithm(self) -> Self:
        _check_length(self.algorithm, self.hash)
        return self

    def key(self) -> bytes:
        """The compaction key, shared with the removal of the same hash."""
        return _hash_key(self.bank, self.algorithm, self.hash)


class HashRemoved(Event):
    """A hash taken out of a bank; it stays on the compacted topic as this record."""

    model_config = ConfigDict(json_schema_extra=_LENGTH_SCHEMA)

    schema_version: Literal[1]
    type: Literal["hash.removed"]
    bank: Name
    algorithm: HashAlgorithm
    hash: HashHex

    @model_validator(mode="after")
    def _length_of_its_algorithm(self) -> Self:
        _check_length(self.algorithm, self.hash)
        return self

    def key(self) -> bytes:
        """The compaction key, shared with the addition of the same hash."""
        return _hash_key(self.bank, self.algorithm, self.hash)


AnyBankUpdate = Annotated[
    BankDefined | BankRemoved | HashAdded | HashRemoved, Field(discriminator="type")
]


class BankUpdate(RootModel[AnyBankUpdate]):
    """One message on ``hashbanks.updates``: one of the update types, chosen by ``type``."""

    model_config = ConfigDict(strict=True, frozen=True)
