"""What one batch of a hot, preserved case revision costs as its history grows (issue 20).

Run against a migrated database (``crible local -- python -m
tests.integration.dispatch.history_bench``; it writes into dispatch's tables, a bench database
only): one act_now verdict in child sexual abuse preserves a revision's evidence, then, every
1,000 reports stored on it, five batches of one newer verdict and one new report are timed
(each in its own transaction, as intake and the reports consumer run them) and their median
printed with the load average. A cost that grows with the history shows as a growing column.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from datetime import timedelta

import asyncpg

from services.dispatch.adapters.postgres.followers import PostgresFollowers
from services.dispatch.adapters.postgres.verdicts import PostgresVerdicts
from services.dispatch.adapters.yaml_files import load_sla, shipped_catalogue
from services.dispatch.handlers.followers import store_reports
from services.dispatch.handlers.intake import take_verdicts
from shared.config import Settings
from tests.integration.dispatch.test_intake_batches import CSAM, NOW
from tests.unit.dispatch.handlers.builders import report, verdict

#: Reports stored between two measures, and how many measures.
STEP, STEPS = 1000, 20


async def main() -> None:
    db = await asyncpg.connect(Settings().database_url.get_secret_value())
    sla, catalogue = load_sla(), shipped_catalogue()
    hot, at = uuid.uuid4(), NOW - timedelta(hours=1)
    acted = {"route": "act_now", "screened_category": "child_sexual_abuse", "screeners": CSAM,
             "severity": "critical"}  # fmt: skip
    async with db.transaction():
        await take_verdicts(
            [verdict(hot, at, **acted)], PostgresVerdicts(db), sla=sla, catalogue=catalogue, now=NOW
        )
    history, serial = 0, 0
    print("history  batch ms (median of 5)  load average", flush=True)
    for step in range(STEPS + 1):
        times = []
        for _ in range(5):
            serial += 1
            newer = verdict(hot, at, report_count=history + 2 + serial, **acted)
            started = time.perf_counter()
            async with db.transaction():
                await take_verdicts(
                    [newer], PostgresVerdicts(db), sla=sla, catalogue=catalogue, now=NOW
                )
                await store_reports([report(hot, f"late{serial}", at)], PostgresFollowers(db), NOW)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        print(f"{history + serial:>7}  {times[2]:>8.1f}  {os.getloadavg()[0]:.2f}", flush=True)
        if step < STEPS:
            for start in range(0, STEP, 500):
                batch = [report(hot, f"u{(history + start + n) % 20_000}", at) for n in range(500)]
                async with db.transaction():
                    await store_reports(batch, PostgresFollowers(db), NOW)
            history += STEP
    await db.close()


if __name__ == "__main__":
    asyncio.run(main())
