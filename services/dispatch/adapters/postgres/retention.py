"""Dispatch's retention: decided cases with their decisions, appeals and reports.

No law sets this period; the platform keeps a decision for as long as it may have to
answer for it: appeals (DSA art. 20: 6 months), out-of-court settlement (art. 21), and
the transparency reports of the year after (art. 15, 24): 2 years by default after the
case's last change, ``CRIBLE_DISPATCH_DECISION_RETENTION_DAYS``. The statements of reasons
stay public in the EU Transparency Database; a statement not yet submitted is kept (and
its case with it). Only cases whose every revision is final (decided or dismissed) go.
Preserved evidence has its own period, set by law per category (``core/evidence.py``),
whatever became of the case.
"""

from __future__ import annotations

from datetime import timedelta

from services.dispatch.config import DispatchSettings
from services.dispatch.core.evidence import EVIDENCE_PERIODS
from services.dispatch.core.lifecycle import SETTLED, sql_list
from shared.runtime.retention import RetentionRule, periodic_retention

BASIS = "platform policy: appeals and disputes (DSA art. 20, 21), transparency (art. 15, 24)"
_DUE = f"""FROM dispatch.cases c GROUP BY c.case_id
          HAVING bool_and(c.state IN {sql_list(SETTLED)}) AND max(c.updated_at) < :cutoff
             AND NOT EXISTS (SELECT 1 FROM dispatch.statements s
                             WHERE s.case_id = c.case_id AND s.status = 'pending')"""


def rules() -> tuple[RetentionRule, ...]:
    """The cases' rule under the configured period, and preserved evidence's own."""
    period = timedelta(days=DispatchSettings().decision_retention_days)
    key = "$1::uuid[]"
    return (
        RetentionRule(
            name="dispatch.cases",
            basis=BASIS,
            period=period,
            # Final rows change no more: no row lock is needed to choose them.
            due=f"SELECT c.case_id AS key {_DUE} LIMIT :limit",
            count_due=f"SELECT count(*) FROM (SELECT c.case_id {_DUE}) due",
            deletes=(
                f"DELETE FROM dispatch.appeals WHERE case_id = ANY({key})",
                f"DELETE FROM dispatch.statements WHERE case_id = ANY({key})",
                f"DELETE FROM dispatch.decisions WHERE case_id = ANY({key})",
                f"DELETE FROM dispatch.exposures WHERE case_id = ANY({key})",
                f"DELETE FROM dispatch.case_reports WHERE case_id = ANY({key})",
                f"DELETE FROM dispatch.case_reporters WHERE case_id = ANY({key})",
                f"DELETE FROM dispatch.case_weighted WHERE case_id = ANY({key})",
                f"DELETE FROM dispatch.case_tallies WHERE case_id = ANY({key})",
                f"DELETE FROM dispatch.cases WHERE case_id = ANY({key})",
            ),
        ),
        RetentionRule(
            name="dispatch.preserved_evidence",
            basis="; ".join(p.basis for p in EVIDENCE_PERIODS.values()),
            period=max(p.period for p in EVIDENCE_PERIODS.values()),
            # Each row carries its own end (keep_until), set from its category's law.
            due="""SELECT case_id AS key FROM dispatch.preserved_evidence
                   WHERE keep_until < :now ORDER BY keep_until LIMIT :limit
                   FOR UPDATE SKIP LOCKED""",
            count_due="SELECT count(*) FROM dispatch.preserved_evidence WHERE keep_until < :now",
            deletes=(
                f"""DELETE FROM dispatch.preserved_evidence
                    WHERE case_id = ANY({key}) AND keep_until < now()""",
            ),
        ),
    )


RETENTION = periodic_retention("dispatch", rules)
