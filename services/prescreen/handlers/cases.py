"""Screened case events in, stored and published verdicts out.

The screening itself ran in the consumer's stage (:mod:`services.prescreen.handlers.screening`);
this handler only orders it against what was already screened, inside the runtime's
transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from functools import cache

from prometheus_client import Histogram

from services.prescreen import metrics
from services.prescreen.core.inbound import CaseToScreen
from services.prescreen.core.screening_state import CaseScreening, CaseState, Outcome, judge
from services.prescreen.core.screening_state import screened as screened_state
from services.prescreen.core.verdicts import Screened, Verdict, build_verdict, fingerprint
from services.prescreen.ports import ScreeningStorePort, ShadowRow, VerdictRow
from shared.runtime import Handled
from shared.runtime.contract import Outbound
from shared.topics import SCREENING_VERDICTS


async def publish_verdicts(
    batch: Sequence[tuple[CaseToScreen, Screened]],
    *,
    store: ScreeningStorePort,
    now: datetime,
) -> Handled:
    """Publish a verdict for each case event that changes what its revision's verdict says."""
    known = await store.lock_and_load([event.case_id for event, _ in batch])
    states: dict[object, CaseScreening] = {}
    verdicts: list[tuple[Verdict, Screened]] = []
    skipped: Counter[str] = Counter()
    for event, screened in batch:
        state = CaseState(event.case_id, event.revision, event.report_count, event.event_id)
        last = states.get(event.case_id) or known.get(event.case_id)
        mark = fingerprint(screened)
        outcome = judge(last, state, fingerprint=mark)
        if outcome is Outcome.STALE:
            skipped[outcome.value] += 1
            continue
        if outcome is Outcome.UNCHANGED:
            assert last is not None  # noqa: S101 - judge says unchanged only after a verdict
            skipped[outcome.value] += 1
            standing = last.verdict_id
        else:
            verdict = build_verdict(event, screened, now=now)
            verdicts.append((verdict, screened))
            standing = verdict.verdict_id
        states[event.case_id] = screened_state(
            state, verdict_id=standing, fingerprint=mark, now=now
        )
    await store.save(
        list(states.values()),
        [_verdict_row(v) for v, _ in verdicts],
        [row for v, s in verdicts if (row := _shadow_row(v, s, now)) is not None],
    )
    outbound = [
        Outbound(SCREENING_VERDICTS.name, str(v.case_id).encode(), v.body) for v, _ in verdicts
    ]
    screened_all = [s for _, s in batch]
    return Handled(outbound, after_commit=lambda: _count(verdicts, screened_all, skipped))


def _verdict_row(verdict: Verdict) -> VerdictRow:
    decision = verdict.decision
    return VerdictRow(
        verdict_id=verdict.verdict_id,
        case_id=verdict.case_id,
        case_revision=verdict.case_revision,
        case_event_id=verdict.case_event_id,
        route=decision.route.value,
        screened_category=decision.category.value,
        severity=decision.severity.value,
        priority_hint=decision.priority_hint,
        policy_name=decision.policy_name,
        policy_version=decision.policy_version,
        qa_sample=decision.qa_sample,
        screened_at=verdict.screened_at,
        body=verdict.body.decode(),
    )


def _shadow_row(verdict: Verdict, screened: Screened, now: datetime) -> ShadowRow | None:
    shadow = screened.shadow
    if shadow is None:
        return None
    return ShadowRow(
        verdict_id=verdict.verdict_id,
        policy_name=shadow.policy_name,
        policy_version=shadow.policy_version,
        route=shadow.route.value,
        screened_category=shadow.category.value,
        severity=shadow.severity.value,
        priority_hint=shadow.priority_hint,
        agrees=shadow.route is screened.live.route,
        decided_at=now,
    )


def _count(
    verdicts: list[tuple[Verdict, Screened]], screened: list[Screened], skipped: Counter[str]
) -> None:
    """Business metrics, once per committed effect."""
    for (route, category), n in Counter(
        (v.decision.route.value, v.decision.category.value) for v, _ in verdicts
    ).items():
        metrics.VERDICTS.labels(route, category).inc(n)
    qa = sum(v.decision.qa_sample for v, _ in verdicts)
    if qa:
        metrics.QA_SAMPLES.inc(qa)
    shadows = Counter(
        (s.shadow.route.value, "yes" if s.shadow.route is s.live.route else "no")
        for _, s in verdicts
        if s.shadow is not None
    )
    for (route, agrees), n in shadows.items():
        metrics.SHADOW_DECISIONS.labels(route, agrees).inc(n)
    _count_results(screened)
    for reason, n in skipped.items():
        metrics.UNCHANGED.labels(reason).inc(n)


def _count_results(screened: list[Screened]) -> None:
    usability: Counter[tuple[str, str]] = Counter()
    for one in screened:
        for result in one.results:
            usability[(result.screener, result.usability.value)] += 1
            for category, score in result.scores.items():
                _score_metric(result.screener, category.value).observe(score)
    for (screener, state), n in usability.items():
        metrics.USABILITY.labels(screener, state).inc(n)


@cache
def _score_metric(screener: str, category: str) -> Histogram:
    # labels() takes a lock and builds a key each time: resolved once per pair
    return metrics.SCORES.labels(screener, category)
