"""Prescreen on the real stack: banks that change while it runs, routes, redelivery, outages."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY

from services.prescreen.service import SPEC
from shared.config import Settings
from shared.events.screening import ScreeningVerdict
from shared.kafka import apply_topics
from shared.topics import CASES, HASHBANKS_UPDATES, SCREENING_VERDICTS, wire_name
from tests.integration.conftest import read_topic, running

pytestmark = pytest.mark.integration

BANKS = Path(__file__).resolve().parents[3] / "deploy" / "prescreen" / "banks"
TOPICS = [CASES, CASES.dlq(), SCREENING_VERDICTS, HASHBANKS_UPDATES, HASHBANKS_UPDATES.dlq()]


def bank_hashes(name: str, algorithm: str) -> list[str]:
    data = json.loads((BANKS / f"{name}.json").read_text())
    return [h["hash"] for h in data["hashes"] if h["algorithm"] == algorithm]


def flip(pdq: str, bits: int) -> str:
    value = int(pdq, 16)
    for position in range(bits):
        value ^= 1 << (position * 7 % 256)
    return f"{value:064x}"


def case_event(
    *,
    media: tuple[dict[str, Any], ...] = (),
    text: str | None = None,
    excerpt: Any = None,
    urls: tuple[str, ...] = (),
) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    case_id = str(uuid.uuid4())
    evidence: dict[str, Any] = {"media": list(media), "urls": list(urls)}
    if excerpt is not None:
        evidence["message_excerpt"] = excerpt
    report = {
        "schema_version": 1,
        "report_id": uuid.uuid4().hex,
        "reported_at": now,
        "reporter_id": "u1",
        "reporter_language": "en",
        "subject": {"kind": "user", "id": f"s{case_id[:8]}"},
        "category": "other",
        "text": text,
        "evidence": evidence,
    }
    return {
        "schema_version": 1,
        "event_id": str(uuid.uuid4()),
        "event_type": "case.opened",
        "case_id": case_id,
        "revision": 1,
        "subject": report["subject"],
        "category": "other",
        "report_count": 1,
        "reporter_count": 1,
        "first_reported_at": now,
        "last_reported_at": now,
        "reporter_languages": ["en"],
        "new_report_count": 1,
        "new_reports": [report],
        "occurred_at": now,
    }


async def publish_cases(
    producer: AIOKafkaProducer, settings: Settings, events: list[dict[str, Any]]
) -> None:
    topic = wire_name(CASES.name, settings.topic_prefix)
    for event in events:
        await producer.send(topic, json.dumps(event).encode(), key=event["case_id"].encode())
    await producer.flush()


async def verdicts_for(settings: Settings, case_ids: set[str]) -> dict[str, list[ScreeningVerdict]]:
    def seen(records: list[Any]) -> bool:
        return {r.key.decode() for r in records} >= case_ids

    records = await read_topic(settings, SCREENING_VERDICTS.name, until=seen, timeout=60)
    found: dict[str, list[ScreeningVerdict]] = {}
    for record in records:
        verdict = ScreeningVerdict.model_validate_json(record.value)
        found.setdefault(str(verdict.case_id), []).append(verdict)
    return found


async def crible(settings: Settings, *args: str) -> str:
    """Run the `crible` command as an operator would, against this test's topics."""
    code, out, err = await crible_run(settings, *args)
    assert code == 0, err
    return out


async def crible_run(settings: Settings, *args: str) -> tuple[int | None, str, str]:
    """The exit code, output and errors of a `crible` command."""
    env = {**os.environ, "CRIBLE_TOPIC_PREFIX": settings.topic_prefix}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode, out.decode(), err.decode()


def applied_updates() -> float:
    return sum(
        REGISTRY.get_sample_value("crible_prescreen_bank_updates_total", {"type": t}) or 0.0
        for t in ("bank.defined", "bank.removed", "hash.added", "hash.removed")
    )


async def wait_applied(before: float, count: float, timeout: float = 90) -> None:
    """Wait until the running workers applied ``count`` more bank updates (all workers)."""
    deadline = time.monotonic() + timeout
    while applied_updates() < before + count:
        assert time.monotonic() < deadline, "bank updates were not applied in time"
        await asyncio.sleep(0.05)


def hash_matches(verdict: ScreeningVerdict) -> list[tuple[str, int | None]]:
    return [(m.ref, m.distance) for s in verdict.screeners if s.name == "hashes" for m in s.matches]


@pytest.fixture
async def prescreen_settings(settings: Settings) -> Settings:
    await apply_topics(settings, TOPICS)
    return settings


