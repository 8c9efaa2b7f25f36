"""``crible bench legal_console``: the officers' console's server time on the real stack.

Seeds ``--requests`` open requests (10,000) from a few authorities, emergencies among them,
and one request whose signed document has ``--pages`` pages (20); starts ``crible run
legal`` on a free port under a topic prefix of its own; signs a registered officer in; and
reads the ``Server-Timing`` of ``--loads`` loads of each page: the request list (open
requests, emergencies first, then by deadline), the request page, the same page with its
document shown (the reading audited each time), and each page of the document drawn as an
image. The bench's requests stay in the database (the lifecycle's guards keep requests
forever); with ``CRIBLE_ADMIN_DATABASE_URL`` (``crible local`` sets it) they are removed at
the end as an administrator would, with the triggers off for that session.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import io
import json
import os
import secrets
import signal
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import uvloop

from services import SERVICES
from services.legal.adapters.postgres.principals import token_hash
from services.legal.config import LegalSettings
from services.legal.core.deadlines import deadline_for
from services.legal.core.fieldcrypt import FieldRef
from shared.cli.registry import Registry
from shared.config import Settings
from shared.db import migrate
from shared.events.legal import LegalRequest
from shared.kafka import apply_topics, delete_topics
from shared.runtime.parent import stop_with_me
from shared.topics import (
    IDENTITY_EVENTS,
    LEGAL_AUDIT_CHECKPOINTS,
    LEGAL_DISCLOSURES,
    LEGAL_REQUESTS,
    USER_NOTIFICATIONS,
)

LIST_TARGET_MS = 100.0
PAGE_TARGET_MS = 300.0
AUTHORITY = "bench-console"
_INSTRUMENTS = ("fr_cpp_60_1", "fr_cpp_77_1_1", "eu_epoc", "emergency_disclosure", "eu_epoc")


def run(settings: Settings, options: Sequence[str]) -> int:
    """Entry point of ``crible bench legal_console``."""
    parser = argparse.ArgumentParser(prog="crible bench legal_console", description=__doc__)
    parser.add_argument("--requests", type=int, default=10_000, help="open requests")
    parser.add_argument("--pages", type=int, default=20, help="pages of the signed document")
    parser.add_argument("--loads", type=int, default=30, help="loads timed per page")
    args = parser.parse_args(list(options))
    return uvloop.run(_bench(settings, args))


_LINE = "Vu l'article 60-1 du code de procédure pénale, requérons la communication des données."


def _pdf(pages: int) -> bytes:
    import matplotlib as mpl  # noqa: PLC0415 - only this bench draws a document

    mpl.use("Agg")
    from matplotlib.backends.backend_pdf import PdfPages  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    out = io.BytesIO()
    with PdfPages(out) as pdf:
        for number in range(1, pages + 1):
            figure = Figure(figsize=(8.27, 11.69))
            figure.text(0.1, 0.93, f"Réquisition — page {number} / {pages}", fontsize=15)
            for line in range(40):
                figure.text(0.1, 0.88 - line * 0.019, _LINE, fontsize=9)
            pdf.savefig(figure)
    return out.getvalue()


def _request(number: int, now: datetime, document: bytes) -> LegalRequest:
    instrument = _INSTRUMENTS[number % len(_INSTRUMENTS)]
    emergency = instrument in {"eu_epoc", "emergency_disclosure"} and number % 10 == 0
    return LegalRequest.model_validate_json(
        json.dumps({
            "schema_version": 1, "request_id": str(uuid.uuid4()), "instrument": instrument,
            "authority_id": f"{AUTHORITY}-{number % 4}", "official": {"name": "Bench"},
            "case_reference": f"bench/{number}", "offence": "escroquerie",
            "max_penalty_years": 5, "committed_online": True, "emergency": emergency,
            "emergency_ground": "threat_to_life" if emergency else None,
            "target": {"kind": "platform_user_id", "value": f"bench-{number}"},
            "categories": ["subscriber"],
            "date_from": (now - timedelta(days=90)).isoformat(),
            "date_to": (now - timedelta(days=1)).isoformat(),
            "document_sha256": hashlib.sha256(document).hexdigest(),
            # Spread over the last week, so that deadlines (and overdue ones) vary.
            "received_at": (now - timedelta(minutes=number % 10_000)).isoformat(),
        })
    )  # fmt: skip


async def _seed(conn: asyncpg.Connection, wanted: int, document: bytes) -> tuple[uuid.UUID, str]:
    """Top the bench's open requests up to ``wanted``; the document's request and a token."""
    legal = LegalSettings()
    cipher, deadlines = legal.cipher(), legal.deadlines()
    for n in range(4):
        await conn.execute(
            """INSERT INTO legal.authorities (authority_id, name, country, kind, contact,
                   signing_key, encryption_key)
               VALUES ($1, $2, 'FR', 'prosecutor', 'bench', $3, $3)
               ON CONFLICT (authority_id) DO UPDATE SET active = true""",
            f"{AUTHORITY}-{n}",
            f"Parquet bench {n}",
            bytes(32),
        )
    token = secrets.token_urlsafe(32)
    await conn.execute(
        """INSERT INTO legal.officers (officer_id, name, roles, token_hash)
           VALUES ('bench-console', 'Bench', '{legal_officer}', $1)
           ON CONFLICT (officer_id) DO UPDATE SET token_hash = EXCLUDED.token_hash,
               active = true""",
        token_hash(token),
    )
    have = await conn.fetchval(
        """SELECT count(*) FROM legal.requests WHERE authority_id LIKE $1
             AND state IN ('accepted', 'narrowed', 'prepared')""",
        f"{AUTHORITY}-%",
    )
    now = datetime.now(UTC)
    small = b"%PDF-1.4 bench"
    rows, documents = [], []
    for number in range(max(0, wanted - have)):
        request = _request(number, now, small)
        rid = str(request.request_id)
        body = cipher.encrypt(request.model_dump_json().encode(), FieldRef("requests", "body", rid))
        sealed = cipher.encrypt(small, FieldRef("documents", "blob", rid))
        deadline = deadline_for(request, deadlines)
        rows.append((request.request_id, request.authority_id, request.instrument.value,
                     request.emergency, body.pack(), body.key_id, request.received_at,
                     deadline.due_at, deadline.article))  # fmt: skip
        documents.append((request.request_id, request.document_sha256, len(small), sealed.pack(),
                          sealed.key_id))  # fmt: skip
    async with conn.transaction():
        await conn.executemany(
            """INSERT INTO legal.requests (request_id, authority_id, instrument, emergency, state,
                   refusals, body, key_id, received_at, due_at, deadline_article)
               VALUES ($1, $2, $3, $4, 'received', '[]', $5, $6, $7, $8, $9)""",
            rows,
        )
        await conn.executemany(
            """INSERT INTO legal.documents (request_id, sha256, media_type, size, blob, key_id)
               VALUES ($1, $2, 'application/pdf', $3, $4, $5)""",
            documents,
        )
        # As the legal checks leave them (the bench times pages, not the checks).
        await conn.execute(
            """UPDATE legal.requests SET state = 'accepted', checked_at = now()
               WHERE authority_id LIKE $1 AND state = 'received'""",
            f"{AUTHORITY}-%",
        )
    # The request whose document is drawn: a new one each run, with the full document.
    request = _request(1, now, document)
    rid = str(request.request_id)
    body = cipher.encrypt(request.model_dump_json().encode(), FieldRef("requests", "body", rid))
    sealed = cipher.encrypt(document, FieldRef("documents", "blob", rid))
    deadline = deadline_for(request, deadlines)
    async with conn.transaction():
        await conn.execute(
            """INSERT INTO legal.requests (request_id, authority_id, instrument, emergency, state,
                   refusals, body, key_id, received_at, due_at, deadline_article)
               VALUES ($1, $2, $3, $4, 'received', '[]', $5, $6, $7, $8, $9)""",
            request.request_id, request.authority_id, request.instrument.value,
            request.emergency, body.pack(), body.key_id, request.received_at,
            deadline.due_at, deadline.article,
        )  # fmt: skip
        await conn.execute(
            """INSERT INTO legal.documents (request_id, sha256, media_type, size, blob, key_id)
               VALUES ($1, $2, 'application/pdf', $3, $4, $5)""",
            request.request_id, request.document_sha256, len(document), sealed.pack(),
            sealed.key_id,
        )  # fmt: skip
        await conn.execute(
            "UPDATE legal.requests SET state = 'accepted', checked_at = now() "
            "WHERE request_id = $1",
            request.request_id,
        )
    return request.request_id, token


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def _legal(settings: Settings, port: int) -> AsyncIterator[str]:
    """``crible run legal`` serving on ``port`` until the block ends."""
    handle, name = tempfile.mkstemp(prefix="crible-bench-legal-console-", suffix=".log")
    os.close(handle)
    env = dict(os.environ, **stop_with_me(), CRIBLE_TOPIC_PREFIX=settings.topic_prefix,
               CRIBLE_HTTP_HOST="127.0.0.1", CRIBLE_HTTP_PORT=str(port),
               CRIBLE_METRICS_PORT="0")  # fmt: skip
    with Path(name).open("wb") as log:  # noqa: ASYNC230 - opened once, before the server
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services", "run", "legal", env=env, stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(timeout=2) as client:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{url}/console/login")).status_code == 200:
                        break
                if process.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"crible run legal did not serve; its log: {name}")
                await asyncio.sleep(0.3)
        yield url
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await process.wait()


def _server_ms(answer: httpx.Response) -> float:
    answer.raise_for_status()
    return float(answer.headers["server-timing"].split("dur=", 1)[1])


def _summary(name: str, values: list[float], target: float | None) -> str:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    verdict = (
        ""
        if target is None
        else (f"; target < {target:.0f} ms at p99: {'met' if cuts[98] < target else 'NOT met'}")
    )
    return (f"{name}: server time p50 {cuts[49]:.1f} ms, p99 {cuts[98]:.1f} ms, "
            f"max {max(values):.1f} ms ({len(values)} loads{verdict})")  # fmt: skip


async def _measure(url: str, token: str, request_id: uuid.UUID, loads: int) -> list[str]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        login = await client.get("/console/login")
        csrf = login.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        signed = await client.post("/console/login", data={"csrf": csrf, "token": token})
        if signed.status_code != 303:
            raise RuntimeError(f"the bench officer could not sign in: {signed.status_code}")
        page = f"/console/requests/{request_id}"
        timings: dict[str, list[float]] = {"list": [], "page": [], "read": [], "images": []}
        for _ in range(loads):
            timings["list"].append(_server_ms(await client.get("/console/requests")))
            timings["page"].append(_server_ms(await client.get(page)))
            read = await client.get(f"{page}/read")
            timings["read"].append(_server_ms(read))
        reading = read.text.split(f"{page}/document/", 1)[1].split("/", 1)[0]
        pages = read.text.count(f"{page}/document/{reading}/")
        shown = await client.get("/console/requests")
        listed = shown.text.split('id="shown">', 1)[1].split("<", 1)[0]
        for _ in range(max(1, loads // 10)):
            total = 0.0
            for number in range(1, pages + 1):
                image = await client.get(f"{page}/document/{reading}/{number}")
                total += _server_ms(image)
            timings["images"].append(total)
    return [
        f"request list ({listed.strip()} open requests): "
        + _summary("", timings["list"], LIST_TARGET_MS).lstrip(": "),
        _summary("request page", timings["page"], PAGE_TARGET_MS),
        _summary(
            f"request page with its {pages}-page document shown (reading audited)",
            timings["read"],
            PAGE_TARGET_MS,
        ),
        _summary(f"all {pages} page images drawn, summed per reading", timings["images"], None),
    ]


async def _bench(settings: Settings, args: argparse.Namespace) -> int:
    dsn = settings.database_url.get_secret_value()
    await migrate(dsn, Registry(SERVICES).migrations())
    bench = settings.model_copy(update={"topic_prefix": f"bench{time.time_ns()}."})
    topics = [IDENTITY_EVENTS, LEGAL_REQUESTS, LEGAL_DISCLOSURES, USER_NOTIFICATIONS,
              LEGAL_AUDIT_CHECKPOINTS]  # fmt: skip
    await apply_topics(bench, topics + [t.dlq() for t in topics])
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        request_id, token = await _seed(conn, args.requests, _pdf(args.pages))
        print(f"seeded in {time.perf_counter() - started:.1f} s", flush=True)
        async with _legal(bench, _free_port()) as url:
            lines = await _measure(url, token, request_id, args.loads)
    finally:
        await delete_topics(bench)
        await _clean(conn)
        await conn.close()
    for line in lines:
        print(line, flush=True)
    print(f"load average: {os.getloadavg()[0]:.1f} (1 min)", flush=True)
    return 0


async def _clean(conn: asyncpg.Connection) -> None:
    """Remove the bench's requests as an administrator, when one is configured."""
    admin = os.environ.get("CRIBLE_ADMIN_DATABASE_URL")
    if admin is None:
        print("the bench's requests stay (no CRIBLE_ADMIN_DATABASE_URL to remove them)")
        return
    owner = await asyncpg.connect(admin)
    try:
        await owner.execute("SET session_replication_role = replica")
        pattern = f"{AUTHORITY}-%"
        ids = "SELECT request_id FROM legal.requests WHERE authority_id LIKE $1"
        async with owner.transaction():
            await owner.execute(f"DELETE FROM legal.documents WHERE request_id IN ({ids})", pattern)
            await owner.execute("DELETE FROM legal.requests WHERE authority_id LIKE $1", pattern)
    finally:
        await owner.close()
    del conn
