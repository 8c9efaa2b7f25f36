"""Advisory-lock keys: the first 64 bits of the case id, as PostgreSQL's signed bigint."""

import uuid

from services.ingest.adapters.postgres.cases import _lock_key


def test_lock_key_is_the_uuid_high_half_as_a_signed_bigint() -> None:
    for _ in range(1000):
        case_id = uuid.uuid4()
        expected = int.from_bytes(case_id.bytes[:8], "big", signed=True)
        assert _lock_key(str(case_id)) == expected
        assert -(2**63) <= expected < 2**63
