"""Topic declarations: one place, consistent names, a DLQ for everything consumed."""

import re
from pathlib import Path

from aiokafka.structs import ConsumerRecord

from shared.runtime.deadletter import dead_letter
from shared.topics import (
    CASES,
    CONSUMED,
    DLQ_HEADROOM_BYTES,
    DLQ_RETENTION_MS,
    DLQ_SUFFIX,
    IDENTITY_EVENTS,
    MIB,
    STATE,
    all_topics,
    largest_message_bytes,
    max_message_bytes,
    wire_name,
)


def test_every_consumed_topic_has_a_dead_letter_topic() -> None:
    names = {t.name for t in all_topics()}
    assert all(t.name + DLQ_SUFFIX in names for t in CONSUMED)


def test_topic_names_are_unique() -> None:
    names = [t.name for t in all_topics()]
    assert len(names) == len(set(names))


def test_personal_data_topic_keeps_data_briefly() -> None:
    assert IDENTITY_EVENTS.config()["retention.ms"] == str(24 * 3600 * 1000)


def test_prefix_is_prepended_on_the_wire() -> None:
    assert wire_name("cases", "staging.") == "staging.cases"


def test_every_topic_declares_its_size_limit_and_has_a_dead_letter_topic() -> None:
    topics = {t.name: t for t in all_topics()}
    for spec in topics.values():
        assert int(spec.config()["max.message.bytes"]) == spec.max_message_bytes
        if not spec.name.endswith(DLQ_SUFFIX) and spec not in STATE:
            dlq = topics[spec.name + DLQ_SUFFIX]
            # A dead-letter copy is the original plus headers: it must fit.
            assert dlq.max_message_bytes == spec.max_message_bytes + DLQ_HEADROOM_BYTES


def test_a_personal_data_topics_dead_letters_are_kept_no_longer_than_the_topic() -> None:
    dlq = IDENTITY_EVENTS.dlq()

    assert dlq.retention_ms == IDENTITY_EVENTS.retention_ms
    assert dlq.personal_data
    assert CASES.dlq().retention_ms == DLQ_RETENTION_MS


def test_the_producer_request_size_covers_the_largest_topic() -> None:
    assert largest_message_bytes() == max(t.max_message_bytes for t in all_topics())
    assert max_message_bytes("cases") == CASES.max_message_bytes
    assert max_message_bytes("not.declared") == MIB


def test_state_topics_are_compacted_and_kept() -> None:
    for spec in STATE:
        assert spec.config()["cleanup.policy"] == "compact"
        assert spec.retention_ms == -1


def test_every_topic_the_readme_calls_personal_data_has_a_payload_free_dlq() -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    sentence = re.search(r"the DLQ of a topic carrying personal data\s+\(([^)]*)\)", readme)
    assert sentence is not None, "the README no longer lists the personal-data topics"
    listed = set(re.findall(r"`([a-z_.]+)`", sentence.group(1)))
    declared = {t.name for t in CONSUMED if t.personal_data}
    assert listed == declared
    topics = {t.name: t for t in all_topics()}
    for name in listed:
        dlq = topics[name + DLQ_SUFFIX]
        assert dlq.retention_ms <= topics[name].retention_ms
        value = b'{"target": "+33612345678"}'
        record = ConsumerRecord(name, 0, 7, 0, 0, None, value, None, len(value), 0, [])
        copy = dead_letter(record, ValueError(), service="legal", topic=name, limit=lambda _: MIB)
        assert copy.value == b"", name
        assert ("crible.payload.withheld", str(len(value)).encode()) in copy.headers
