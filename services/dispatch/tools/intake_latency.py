"""``crible bench dispatch --mode intake``: verdict to committed queue row, at a steady rate.

Verdicts (new cases, as prescreen publishes them) are offered to ``screening.verdicts`` at
``--intake-rate`` per second for ``--intake-seconds``, each with its record timestamp set when
it is sent. A trigger the benchmark adds to ``dispatch.cases`` for the run (and drops after)
sends a notification for each inserted row; PostgreSQL delivers notifications when the
transaction commits, so the time a notification is received is the row's commit, seen from
here. Printed: the rate actually offered, p50, p99 and the largest time from a verdict's
record timestamp to its committed row, and how many rows never came within a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson

from shared.config import Settings
from shared.kafka import make_plain_producer
from shared.topics import SCREENING_VERDICTS, wire_name

CHANNEL = "crible_bench_intake"
#: The issue's target: p99 from record to committed row at 500 verdicts/s offered.
TARGET_P99_MS = 250.0
_TRIGGER = f"""
CREATE OR REPLACE FUNCTION dispatch.bench_intake_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', NEW.case_id::text || '/' || NEW.revision);
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER bench_intake_notify AFTER INSERT ON dispatch.cases
    FOR EACH ROW EXECUTE FUNCTION dispatch.bench_intake_notify();
"""
_DROP = """DROP TRIGGER IF EXISTS bench_intake_notify ON dispatch.cases;
DROP FUNCTION IF EXISTS dispatch.bench_intake_notify();"""


@dataclass
class IntakeRun:
    """What one run measured."""

    offered: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    missing: int = 0

    def report(self) -> str:
        """The figures, one line each."""
        lines = [
            (
                f"intake: {self.offered:,} verdicts offered in {self.seconds:.1f} s "
                f"({self.offered / self.seconds:,.0f}/s)"
            )
        ]
        if self.latencies_ms:
            ordered = sorted(self.latencies_ms)
            p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
            verdict = "met" if p99 < TARGET_P99_MS else "NOT met"
            lines.append(
                f"  record timestamp -> committed row: p50 {statistics.median(ordered):.1f} ms, "
                f"p99 {p99:.1f} ms, max {ordered[-1]:.1f} ms "
                f"(target p99 < {TARGET_P99_MS:.0f} ms: {verdict})"
            )
        lines.append(f"  rows not committed within 60 s: {self.missing}")
        return "\n".join(lines)


async def measure_intake(
    settings: Settings,
    dsn: str,
    *,
    rate: float,
    seconds: float,
    verdict: object,
    rng: random.Random,
) -> IntakeRun:
    """Offer verdicts at ``rate`` for ``seconds`` to the running dispatch; time their rows."""
    make = verdict  # (rng, now) -> JSON bytes of a new human_review verdict
    listener = await asyncpg.connect(dsn)
    committed: dict[str, float] = {}
    sent: dict[str, int] = {}
    total = int(rate * seconds)
    everything = asyncio.Event()

    def heard(_conn: Any, _pid: int, _channel: str, payload: object) -> None:
        committed.setdefault(str(payload), time.time())
        if len(committed) >= total:
            everything.set()

    await listener.execute(_TRIGGER)
    await listener.add_listener(CHANNEL, heard)
    producer = make_plain_producer(settings, linger_ms=0)
    await producer.start()
    topic = wire_name(SCREENING_VERDICTS.name, settings.topic_prefix)
    try:
        pending = []
        started = time.perf_counter()
        for i in range(total):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            raw = make(rng, datetime.now(UTC))  # type: ignore[operator]
            body = orjson.loads(raw)
            stamp = int(time.time() * 1000)
            key = f"{body['case_id']}/{body['case_revision']}"
            sent[key] = stamp
            pending.append(
                await producer.send(topic, raw, key=body["case_id"].encode(), timestamp_ms=stamp)
            )
        await asyncio.gather(*pending)
        offered_for = time.perf_counter() - started
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(everything.wait(), timeout=60)
    finally:
        await producer.stop()
        await listener.remove_listener(CHANNEL, heard)
        await listener.execute(_DROP)
        await listener.close()
    run = IntakeRun(offered=total, seconds=offered_for)
    run.latencies_ms = [committed[k] * 1000 - ts for k, ts in sent.items() if k in committed]
    run.missing = total - len(run.latencies_ms)
    return run
