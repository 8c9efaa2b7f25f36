"""``crible bench dispatch``: the reviewer API under simulated reviewers, on the real stack.

1. Dispatch's tables of the configured database are emptied (after the migrations), so the
   figures are those of a known queue: the benchmark is for a bench database only.
2. ``--cases`` open cases are seeded through the real intake handler (the one that consumes
   ``screening.verdicts``), in transactions of 1,000 verdicts: ``human_review`` verdicts of
   mixed categories (mostly spam, hate speech and harassment), severities, confidences,
   report counts (1 to 50), languages (fr, en) and subjects, screened over the last 48 hours.
3. ``--reviewers`` reviewers (fr and en, every clearance but child sexual abuse) get tokens.
4. The real server, ``crible run dispatch``, is started with its HTTP API on ``--port``,
   under a topic prefix of its own (its events go to throw-away topics, deleted at the end).
5. Each simulated reviewer (one keep-alive HTTP/1.1 client each, all in this process) asks
   for the next case, optionally reads it for ``--think-ms`` on average, decides it (no violation or
   content removed), and asks again. After a warm-up of 3 s, every call's wall time is
   recorded for ``--duration`` seconds.

Printed: next-case and decide latency (p50, p95, p99, max), decisions per second, answers
other than 2xx by endpoint and status (a 409 on a decision would mean that two reviewers
were given the same case), the CPU used by the server and by this client process, and a
check in SQL that no case of a single-review category was decided twice. Latencies are seen
from the client: if the client process is near one full core, they include its own queueing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import orjson
import uvloop

from services import SERVICES
from services.dispatch.adapters.postgres.followers import PostgresFollowers
from services.dispatch.adapters.postgres.queue import new_token, token_hash
from services.dispatch.adapters.postgres.verdicts import PostgresVerdicts
from services.dispatch.adapters.yaml_files import shipped_catalogue
from services.dispatch.config import DispatchSettings
from services.dispatch.core.decisions import Outcome
from services.dispatch.core.reviewers import GENERAL_CLEARANCES
from services.dispatch.service import Intake, store_reports
from services.dispatch.tools.intake_latency import measure_intake
from shared.cli.registry import Registry
from shared.config import Settings
from shared.db import migrate
from shared.events.reports import Category, ReportAccepted
from shared.events.screening import ScreeningVerdict
from shared.kafka import apply_topics, delete_topics
from shared.runtime import Inbound
from shared.runtime.parent import stop_with_me
from shared.topics import REPORTS_ACCEPTED, SCREENING_VERDICTS

#: Every table of dispatch's schema: the benchmark starts from an empty queue.
TABLES = (
    "dispatch.exposures, dispatch.appeals, dispatch.decisions, dispatch.cases, "
    "dispatch.reviewers, dispatch.outbox, dispatch.case_reports, dispatch.reporters, "
    "dispatch.weighed_decisions, dispatch.surges, dispatch.statements, dispatch.sessions, "
    "dispatch.preserved_evidence, dispatch.preserved_reports, dispatch.case_reporters, "
    "dispatch.case_weighted, dispatch.case_tallies"
)
#: Verdicts per intake transaction while seeding.
SEED_BATCH = 1000
#: Seconds of load before recording starts (connections opened, caches warm).
WARMUP = 3.0
#: The issue's target for next-case p99, in milliseconds.
TARGET_NEXT_P99_MS = 50.0
#: How long the server may take to answer its first request.
START_TIMEOUT = 60.0
#: A reviewer who got no case (or an error) waits this long before asking again.
IDLE_WAIT = 0.2

#: The queue's mix: mostly spam, hate speech and harassment (weights sum to 1).
CATEGORY_MIX: dict[Category, float] = {
    Category.SPAM: 0.30,
    Category.HATE_SPEECH: 0.22,
    Category.HARASSMENT: 0.20,
    Category.FRAUD: 0.08,
    Category.ILLEGAL_GOODS: 0.05,
    Category.IP_INFRINGEMENT: 0.04,
    Category.OTHER: 0.05,
    Category.SELF_HARM: 0.025,
    Category.NON_CONSENSUAL_IMAGERY: 0.015,
    Category.TERRORISM: 0.015,
    Category.CHILD_SEXUAL_ABUSE: 0.005,
}
#: Severities screening gives each category, the likelier first.
SEVERITIES: dict[Category, tuple[str, ...]] = {
    Category.SPAM: ("low", "low", "low", "medium"),
    Category.HATE_SPEECH: ("medium", "medium", "high", "low"),
    Category.HARASSMENT: ("medium", "high", "medium", "critical"),
    Category.FRAUD: ("medium", "high"),
    Category.ILLEGAL_GOODS: ("high", "medium"),
    Category.IP_INFRINGEMENT: ("low", "medium"),
    Category.OTHER: ("low", "low", "medium"),
    Category.SELF_HARM: ("high", "critical"),
    Category.NON_CONSENSUAL_IMAGERY: ("high", "critical"),
    Category.TERRORISM: ("critical", "high"),
    Category.CHILD_SEXUAL_ABUSE: ("critical",),
}
#: Reporters' languages: mostly French, then English, some both, some with a region.
LANGUAGES: tuple[tuple[str, ...], ...] = (
    ("fr",),
    ("fr",),
    ("fr",),
    ("fr", "en"),
    ("en",),
    ("en",),
    ("fr-FR",),
    ("en-GB", "fr"),
)
SUBJECT_KINDS = ("message", "message", "message", "message", "user", "user", "group", "channel")
#: Outcomes valid for every kind of subject.
OUTCOMES = ("no_violation", "remove_content")


def run(settings: Settings, options: Sequence[str]) -> int:
    """Parse the options and run the benchmark; 0 if every answer was 2xx and every check held."""
    parser = argparse.ArgumentParser(prog="crible bench dispatch", description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000, help="open cases seeded")
    parser.add_argument("--reviewers", type=int, default=50, help="concurrent reviewers")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds measured")
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0.0,
        help="a reviewer's reading time between next-case and decision (0: none, "
        "e.g. 500 to model people)",
    )
    parser.add_argument("--port", type=int, default=0, help="the API's port (0: a free one)")
    parser.add_argument(
        "--db-pool",
        type=int,
        default=None,
        help="the server's PostgreSQL pool size (default: as configured, CRIBLE_DB_POOL_MAX)",
    )
    parser.add_argument("--seed", type=int, default=7, help="of the generated cases")
    parser.add_argument(
        "--case-page",
        type=int,
        default=100,
        metavar="REPORTS",
        help="first, time the console's case page of a case with this many reports "
        "(server time, 50 loads; 0: skip)",
    )
    parser.add_argument(
        "--mode",
        choices=("reviewers", "intake", "both"),
        default="reviewers",
        help="what to measure: simulated reviewers on the API, verdict intake latency "
        "(intake_latency.py), or both (intake first)",
    )
    parser.add_argument(
        "--intake-rate", type=float, default=500.0, help="verdicts offered per second (intake)"
    )
    parser.add_argument(
        "--intake-seconds", type=float, default=30.0, help="seconds of verdicts offered (intake)"
    )
    args = parser.parse_args(options)
    if args.intake_rate <= 0 or args.intake_seconds <= 0:
        parser.error("--intake-rate and --intake-seconds must be positive")
    if args.cases < 1 or args.reviewers < 1 or args.duration <= 0 or args.think_ms < 0:
        parser.error("--cases, --reviewers and --duration must be positive, --think-ms >= 0")
    return uvloop.run(_bench(settings, args))


async def _bench(settings: Settings, args: argparse.Namespace) -> int:
    dsn = settings.database_url.get_secret_value()
    where = urlsplit(dsn)
    print(
        f"WARNING: this benchmark EMPTIES every table of dispatch ({TABLES}) in the "
        f"configured database {where.hostname}:{where.port}{where.path}: use a bench "
        "database only",
        flush=True,
    )
    await migrate(dsn, Registry(SERVICES).migrations())
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"TRUNCATE {TABLES}")
        started = time.perf_counter()
        await _seed(conn, args.cases, random.Random(args.seed))  # noqa: S311 - test data
        seconds = time.perf_counter() - started
        print(
            f"seeded {args.cases:,} open cases through dispatch's intake in {seconds:.1f} s "
            f"({args.cases / seconds:,.0f} verdicts/s, transactions of {SEED_BATCH})",
            flush=True,
        )
        tokens = await _add_reviewers(conn, args.reviewers)
        await conn.execute("ANALYZE dispatch.cases")
        run_id = f"bench{time.time_ns()}"
        bench = settings.model_copy(update={"topic_prefix": f"{run_id}."})
        await apply_topics(bench)
        try:
            pool = args.db_pool or settings.db_pool_max
            if pool <= args.reviewers:
                print(
                    f"note: the server's PostgreSQL pool ({pool}, CRIBLE_DB_POOL_MAX or "
                    f"--db-pool) is not larger than the number of reviewers "
                    f"({args.reviewers}): requests may queue for a connection",
                    flush=True,
                )
            port = args.port or _free_port()
            async with _server(bench, port, pool) as server:
                if args.mode in ("intake", "both"):
                    intake = await measure_intake(
                        bench,
                        dsn,
                        rate=args.intake_rate,
                        seconds=args.intake_seconds,
                        verdict=_verdict,
                        rng=random.Random(args.seed + 1),  # noqa: S311 - test data
                    )
                    print(intake.report(), flush=True)
                    if args.mode == "intake":
                        return 0 if intake.missing == 0 else 1
                if args.case_page:
                    await _case_page(conn, f"http://127.0.0.1:{port}", tokens[0], args.case_page)
                tally = await _load(
                    f"http://127.0.0.1:{port}", tokens, server, args.duration, args.think_ms
                )
        finally:
            await delete_topics(bench)
        return await _report(conn, args, tally, pool)
    finally:
        await conn.close()


# --- Seeding --------------------------------------------------------------------------------


def _uuid(rng: random.Random) -> str:
    """A version-4 UUID from ``rng``: the same seed gives the same cases."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _verdict(rng: random.Random, now: datetime) -> bytes:
    """A realistic ``human_review`` verdict, as prescreen would publish it (JSON bytes)."""
    categories = list(CATEGORY_MIX)
    screened = rng.choices(categories, weights=list(CATEGORY_MIX.values()))[0]
    # Reporters mostly name what screening finds; sometimes another category, or "other".
    reported = screened if rng.random() < 0.85 else rng.choice([Category.OTHER, *categories])
    severity = rng.choice(SEVERITIES[screened])
    confidence = round(rng.uniform(0.35, 0.99), 3)
    reports = min(50, int(rng.paretovariate(1.1)))
    reporters = rng.randint(max(1, reports // 2), reports)
    kind = rng.choice(SUBJECT_KINDS)
    subject: dict[str, str] = {"kind": kind, "id": f"{kind[0]}{rng.randrange(10**9)}"}
    if kind == "message":
        subject["chat_id"] = f"c{rng.randrange(10**7)}"
    matches = (
        [{"kind": "model", "category": screened.value, "ref": f"text-model:{screened.value}"}]
        if confidence >= 0.6
        else []
    )
    screened_at = now - timedelta(seconds=rng.uniform(0, 48 * 3600))
    return orjson.dumps(
        {
            "schema_version": 1,
            "verdict_id": _uuid(rng),
            "case_id": _uuid(rng),
            "case_revision": 1 if rng.random() < 0.9 else 2,
            "case_event_id": _uuid(rng),
            "subject": subject,
            "category": reported.value,
            "screened_category": screened.value,
            "route": "human_review",
            "severity": severity,
            "priority_hint": min(100, int(confidence * 100 * (0.5 + 0.5 * (reports / 50)))),
            "confidence": confidence,
            "qa_sample": False,
            "policy": {"name": "default", "version": 1},
            "report_count": reports,
            "reporter_count": reporters,
            "reporter_languages": list(rng.choice(LANGUAGES)),
            "screeners": [
                {
                    "name": "text-model",
                    "version": "1",
                    "usability": "used",
                    "scores": {screened.value: confidence},
                    "matches": matches,
                }
            ],
            "screened_at": screened_at.isoformat(),
        }
    )


async def _seed(conn: asyncpg.Connection, cases: int, rng: random.Random) -> None:
    """``cases`` verdicts through ``Intake``, as the consumer hands them over (raw included)."""
    intake = Intake()
    now = datetime.now(UTC)
    topic = SCREENING_VERDICTS.name
    for first in range(0, cases, SEED_BATCH):
        batch: list[Inbound[ScreeningVerdict]] = []
        for offset in range(first, min(cases, first + SEED_BATCH)):
            raw = _verdict(rng, now)
            event = ScreeningVerdict.model_validate_json(raw)
            batch.append(Inbound(event, topic, 0, offset, str(event.case_id).encode(), raw, None))
        async with conn.transaction():
            await intake(batch, PostgresVerdicts(conn))  # no act_now verdicts: no events
        if first and first % 20_000 == 0:
            print(f"  ... {first:,} cases seeded", flush=True)


async def _add_reviewers(conn: asyncpg.Connection, count: int) -> list[str]:
    """``count`` reviewers reading fr and en, every general clearance; their tokens."""
    tokens = [new_token() for _ in range(count)]
    clearances = sorted(c.value for c in GENERAL_CLEARANCES)
    await conn.executemany(
        """INSERT INTO dispatch.reviewers (reviewer_id, name, languages, clearances, roles,
               exposure_cap, active, token_hash)
           VALUES ($1, $2, $3, $4, $5, $6, true, $7)""",
        [
            (
                f"bench-reviewer-{i:03d}",
                f"Bench reviewer {i}",
                ["fr", "en"],
                clearances,
                ["reviewer"],
                1000,
                token_hash(token),
            )
            for i, token in enumerate(tokens)
        ],
    )
    return tokens


async def _case_page(conn: asyncpg.Connection, url: str, token: str, reports: int) -> None:
    """Time the console's case page of a case with ``reports`` reports (Server-Timing)."""
    case_id = uuid.uuid4()
    now = datetime.now(UTC)
    accepted = []
    for i in range(reports):
        body = {
            "schema_version": 1,
            "report": {
                "schema_version": 1, "report_id": f"page-{i}", "reporter_id": f"r{i}",
                "reported_at": (now - timedelta(minutes=i)).isoformat(),
                "reporter_language": "fr", "category": "hate_speech",
                "subject": {"kind": "message", "id": "m-page", "chat_id": "c-page"},
                "text": "Message haineux envoyé dans plusieurs groupes, capture jointe. " * 3,
                "evidence": {"urls": [f"https://site{i % 7}.example.fr/p/{i}"],
                             "media": [{"sha256": f"{i % 5:02x}" * 32}]},
            },
            "case_id": str(case_id), "case_revision": 1, "repeat": False,
            "accepted_at": now.isoformat(),
        }  # fmt: skip
        report_raw = orjson.dumps(body)
        report = ReportAccepted.model_validate_json(report_raw)
        accepted.append(Inbound(report, REPORTS_ACCEPTED.name, 0, i, None, report_raw, None))
    async with conn.transaction():
        await store_reports(accepted, PostgresFollowers(conn))
    # Opened a month ago: first in the queue, so the next case is this one.
    verdict = orjson.loads(_verdict(random.Random(1), now - timedelta(days=30)))  # noqa: S311
    verdict |= {
        "case_id": str(case_id),
        "case_revision": 1,
        "category": "hate_speech",
        "screened_category": "hate_speech",
        "reporter_languages": ["fr"],
        "subject": {"kind": "message", "id": "m-page", "chat_id": "c-page"},
        "report_count": reports,
        "reporter_count": reports,
    }
    raw = orjson.dumps(verdict)
    event = ScreeningVerdict.model_validate_json(raw)
    async with conn.transaction():
        await Intake()(
            [Inbound(event, SCREENING_VERDICTS.name, 0, 0, None, raw, None)], PostgresVerdicts(conn)
        )
    async with httpx.AsyncClient(base_url=url, follow_redirects=False, timeout=30) as client:
        login = await client.get("/console/login")
        csrf = login.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        await client.post("/console/login", data={"csrf": csrf, "token": token})
        queue = await client.get("/console/queue")
        csrf = queue.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        taken = await client.post("/console/next", data={"csrf": csrf})
        page = taken.headers["location"]
        if str(case_id) not in page:
            raise RuntimeError(f"the next case was not the seeded one: {page}")
        server_ms = []
        for _ in range(50):
            answer = await client.get(page)
            answer.raise_for_status()
            timing = answer.headers["server-timing"]
            server_ms.append(float(timing.split("dur=", 1)[1]))
        await client.post(f"{page}/release", data={"csrf": csrf})
    cuts = statistics.quantiles(server_ms, n=100, method="inclusive")
    print(
        f"case page with {reports} reports: server time p50 {cuts[49]:.1f} ms, "
        f"p99 {cuts[98]:.1f} ms, max {max(server_ms):.1f} ms (50 loads; "
        f"target < 200 ms: {'met' if cuts[98] < 200 else 'NOT met'})",
        flush=True,
    )


# --- The server -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _log_file() -> Path:
    handle, name = tempfile.mkstemp(prefix="crible-bench-dispatch-", suffix=".log")
    os.close(handle)
    return Path(name)


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@dataclass(slots=True)
class _Server:
    """The ``crible run dispatch`` process serving the API."""

    process: asyncio.subprocess.Process
    log: Path

    def cpu_seconds(self) -> float:
        """User and system CPU the server has used so far (0 once it exited)."""
        try:
            stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        except OSError:
            return 0.0
        fields = stat.rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def check(self) -> None:
        """Raise if the server exited."""
        if self.process.returncode is not None:
            raise RuntimeError(
                f"crible run dispatch exited with status {self.process.returncode}; the end "
                f"of its log ({self.log}):\n{_tail(self.log)}"
            )


@contextlib.asynccontextmanager
async def _server(settings: Settings, port: int, pool: int) -> AsyncIterator[_Server]:
    """``crible run dispatch`` on ``port`` until the block ends (then SIGTERM, and wait)."""
    log = _log_file()
    env = dict(
        os.environ,
        **stop_with_me(),
        CRIBLE_TOPIC_PREFIX=settings.topic_prefix,
        CRIBLE_HTTP_HOST="127.0.0.1",
        CRIBLE_HTTP_PORT=str(port),
        CRIBLE_METRICS_PORT="0",
        CRIBLE_DB_POOL_MAX=str(pool),
    )
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services",
            "run",
            "dispatch",
            env=env,
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )
    server = _Server(process, log)
    try:
        await _wait_until_serving(server, f"http://127.0.0.1:{port}")
        print(
            f"crible run dispatch (pid {process.pid}) serves on 127.0.0.1:{port}, "
            f"PostgreSQL pool of {pool}; its log: {log}",
            flush=True,
        )
        yield server
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _wait_until_serving(server: _Server, base_url: str) -> None:
    """Until the API answers (its OpenAPI document needs no token), or raise."""
    deadline = time.monotonic() + START_TIMEOUT
    async with httpx.AsyncClient(base_url=base_url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            server.check()
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/openapi.json")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError(
        f"crible run dispatch did not answer within {START_TIMEOUT:.0f} s; the end of its "
        f"log ({server.log}):\n{_tail(server.log)}"
    )


# --- The load -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Tally:
    """What the simulated reviewers saw, within the measured window unless said otherwise."""

    start: float
    end: float
    next_ms: list[float] = field(default_factory=list)
    decide_ms: list[float] = field(default_factory=list)
    #: Decisions answered 2xx and finished within the window.
    decided: int = 0
    #: Every decision answered 2xx, warm-up and end included (compared with the table).
    decided_all: int = 0
    #: Next-case answers without a case (the queue ran dry for the reviewer).
    empty: int = 0
    #: Answers other than 2xx, by "endpoint status".
    statuses: Counter[str] = field(default_factory=Counter)
    #: Decisions refused with 409: the case was not (or no longer) leased to the reviewer.
    conflicts: int = 0
    #: Requests without an answer, by exception.
    transport: Counter[str] = field(default_factory=Counter)
    server_cpu: float = 0.0
    client_cpu: float = 0.0

    def recording(self, at: float) -> bool:
        """Whether a call started at ``at`` is measured."""
        return self.start <= at < self.end


async def _load(
    base_url: str, tokens: Sequence[str], server: _Server, duration: float, think_ms: float
) -> _Tally:
    """Every reviewer works until the window ends; returns what they saw."""
    now = time.perf_counter()
    tally = _Tally(start=now + WARMUP, end=now + WARMUP + duration)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=base_url,
                    headers={"authorization": f"Bearer {token}"},
                    limits=limits,
                    timeout=httpx.Timeout(30.0),
                )
            )
            for token in tokens
        ]
        workers = [
            asyncio.create_task(_reviewer(client, tally, think_ms / 1000)) for client in clients
        ]
        await asyncio.sleep(max(0.0, tally.start - time.perf_counter()))
        server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
        await asyncio.sleep(max(0.0, tally.end - time.perf_counter()))
        tally.server_cpu = server.cpu_seconds() - server_cpu
        tally.client_cpu = time.process_time() - client_cpu
        await asyncio.gather(*workers)
    server.check()
    return tally