async def test_banks_change_while_running_and_routes_follow_them(
    prescreen_settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    settings = prescreen_settings
    csam_pdq = bank_hashes("demo-csam", "pdq")[3]
    csam_sha = bank_hashes("demo-csam", "sha256")[0]
    allowed = bank_hashes("demo-allow", "pdq")[0]

    async with running(SPEC, settings):
        before = applied_updates()
        await crible(settings, "banks", "import", str(BANKS / "demo-csam.json"))
        await crible(settings, "banks", "import", str(BANKS / "demo-allow.json"))
        await wait_applied(before, 1 + 45 + 1 + 5)
        events = {
            "exact": case_event(media=({"sha256": csam_sha},)),
            "pdq30": case_event(media=({"pdq": flip(csam_pdq, 30), "pdq_quality": 90},)),
            "pdq32": case_event(media=({"pdq": flip(csam_pdq, 32), "pdq_quality": 90},)),
            "lowq": case_event(media=({"pdq": csam_pdq, "pdq_quality": 20},)),
            "allowed": case_event(media=({"pdq": allowed},)),
            "bad": case_event(media=({"pdq": "zz", "sha256": 12},), excerpt="x" * 200_000),
        }
        await publish_cases(producer, settings, list(events.values()))
        ids = {name: e["case_id"] for name, e in events.items()}
        verdicts = await verdicts_for(settings, set(ids.values()))
        by_name = {name: verdicts[case_id][0] for name, case_id in ids.items()}

        assert by_name["exact"].route == "act_now"
        assert by_name["exact"].screened_category == "child_sexual_abuse"
        assert hash_matches(by_name["exact"]) == [("demo-csam", 0)]
        assert by_name["pdq30"].route == "act_now"
        assert hash_matches(by_name["pdq30"]) == [("demo-csam", 30)]
        assert hash_matches(by_name["pdq32"]) == []
        assert by_name["pdq32"].route != "act_now"
        assert hash_matches(by_name["lowq"]) == []
        assert hash_matches(by_name["allowed"]) == []
        assert by_name["allowed"].route != "act_now"
        # Bad evidence: the case is screened, and the screeners say what they left aside.
        bad = {s.name: s for s in by_name["bad"].screeners}
        assert bad["hashes"].usability == "unusable"
        assert any("malformed pdq" in n for n in bad["hashes"].notes)
        assert bad["text"].usability == "used"
        assert any("over 10000 characters" in n for n in bad["text"].notes)

        # A redelivered case event changes nothing: no second verdict, no second row.
        await publish_cases(producer, settings, [events["exact"], events["pdq30"]])
        marker = case_event(media=({"sha256": csam_sha},))
        await publish_cases(producer, settings, [marker])
        verdicts = await verdicts_for(settings, {marker["case_id"]})
        assert len(verdicts[ids["exact"]]) == 1
        assert len(verdicts[ids["pdq30"]]) == 1

    stored = await db.fetchval("SELECT count(*) FROM prescreen.verdicts")
    assert stored == len(events) + 1
    shadows = await db.fetchval("SELECT count(*) FROM prescreen.shadow_decisions")
    assert shadows == stored


async def test_a_hash_added_or_removed_while_running_changes_the_next_verdict(
    prescreen_settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    settings = prescreen_settings
    added = uuid.uuid4().hex + uuid.uuid4().hex
    async with running(SPEC, settings):
        before = applied_updates()
        await crible(settings, "banks", "import", str(BANKS / "demo-csam.json"))
        await wait_applied(before, 46)
        # A hash added while the service runs matches the next case.
        before = applied_updates()
        await crible(settings, "banks", "add", "demo-csam", "sha256", added)
        await wait_applied(before, 1)
        fresh = case_event(media=({"sha256": added},))
        await publish_cases(producer, settings, [fresh])
        [verdict] = (await verdicts_for(settings, {fresh["case_id"]}))[fresh["case_id"]]
        assert verdict.route == "act_now"

        # Removed, it no longer does.
        before = applied_updates()
        await crible(settings, "banks", "remove", "demo-csam", "sha256", added)
        await wait_applied(before, 1)
        again = case_event(media=({"sha256": added},))
        await publish_cases(producer, settings, [again])
        [verdict] = (await verdicts_for(settings, {again["case_id"]}))[again["case_id"]]
        assert verdict.route != "act_now"
        # The banks consumer stored the bank; the added hash is gone again.
        deadline = time.monotonic() + 30
        query = "SELECT count(*) FROM prescreen.bank_hashes WHERE bank = 'demo-csam'"
        while await db.fetchval(query) != 45:
            assert time.monotonic() < deadline, await db.fetchval(query)
            await asyncio.sleep(0.1)


async def test_a_restarted_worker_loads_its_banks_from_the_database(
    prescreen_settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    settings = prescreen_settings
    terror_sha = bank_hashes("demo-terror", "sha256")[2]
    async with running(SPEC, settings):
        before = applied_updates()
        await crible(settings, "banks", "import", str(BANKS / "demo-terror.json"))
        await wait_applied(before, 41)
        deadline = time.monotonic() + 30
        while await db.fetchval("SELECT count(*) FROM prescreen.bank_hashes") < 40:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
    async with running(SPEC, settings):
        event = case_event(media=({"sha256": terror_sha},))
        await publish_cases(producer, settings, [event])
        [verdict] = (await verdicts_for(settings, {event["case_id"]}))[event["case_id"]]
        assert verdict.route == "act_now"
        assert verdict.screened_category == "terrorism_violent_extremism"


async def test_two_workers_both_apply_a_hash_added_at_run_time(
    prescreen_settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    settings = prescreen_settings
    added = uuid.uuid4().hex
    async with running(SPEC, settings), running(SPEC, settings):
        before = applied_updates()
        await crible(
            settings, "banks", "define", "runtime", "--kind", "block", "--category", "spam"
        )
        await crible(settings, "banks", "add", "runtime", "md5", added)
        await wait_applied(before, 4)  # two updates, applied by each of the two workers
        events = [case_event(media=({"md5": added},)) for _ in range(40)]
        await publish_cases(producer, settings, events)
        verdicts = await verdicts_for(settings, {e["case_id"] for e in events})
    assert all(hash_matches(verdicts[e["case_id"]][0]) == [("runtime", 0)] for e in events)


async def test_screening_goes_on_while_the_external_model_is_down(
    prescreen_settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("CRIBLE_PRESCREEN_EXTERNAL_URL", f"http://127.0.0.1:{port}/v1/moderations")
    monkeypatch.setenv("CRIBLE_PRESCREEN_EXTERNAL_TIMEOUT_SECONDS", "0.2")
    settings = prescreen_settings
    async with running(SPEC, settings):
        # the abusive words are the reported message: reporters' own words are read by the
        # rules written for them, not by the abuse model
        events = [case_event(excerpt=f"you are an idiot and a moron {i}") for i in range(30)]
        await publish_cases(producer, settings, events)
        verdicts = await verdicts_for(settings, {e["case_id"] for e in events})
    for event in events:
        [verdict] = verdicts[event["case_id"]]
        screeners = {s.name: s for s in verdict.screeners}
        assert screeners["external"].usability == "unavailable"
        assert screeners["text"].usability == "used"
        assert verdict.route == "human_review"


README = Path(__file__).resolve().parents[3] / "services" / "prescreen" / "README.md"
SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


async def test_bank_commands_refuse_what_the_banks_cannot_hold(
    prescreen_settings: Settings, db: asyncpg.Connection, tmp_path: Path
) -> None:
    settings = prescreen_settings
    [allow] = [
        line.split("#")[0].split()
        for line in README.read_text().splitlines()
        if line.startswith("crible banks define") and "--kind allow" in line
    ]
    allowed_pdq = bank_hashes("demo-allow", "pdq")[0]
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"bank": {"name": "half", "kind": "block", "category": "spam"},\n'
        ' "hashes": [\n'
        f'  {{"algorithm": "sha256", "hash": "{SHA256}"}},\n'
        f'  {{"algorithm": "md5", "hash": "{SHA256}"}}\n'
        "]}\n"
    )
    async with running(SPEC, settings):
        before = applied_updates()
        # The README's allow-list command, as written there.
        assert allow[:3] == ["crible", "banks", "define"]
        await crible(settings, *allow[1:])
        await crible(settings, "banks", "add", allow[3], "pdq", allowed_pdq)
        await wait_applied(before, 2)
        refusals = {
            "undefined": await crible_run(settings, "banks", "add", "nowhere", "sha256", SHA256),
            "wrong length": await crible_run(settings, "banks", "add", allow[3], "md5", SHA256),
            "bad line": await crible_run(settings, "banks", "import", str(bad)),
        }
        records = await read_topic(
            settings, HASHBANKS_UPDATES.name, until=lambda r: len(r) > 2, timeout=3
        )
    assert all(code != 0 for code, _, _ in refusals.values())
    assert "bank nowhere is not defined" in refusals["undefined"][2]
    assert "md5 hash has 32 hex digits, not 64" in refusals["wrong length"][2]
    assert f"{bad}: line 4: a md5 hash has 32 hex digits, not 64" in refusals["bad line"][2]
    # Nothing of the refused commands was published: the two accepted updates only (on two
    # partitions: read back in any order).
    assert sorted(json.loads(r.value)["type"] for r in records) == ["bank.defined", "hash.added"]
    kind = await db.fetchval("SELECT kind FROM prescreen.banks WHERE name = $1", allow[3])
    assert kind == "allow"


async def test_links_are_read_as_browsers_read_them_and_odd_ones_set_aside(
    prescreen_settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    settings = prescreen_settings
    events = {
        "attached": case_event(urls=("hxxps://scam[.]example/win", "javascript:alert(1)")),
        "in text": case_event(excerpt="log in at https://\u0455\u0441\u0430m.example/account"),
        "backslash": case_event(urls=("https://scam.example\\@good.example/",)),
    }
    async with running(SPEC, settings):
        await publish_cases(producer, settings, list(events.values()))
        ids = {name: e["case_id"] for name, e in events.items()}
        verdicts = await verdicts_for(settings, set(ids.values()))
    urls = {
        name: next(s for s in verdicts[case_id][0].screeners if s.name == "urls")
        for name, case_id in ids.items()
    }
    assert urls["attached"].usability == "used"
    assert "1 URL(s) left aside: not http(s)" in urls["attached"].notes
    assert [(m.ref, m.detail) for m in urls["attached"].matches] == [("scam", "scam.example")]
    [lookalike] = urls["in text"].matches
    assert lookalike.detail is not None
    assert lookalike.detail.endswith("looks like scam.example")
    assert [m.detail for m in urls["backslash"].matches] == ["scam.example"]
