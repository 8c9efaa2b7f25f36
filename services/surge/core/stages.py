"""The three stages of the detector as plain functions over key-value stores (no faust).

- intake: an accepted report, decoded and validated, as a compact record;
- reporters: each record annotated with what is known of its reporter;
- subjects: records counted into their subject's windows and category's baseline; the
  windows whose signal is due come out.

The faust app hands them its tables; the unit tests hand them dicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from services.surge.core.accepted import AcceptedSeen
from services.surge.core.baseline import CategoryStats
from services.surge.core.detect import Baseline, Burst, bursts, touching
from services.surge.core.policy import Policy
from services.surge.core.records import Accepted, Annotated, fingerprint, subject_fingerprint
from services.surge.core.reporters import ReporterState, observe
from services.surge.core.windows import SubjectState, windows_touched

V = TypeVar("V")


class Store(Protocol[V]):
    """The little of a table a stage uses."""

    def get(self, key: bytes) -> V | None:
        """The value of ``key``, if any."""
        ...

    def __setitem__(self, key: bytes, value: V) -> None:
        """Store ``value`` (and, for a faust table, write it to the changelog)."""
        ...


def accepted_of(value: bytes | None) -> Accepted | None:
    """The record of a ``reports.accepted`` message; None for a repeat.

    A repeat's reporter was already counted. Raises when a field surge uses is not as
    ``ReportAccepted`` has it (:mod:`.accepted`).
    """
    if value is None:
        raise ValueError("a reports.accepted message has no value")
    event = AcceptedSeen.model_validate_json(value)
    if event.repeat:
        return None
    report = event.report
    subject = report.subject
    return Accepted(
        report=fingerprint(report.report_id),
        reporter=fingerprint(report.reporter_id),
        subject=subject.key(),
        parts=(subject.kind.value, subject.id, subject.chat_id),
        category=report.category.value,
        at=int(report.reported_at.timestamp()),
    )


def reporter_key(reporter: int) -> bytes:
    """The reporter table's key (a fingerprint: no platform id in the changelog)."""
    return str(reporter).encode()


def since_key(partition: int) -> bytes:
    """The key under which a partition of the reporter stage keeps when it started watching."""
    return f"watching-since/{partition}".encode()


def annotate(
    records: Iterable[Accepted],
    *,
    reporters: Store[ReporterState],
    watched_since: int,
    policy: Policy,
) -> list[Annotated]:
    """Fold ``records`` into their reporters' states; each record with what it showed."""
    out = []
    changed: dict[bytes, ReporterState] = {}
    for record in records:
        reporter = record.reporter
        key = reporter_key(reporter)
        state = changed.get(key) or reporters.get(key)
        subject = subject_fingerprint(record.subject)
        state, seen = observe(
            state,
            subject=subject,
            at=record.at,
            watched_since=watched_since,
            new_seconds=policy.new_reporter_seconds,
            coreport_seconds=policy.coreport_seconds,
        )
        changed[key] = state
        out.append(
            Annotated(
                report=record.report,
                reporter=reporter,
                subject=record.subject,
                parts=record.parts,
                category=record.category,
                at=record.at,
                new=seen.new,
                others=seen.others,
            )
        )
    for key, state in changed.items():
        reporters[key] = state  # one changelog record per reporter and message
    return out


def category_key(partition: int, category: str) -> bytes:
    """The baseline table's key: a category on one partition of the subject stage."""
    return f"{partition}/{category}".encode()


@dataclass(slots=True)
class Counted:
    """What counting a message of the subject stage calls for."""

    #: Bursts to publish, each with a record naming its subject.
    due: list[tuple[Annotated, Burst]] = field(default_factory=list)
    #: A record of each subject whose grown windows are held back (see :func:`flush`).
    held: list[Annotated] = field(default_factory=list)
    #: Records counted before (replays), ignored.
    replays: int = 0


def count(
    records: Sequence[Annotated],
    *,
    partition: int,
    subjects: Store[SubjectState],
    categories: Store[CategoryStats],
    policy: Policy,
) -> Counted:
    """Count ``records`` (all of one partition) into their subjects' windows."""
    by_subject: dict[str, list[Annotated]] = {}
    for record in records:
        by_subject.setdefault(record.subject, []).append(record)
    stats: dict[bytes, CategoryStats] = {}
    out = Counted()

    def baseline(category: str, start: int, end: int) -> tuple[int, int]:
        ckey = category_key(partition, category)
        cstats = stats.get(ckey) or categories.get(ckey)
        return (0, 0) if cstats is None else cstats.totals(start, end)

    for subject, group in by_subject.items():
        key = subject.encode()
        state = subjects.get(key) or SubjectState()
        counted = _add(
            group,
            state,
            partition=partition,
            stats=stats,
            categories=categories,
            policy=policy,
            out=out,
        )
        if not counted:
            continue
        _evaluate(state, group[0], counted=counted, policy=policy, baseline=baseline, out=out)
        subjects[key] = state
    for ckey, cstats in stats.items():
        cstats.prune(max(cstats.buckets) - policy.horizon_seconds)
        categories[ckey] = cstats
    return out


def _add(
    group: list[Annotated],
    state: SubjectState,
    *,
    partition: int,
    stats: dict[bytes, CategoryStats],
    categories: Store[CategoryStats],
    policy: Policy,
    out: Counted,
) -> list[int]:
    """Add one subject's records to its state and their categories' stats; times counted."""
    bucket_seconds = policy.bucket_seconds
    counted = []
    for record in group:
        first = state.add(record, bucket_seconds=bucket_seconds)
        if first is None:
            out.replays += 1
            continue
        counted.append(record.at)
        ckey = category_key(partition, record.category)
        cstats = stats.get(ckey) or categories.get(ckey) or CategoryStats()
        cstats.add(record.at - record.at % bucket_seconds, new_subject=first)
        stats[ckey] = cstats
    return counted


def _evaluate(
    state: SubjectState,
    record: Annotated,
    *,
    counted: list[int],
    policy: Policy,
    baseline: Baseline,
    out: Counted,
) -> None:
    """Prune a subject's state; note the bursts due (named by ``record``) and those held."""
    latest = state.latest
    if latest is not None:
        state.prune(latest - policy.horizon_seconds)
        state.drop_links(policy.links_from(latest))
    # Most subjects never come near a threshold: no window of theirs can be due (nor
    # held: only windows that reached one are), and evaluating them cost the most.
    if state.total() >= policy.lowest:
        touched = windows_touched(policy.windows, counted)
        found = bursts(state, touched, policy=policy, baseline=baseline)
        out.due.extend((record, b) for b in found.due)
        if found.held:
            out.held.append(record)


def flush(state: SubjectState, *, policy: Policy, ended_only: bool = False) -> list[Burst]:
    """The published windows of ``state`` that grew at all since: their last figures.

    Called a little after a subject's growth was held back, so that a window's final
    figures are published even when no report comes after them. With ``ended_only`` (a
    subject that still grows), only the windows it has reports past the end of.
    """

    def unused(_category: str, _start: int, _end: int) -> tuple[int, int]:
        return (0, 0)  # the baseline only gates a first publication, never a flush

    windows = touching(state, policy)
    latest = state.latest
    if ended_only and latest is not None:
        windows = {(i, s) for i, s in windows if s + policy.windows[i].size <= latest}
    return bursts(state, windows, policy=policy, baseline=unused, flush=True).due
