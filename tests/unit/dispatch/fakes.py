"""In-memory ``Fake...`` implementations of dispatch's ports, for the handlers' unit tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from services.dispatch.core.ranking import CaseFacts, Rank
from services.dispatch.core.reporters import NEUTRAL_WEIGHT
from services.dispatch.core.review import Decision, ReviewCase
from services.dispatch.ports import (
    AppealRecord,
    DecisionRecord,
    Key,
    KnownCase,
    Preservation,
    QueuedVerdict,
    ReporterWeight,
    StoredCase,
    StoredDecision,
    SubmitResult,
    SubmitStatus,
    WaitingCase,
)
from shared.events.decisions import StatementIssued
from shared.events.reports import ReportAccepted
from shared.events.surge import SurgeKind, SurgeSignal


@dataclass
class FakeFacts:
    """Case facts and surges held in dictionaries."""

    reports: dict[Key, list[ReportAccepted]] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    signals: dict[uuid.UUID, SurgeSignal] = field(default_factory=dict)

    async def facts(
        self, keys: Sequence[Key], reporter_counts: Mapping[Key, int], now: datetime
    ) -> dict[Key, CaseFacts]:
        found = {}
        for key in keys:
            reports = self.reports.get(key, [])
            reporters = sorted({r.report.reporter_id for r in reports})
            missing = max(reporter_counts.get(key, 0) - len(reporters), 0)
            found[key] = CaseFacts(
                reporter_weight=sum(self.weights.get(r, NEUTRAL_WEIGHT) for r in reporters)
                + missing * NEUTRAL_WEIGHT,
                reports=len(reports),
                reporters=len(reporters),
                first_reported_at=min((r.report.reported_at for r in reports), default=None),
            )
        return found

    async def surges(self, subjects: Iterable[str]) -> dict[str, tuple[int, int]]:
        wanted = set(subjects)
        found: dict[str, tuple[int, int]] = {}
        for s in self.signals.values():
            key = s.subject.key()
            if key in wanted:
                viral, coordinated = found.get(key, (0, 0))
                if s.kind is SurgeKind.VIRAL:
                    viral = max(viral, s.count)
                else:
                    coordinated = max(coordinated, s.count)
                found[key] = (viral, coordinated)
        return found


@dataclass
class FakeVerdictStore(FakeFacts):
    """The queue as intake sees it: saved verdicts, preserved evidence, kept statements."""

    saved: dict[Key, QueuedVerdict] = field(default_factory=dict)
    preserved: list[Preservation] = field(default_factory=list)
    statements: list[StatementIssued] = field(default_factory=list)

    async def known(self, keys: Sequence[Key]) -> dict[Key, KnownCase]:
        return {
            k: KnownCase(q.verdict.report_count, q.state, q.action_id, q.opened_at)
            for k, q in self.saved.items()
            if k in keys
        }

    async def save_verdicts(self, queued: Sequence[QueuedVerdict]) -> None:
        for one in queued:
            key = (one.verdict.case_id, one.verdict.case_revision)
            before = self.saved.get(key)
            if before is not None:  # a known row keeps its age and its earliest deadline
                one = replace(one, due_at=min(before.due_at, one.due_at))  # noqa: PLW2901
            self.saved[key] = one

    async def preserve(self, evidence: Sequence[Preservation]) -> None:
        for one in evidence:
            if all(p.case != one.case for p in self.preserved):
                self.preserved.append(one)

    async def keep_statements(self, statements: Sequence[StatementIssued]) -> None:
        self.statements.extend(statements)


@dataclass
class FakeFollowerStore(FakeFacts):
    """Waiting cases, reports, surges and reporters' weights in memory."""

    waiting_cases: dict[Key, WaitingCase] = field(default_factory=dict)
    ranks: dict[Key, Rank] = field(default_factory=dict)
    refreshed: list[Key] = field(default_factory=list)
    weighed: set[uuid.UUID] = field(default_factory=set)
    stored_weights: dict[str, ReporterWeight] = field(default_factory=dict)
    counted: dict[str, tuple[int, int]] = field(default_factory=dict)

    async def waiting(self, keys: Sequence[Key]) -> list[WaitingCase]:
        return [self.waiting_cases[k] for k in sorted(keys) if k in self.waiting_cases]

    async def of_subjects(self, subjects: Sequence[str]) -> list[Key]:
        return [k for k, w in self.waiting_cases.items() if w.subject_key in subjects]

    async def save_ranks(self, ranks: Sequence[tuple[Key, Rank]]) -> None:
        self.ranks.update(ranks)

    async def store_reports(self, reports: Sequence[ReportAccepted]) -> None:
        for r in reports:
            kept = self.reports.setdefault((r.case_id, r.case_revision), [])
            if all(k.report.report_id != r.report.report_id for k in kept):
                kept.append(r)

    async def add_to_evidence(self, reports: Sequence[ReportAccepted]) -> None:
        self.refreshed.extend(sorted({(r.case_id, r.case_revision) for r in reports}))

    async def store_surges(self, signals: Sequence[SurgeSignal], now: datetime) -> None:
        for s in signals:
            before = self.signals.get(s.signal_id)
            if before is None or before.count < s.count:
                self.signals[s.signal_id] = s

    async def first_weighing(self, decision_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        new = set(decision_ids) - self.weighed
        self.weighed |= new
        return new

    async def reporters_of(self, key: Key) -> list[str]:
        return sorted({r.report.reporter_id for r in self.reports.get(key, [])})

    async def lock_weights(self, reporter_ids: Sequence[str], at: datetime) -> list[ReporterWeight]:
        for r in reporter_ids:
            self.stored_weights.setdefault(r, ReporterWeight(r, NEUTRAL_WEIGHT, at))
        return [self.stored_weights[r] for r in sorted(reporter_ids)]

    async def set_weights(self, weights: Sequence[ReporterWeight], *, confirmed: bool) -> None:
        for w in weights:
            self.stored_weights[w.reporter_id] = w
            self.weights[w.reporter_id] = w.weight
            good, bad = self.counted.get(w.reporter_id, (0, 0))
            self.counted[w.reporter_id] = (good + confirmed, bad + (not confirmed))


@dataclass
class FakeReviewStore:
    """Stored cases, decisions and appeals in memory."""

    cases: dict[Key, StoredCase] = field(default_factory=dict)
    decisions: list[DecisionRecord] = field(default_factory=list)
    appeals: list[AppealRecord] = field(default_factory=list)
    closed_appeals: list[tuple[Key, uuid.UUID]] = field(default_factory=list)
    preserved: list[Preservation] = field(default_factory=list)
    statements: list[StatementIssued] = field(default_factory=list)

    async def decision(self, decision_id: uuid.UUID) -> tuple[Key, bool] | None:
        found = next((d for d in self.decisions if d.decision_id == decision_id), None)
        return None if found is None else (found.case, found.final)

    async def appeal_case(self, appeal_id: uuid.UUID) -> Key | None:
        found = next((a for a in self.appeals if a.appeal_id == appeal_id), None)
        return None if found is None else found.case

    async def load(self, key: Key) -> StoredCase | None:
        return self.cases.get(key)

    async def save(self, case: ReviewCase) -> None:
        key = (case.case_id, case.revision)
        self.cases[key] = replace(self.cases[key], case=case)

    async def record_decision(self, decision: DecisionRecord) -> None:
        self.decisions.append(decision)
        stored = self.cases[decision.case]
        pure = Decision(
            decision.reviewer_id,
            decision.outcome,
            decision.decided_at,
            final=decision.final,
            reversal=decision.reverses is not None,
            note=decision.explanation,
        )
        made = StoredDecision(decision.decision_id, pure, decision.action_id)
        self.cases[decision.case] = replace(stored, decisions=(*stored.decisions, made))

    async def close_appeal(self, key: Key, decision_id: uuid.UUID) -> None:
        self.closed_appeals.append((key, decision_id))

    async def record_appeal(self, appeal: AppealRecord) -> None:
        self.appeals.append(appeal)

    async def preserve(self, evidence: Sequence[Preservation]) -> None:
        self.preserved.extend(evidence)

    async def keep_statements(self, statements: Sequence[StatementIssued]) -> None:
        self.statements.extend(statements)


@dataclass
class FakeStatementLedger:
    """Statements' fates by PUID."""

    status: dict[str, str] = field(default_factory=dict)

    async def settled(self, puids: Sequence[str]) -> set[str]:
        return {p for p in puids if self.status.get(p) in ("submitted", "duplicate", "rejected")}

    async def record(self, outcomes: Sequence[tuple[StatementIssued, SubmitResult]]) -> None:
        for issued, result in outcomes:
            if result.status is not SubmitStatus.FAILED:
                self.status[issued.puid] = result.status.value


@dataclass
class FakeSubmitter:
    """A Transparency Database that answers from a script: by PUID, else submitted."""

    answers: dict[str, SubmitResult] = field(default_factory=dict)
    sent: list[list[str]] = field(default_factory=list)

    async def submit(self, statements: Sequence[Mapping[str, Any]]) -> list[SubmitResult]:
        puids = [str(s["puid"]) for s in statements]
        self.sent.append(puids)
        return [self.answers.get(p, SubmitResult(p, SubmitStatus.SUBMITTED)) for p in puids]


def stored_case(case: ReviewCase, *, subject: Any, opened_at: datetime) -> StoredCase:
    """A stored case around a pure one, as the Postgres store would load it."""
    return StoredCase(
        case=case,
        subject=subject,
        decisions=(),
        reported_category=case.category.value,
        automatic_action_id=None,
        opened_at=opened_at,
        screeners=(),
    )
