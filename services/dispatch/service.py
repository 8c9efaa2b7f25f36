"""The dispatch service as the runtime runs it: ``crible run dispatch``.

This is where adapters meet handlers (the role of hexkit's ``inject.py``): each consumer
names the PostgreSQL adapters the runtime binds to its batch's transaction (``ports=``), the
handler runs on them, and its events and metrics go back to the runtime. Consumers, each its
own group so that each scales on its own:

- ``main``: screening verdicts into the review queue, automatic enforcement of ``act_now``;
- ``reports``: the reports of each case (what reviewers read; who reported);
- ``surges``: surge signals re-rank the cases of their subject (works without the topic's
  producer: no signal, no change);
- ``outcomes``: final decisions move the trust weights of the reporters of their case;
- ``statements``: submission of statements of reasons to the DSA Transparency Database,
  only when ``CRIBLE_DISPATCH_SOR_URL`` and ``_TOKEN`` are set.

Beside them, the reviewer HTTP API and a task keeping the queue's gauges current.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from services.dispatch import metrics
from services.dispatch.adapters.http.api import build_app
from services.dispatch.adapters.postgres.followers import PostgresFollowers
from services.dispatch.adapters.postgres.retention import RETENTION
from services.dispatch.adapters.postgres.statements import PostgresStatementLedger
from services.dispatch.adapters.postgres.verdicts import PostgresVerdicts
from services.dispatch.adapters.sor_http import SorSubmitter, submitter_from
from services.dispatch.adapters.yaml_files import DEFAULT_SLA_FILE, load_catalogue, load_sla
from services.dispatch.config import DispatchSettings
from services.dispatch.core.reasons import Catalogue
from services.dispatch.core.sla import SlaConfig
from services.dispatch.handlers import followers
from services.dispatch.handlers.intake import take_verdicts
from services.dispatch.handlers.statements import submit_statements
from services.dispatch.metrics import watch_queue
from services.dispatch.ports import FollowerStore, StatementLedger, VerdictStore
from shared.events.decisions import ReviewDecision, StatementIssued
from shared.events.reports import ReportAccepted
from shared.events.screening import ScreeningVerdict
from shared.events.surge import SurgeSignal
from shared.runtime import ConsumerSpec, Handled, Inbound, Service, ServiceContext
from shared.topics import (
    ENFORCEMENT_ACTIONS,
    REPORTS_ACCEPTED,
    REVIEW_DECISIONS,
    SCREENING_VERDICTS,
    STATEMENTS_OF_REASONS,
    SURGE_SIGNALS,
)


class Intake:
    """The verdict consumer, bound to the SLA file and the policy catalogue (read once)."""

    def __init__(self, sla: Path = DEFAULT_SLA_FILE) -> None:
        self._path = sla

    @cached_property
    def _sla(self) -> SlaConfig:
        return load_sla(self._path)

    @cached_property
    def _catalogue(self) -> Catalogue:
        return load_catalogue()

    async def __call__(
        self, batch: Sequence[Inbound[ScreeningVerdict]], store: VerdictStore
    ) -> Handled:
        """Queue, update or record each verdict; publish automatic actions."""
        result = await take_verdicts(
            [(m.event, m.raw) for m in batch],
            store,
            sla=self._sla,
            catalogue=self._catalogue,
            now=datetime.now(UTC),
        )

        def count() -> None:
            for category in result.acted:
                metrics.AUTOMATIC_ACTIONS.labels(category.value).inc()

        return Handled(result.events, after_commit=count)


async def store_reports(batch: Sequence[Inbound[ReportAccepted]], store: FollowerStore) -> Handled:
    """Keep each accepted report; re-rank the waiting cases touched."""
    await followers.store_reports([m.event for m in batch], store, datetime.now(UTC))
    return Handled(())


async def store_surges(batch: Sequence[Inbound[SurgeSignal]], store: FollowerStore) -> Handled:
    """Keep the largest figures of each signal; re-rank the cases of its subject."""
    kinds = await followers.store_surges([m.event for m in batch], store, datetime.now(UTC))

    def count() -> None:
        for kind in kinds:
            metrics.SURGE_SIGNALS.labels(kind.value).inc()

    return Handled((), after_commit=count)


async def weigh_reporters(
    batch: Sequence[Inbound[ReviewDecision]], store: FollowerStore
) -> Handled:
    """Move the trust weights of the reporters of finally decided cases."""
    moved = await followers.weigh_reporters([m.event for m in batch], store)

    def count() -> None:
        for outcome in moved:
            metrics.REPORTER_WEIGHTS_MOVED.labels(outcome.value).inc()

    return Handled((), after_commit=count)


class StatementSubmission:
    """Batch handler of ``statements.of_reasons``: submit, record, dead-letter refusals.

    One submitter (one connection pool to the server) serves every batch; it is made on the
    first batch, from the settings of that moment, and dropped by :meth:`aclose`.
    """

    def __init__(self) -> None:
        self._submitter: SorSubmitter | None = None

    def _client(self) -> SorSubmitter:
        if self._submitter is None:
            # Short waits: the batch holds a database connection and must poll Kafka again
            # within minutes; a longer outage is the runtime's back-off, not the submitter's.
            self._submitter = submitter_from(
                DispatchSettings(), max_attempts=3, max_backoff=10.0, max_retry_after=30.0
            )
        return self._submitter

    async def aclose(self) -> None:
        """Close the submitter's connections; the next batch makes a new one."""
        submitter, self._submitter = self._submitter, None
        if submitter is not None:
            await submitter.aclose()

    async def __call__(
        self, batch: Sequence[Inbound[StatementIssued]], ledger: StatementLedger
    ) -> Handled:
        """Submit the statements of ``batch`` not yet settled (``handlers/statements.py``)."""
        done = await submit_statements([m.event for m in batch], ledger, self._client())

        def count() -> None:
            # After the commit only: a rolled-back batch is submitted again and counted then.
            for status, n in done.counts.items():
                metrics.SUBMITTED.labels(status).inc(n)

        refused = [(batch[i], reason) for i, reason in done.refused]
        return Handled((), after_commit=count, refused=refused)


