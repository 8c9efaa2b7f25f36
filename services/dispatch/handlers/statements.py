"""Statements of reasons on their way out: from ``statements.of_reasons`` to the Commission.

The ``statements`` consumer sends each issued statement to the DSA Transparency Database
and records its fate in ``dispatch.statements``; ``crible sor submit`` sends what is left
there (``services/dispatch/tools/commands.py``) and records it with the same function.

- stored (``submitted``) or already stored earlier (``duplicate``): settled;
- refused by the server or by the local check (``rejected``): kept with the server's words
  and dead-lettered, since sending it again cannot help;
- not stored for a reason that may pass (rate limit, outage, refused token): nothing is
  recorded and the batch is retried by the runtime, as for a database outage. What the
  failed attempt did store comes back as a duplicate, which is the same fact.

The HTTP calls run inside the batch's transaction: the rows of a batch commit only once
the server answered for every statement in it.
"""

from __future__ import annotations

import logging
from collections import Counter as Tally
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from prometheus_client import Counter

from services.dispatch.adapters.sor_http import SorSubmitter, SubmitResult, SubmitStatus
from services.dispatch.config import DispatchSettings
from shared.db import Connection
from shared.errors import ConfigurationError
from shared.events.decisions import StatementIssued
from shared.runtime import ConsumerSpec, Handled, Inbound, ServiceContext
from shared.topics import STATEMENTS_OF_REASONS

log = logging.getLogger(__name__)

#: Dead-letter reasons and stored reasons are cut to this length.
REASON_LIMIT = 500
#: The statuses after which a statement is never sent again by the consumer.
SETTLED = ("submitted", "duplicate", "rejected")

SUBMITTED = Counter(
    "crible_dispatch_statements_submitted_total",
    "Statements of reasons the Transparency Database answered for, by status: submitted, "
    "duplicate (stored by an earlier call) or rejected (dead-lettered).",
    ["status"],
)


class SubmissionPendingError(ConnectionError):
    """Some statements could not be stored for now: the runtime retries the whole batch.

    A ``ConnectionError`` so that ``shared.errors.classify`` finds it transient: the batch
    is retried with back-off, never split nor dead-lettered.
    """


def submitter_from(settings: DispatchSettings, **options: Any) -> SorSubmitter:
    """A submitter as configured; ``ConfigurationError`` when the URL or the token is unset.

    ``options`` tune its retries (``SorSubmitter``'s keyword arguments).
    """
    if not settings.sor_url or settings.sor_token is None:
        raise ConfigurationError(
            "CRIBLE_DISPATCH_SOR_URL and CRIBLE_DISPATCH_SOR_TOKEN must both be set to "
            "submit statements of reasons"
        )
    return SorSubmitter(
        base_url=settings.sor_url,
        token=settings.sor_token.get_secret_value(),
        timeout=settings.sor_timeout_seconds,
        **options,
    )


async def record_results(
    conn: Connection,
    outcomes: Iterable[tuple[StatementIssued, SubmitResult]],
    *,
    now: datetime | None = None,
) -> None:
    """Store the fate of each statement in ``dispatch.statements`` (its row made if missing).

    A failed submission is not recorded: the statement stays as it was, to be sent again.
    A statement once stored stays stored: a later ``duplicate`` or ``rejected`` answer (a
    race between the consumer and ``crible sor submit``, a ``--resend``) does not undo it,
    and only a new ``submitted`` answer (e.g. a ``--resend`` to another server) moves its
    ``submitted_at``.
    """
    when = now or datetime.now(UTC)
    rows = []
    for issued, result in outcomes:
        if result.status is SubmitStatus.FAILED:
            continue
        rejected = result.status is SubmitStatus.REJECTED
        rows.append(
            (
                issued.puid,
                issued.decision_id,
                issued.case_id,
                orjson.dumps(issued.statement).decode(),
                issued.issued_at,
                result.status.value,
                (result.reason or "no reason given")[:REASON_LIMIT] if rejected else None,
                None if rejected else when,
            )
        )
    if not rows:
        return
    await conn.executemany(
        """INSERT INTO dispatch.statements (puid, decision_id, case_id, statement, issued_at,
               status, reason, submitted_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (puid) DO UPDATE SET status = EXCLUDED.status,
               reason = EXCLUDED.reason, submitted_at = EXCLUDED.submitted_at
           WHERE statements.status IN ('pending', 'rejected') OR EXCLUDED.status = 'submitted'""",
        rows,
    )


def refusal(reason: str | None) -> str:
    """The dead-letter reason of a statement the Transparency Database refused."""
    return f"Transparency Database refused the statement: {reason or 'no reason given'}"[
        :REASON_LIMIT
    ]


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
        self, batch: Sequence[Inbound[StatementIssued]], conn: Connection
    ) -> Handled:
        """Submit the statements of ``batch`` not yet settled; see the module's docstring."""
        puids = list({m.event.puid for m in batch})
        settled = {
            row["puid"]
            for row in await conn.fetch(
                "SELECT puid FROM dispatch.statements WHERE puid = ANY($1::text[]) "
                "AND status = ANY($2::text[])",
                puids,
                list(SETTLED),
            )
        }
        # A redelivery, or a statement `crible sor submit` already sent: nothing to do.
        todo = [m for m in batch if m.event.puid not in settled]
        if not todo:
            return Handled(())
        results = await self._client().submit([m.event.statement for m in todo])
        failed = [r for r in results if r.status is SubmitStatus.FAILED]
        if failed:
            # Rolling back loses what this attempt stored, but the retry learns it again as
            # duplicates; recording it now would commit the offsets of the failed ones.
            log.warning(
                "statements of reasons not stored; the batch will be retried",
                extra={"failed": len(failed), "of": len(results), "reason": failed[0].reason},
            )
            raise SubmissionPendingError(
                f"{len(failed)} of {len(results)} statements not stored: {failed[0].reason}"
            )
        await record_results(conn, ((m.event, r) for m, r in zip(todo, results, strict=True)))
        refused = [
            (m, refusal(r.reason))
            for m, r in zip(todo, results, strict=True)
            if r.status is SubmitStatus.REJECTED
        ]
        counts = Tally(r.status.value for r in results)
        log.info("statements of reasons submitted", extra=dict(counts))

        def count() -> None:
            # After the commit only: a rolled-back batch is submitted again and counted then.
            for status, n in counts.items():
                SUBMITTED.labels(status).inc(n)

        return Handled((), after_commit=count, refused=refused)


_SUBMISSION = StatementSubmission()


async def close_submitter(_context: ServiceContext) -> None:
    """Shutdown hook of the service running :data:`STATEMENTS`: close the submitter."""
    await _SUBMISSION.aclose()


#: Off unless both the Transparency Database's URL and the token are set; a consumer not
#: running keeps its group's offsets, so turning it on later submits the backlog.
STATEMENTS: ConsumerSpec[StatementIssued] = ConsumerSpec(
    models={STATEMENTS_OF_REASONS: StatementIssued},
    handler=_SUBMISSION,
    name="statements",
    enabled=lambda: DispatchSettings().submits_statements,
)