async def _reviewer(client: httpx.AsyncClient, tally: _Tally, think: float) -> None:
    """One person: next case, (read), decide, again; until the window ends.

    Reading takes a random time around ``think`` (uniform, from half to one and a half
    times it), and each person starts at a random moment within one such time: fixed,
    equal times would keep all reviewers in step, asking at the same instant, which people
    working independently do not.
    """
    if think:
        await asyncio.sleep(random.uniform(0, think))  # noqa: S311 - load shape
    while (asked := time.perf_counter()) < tally.end:
        measured = tally.recording(asked)
        try:
            response = await client.post("/v1/cases/next")
        except httpx.TransportError as error:
            tally.transport[f"next-case {type(error).__name__}"] += 1
            await asyncio.sleep(IDLE_WAIT)
            continue
        if measured:
            tally.next_ms.append((time.perf_counter() - asked) * 1000)
        if not response.is_success:
            tally.statuses[f"next-case {response.status_code}"] += 1
            await asyncio.sleep(IDLE_WAIT)
            continue
        case: dict[str, Any] | None = orjson.loads(response.content)["case"]
        if case is None:
            tally.empty += measured
            await asyncio.sleep(IDLE_WAIT)
            continue
        if think:
            await asyncio.sleep(random.uniform(0.5 * think, 1.5 * think))  # noqa: S311
        await _decide(client, tally, case)


