"""What a cluster drill checks beyond ``crible chaos``'s invariants (``shared/cli/chaos.py``).

Every case revision ingest announced was screened (a revision lost between two services
while a broker or the database went away would be missing), and nothing in any other
dead-letter topic: a fault must never turn a valid message into a dead letter.
"""

from __future__ import annotations

from typing import Any

import orjson

from shared.cli.chaos import Check
from shared.cli.dlq import read_all
from shared.config import Settings
from shared.kafka import make_admin
from shared.topics import CASES, IDENTITY_EVENTS, REPORTS_SUBMITTED, SCREENING_VERDICTS, wire_name


async def _values(settings: Settings, name: str) -> list[dict[str, Any]]:
    return [
        orjson.loads(r.value)
        for r in await read_all(settings, wire_name(name, settings.topic_prefix))
        if r.value
    ]


async def cluster_checks(settings: Settings) -> list[Check]:
    """The drill's own invariants, under ``settings.topic_prefix``."""
    announced = {(e["case_id"], e["revision"]) for e in await _values(settings, CASES.name)}
    screened = {
        (v["case_id"], v["case_revision"]) for v in await _values(settings, SCREENING_VERDICTS.name)
    }
    return [
        Check("case revisions announced, each screened", len(announced), len(announced & screened)),
        Check("dead letters in every other .dlq topic", 0, await _other_dead_letters(settings)),
    ]


async def _other_dead_letters(settings: Settings) -> int:
    """Dead letters outside the two topics the load sends malformed input to."""
    expected = {
        wire_name(topic.dlq().name, settings.topic_prefix)
        for topic in (REPORTS_SUBMITTED, IDENTITY_EVENTS)
    }
    admin = make_admin(settings)
    await admin.start()
    try:
        topics = [
            t
            for t in await admin.list_topics()
            if t.startswith(settings.topic_prefix) and t.endswith(".dlq") and t not in expected
        ]
    finally:
        await admin.close()
    return sum([len(await read_all(settings, topic)) for topic in topics])
