"""When a subject's windows become signals, and with which id and figures.

A window's signal id depends on the subject and the window only, and its kind is decided
when it is first published: one window, one signal, whatever happens after. It is published
again only with larger figures, so a consumer keeping the largest figures per id is never
misled by a duplicate, a replay or a republication.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from services.surge.core.baseline import above_baseline
from services.surge.core.campaigns import classify
from services.surge.core.look import Figures, Look, top_category
from services.surge.core.policy import Policy
from services.surge.core.windows import Emitted, SubjectState, WindowSpec, windows_touched
from shared.events.reports import Category, Subject
from shared.events.surge import SurgeKind, SurgeSignal

_NAMESPACE = uuid.UUID("5e1f1c0a-4d8e-4b7e-9a52-0c7e3d2b9f11")

#: A category's (reports, subject-buckets) in ``[start, end)`` on this partition.
Baseline = Callable[[str, int, int], tuple[int, int]]


def signal_id(subject_key: str, spec: WindowSpec, start: int) -> uuid.UUID:
    """One id per subject and window, whatever the kind and the figures."""
    return uuid.uuid5(_NAMESPACE, f"{subject_key}|{spec.key(start)}")


@dataclass(frozen=True, slots=True)
class Burst:
    """A window to publish (again): its figures as they are now."""

    spec: WindowSpec
    start: int
    kind: SurgeKind
    category: str
    count: int
    reporters: int
    new_share: float


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What a subject's windows call for now."""

    due: list[Burst]
    #: Some published window has grown, not enough yet to publish it again: a later flush
    #: (:func:`bursts` with ``flush``) publishes its last figures.
    held: bool


def bursts(
    state: SubjectState,
    touched: Iterable[tuple[int, int]],
    *,
    policy: Policy,
    baseline: Baseline,
    flush: bool = False,
) -> Evaluation:
    """The windows among ``touched`` (spec index, start) whose signal is due.

    A published window is due again once its figures grew by ``republish_growth``, or at
    all with ``flush``. Each due window is recorded in ``state.emitted`` as published.
    """
    due: list[Burst] = []
    held = False
    latest = state.latest
    if latest is None:
        return Evaluation(due, held)
    links_from = policy.links_from(latest)
    look = state.look()
    for index, start in sorted(touched):
        spec = policy.windows[index]
        end = start + spec.size
        count = look.count(start, end)
        if count < spec.threshold:
            continue
        key = spec.key(start)
        before = state.emitted.get(key)
        if before is None:
            if flush:
                continue  # a flush only completes what was published
        # Decided on the count alone, which is cheap (the figures are a union of reporters):
        # a new reporter always brings a new report, so nothing grew if the count did not.
        elif not _grew(before.count, count, 0.0 if flush else policy.republish_growth):
            held = held or count > before.count
            continue
        if before is None and not _above_baseline(
            look, start=start, end=end, policy=policy, baseline=baseline
        ):
            continue
        figures = look.figures(start, end, links_from=links_from)
        due.append(_published(state, figures, spec=spec, start=start, policy=policy))
    return Evaluation(due, held)


def _above_baseline(
    look: Look,
    *,
    start: int,
    end: int,
    policy: Policy,
    baseline: Baseline,
) -> bool:
    """Whether a window never published stands out from its category's baseline.

    Decided on the window's tally (:meth:`Look.tally`), before its reporters are
    counted: most windows that reach a threshold fail it, message after message.
    """
    count, active_buckets, categories = look.tally(start, end)
    category = top_category(categories)
    return above_baseline(
        reports=count,
        active_buckets=active_buckets,
        category=baseline(category, start, end),
        own=look.own(category, start, end),
        factor=policy.relative_factor,
        min_subjects=policy.baseline_min_subjects,
    )


def _published(
    state: SubjectState, figures: Figures, *, spec: WindowSpec, start: int, policy: Policy
) -> Burst:
    """The window as a burst to publish, recorded in ``state.emitted`` as published."""
    key = spec.key(start)
    before = state.emitted.get(key)
    verdict = classify(
        figures,
        new_share=policy.new_reporter_share,
        coreport_share=policy.coreport_share,
        coreport_min=policy.coreport_min,
    )
    # The first publication decides the kind: the id does not carry it.
    kind = verdict.kind if before is None else SurgeKind(before.kind)
    state.emitted[key] = Emitted(kind.value, figures.count, figures.reporters)
    return Burst(
        spec=spec,
        start=start,
        kind=kind,
        category=figures.category,
        count=figures.count,
        reporters=figures.reporters,
        new_share=verdict.new_share,
    )


def touching(state: SubjectState, policy: Policy) -> set[tuple[int, int]]:
    """Every window (spec index, start) that holds one of the subject's buckets."""
    return windows_touched(policy.windows, state.starts())


def _grew(before: int, now: int, growth: float) -> bool:
    return now >= max(before + 1, before * (1 + growth))


def signal(subject: Subject, burst: Burst, *, now: datetime) -> SurgeSignal:
    """The ``SurgeSignal`` announcing ``burst`` on ``subject``, emitted at ``now``."""
    return SurgeSignal(
        schema_version=1,
        signal_id=signal_id(subject.key(), burst.spec, burst.start),
        subject=subject,
        category=Category(burst.category),
        kind=burst.kind,
        window_start=datetime.fromtimestamp(burst.start, UTC),
        window_end=datetime.fromtimestamp(burst.start + burst.spec.size, UTC),
        count=burst.count,
        distinct_reporters=min(burst.reporters, burst.count),
        new_reporter_share=round(burst.new_share, 4),
        emitted_at=now,
    )
