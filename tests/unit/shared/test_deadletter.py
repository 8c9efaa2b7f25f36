"""Dead-letter copies always fit their topic: truncated, with a header saying so, if need be."""

from __future__ import annotations

from shared.runtime.contract import Outbound
from shared.runtime.deadletter import dead_letter, fit, undeliverable


def test_a_copy_that_fits_is_left_whole() -> None:
    record = Outbound("cases.dlq", b"k", b"v" * 1000)

    assert fit(record, lambda _topic: 10_000) is record


def test_a_copy_too_large_is_truncated_and_says_how_large_it_was() -> None:
    record = Outbound("cases.dlq", b"k", b"v" * 50_000, (("crible.error.class", b"X"),))

    copy = fit(record, lambda _topic: 10_000)

    assert copy.size <= 10_000
    assert copy.value == b"v" * len(copy.value)
    assert dict(copy.headers)["crible.truncated.original_bytes"] == b"50000"
    assert dict(copy.headers)["crible.error.class"] == b"X"


def test_an_undeliverable_event_goes_to_its_own_topics_dlq() -> None:
    event = Outbound("enforcement.actions", b"case-1", b"{}")

    copy = undeliverable(
        event, ValueError("+33612345678"), service="dispatch", limit=lambda _t: 10**6
    )

    headers = dict(copy.headers)
    assert copy.topic == "enforcement.actions.dlq"
    assert headers["crible.source.topic"] == b"enforcement.actions"
    assert headers["crible.error.message"] == b"ValueError"  # never the value


def test_a_personal_data_topics_dead_letter_keeps_no_payload() -> None:
    from aiokafka.structs import ConsumerRecord  # noqa: PLC0415

    value = b'{"phone_number": "+33612345678"}'
    record = ConsumerRecord(
        "identity.events", 3, 17, 0, 0, b"user-1", value, None, len(b"user-1"), len(value), []
    )

    copy = dead_letter(
        record, ValueError(), service="legal", topic="identity.events", limit=lambda _t: 10**6
    )

    assert copy.value == b""
    assert b"+33612345678" not in b"".join(v for _, v in copy.headers)
    assert dict(copy.headers)["crible.payload.withheld"] == str(len(value)).encode()
    assert dict(copy.headers)["crible.source.offset"] == b"17"
