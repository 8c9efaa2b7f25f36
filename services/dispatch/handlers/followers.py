"""What dispatch follows besides verdicts: reports, surge signals and its own decisions.

- ``reports.accepted``: each case revision's reports (what reviewers read, and who reported,
  for the reporters' trust weights); waiting cases they belong to are re-ranked.
- ``surge.signals``: bursts on a subject; the signal with the largest figures per id is kept
  (signals only grow, so a duplicate or an older copy changes nothing), and the waiting
  cases of the subject are re-ranked: a viral burst raises them, a coordinated one
  discounts their crowd.
- ``review.decisions``: a final decision moves the trust weight of each reporter of the
  case revision (``reporters.py``): down for ``no_violation``, up otherwise. Each decision
  is weighed once, whatever redeliveries come.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import orjson

from services.dispatch import metrics
from services.dispatch.adapters.postgres.evidence import refresh_reports
from services.dispatch.adapters.postgres.ranking import Key, rerank
from services.dispatch.core.lifecycle import SETTLED, sql_list
from services.dispatch.core.reporters import ReportOutcome, updated_weight
from shared.db import Connection
from shared.events.decisions import DecisionOutcome, ReviewDecision
from shared.events.reports import ReportAccepted
from shared.events.surge import SurgeSignal
from shared.runtime import Handled, Inbound

#: Stored per report for reviewers; longer excerpts are cut (the event allows 4 KiB).
_EVIDENCE_LIMIT = 16 * 1024


async def store_reports(batch: Sequence[Inbound[ReportAccepted]], conn: Connection) -> Handled:
    """Keep each accepted report of a case revision; re-rank the waiting ones touched."""
    rows = []
    for inbound in batch:
        accepted = inbound.event
        report = accepted.report
        evidence = None
        if report.evidence is not None:
            evidence = orjson.dumps(report.evidence.model_dump(mode="json", exclude_none=True))
        rows.append(
            (
                accepted.case_id,
                accepted.case_revision,
                report.report_id,
                report.reporter_id,
                report.reporter_language,
                report.category.value,
                report.text,
                None if evidence is None or len(evidence) > _EVIDENCE_LIMIT else evidence.decode(),
                report.reported_at,
            )
        )
    await conn.executemany(
        """INSERT INTO dispatch.case_reports (case_id, revision, report_id, reporter_id,
               language, category, text, evidence, reported_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING""",
        rows,
    )
    keys: list[Key] = sorted({(r[0], r[1]) for r in rows})
    await refresh_reports(conn, keys)
    await rerank(conn, keys, datetime.now(UTC))
    return Handled(())


async def store_surges(batch: Sequence[Inbound[SurgeSignal]], conn: Connection) -> Handled:
    """Keep the largest figures of each signal; re-rank the waiting cases of its subject."""
    now = datetime.now(UTC)
    signals = sorted((m.event for m in batch), key=lambda s: s.signal_id)
    await conn.executemany(
        """INSERT INTO dispatch.surges (signal_id, subject_key, kind, count, reporters,
               window_end, received_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (signal_id) DO UPDATE SET
               count = GREATEST(surges.count, EXCLUDED.count),
               reporters = GREATEST(surges.reporters, EXCLUDED.reporters),
               received_at = EXCLUDED.received_at""",
        [
            (
                s.signal_id,
                s.subject.key(),
                s.kind.value,
                s.count,
                s.distinct_reporters,
                s.window_end,
                now,
            )
            for s in signals
        ],
    )
    rows = await conn.fetch(
        f"""SELECT case_id, revision FROM dispatch.cases
           WHERE subject_key = ANY($1::text[]) AND state NOT IN {sql_list(SETTLED)}""",
        sorted({s.subject.key() for s in signals}),
    )
    await rerank(conn, [(r["case_id"], r["revision"]) for r in rows], now)
    kinds = [s.kind.value for s in signals]

    def count() -> None:
        for kind in kinds:
            metrics.SURGE_SIGNALS.labels(kind).inc()

    return Handled((), after_commit=count)


async def weigh_reporters(batch: Sequence[Inbound[ReviewDecision]], conn: Connection) -> Handled:
    """Move the trust weight of the reporters of each finally decided case revision."""
    final = [m.event for m in batch if m.event.final]
    if not final:
        return Handled(())
    fresh = await conn.fetch(
        """INSERT INTO dispatch.weighed_decisions (decision_id, weighed_at)
           SELECT unnest($1::uuid[]), now() ON CONFLICT DO NOTHING RETURNING decision_id""",
        [d.decision_id for d in final],
    )
    new = {r["decision_id"] for r in fresh}
    moved: list[str] = []
    for decision in sorted(final, key=lambda d: d.decided_at):
        if decision.decision_id not in new:
            continue  # weighed on an earlier delivery
        outcome = (
            ReportOutcome.NO_VIOLATION
            if decision.outcome is DecisionOutcome.NO_VIOLATION
            else ReportOutcome.CONFIRMED
        )
        moved.extend(await _weigh(conn, decision, outcome))

    def count() -> None:
        for outcome in moved:
            metrics.REPORTER_WEIGHTS_MOVED.labels(outcome).inc()

    return Handled((), after_commit=count)


async def _weigh(conn: Connection, decision: ReviewDecision, outcome: ReportOutcome) -> list[str]:
    """Move the weights of the case revision's reporters, locked in a fixed order."""
    reporters = await conn.fetch(
        """SELECT DISTINCT reporter_id FROM dispatch.case_reports
           WHERE case_id = $1 AND revision = $2 ORDER BY reporter_id""",
        decision.case_id,
        decision.case_revision,
    )
    ids = [r["reporter_id"] for r in reporters]
    if not ids:
        return []
    now = decision.decided_at
    # Neutral rows first, so that every weight below is read under its row lock: two lanes
    # weighing the same reporter at once never lose one of the moves.
    await conn.execute(
        """INSERT INTO dispatch.reporters (reporter_id, weight, updated_at)
           SELECT unnest($1::text[]), 1.0, $2 ON CONFLICT DO NOTHING""",
        ids,
        now,
    )
    rows = await conn.fetch(
        """SELECT reporter_id, weight, updated_at FROM dispatch.reporters
           WHERE reporter_id = ANY($1::text[]) ORDER BY reporter_id FOR UPDATE""",
        ids,
    )
    confirmed = outcome is ReportOutcome.CONFIRMED
    await conn.executemany(
        """UPDATE dispatch.reporters SET weight = $2,
               updated_at = GREATEST(updated_at, $3),
               confirmed = confirmed + $4, rejected = rejected + $5
           WHERE reporter_id = $1""",
        [
            (
                r["reporter_id"],
                updated_weight(r["weight"], outcome, r["updated_at"], now),
                now,
                int(confirmed),
                int(not confirmed),
            )
            for r in rows
        ],
    )
    return [outcome.value] * len(rows)
