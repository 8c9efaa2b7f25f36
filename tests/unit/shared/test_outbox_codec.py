"""The outbox blob must give back exactly the records that went in."""

from shared.runtime.contract import Outbound
from shared.runtime.outbox_table import decode_records, encode_records


def test_records_round_trip_with_keys_headers_and_empty_values() -> None:
    records = [
        Outbound("cases", b"k1", b'{"a": 1}'),
        Outbound("reports.accepted", None, b"\x00\xff binary"),
        Outbound("reports.submitted.dlq", b"", b"", (("crible.error.class", b"X"), ("h", b""))),
        Outbound("t" * 300, b"k" * 70_000, b"v" * 1_000_000),
    ]

    assert decode_records(encode_records(records)) == records


def test_empty_batch_round_trips() -> None:
    assert decode_records(encode_records([])) == []
