"""The prescreen batch handler: screened case events in, stored and published verdicts out.

The screening itself ran in the consumer's stage (:mod:`services.prescreen.engine`); this
handler only orders it against what was already screened, inside the runner's transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache

from prometheus_client import Histogram

from services.prescreen import metrics
from services.prescreen.engine import Screened
from services.prescreen.inbound import CaseToScreen
from services.prescreen.store import CaseScreening, ScreeningStore, ShadowRow, VerdictRow
from services.prescreen.verdicts import Verdict, build_verdict, fingerprint
from shared.runtime import Handled, Inbound
from shared.runtime.contract import Outbound
from shared.topics import SCREENING_VERDICTS


async def handle_cases(
    batch: Sequence[Inbound[CaseToScreen, Screened]], store: ScreeningStore
) -> Handled:
    """Publish a verdict for each case event that changes what its revision's verdict says."""
    known = await store.lock_and_load([m.event.case_id for m in batch])
    now = datetime.now(UTC)
    states: dict[object, CaseScreening] = {}
    verdicts: list[tuple[Verdict, Screened]] = []
    screened_all: list[Screened] = []
    skipped: Counter[str] = Counter()
    for inbound in batch:
        event, screened = inbound.event, inbound.staged
        screened_all.append(screened)
        last = states.get(event.case_id) or known.get(event.case_id)
        if last is not None and (event.revision, event.report_count) <= (
            last.revision,
            last.report_count,
        ):
            # A redelivery, or an older state arriving late: the verdict standing is newer.
            skipped["stale"] += 1
            continue
        mark = fingerprint(screened)
        if last is not None and last.revision == event.revision and last.fingerprint == mark:
            skipped["unchanged"] += 1
            states[event.case_id] = CaseScreening(
                event.case_id, event.revision, event.report_count, event.event_id,
                last.verdict_id, mark, now,
            )  # fmt: skip
            continue
        verdict = build_verdict(event, screened, now=now)
        verdicts.append((verdict, screened))
        states[event.case_id] = CaseScreening(
            event.case_id, event.revision, event.report_count, event.event_id,
            verdict.verdict_id, mark, now,
        )  # fmt: skip
    await store.save(
        list(states.values()),
        [_verdict_row(v) for v, _ in verdicts],
        [row for v, s in verdicts if (row := _shadow_row(v, s, now)) is not None],
    )
    outbound = [
        Outbound(SCREENING_VERDICTS.name, str(v.case_id).encode(), v.body) for v, _ in verdicts
    ]
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
    usability: Counter[tuple[str, str]] = Counter()
    for one in screened:
        for result in one.results:
            usability[(result.screener, result.usability.value)] += 1
            for category, score in result.scores.items():
                _score_metric(result.screener, category.value).observe(score)
    for (screener, state), n in usability.items():
        metrics.USABILITY.labels(screener, state).inc(n)
    for reason, n in skipped.items():
        metrics.UNCHANGED.labels(reason).inc(n)


@cache
def _score_metric(screener: str, category: str) -> Histogram:
    # labels() takes a lock and builds a key each time: resolved once per pair
    return metrics.SCORES.labels(screener, category)
