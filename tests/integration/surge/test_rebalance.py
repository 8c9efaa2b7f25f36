"""Two surge processes on RocksDB: a second one joins, takes partitions, and leaves again."""

from __future__ import annotations

import asyncio
import functools
import re
import signal
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
import rocksdict
from aiokafka import AIOKafkaProducer

from services.surge.core.records import fingerprint
from services.surge.core.stages import reporter_key
from shared.config import Settings
from shared.events.surge import SurgeKind, SurgeSignal
from shared.topics import SURGE_BY_REPORTER
from tests.integration.conftest import eventually
from tests.integration.surge.conftest import start_surge, surge_env
from tests.integration.surge.test_surge import (
    NOW,
    STAGES,
    _all_committed,
    _covering,
    burst,
    largest,
    publish,
    read_signals,
)

pytestmark = pytest.mark.integration

ALL = set(range(SURGE_BY_REPORTER.partitions))
#: The directory of each partition's RocksDB database, whose LOCK file an open handle holds.
LOCK = re.compile(r"surge\.reporters\.changelog-(\d+)\.db/LOCK$")


async def test_a_process_that_joins_then_leaves_moves_partitions_losing_and_doubling_nothing(
    surge: Settings, producer: AIOKafkaProducer, tmp_path: Path
) -> None:
    """A second process takes half the partitions, learns reporters there, and leaves.

    The first closes the databases of the partitions it hands over (their lock files are
    no longer open in it), and when they come back it knows what the second learned:
    reporters first seen 10 days ago while the second held their partitions are seasoned,
    not new, and every count is exact. Neither process logs an error.
    """
    seasoned = _covering(surge, 40)
    learned = _covering(surge, 40, prefix="learned")
    first = await _start(surge, tmp_path / "a", log=tmp_path / "a.log")
    second = None
    try:
        await eventually(lambda: _holds(first, ALL), timeout=120)
        await publish(producer, surge, "old", burst("old", seasoned, at=NOW - timedelta(days=20)))
        await _all_stages_committed(surge)

        second = await _start(surge, tmp_path / "b", log=tmp_path / "b.log")
        await eventually(functools.partial(_split, first, second), timeout=120)
        await publish(
            producer, surge, "learned", burst("learned", learned, at=NOW - timedelta(days=10))
        )
        await publish(producer, surge, "genuine", burst("genuine", seasoned[:15]))
        await publish(producer, surge, "target", burst("target", [f"fresh{n}" for n in range(15)]))
        await _signals_of(surge, "genuine", "target")
        await _all_stages_committed(surge)

        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), timeout=60) == 0
        await eventually(lambda: _holds(first, ALL), timeout=120)
        await publish(producer, surge, "again", burst("again", learned[:15]))
        await publish(producer, surge, "target2", burst("target2", [f"new{n}" for n in range(15)]))
        # The bursts published while two processes shared the partitions end with their
        # last figures too (a flush, from whichever process holds the subject by then).
        everyone = {"old": len(seasoned), "learned": len(learned)}
        found = await _signals_of(surge, "genuine", "target", "again", "target2", **everyone)
        await _all_stages_committed(surge)
    finally:
        for process in (first, second):
            if process is not None and process.returncode is None:
                process.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(process.wait(), timeout=60) == 0

    kinds = {s: {x.kind for x in found if x.subject.id == s} for s in ("genuine", "again")}
    kinds |= {s: {x.kind for x in found if x.subject.id == s} for s in ("target", "target2")}
    assert kinds == {
        "genuine": {SurgeKind.VIRAL},
        "again": {SurgeKind.VIRAL},
        "target": {SurgeKind.COORDINATED},
        "target2": {SurgeKind.COORDINATED},
    }
    for subject, reporters in (("old", seasoned), ("learned", learned)):
        assert max(s.count for s in found if s.subject.id == subject) == len(reporters)
        assert max(s.distinct_reporters for s in found if s.subject.id == subject) == len(reporters)
    # The first process's databases hold every reporter, those the second learned included.
    assert _stored(tmp_path / "a", [*seasoned, *learned]) == {
        "seasoned": len(seasoned),
        "learned": len(learned),
    }
    assert _errors(tmp_path / "a.log") == []
    assert _errors(tmp_path / "b.log") == []


