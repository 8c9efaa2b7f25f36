"""Dead-letter copies always fit their topic: truncated, with a header saying so, if need be."""

from __future__ import annotations

from shared.publisher import Outbound
from shared.runtime.deadletter import fit, undeliverable


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
