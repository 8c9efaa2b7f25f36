"""Ingest's retention: reports and cases of closed cases, kept for a documented period.

No law sets this period for reports; the platform keeps a closed case's reports long
enough for the user to appeal the decision (DSA art. 20: at least 6 months) and for the
yearly transparency report (DSA art. 15 and 24) to be computed and checked: 13 months by
default, ``CRIBLE_INGEST_REPORT_RETENTION_DAYS``. A case leaves when its last report has.
Open cases keep everything. Run on a schedule by the ingest service itself, under its own
database role (``shared/runtime/retention.py``); its period is set in ``services/ingest/config.py``.
"""

from __future__ import annotations

from datetime import timedelta

from services.ingest.config import IngestSettings
from shared.runtime.retention import RetentionRule, periodic_retention

BASIS = "platform policy: appeals (DSA art. 20) and yearly transparency reports (DSA art. 24)"


def rules() -> tuple[RetentionRule, ...]:
    """The rules under the configured period."""
    period = timedelta(days=IngestSettings().report_retention_days)
    reports = RetentionRule(
        name="ingest.reports",
        basis=BASIS,
        period=period,
        due="""SELECT r.report_id AS key FROM ingest.reports r
               JOIN ingest.cases c USING (case_id)
               WHERE r.accepted_at < :cutoff AND c.status = 'closed'
               LIMIT :limit FOR UPDATE OF r SKIP LOCKED""",
        count_due="""SELECT count(*) FROM ingest.reports r JOIN ingest.cases c USING (case_id)
                     WHERE r.accepted_at < :cutoff AND c.status = 'closed'""",
        deletes=("DELETE FROM ingest.reports WHERE report_id = ANY($1::text[])",),
    )
    cases = RetentionRule(
        name="ingest.cases",
        basis=BASIS,
        period=period,
        due="""SELECT case_id AS key FROM ingest.cases c
               WHERE c.status = 'closed' AND c.updated_at < :cutoff
                 AND NOT EXISTS (SELECT 1 FROM ingest.reports r WHERE r.case_id = c.case_id)
               LIMIT :limit FOR UPDATE OF c SKIP LOCKED""",
        count_due="""SELECT count(*) FROM ingest.cases c
                     WHERE c.status = 'closed' AND c.updated_at < :cutoff
                       AND NOT EXISTS (SELECT 1 FROM ingest.reports r
                                       WHERE r.case_id = c.case_id)""",
        deletes=("DELETE FROM ingest.cases WHERE case_id = ANY($1::uuid[])",),
    )
    # Reports first: a case goes once none of its reports is left.
    return (reports, cases)


RETENTION = periodic_retention("ingest", rules)
