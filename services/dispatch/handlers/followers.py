"""What dispatch follows besides verdicts: reports, surge signals and its own decisions.

- ``reports.accepted``: each case revision's reports (what reviewers read, and who reported,
  for the reporters' trust weights); preserved evidence gains them, and the waiting cases
  they belong to are re-ranked.
- ``surge.signals``: bursts on a subject; the signal with the largest figures per id is kept
  (signals only grow, so a duplicate or an older copy changes nothing), and the waiting
  cases of the subject are re-ranked: a viral burst raises them, a coordinated one
  discounts their crowd.
- ``review.decisions``: a final decision moves the trust weight of each reporter of the
  case revision (``core/reporters.py``): down for ``no_violation``, up otherwise. Each
  decision is weighed once, whatever redeliveries come.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.dispatch.core.reporters import ReportOutcome, updated_weight
from services.dispatch.handlers.ranking import rerank
from services.dispatch.ports import FollowerStore, Key, ReporterWeight
from shared.events.decisions import DecisionOutcome, ReviewDecision
from shared.events.reports import ReportAccepted
from shared.events.surge import SurgeKind, SurgeSignal


async def store_reports(
    reports: Sequence[ReportAccepted], store: FollowerStore, now: datetime
) -> None:
    """Keep each accepted report of a case revision; re-rank the waiting ones touched."""
    await store.store_reports(reports)
    keys: list[Key] = sorted({(r.case_id, r.case_revision) for r in reports})
    await rerank(store, keys, now)
    # After the re-rank has locked the waiting case rows: an intake preserving one of them
    # now has either committed (its evidence is seen here) or waits (and copies these).
    await store.add_to_evidence(reports)


async def store_surges(
    signals: Sequence[SurgeSignal], store: FollowerStore, now: datetime
) -> list[SurgeKind]:
    """Keep the largest figures of each signal; re-rank the waiting cases of its subject."""
    ordered = sorted(signals, key=lambda s: s.signal_id)
    await store.store_surges(ordered, now)
    await rerank(store, await store.of_subjects([s.subject.key() for s in ordered]), now)
    return [s.kind for s in ordered]


async def weigh_reporters(
    decisions: Sequence[ReviewDecision], store: FollowerStore
) -> list[ReportOutcome]:
    """Move the trust weight of the reporters of each finally decided case revision.

    Returns one outcome per weight moved (for the metrics).
    """
    final = [d for d in decisions if d.final]
    if not final:
        return []
    new = await store.first_weighing([d.decision_id for d in final])
    moved: list[ReportOutcome] = []
    for decision in sorted(final, key=lambda d: d.decided_at):
        if decision.decision_id not in new:
            continue  # weighed on an earlier delivery
        outcome = (
            ReportOutcome.NO_VIOLATION
            if decision.outcome is DecisionOutcome.NO_VIOLATION
            else ReportOutcome.CONFIRMED
        )
        moved.extend(await _weigh(store, decision, outcome))
    return moved


async def _weigh(
    store: FollowerStore, decision: ReviewDecision, outcome: ReportOutcome
) -> list[ReportOutcome]:
    """Move the weights of the case revision's reporters, locked in a fixed order."""
    ids = await store.reporters_of((decision.case_id, decision.case_revision))
    if not ids:
        return []
    at = decision.decided_at
    locked = await store.lock_weights(ids, at)
    await store.set_weights(
        [
            ReporterWeight(w.reporter_id, updated_weight(w.weight, outcome, w.updated_at, at), at)
            for w in locked
        ],
        confirmed=outcome is ReportOutcome.CONFIRMED,
    )
    return [outcome] * len(locked)