_SUBMISSION = StatementSubmission()


async def close_submitter(_context: ServiceContext) -> None:
    """Shutdown hook of the service running :data:`STATEMENTS`: close the submitter."""
    await _SUBMISSION.aclose()


VERDICTS: ConsumerSpec[ScreeningVerdict, VerdictStore] = ConsumerSpec(
    models={SCREENING_VERDICTS: ScreeningVerdict},
    handler=Intake(),
    ports=PostgresVerdicts,
    produces=(ENFORCEMENT_ACTIONS, STATEMENTS_OF_REASONS),
)
REPORTS: ConsumerSpec[ReportAccepted, FollowerStore] = ConsumerSpec(
    models={REPORTS_ACCEPTED: ReportAccepted},
    handler=store_reports,
    ports=PostgresFollowers,
    name="reports",
)
SURGES: ConsumerSpec[SurgeSignal, FollowerStore] = ConsumerSpec(
    models={SURGE_SIGNALS: SurgeSignal},
    handler=store_surges,
    ports=PostgresFollowers,
    name="surges",
)
OUTCOMES: ConsumerSpec[ReviewDecision, FollowerStore] = ConsumerSpec(
    models={REVIEW_DECISIONS: ReviewDecision},
    handler=weigh_reporters,
    ports=PostgresFollowers,
    name="outcomes",
)
#: Off unless both the Transparency Database's URL and the token are set; a consumer not
#: running keeps its group's offsets, so turning it on later submits the backlog.
STATEMENTS: ConsumerSpec[StatementIssued, StatementLedger] = ConsumerSpec(
    models={STATEMENTS_OF_REASONS: StatementIssued},
    handler=_SUBMISSION,
    ports=PostgresStatementLedger,
    name="statements",
    enabled=lambda: DispatchSettings().submits_statements,
)


async def _watch(ctx: ServiceContext) -> None:
    """Keep the queue's gauges (depth, oldest case, SLA breaches) current."""
    if ctx.pool is not None:
        await watch_queue(ctx.pool, ctx.stop)


SPEC = Service(
    name="dispatch",
    consumers=(VERDICTS, REPORTS, SURGES, OUTCOMES, STATEMENTS),
    on_stop=(close_submitter,),
    http_app=build_app,
    main=_watch,
    periodic=(RETENTION,),
)