async def _decide(client: httpx.AsyncClient, tally: _Tally, case: dict[str, Any]) -> None:
    outcome = Outcome(random.choice(OUTCOMES))  # noqa: S311 - test data
    # A reason of the catalogue for the case's category and the outcome, as a reviewer picks.
    reasons = shipped_catalogue().for_outcome(Category(case["screened_category"]), outcome)
    body = {
        "outcome": outcome.value,
        "policy_reason": random.choice(reasons).code,  # noqa: S311 - test data
        "explanation": "bench",
        "idempotency_key": str(uuid.uuid4()),
    }
    url = f"/v1/cases/{case['case_id']}/{case['revision']}/decision"
    sent = time.perf_counter()
    try:
        response = await client.post(url, content=orjson.dumps(body), headers=_JSON)
    except httpx.TransportError as error:
        tally.transport[f"decide {type(error).__name__}"] += 1
        return
    done = time.perf_counter()
    if tally.recording(sent):
        tally.decide_ms.append((done - sent) * 1000)
    if not response.is_success:
        tally.statuses[f"decide {response.status_code}"] += 1
        tally.conflicts += response.status_code == 409
        return
    tally.decided_all += 1
    tally.decided += tally.start <= done < tally.end


_JSON = {"content-type": "application/json"}


# --- The figures ----------------------------------------------------------------------------


