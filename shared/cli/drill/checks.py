"""What must hold after a drill, whatever happened: read from the database and the topics.

Every report stored once; case counts that match their reports; every case revision ingest
announced screened, and no case event screened under two verdict ids; every screened
revision with its queue row holding the newest verdict; the malformed reports, and nothing
else, in the dead-letter topics; every account and session stored once; no outbox row left;
every consumer group at lag 0.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson

from shared.cli.dlq import read_all
from shared.cli.drill.pipeline import Sent
from shared.config import Settings
from shared.kafka import make_admin
from shared.topics import CASES, REPORTS_SUBMITTED, SCREENING_VERDICTS, wire_name

#: Schemas whose outbox must end empty.
OUTBOXES = ("ingest", "prescreen", "dispatch", "legal")


@dataclass(frozen=True, slots=True)
class Check:
    """One invariant: what it expects, what was found."""

    name: str
    expected: object
    found: object

    @property
    def holds(self) -> bool:
        """Whether what was found is what was expected."""
        return self.expected == self.found


async def _values(settings: Settings, name: str) -> list[dict[str, Any]]:
    return [
        orjson.loads(r.value)
        for r in await read_all(settings, wire_name(name, settings.topic_prefix))
        if r.value
    ]


async def check(settings: Settings, sent: Sent, *, lag: dict[str, int]) -> list[Check]:
    """Every invariant of the drill run under ``settings.topic_prefix``."""
    ns = settings.topic_prefix
    announced = {(e["case_id"], e["revision"]) for e in await _values(settings, CASES.name)}
    verdicts = await _values(settings, SCREENING_VERDICTS.name)
    ids_per_event: dict[str, set[str]] = defaultdict(set)
    newest: dict[tuple[str, int], int] = {}
    for v in verdicts:
        ids_per_event[v["case_event_id"]].add(v["verdict_id"])
        key = (v["case_id"], v["case_revision"])
        newest[key] = max(newest.get(key, 0), v["report_count"])
    conn = await asyncpg.connect(settings.database_url.get_secret_value())
    try:
        stored = await conn.fetchval(
            "SELECT count(*) FROM ingest.reports WHERE report_id LIKE $1 || '%'", ns
        )
        miscounted = await conn.fetchval(
            """SELECT count(*) FROM ingest.cases c
               JOIN LATERAL (SELECT count(*) AS reports, count(DISTINCT reporter_id) AS reporters
                             FROM ingest.reports r
                             WHERE r.case_id = c.case_id AND r.case_revision = c.revision) r
                 ON true
               WHERE c.case_id = ANY($1::uuid[])
                 AND (c.report_count <> r.reports OR c.reporter_count <> r.reporters)""",
            list({uuid.UUID(case) for case, _ in announced}),
        )
        rows = {
            (str(r["case_id"]), r["revision"]): r["report_count"]
            for r in await conn.fetch(
                "SELECT case_id, revision, report_count FROM dispatch.cases "
                "WHERE case_id = ANY($1::uuid[])",
                list({uuid.UUID(case) for case, _ in newest}),
            )
        }
        outbox = sum([
            await conn.fetchval(f"SELECT count(*) FROM {schema}.outbox") for schema in OUTBOXES
        ])  # fmt: skip
        accounts = await conn.fetchval(
            "SELECT count(*) FROM legal.accounts WHERE platform_user_id LIKE $1 || '%'", ns
        )
        sessions = await conn.fetchval(
            "SELECT count(*) FROM legal.sessions WHERE platform_user_id LIKE $1 || '%'", ns
        )
    finally:
        await conn.close()
    dlq = wire_name(REPORTS_SUBMITTED.dlq().name, ns)
    dead_reports = {r.key for r in await read_all(settings, dlq)}
    other_dead = await _other_dead_letters(settings, skip=dlq)
    return [
        Check("every report stored once", len(sent.reports), stored),
        Check("case revisions whose counts disagree with their reports", 0, miscounted),
        Check(
            "case revisions announced, each screened",
            len(announced),
            len(announced & newest.keys()),
        ),
        Check(
            "case events screened under two verdict ids",
            0,
            sum(1 for ids in ids_per_event.values() if len(ids) > 1),
        ),
        Check(
            "case revisions screened, each with one queue row holding the newest verdict",
            len(newest),
            sum(1 for key, count in newest.items() if rows.get(key) == count),
        ),
        Check(
            "malformed reports in reports.submitted.dlq",
            len(sent.malformed_reports),
            len(dead_reports & sent.malformed_reports),
        ),
        Check("valid reports dead-lettered", 0, len(dead_reports - sent.malformed_reports)),
        Check("dead letters in every other .dlq topic", 0, other_dead),
        Check("accounts stored once", len(sent.accounts), accounts),
        Check("sessions stored once", len(sent.sessions), sessions),
        Check("outbox rows left", 0, outbox),
        Check("consumer groups with lag", 0, sum(1 for v in lag.values() if v)),
    ]


async def _other_dead_letters(settings: Settings, *, skip: str) -> int:
    admin = make_admin(settings)
    await admin.start()
    try:
        topics = [
            t
            for t in await admin.list_topics()
            if t.startswith(settings.topic_prefix) and t.endswith(".dlq") and t != skip
        ]
    finally:
        await admin.close()
    return sum([len(await read_all(settings, topic)) for topic in topics])


def table(checks: Sequence[Check]) -> str:
    """The invariants as a table, each marked ok or FAILED."""
    width = max(len(c.name) for c in checks)
    lines = [f"  {'invariant':<{width}} {'expected':>9} {'found':>9}"]
    for c in checks:
        mark = "ok" if c.holds else "FAILED"
        lines.append(f"  {c.name:<{width}} {c.expected!s:>9} {c.found!s:>9}  {mark}")
    return "\n".join(lines)