async def _signals_of(surge: Settings, *subjects: str, **totals: int) -> list[SurgeSignal]:
    """Every signal until each window of ``subjects`` counted its 15 reports, none more,
    and the largest figure of each subject of ``totals`` is its total."""

    def complete(found: list[SurgeSignal]) -> bool:
        fifteen = all(set(largest(found, name).values()) == {15} for name in subjects)
        return fifteen and all(_most(found, name) == n for name, n in totals.items())

    found = await read_signals(surge, complete, timeout=120)
    for name in subjects:
        assert set(largest(found, name).values()) == {15}, name
    for name, total in totals.items():
        assert _most(found, name) == total, name
    return found


def _most(found: list[SurgeSignal], subject: str) -> int:
    """The largest count any signal of ``subject`` gave."""
    return max((s.count for s in found if s.subject.id == subject), default=0)


async def _all_stages_committed(surge: Settings) -> None:
    for name in STAGES:
        await eventually(functools.partial(_all_committed, surge, name), timeout=120)


async def _start(surge: Settings, data_dir: Path, *, log: Path) -> asyncio.subprocess.Process:
    """`crible run surge` on the state directory ``data_dir``, its log (stderr) in ``log``."""
    env = surge_env(
        surge,
        CRIBLE_SURGE_SESSION_TIMEOUT_SECONDS="6",
        # A third of the reporters unknown is enough to call a burst coordinated: a process
        # that missed the partitions the other held would call "again" so.
        CRIBLE_SURGE_NEW_REPORTER_SHARE="0.3",
        CRIBLE_SURGE_REPORTERS_STORE="rocksdb",
        CRIBLE_SURGE_DATA_DIR=str(data_dir),
    )
    return await start_surge(env, log=log)


def _open_databases(process: asyncio.subprocess.Process) -> set[int]:
    """The partitions whose reporters' database ``process`` holds open (its lock file)."""
    held = set()
    fds = Path(f"/proc/{process.pid}/fd")
    for fd in fds.iterdir():
        try:
            target = str(fd.readlink())
        except OSError:
            continue  # closed meanwhile
        match = LOCK.search(target)
        if match:
            held.add(int(match.group(1)))
    return held


async def _holds(process: asyncio.subprocess.Process, partitions: set[int]) -> bool:
    return _open_databases(process) == partitions


async def _split(first: asyncio.subprocess.Process, second: asyncio.subprocess.Process) -> bool:
    """Each process holds some partitions' databases, none both, every one either."""
    a, b = _open_databases(first), _open_databases(second)
    return bool(a) and bool(b) and not a & b and a | b == ALL


def _stored(data_dir: Path, reporters: list[str]) -> dict[str, int]:
    """How many of ``reporters`` the databases under ``data_dir`` hold, by name prefix."""
    keys = {reporter_key(fingerprint(r)): r.rstrip("0123456789") for r in reporters}
    found: dict[str, int] = {}
    for path in data_dir.rglob("surge.reporters.changelog-*.db"):
        db = rocksdict.Rdict(
            str(path),
            options=rocksdict.Options(raw_mode=True),
            access_type=rocksdict.AccessType.read_only(),
        )
        try:
            for key, name in keys.items():
                if db.get(key) is not None:
                    found[name] = found.get(name, 0) + 1
        finally:
            db.close()
    return found


def _errors(log: Path) -> list[str]:
    """The lines of a process's log at level error or above, or with a traceback."""
    bad = []
    for line in log.read_bytes().splitlines():
        try:
            level = orjson.loads(line).get("level", "")
        except orjson.JSONDecodeError:
            level = "error" if b"Traceback" in line else ""
        if level in {"error", "critical"}:
            bad.append(line.decode(errors="replace"))
    return bad
