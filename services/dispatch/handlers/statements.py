"""Statements of reasons on their way out: from ``statements.of_reasons`` to the Commission.

The ``statements`` consumer sends each issued statement to the DSA Transparency Database
and records its fate; ``crible sor submit`` sends what is left in ``dispatch.statements``
(``tools/commands.py``) and records it the same way.

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
from collections.abc import Sequence
from dataclasses import dataclass, field

from services.dispatch.ports import StatementLedger, StatementSubmitter, SubmitStatus
from shared.events.decisions import StatementIssued

log = logging.getLogger(__name__)

#: Dead-letter reasons are cut to this length.
REASON_LIMIT = 500


class SubmissionPendingError(ConnectionError):
    """Some statements could not be stored for now: the runtime retries the whole batch.

    A ``ConnectionError`` so that ``shared.runtime.errors.classify`` finds it transient: the batch
    is retried with back-off, never split nor dead-lettered.
    """


@dataclass(slots=True)
class Submitted:
    """What a batch's submission did: refusals to dead-letter (by position), counts."""

    refused: list[tuple[int, str]] = field(default_factory=list)
    counts: Tally[str] = field(default_factory=Tally)


def refusal(reason: str | None) -> str:
    """The dead-letter reason of a statement the Transparency Database refused."""
    return f"Transparency Database refused the statement: {reason or 'no reason given'}"[
        :REASON_LIMIT
    ]


async def submit_statements(
    statements: Sequence[StatementIssued],
    ledger: StatementLedger,
    submitter: StatementSubmitter,
) -> Submitted:
    """Submit the statements not yet settled; see the module's docstring."""
    settled = await ledger.settled(list({s.puid for s in statements}))
    # A redelivery, or a statement `crible sor submit` already sent: nothing to do.
    todo = [(i, s) for i, s in enumerate(statements) if s.puid not in settled]
    if not todo:
        return Submitted()
    results = await submitter.submit([s.statement for _, s in todo])
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
    await ledger.record([(s, r) for (_, s), r in zip(todo, results, strict=True)])
    done = Submitted(counts=Tally(r.status.value for r in results))
    done.refused = [
        (i, refusal(r.reason))
        for (i, _), r in zip(todo, results, strict=True)
        if r.status is SubmitStatus.REJECTED
    ]
    log.info("statements of reasons submitted", extra=dict(done.counts))
    return done
