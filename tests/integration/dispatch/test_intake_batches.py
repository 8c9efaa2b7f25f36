"""Dispatch's batch statements on the real database: a batch stores what its records one at a
time store, and a batch handled twice changes nothing.

Intake and the reports consumer write a whole batch in one statement over arrays; these tests
hold them to the effects of handling the same records one by one, row for row.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from services.dispatch.adapters.postgres.followers import PostgresFollowers
from services.dispatch.adapters.postgres.verdicts import PostgresVerdicts
from services.dispatch.adapters.yaml_files import load_sla, shipped_catalogue
from services.dispatch.core.reporters import NEUTRAL_WEIGHT, current_weight
from services.dispatch.handlers.followers import store_reports
from services.dispatch.handlers.intake import take_verdicts
from services.dispatch.ports import ReporterWeight
from shared.config import Settings
from shared.events.reports import ReportAccepted
from shared.events.screening import ScreeningVerdict
from tests.integration.dispatch.rows import move_case
from tests.unit.dispatch.handlers.builders import report, verdict

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
#: What intake and the reports consumer write, each in an order that makes rows comparable.
TABLES = {
    "cases": "case_id, revision",
    "case_reports": "case_id, revision, report_id",
    "case_reporters": "case_id, revision, reporter_id",
    "case_tallies": "case_id, revision",
    "case_weighted": "case_id, revision, reporter_id",
    "preserved_evidence": "case_id, revision",
    "preserved_reports": "case_id, revision, report_id",
    "statements": "puid",
}
CSAM = [{"name": "hashes", "version": "1", "usability": "used", "scores": {},
         "matches": [{"kind": "hash", "category": "child_sexual_abuse", "ref": "demo-csam"}],
         "notes": []}]  # fmt: skip


async def take(db: asyncpg.Connection, verdicts: Sequence[tuple[ScreeningVerdict, bytes]]) -> int:
    """One intake batch in its own transaction; how many events it published."""
    async with db.transaction():
        result = await take_verdicts(
            verdicts, PostgresVerdicts(db), sla=load_sla(), catalogue=shipped_catalogue(), now=NOW
        )
    return len(result.events)


async def keep(db: asyncpg.Connection, reports: Sequence[ReportAccepted]) -> None:
    """One batch of the reports consumer in its own transaction."""
    async with db.transaction():
        await store_reports(reports, PostgresFollowers(db), NOW)


async def tables(db: asyncpg.Connection) -> dict[str, list[dict[str, Any]]]:
    """Every row intake and the reports consumer write, in a fixed order."""
    return {
        t: [dict(r) for r in await db.fetch(f"SELECT * FROM dispatch.{t} ORDER BY {order}")]
        for t, order in TABLES.items()
    }


async def empty(db: asyncpg.Connection) -> None:
    await db.execute(f"TRUNCATE {', '.join(f'dispatch.{t}' for t in TABLES)} CASCADE")


def verdicts(ids: dict[str, uuid.UUID]) -> list[tuple[ScreeningVerdict, bytes]]:
    """Verdicts that move cases every way intake moves them, several per case revision."""
    at = NOW - timedelta(minutes=5)
    return [
        verdict(ids["growing"], at, report_count=1),
        verdict(
            ids["growing"],
            at,
            report_count=3,
            reporter_count=2,
            severity="high",
            reporter_languages=["fr", "pt-BR"],
        ),
        verdict(ids["growing"], at, report_count=2),  # older than the last: nothing
        verdict(ids["undismissed"], at, route="dismiss"),
        verdict(ids["undismissed"], at, report_count=2),
        verdict(ids["sampled"], at, route="dismiss", qa_sample=True, reporter_languages=[]),
        verdict(
            ids["acted"],
            at,
            route="act_now",
            screened_category="child_sexual_abuse",
            severity="critical",
            screeners=CSAM,
        ),
        verdict(
            ids["acted"],
            at,
            route="act_now",
            report_count=2,
            screened_category="child_sexual_abuse",
            severity="critical",
        ),
        verdict(ids["leased"], at, route="dismiss", report_count=2),  # a person has it
        verdict(ids["leased"], at, report_count=3, severity="low"),
    ]


async def seed_leased(db: asyncpg.Connection, first: tuple[ScreeningVerdict, bytes]) -> None:
    """A case revision a reviewer holds, queued by an earlier verdict."""
    await take(db, [first])
    await db.execute(
        "INSERT INTO dispatch.reviewers (reviewer_id, name, languages, clearances, roles, "
        "exposure_cap) VALUES ('alice', 'Alice', '{fr}', '{hate_speech}', '{reviewer}', 40) "
        "ON CONFLICT DO NOTHING"
    )
    await move_case(db, first[0].case_id, "leased", reviewer="alice")
    await db.execute(
        "UPDATE dispatch.cases SET lease_expires_at = $2 WHERE case_id = $1",
        first[0].case_id,
        NOW + timedelta(minutes=5),
    )


async def test_a_batch_of_verdicts_stores_what_they_store_one_at_a_time_and_once(
    db: asyncpg.Connection,
) -> None:
    names = ("growing", "undismissed", "sampled", "acted", "leased")
    ids = {name: uuid.uuid4() for name in names}
    batch = verdicts(ids)
    first = verdict(ids["leased"], NOW - timedelta(hours=1))

    await seed_leased(db, first)
    published = [await take(db, [one]) for one in batch]
    one_at_a_time = await tables(db)

    await empty(db)
    await seed_leased(db, first)
    assert await take(db, batch) == sum(published) == 2  # the removal and its statement
    assert await tables(db) == one_at_a_time

    # The same batch again (a redelivery) changes nothing and publishes nothing.
    assert await take(db, batch) == 0
    assert await tables(db) == one_at_a_time

    cases = {r["case_id"]: r for r in one_at_a_time["cases"]}
    growing = cases[ids["growing"]]
    assert (growing["report_count"], growing["severity"], growing["languages"]) == (
        3,
        "high",
        ["fr", "pt-BR"],
    )
    assert cases[ids["undismissed"]]["state"] == "queued"
    assert (cases[ids["sampled"]]["state"], cases[ids["sampled"]]["languages"]) == ("queued", [])
    assert cases[ids["acted"]]["report_count"] == 2
    assert cases[ids["acted"]]["in_force"] is not None
    assert (cases[ids["leased"]]["state"], cases[ids["leased"]]["report_count"]) == ("leased", 3)
    assert [r["case_id"] for r in one_at_a_time["preserved_evidence"]] == [ids["acted"]]
    assert len(one_at_a_time["statements"]) == 1


async def test_a_batch_of_reports_stores_and_ranks_as_one_at_a_time_and_once(
    db: asyncpg.Connection,
) -> None:
    ids = [uuid.uuid4() for _ in range(3)]
    queued = [verdict(case_id, NOW - timedelta(hours=2), report_count=4) for case_id in ids]
    first = report(ids[0], "r1", NOW - timedelta(hours=2))
    reports = [
        first,
        report(ids[0], "r2", NOW - timedelta(minutes=30)),
        first,  # redelivered within the batch: kept once
        report(ids[1], "r1", NOW - timedelta(hours=1)),
        report(ids[2], "r3", NOW - timedelta(minutes=1)),
        report(uuid.uuid4(), "r4", NOW),  # its verdict has not arrived yet
    ]

    await take(db, queued)
    for one in reports:
        await keep(db, [one])
    one_at_a_time = await tables(db)

    await empty(db)
    await take(db, queued)
    await keep(db, reports)
    assert await tables(db) == one_at_a_time
    await keep(db, reports)
    assert await tables(db) == one_at_a_time

    assert len(one_at_a_time["case_reports"]) == 5
    seen = {r["case_id"]: (r["reports_seen"], r["reporters_seen"]) for r in one_at_a_time["cases"]}
    assert seen == {ids[0]: (2, 2), ids[1]: (1, 1), ids[2]: (1, 1)}


#: What a batch reads and writes, from PostgreSQL's counters of the current transaction.
_TOUCHED = """SELECT relname, seq_tup_read + coalesce(idx_tup_fetch, 0) AS read,
                     n_tup_ins AS inserted, n_tup_upd AS updated
              FROM pg_stat_xact_user_tables WHERE schemaname = 'dispatch'"""


async def touched_by_one_more(
    db: asyncpg.Connection, dsn: str, history: int
) -> dict[str, tuple[int, ...]]:
    """Rows a verdict and a report of a preserved case revision touch after ``history`` reports.

    The revision was acted on (its evidence preserved) and has gathered ``history`` reports
    from as many reporters, one of them weighed; then one more report and a newer verdict
    arrive, in one transaction whose counters are read before it ends.
    """
    await empty(db)
    await db.execute("TRUNCATE dispatch.reporters")
    case_id, at = uuid.uuid4(), NOW - timedelta(hours=1)
    acted = {"route": "act_now", "screened_category": "child_sexual_abuse", "screeners": CSAM}
    await take(db, [verdict(case_id, at, severity="critical", **acted)])
    for start in range(0, history, 500):
        count = min(500, history - start)
        await keep(db, [report(case_id, f"u{n}", at) for n in range(start, start + count)])
    async with db.transaction():  # u0 weighed by a decision, as the outcomes consumer does
        store = PostgresFollowers(db)
        await store.lock_weights(["u0"], at)
        await store.set_weights([ReporterWeight("u0", 0.5, at)], confirmed=False)
    await db.execute("ANALYZE dispatch.case_reports")
    await db.execute("ANALYZE dispatch.case_reporters")
    await db.execute("ANALYZE dispatch.preserved_reports")
    newer = verdict(
        case_id,
        at,
        severity="critical",
        report_count=history + 2,
        reporter_count=history + 1,
        **acted,
    )
    # A connection of its own: a backend's counters hold what it has not yet reported.
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await take_verdicts(
                [newer],
                PostgresVerdicts(conn),
                sla=load_sla(),
                catalogue=shipped_catalogue(),
                now=NOW,
            )
            await store_reports([report(case_id, "late", at)], PostgresFollowers(conn), NOW)
            rows = await conn.fetch(_TOUCHED)
            facts = await PostgresFollowers(conn).facts([(case_id, 1)], {}, NOW)
    finally:
        await conn.close()
    assert facts[case_id, 1].reports == history + 1  # the tallies are right, too
    assert facts[case_id, 1].reporters == history + 1
    # u0's stored weight, the others neutral.
    weighed = current_weight(0.5, at, NOW)
    assert facts[case_id, 1].reporter_weight == pytest.approx(weighed + history * NEUTRAL_WEIGHT)
    return {r["relname"]: (r["read"], r["inserted"], r["updated"]) for r in rows}


async def test_a_batch_costs_the_same_whatever_its_case_revision_gathered_before(
    db: asyncpg.Connection, base_settings: Settings
) -> None:
    """Rows read or written per verdict and per report do not grow with the case's history.

    A case revision's facts were read from all its reports, and its preserved evidence
    rewritten whole, on every batch: a hot case cost more with every report (issue 20).
    """
    dsn = base_settings.database_url.get_secret_value()
    small = await touched_by_one_more(db, dsn, 500)
    large = await touched_by_one_more(db, dsn, 2500)
    assert large == small
    assert large["preserved_reports"] == (0, 1, 0)  # the new report, inserted alone
    assert "preserved_evidence" not in large or large["preserved_evidence"][2] == 0


@pytest.mark.parametrize("first", ["reports", "preservation"])
async def test_a_report_stored_while_its_case_is_first_preserved_reaches_the_evidence(
    db: asyncpg.Connection, base_settings: Settings, first: str
) -> None:
    """A report whose batch is open while intake first preserves its (new) case revision.

    Neither transaction sees the other's uncommitted rows: without a meeting point the
    preservation copied the reports stored before it, the batch found no evidence to add to,
    and the report was in neither. Whichever of the two starts first, the report is kept.
    """
    await empty(db)
    dsn = base_settings.database_url.get_secret_value()
    case_id, at = uuid.uuid4(), NOW - timedelta(hours=1)
    acted = verdict(
        case_id,
        at,
        severity="critical",
        route="act_now",
        screened_category="child_sexual_abuse",
        screeners=CSAM,
    )
    late = report(case_id, "u1", at)
    reports_conn, intake_conn = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    reports_tx, intake_tx = reports_conn.transaction(), intake_conn.transaction()
    try:
        await reports_tx.start()
        await intake_tx.start()

        async def store() -> None:
            await store_reports([late], PostgresFollowers(reports_conn), NOW)

        async def preserve() -> None:
            await take_verdicts(
                [acted],
                PostgresVerdicts(intake_conn),
                sla=load_sla(),
                catalogue=shipped_catalogue(),
                now=NOW,
            )

        opened, second = (store, preserve) if first == "reports" else (preserve, store)
        await opened()
        later = asyncio.create_task(second())
        await asyncio.sleep(0.5)  # the second runs as far as it can while the first is open
        await (reports_tx if first == "reports" else intake_tx).commit()
        await later
        await (intake_tx if first == "reports" else reports_tx).commit()
    finally:
        await reports_conn.close()
        await intake_conn.close()
    kept = await db.fetch(
        "SELECT report_id FROM dispatch.preserved_reports WHERE case_id = $1", case_id
    )
    assert [r["report_id"] for r in kept] == [late.report.report_id]
