"""``crible observe``'s Prometheus on the real stack: it scrapes a running service with the
metrics token, and its HTTP API (behind basic auth) answers a pipeline metric and an alert
state; the service's own exposition passes ``promtool check metrics``; the command itself
prints pages its server serves and scrapes the ports it is given."""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from pydantic import SecretStr

from services import SERVICES
from services.legal import metrics as legal_metrics
from shared.cli.observe import USER, Target, start, stop, web_password, write_config
from shared.config import Settings
from shared.kafka import apply_topics, delete_topics
from shared.topics import all_topics, wire_name
from tests.integration.conftest import MIGRATIONS, eventually, running
from tests.integration.legal.test_portal import free_port
from tests.integration.probe import PROBE_IN, TOPICS, Faults, create_tables, item, probe_service
from tests.integration.processes import service_env

pytestmark = pytest.mark.integration
TOKEN = "observe-s3cret"


@pytest.fixture
async def probe(base_settings: Settings) -> AsyncIterator[Settings]:
    settings = base_settings.model_copy(
        update={
            "topic_prefix": f"o{uuid.uuid4().hex[:10]}.",
            "metrics_port": free_port(),
            "metrics_token": SecretStr(TOKEN),
        }
    )
    await apply_topics(settings, TOPICS)
    await create_tables(settings.database_url.get_secret_value(), MIGRATIONS)
    yield settings
    await delete_topics(settings)


async def query(client: httpx.AsyncClient, promql: str) -> list[dict[str, Any]]:
    answer = await client.get("/api/v1/query", params={"query": promql})
    answer.raise_for_status()
    result: list[dict[str, Any]] = answer.json()["data"]["result"]
    return result


async def test_prometheus_scrapes_the_services_and_evaluates_the_alerts(
    probe: Settings, producer: AIOKafkaProducer, tmp_path: Path
) -> None:
    # A legal request due within the hour, as the legal service's gauge would say.
    legal_metrics.REQUESTS_DUE.labels("1h").set(1)
    port = free_port()
    config = write_config(
        [Target("probe", probe.metrics_port)], token=TOKEN, cache=tmp_path, interval="1s"
    )
    server = start(config, port=port, cache=tmp_path)
    auth = (USER, web_password(tmp_path))
    try:
        async with (
            running(probe_service(Faults()), probe),
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", auth=auth) as client,
        ):
            source = wire_name(PROBE_IN.name, probe.topic_prefix)
            await producer.send_and_wait(source, item("seen-by-prometheus"), key=b"k")

            async def consumed() -> bool:
                try:
                    found = await query(
                        client, 'sum(crible_messages_consumed_total{service="probe"})'
                    )
                except httpx.HTTPError:
                    return False  # still starting
                return bool(found) and float(found[0]["value"][1]) >= 1

            await eventually(consumed, timeout=90)
            up = await query(client, 'up{job="crible", service="probe"}')
            assert up[0]["value"][1] == "1"  # scraped with the token

            async def firing() -> bool:
                alerts = (await client.get("/api/v1/alerts")).json()["data"]["alerts"]
                return any(
                    a["labels"]["alertname"] == "CribleLegalRequestDueWithinAnHour"
                    and a["state"] == "firing"
                    for a in alerts
                )

            await eventually(firing, timeout=60)
            # Nothing anonymous: without the password, 401.
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as anonymous:
                assert (await anonymous.get("/api/v1/alerts")).status_code == 401

            # The process's own exposition, as Prometheus reads it, passes promtool.
            async with httpx.AsyncClient() as plain:
                scraped = await plain.get(
                    f"http://127.0.0.1:{probe.metrics_port}/metrics",
                    headers={"Authorization": f"Bearer {TOKEN}"},
                )
            tool = shutil.which("promtool")
            assert tool, "promtool is missing: `make prometheus-tools`"
            checked = await asyncio.create_subprocess_exec(
                tool, "check", "metrics", stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
            said, _ = await checked.communicate(scraped.content)
            assert checked.returncode == 0, said.decode()
    finally:
        stop(server)
        legal_metrics.REQUESTS_DUE.labels("1h").set(0)


async def test_every_dashboard_query_parses_in_prometheus(tmp_path: Path) -> None:
    from tests.unit.ops.test_dashboards import queries  # noqa: PLC0415 - the same list

    port = free_port()
    server = start(write_config([], token=TOKEN, cache=tmp_path), port=port, cache=tmp_path)
    auth = (USER, web_password(tmp_path))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", auth=auth) as client:

            async def ready() -> bool:
                try:
                    return (await client.get("/-/ready")).status_code == 200
                except httpx.HTTPError:
                    return False

            await eventually(ready, timeout=60)
            for board, panel, expr in queries():
                answer = await client.get("/api/v1/query", params={"query": expr})
                # A query that does not parse is a 400 with errorType bad_data.
                assert answer.status_code == 200, (board, panel, answer.text)
    finally:
        stop(server)


async def test_crible_observe_prints_pages_its_prometheus_serves_and_scrapes_the_given_ports(
    base_settings: Settings, db: object, tmp_path: Path
) -> None:
    settings = base_settings.model_copy(update={"topic_prefix": f"v{uuid.uuid4().hex[:10]}."})
    await apply_topics(settings, all_topics())
    port, metrics_base = free_port(), free_port_run(len(SERVICES))
    observer = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services", "observe", "--port", str(port),
        "--metrics-base-port", str(metrics_base), "--http-base-port", str(free_port_run(5)),
        "--cache", str(tmp_path),
        env=service_env(settings), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert observer.stdout is not None
        printed: dict[str, str] = {}
        while len(printed) < 4:
            line = (await asyncio.wait_for(observer.stdout.readline(), timeout=60)).decode()
            assert line, "crible observe ended before printing its pages"
            page, _, url = line.strip().partition(": ")
            if url.startswith("http://"):
                printed[page] = url
        assert set(printed) == {"graph", "alerts", "targets", "rules"}
        auth = (USER, web_password(tmp_path))
        async with httpx.AsyncClient(auth=auth) as client:
            for url in printed.values():
                assert (await client.get(url)).status_code == 200, url
            base = f"http://127.0.0.1:{port}"

            async def scraped() -> set[str]:
                answer = await client.get(f"{base}/api/v1/query", params={"query": "up == 1"})
                return {r["metric"]["instance"] for r in answer.json()["data"]["result"]}

            wanted = {f"127.0.0.1:{metrics_base + i}" for i in range(len(SERVICES))}
            await eventually(lambda: _superset(scraped(), wanted), timeout=120)
    finally:
        observer.send_signal(signal.SIGTERM)
        await asyncio.wait_for(observer.wait(), timeout=90)
        await delete_topics(settings)


async def _superset(found: Awaitable[set[str]], wanted: set[str]) -> bool:
    return wanted <= await found


def free_port_run(count: int) -> int:
    """A first port of ``count`` consecutive free ones."""
    for _ in range(100):
        first = free_port()
        if all(_free(first + i) for i in range(count)):
            return first
    raise RuntimeError("no run of free ports")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