def _latencies(name: str, values: list[float]) -> str:
    if len(values) < 2:
        return f"{name}: {len(values)} call(s), too few for percentiles"
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return (
        f"{name}: p50 {cuts[49]:.1f} ms, p95 {cuts[94]:.1f} ms, p99 {cuts[98]:.1f} ms, "
        f"max {max(values):.1f} ms ({len(values):,} calls)"
    )


async def _report(
    conn: asyncpg.Connection, args: argparse.Namespace, tally: _Tally, pool: int
) -> int:
    """Print the figures and the checks; 0 if no check failed."""
    think = (
        f"{args.think_ms:.0f} ms on average (uniform, 0.5x to 1.5x; starts staggered)"
        if args.think_ms
        else "0 ms (a reviewer asks for the next case as soon as they decided)"
    )
    print(f"cases seeded: {args.cases:,}")
    print(f"reviewers: {args.reviewers} (one keep-alive HTTP/1.1 connection each)")
    print(f"think time: {think}")
    print(f"duration measured: {args.duration:.0f} s, after a {WARMUP:.0f} s warm-up")
    print(_latencies("next-case", tally.next_ms))
    print(_latencies("decide", tally.decide_ms))
    print(f"decisions/s: {tally.decided / args.duration:,.1f} ({tally.decided:,} decisions)")
    print(
        f"CPU over the window: server {tally.server_cpu / args.duration:.0%} of a core "
        f"(pool of {pool}), this client {tally.client_cpu / args.duration:.0%} of a core"
    )
    if tally.empty:
        print(f"next-case answers without a case: {tally.empty:,} (the queue ran dry)")
    errors = tally.statuses + tally.transport
    if errors:
        listed = ", ".join(f"{name}: {count:,}" for name, count in sorted(errors.items()))
        print(f"errors (whole run): {listed}")
    else:
        print("errors: none (every answer 2xx)")
    if tally.conflicts:
        print(
            f"!!! {tally.conflicts:,} decision(s) refused with 409: a case leased to one "
            "reviewer was not theirs to decide (two reviewers given the same case, or a "
            "lease lost) !!!"
        )

    dual = sorted(c.value for c in DispatchSettings().dual_review)
    twice: int = await conn.fetchval(
        """SELECT count(*) FROM (
               SELECT d.case_id, d.revision FROM dispatch.decisions d
               JOIN dispatch.cases c USING (case_id, revision)
               WHERE c.screened_category <> ALL($1::text[])
               GROUP BY 1, 2 HAVING count(*) > 1) AS decided_twice""",
        dual,
    )
    same_reviewer: int = await conn.fetchval(
        """SELECT count(*) FROM (
               SELECT case_id, revision FROM dispatch.decisions
               GROUP BY case_id, revision, reviewer_id HAVING count(*) > 1) AS repeated"""
    )
    stored: int = await conn.fetchval("SELECT count(*) FROM dispatch.decisions")
    print(
        f"check: {twice} case revision(s) of single-review categories decided more than once "
        f"(dual review: {', '.join(dual) or 'none'}), {same_reviewer} decided twice by the "
        f"same reviewer; {stored:,} decisions stored for {tally.decided_all:,} answered 2xx"
    )
    p99 = (
        statistics.quantiles(tally.next_ms, n=100, method="inclusive")[98]
        if len(tally.next_ms) >= 2
        else float("inf")
    )
    met = "met" if p99 < TARGET_NEXT_P99_MS else "NOT met"
    print(f"target next-case p99 < {TARGET_NEXT_P99_MS:.0f} ms: {met}")
    # More stored than answered is possible (a decision whose answer timed out); fewer is not.
    failed = twice or same_reviewer or errors or stored < tally.decided_all
    return 1 if failed else 0
