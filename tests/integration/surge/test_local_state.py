"""Surge's databases on disk after the broker's data was wiped: state of a changelog gone."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from services.surge.adapters.state import CLUSTER_FILE, cluster_id
from shared.config import Settings
from shared.events.surge import SurgeKind
from shared.kafka import apply_topics, delete_topics, make_admin
from shared.topics import SURGE_APP
from tests.integration.conftest import eventually
from tests.integration.surge.test_rebalance import (
    _all_stages_committed,
    _errors,
    _signals_of,
    _start,
    _stored,
)
from tests.integration.surge.test_surge import NOW, _covering, burst, publish

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("wiped", ["another-cluster", "topics-created-again"])
async def test_state_whose_changelog_is_gone_is_removed_and_watching_starts_afresh(
    surge: Settings, producer: AIOKafkaProducer, tmp_path: Path, wiped: str
) -> None:
    """A process restarted on its state directory after the broker lost its topics (a local
    broker on a fresh data directory: another cluster id; or the topics deleted and created
    again) removes the databases restored from the changelog that is gone: it does not know
    the reporters the cluster no longer has, starts watching afresh (nobody is new on a
    fresh deployment, so no burst is called coordinated) and starts without an error."""
    seasoned = _covering(surge, 40)
    data = tmp_path / "state"
    first = await _start(surge, data, log=tmp_path / "first.log")
    try:
        await publish(producer, surge, "old", burst("old", seasoned, at=NOW - timedelta(days=20)))
        await _all_stages_committed(surge)
    finally:
        first.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(first.wait(), timeout=60) == 0
    assert _stored(data, seasoned) == {"seasoned": len(seasoned)}
    marker = next(data.rglob(CLUSTER_FILE))
    assert marker.read_text() == await cluster_id(surge)
    if wiped == "another-cluster":
        marker.write_text("the-cluster-before-the-wipe")
    await delete_topics(surge)
    await eventually(lambda: _none_left(surge), timeout=60, every=0.5)
    await apply_topics(surge, SURGE_APP)

    second = await _start(surge, data, log=tmp_path / "second.log")
    try:
        await publish(producer, surge, "genuine", burst("genuine", seasoned[:15]))
        await publish(producer, surge, "target", burst("target", [f"fresh{n}" for n in range(15)]))
        found = await _signals_of(surge, "genuine", "target")
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), timeout=60) == 0

    kinds = {s: {x.kind for x in found if x.subject.id == s} for s in ("genuine", "target")}
    assert kinds == {"genuine": {SurgeKind.VIRAL}, "target": {SurgeKind.VIRAL}}
    assert {x.subject.id for x in found} == {"genuine", "target"}
    # Only the seasoned reporters seen again are known, from their reports since.
    assert _stored(data, seasoned) == {"seasoned": 15}
    assert marker.read_text() == await cluster_id(surge)
    assert _errors(tmp_path / "first.log") == []
    assert _errors(tmp_path / "second.log") == []


async def _none_left(settings: Settings) -> bool:
    """Whether the prefix's topics are all deleted."""
    admin = make_admin(settings)
    await admin.start()
    try:
        return not [t for t in await admin.list_topics() if t.startswith(settings.topic_prefix)]
    finally:
        await admin.close()
