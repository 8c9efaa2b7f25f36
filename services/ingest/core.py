"""The pure heart of ingestion: fold a batch of reports into cases.

No I/O here. The adapter loads what is already known about the batch (stored report ids,
the cases concerned, the reporters already counted), hands it to :func:`ingest_reports`,
and writes back the :class:`Ingestion` it returns; :mod:`services.ingest.events` turns that
into the events to publish.

Rules:
- a report id is counted once, however often it is delivered (in one batch or across batches);
- reports on the same subject and category fold into one case; each joining report raises
  ``report_count``, but a reporter counts once per case revision (``reporter_count``);
- a decided (closed) case that receives a new report reopens as the next revision, with its
  counts starting again.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from shared.events import CaseEventType, Category, ReportSubmitted, Subject
from shared.events.cases import MAX_LANGUAGES_PER_CASE

_CASE_NAMESPACE = uuid.UUID("6f1b9a51-5c1e-4c55-9d0f-3c7d0f0b6c11")


class CaseStatus(StrEnum):
    """Whether a case revision still awaits a decision."""

    OPEN = "open"
    CLOSED = "closed"


#: A case id: the canonical text of a UUID (kept as text: it is compared, hashed and
#: serialised far more often than it is parsed).
CaseId = str


#: How many case ids :func:`case_id_for` remembers, the most recently used: memory stays
#: bounded whatever the number of subjects, and the subjects that recur keep theirs.
RECENT_CASE_IDS = 1 << 14


def case_id_for(subject: Subject, category: Category) -> CaseId:
    """The one case id of a subject and category, the same in every worker."""
    return _case_id(subject.key(), category.value)


# Looked up for every report of every batch; uuid5 (SHA-1) only for subjects not seen lately.
@functools.lru_cache(maxsize=RECENT_CASE_IDS)
def _case_id(subject_key: str, category: str) -> CaseId:
    return str(uuid.uuid5(_CASE_NAMESPACE, f"{subject_key}|{category}"))


@dataclass(frozen=True, slots=True)
class CaseState:
    """A case as stored: its current revision and that revision's counts."""

    case_id: CaseId
    subject: Subject
    category: Category
    revision: int
    status: CaseStatus
    report_count: int
    reporter_count: int
    first_reported_at: datetime
    last_reported_at: datetime
    reporter_languages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Known:
    """What storage already holds about the reports and cases of a batch."""

    report_ids: Collection[str] = frozenset()
    cases: Mapping[CaseId, CaseState] = field(default_factory=dict)
    #: (case id, revision, reporter id) already counted.
    reporters: Collection[tuple[CaseId, int, str]] = frozenset()


@dataclass(frozen=True, slots=True)
class AcceptedReport:
    """A new report and where it was counted."""

    report: ReportSubmitted
    case_id: CaseId
    case_revision: int
    repeat: bool


@dataclass(frozen=True, slots=True)
class CaseChange:
    """One case after a batch: its new state, what happened, and the reports that joined."""

    state: CaseState
    event_type: CaseEventType
    joined: Sequence[ReportSubmitted]


@dataclass(slots=True)
class Ingestion:
    """Everything a batch changes: rows to write, and what the events must announce."""

    accepted: list[AcceptedReport] = field(default_factory=list)
    changes: list[CaseChange] = field(default_factory=list)
    duplicates: int = 0

    @property
    def repeats(self) -> int:
        """Reports from a reporter already counted in the case revision."""
        return sum(1 for a in self.accepted if a.repeat)


def case_ids_of(reports: Iterable[ReportSubmitted]) -> list[CaseId]:
    """The case of each report, in order (computed once per batch, then passed around)."""
    return [case_id_for(r.subject, r.category) for r in reports]


def ingest_reports(
    reports: Sequence[ReportSubmitted], *, case_ids: Sequence[CaseId], known: Known
) -> Ingestion:
    """Fold ``reports`` (in delivery order) into cases, given what storage already knows.

    ``case_ids`` holds the case of each report, as :func:`case_ids_of` gives it.
    """
    result = Ingestion()
    seen_ids = set(known.report_ids)
    counted = set(known.reporters)
    drafts: dict[CaseId, _Draft] = {}

    for report, case_id in zip(reports, case_ids, strict=True):
        if report.report_id in seen_ids:
            result.duplicates += 1
            continue
        seen_ids.add(report.report_id)
        draft = drafts.get(case_id)
        if draft is None:
            draft = drafts[case_id] = _Draft.start(known.cases.get(case_id), report, case_id)
        else:
            draft.join(report)
        reporter_key = (case_id, draft.revision, report.reporter_id)
        repeat = reporter_key in counted
        if not repeat:
            counted.add(reporter_key)
            draft.reporter_count += 1
        result.accepted.append(AcceptedReport(report, case_id, draft.revision, repeat))

    result.changes = [
        CaseChange(draft.state(), draft.event_type, draft.joined) for draft in drafts.values()
    ]
    return result


@dataclass(slots=True)
class _Draft:
    """A case being changed by one batch (mutable while the batch is folded)."""

    case_id: CaseId
    subject: Subject
    category: Category
    revision: int
    event_type: CaseEventType
    report_count: int
    reporter_count: int
    first_reported_at: datetime
    last_reported_at: datetime
    languages: list[str]
    joined: list[ReportSubmitted]

    @classmethod
    def start(cls, state: CaseState | None, report: ReportSubmitted, case_id: CaseId) -> _Draft:
        """The first report of the batch for this case: open, reopen or update."""
        if state is None or state.status is CaseStatus.CLOSED:
            at = report.reported_at
            return cls(
                case_id=case_id,
                subject=report.subject,
                category=report.category,
                revision=1 if state is None else state.revision + 1,
                # The first event type of the batch wins: a case opened and then updated
                # in the same batch is announced once, as opened.
                event_type=CaseEventType.OPENED if state is None else CaseEventType.REOPENED,
                report_count=1,
                reporter_count=0,
                first_reported_at=at,
                last_reported_at=at,
                languages=[report.reporter_language],
                joined=[report],
            )
        draft = cls(
            case_id=case_id,
            subject=state.subject,
            category=state.category,
            revision=state.revision,
            event_type=CaseEventType.UPDATED,
            report_count=state.report_count,
            reporter_count=state.reporter_count,
            first_reported_at=state.first_reported_at,
            last_reported_at=state.last_reported_at,
            languages=list(state.reporter_languages),
            joined=[],
        )
        draft.join(report)
        return draft

    def join(self, report: ReportSubmitted) -> None:
        """Count one more report (reporter counting aside)."""
        self.report_count += 1
        at = report.reported_at
        if at > self.last_reported_at:
            self.last_reported_at = at
        elif at < self.first_reported_at:
            self.first_reported_at = at
        if (
            report.reporter_language not in self.languages
            and len(self.languages) < MAX_LANGUAGES_PER_CASE
        ):
            self.languages.append(report.reporter_language)
        self.joined.append(report)

    def state(self) -> CaseState:
        """The case as it must be stored."""
        return CaseState(
            case_id=self.case_id,
            subject=self.subject,
            category=self.category,
            revision=self.revision,
            status=CaseStatus.OPEN,
            report_count=self.report_count,
            reporter_count=self.reporter_count,
            first_reported_at=self.first_reported_at,
            last_reported_at=self.last_reported_at,
            reporter_languages=tuple(self.languages),
        )


def close_case(state: CaseState) -> CaseState:
    """The case once its revision has been decided; the next report reopens it."""
    return replace(state, status=CaseStatus.CLOSED)
