"""The prescreen batch handler: screened case events in, stored and published verdicts out.

The screening itself ran in the consumer's stage (:mod:`services.prescreen.engine`); this
handler only orders it against what was already screened, inside the runner's transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from services.prescreen import metrics
from services.prescreen.engine import Screened
from services.prescreen.inbound import CaseToScreen
from services.prescreen.store import CaseScreening, ScreeningStore, ShadowRow, VerdictRow
from services.prescreen.verdicts import build_verdict, fingerprint
from shared.db import Connection
from shared.events.screening import ScreeningVerdict
from shared.publisher import Outbound
from shared.runtime import Handled, Inbound
from shared.topics import SCREENING_VERDICTS


async def handle_cases(batch: Sequence[Inbound[CaseToScreen]], conn: Connection) -> Handled:
    """Publish a verdict for each case event that changes what its revision's verdict says."""
    store = ScreeningStore(conn)
    known = await store.lock_and_load([m.event.case_id for m in batch])
    now = datetime.now(UTC)
    states: dict[object, CaseScreening] = {}
    verdicts: list[tuple[ScreeningVerdict, Screened]] = []
    skipped: Counter[str] = Counter()
    for inbound in batch:
        event, screened = inbound.event, inbound.staged
        assert isinstance(screened, Screened)  # noqa: S101 - the consumer's stage made it
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
    bodies = [(v, s, v.model_dump_json().encode()) for v, s in verdicts]
    await store.save(
        list(states.values()),
        [_verdict_row(v, body) for v, _, body in bodies],
        [row for v, s, _ in bodies if (row := _shadow_row(v, s, now)) is not None],
    )
    outbound = [Outbound(SCREENING_VERDICTS.name, str(v.case_id).encode(), b) for v, _, b in bodies]
    return Handled(outbound, after_commit=lambda: _count(verdicts, skipped))


def _verdict_row(verdict: ScreeningVerdict, body: bytes) -> VerdictRow:
    return VerdictRow(
        verdict_id=verdict.verdict_id,
        case_id=verdict.case_id,
        case_revision=verdict.case_revision,
        case_event_id=verdict.case_event_id,
        route=verdict.route.value,
        screened_category=verdict.screened_category.value,
        severity=verdict.severity.value,
        priority_hint=verdict.priority_hint,
        policy_name=verdict.policy.name,
        policy_version=verdict.policy.version,
        qa_sample=verdict.qa_sample,
        screened_at=verdict.screened_at,
        body=body.decode(),
    )


def _shadow_row(verdict: ScreeningVerdict, screened: Screened, now: datetime) -> ShadowRow | None:
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


def _count(verdicts: list[tuple[ScreeningVerdict, Screened]], skipped: Counter[str]) -> None:
    """Business metrics, once per committed effect."""
    for (route, category), n in Counter(
        (v.route.value, v.screened_category.value) for v, _ in verdicts
    ).items():
        metrics.VERDICTS.labels(route, category).inc(n)
    for v, screened in verdicts:
        if v.qa_sample:
            metrics.QA_SAMPLES.inc()
        if screened.shadow is not None:
            agrees = "yes" if screened.shadow.route is screened.live.route else "no"
            metrics.SHADOW_DECISIONS.labels(screened.shadow.route.value, agrees).inc()
        for result in screened.results:
            metrics.USABILITY.labels(result.screener, result.usability.value).inc()
            for category, score in result.scores.items():
                metrics.SCORES.labels(result.screener, category.value).observe(score)
    for reason, n in skipped.items():
        metrics.UNCHANGED.labels(reason).inc(n)
