"""Dead-letter copies: the original bytes, and headers saying what failed and where it came from."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from aiokafka.structs import ConsumerRecord

from shared.runtime.contract import Outbound
from shared.runtime.errors import describe_error
from shared.topics import DLQ_SUFFIX, carries_personal_data

#: Set by ``crible dlq replay`` on what it sends back (``shared/cli/dlq.py``).
REPLAY_HEADER = "crible.replay.of"


def dead_letter(
    record: ConsumerRecord[bytes, bytes],
    error: BaseException,
    *,
    service: str,
    topic: str,
    limit: Callable[[str], int],
) -> Outbound:
    """The DLQ copy of a consumed ``record`` (read from logical ``topic``).

    A topic that carries personal data keeps it to itself: the copy holds the headers and
    no payload (the sender publishes the message again once fixed).
    """
    value = record.value or b""
    withheld: tuple[tuple[str, bytes], ...] = ()
    if carries_personal_data(topic):
        value, withheld = (
            b"",
            (("crible.payload.withheld", str(len(record.value or b"")).encode()),),
        )
    headers = (
        ("crible.error.class", type(error).__name__.encode()),
        ("crible.error.message", describe_error(error).encode()),
        ("crible.source.topic", record.topic.encode()),
        ("crible.source.partition", str(record.partition).encode()),
        ("crible.source.offset", str(record.offset).encode()),
        ("crible.service", service.encode()),
        ("crible.failed_at", datetime.now(UTC).isoformat().encode()),
        *withheld,
        # A replayed message that fails again says so: `crible dlq replay` never loops on it.
        *((name, v) for name, v in record.headers or () if name == REPLAY_HEADER),
    )
    return fit(Outbound(topic + DLQ_SUFFIX, record.key, value, headers), limit)


def undeliverable(
    record: Outbound, error: BaseException, *, service: str, limit: Callable[[str], int]
) -> Outbound:
    """The DLQ copy of an event the broker refused to take (its topic's ``.dlq``)."""
    headers = (
        ("crible.error.class", type(error).__name__.encode()),
        ("crible.error.message", describe_error(error).encode()),
        ("crible.source.topic", record.topic.encode()),
        ("crible.service", service.encode()),
        ("crible.failed_at", datetime.now(UTC).isoformat().encode()),
    )
    return fit(Outbound(record.topic + DLQ_SUFFIX, record.key, record.value, headers), limit)


def fit(record: Outbound, limit: Callable[[str], int]) -> Outbound:
    """``record``, its value truncated to fit its topic if need be, with a header saying so.

    A dead-letter copy that the broker refused would be lost: better its first bytes and the
    original length than nothing.
    """
    most = limit(record.topic)
    if record.size <= most:
        return record
    header = ("crible.truncated.original_bytes", str(len(record.value)).encode())
    room = most - (record.size - len(record.value)) - len(header[0]) - len(header[1]) - 10
    return Outbound(
        record.topic, record.key, record.value[: max(0, room)], (*record.headers, header)
    )
