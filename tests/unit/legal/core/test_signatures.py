"""Only a registered authority's fresh, first-time, correctly signed submission gets through."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from services.legal.core.model import Authority, AuthorityKind, Refusal, RefusalCode, RefusalGround
from services.legal.core.signatures import Submission, Verified, sign, verify_submission

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
KEY = Ed25519PrivateKey.generate()
RAW = Encoding.Raw, PublicFormat.Raw
AUTHORITY = Authority(
    authority_id="fr-parquet-paris",
    country="FR",
    kind=AuthorityKind.PROSECUTOR,
    active=True,
    signing_key=KEY.public_key().public_bytes(*RAW),
    encryption_key=X25519PrivateKey.generate().public_key().public_bytes(*RAW),
)
BODY = json.dumps({"instrument": "eu_epoc", "emergency": False}).encode()
EMERGENCY_BODY = json.dumps({"instrument": "emergency_disclosure", "emergency": True}).encode()


class FakeNonceStore:
    """Remembers claimed nonces, as the PostgreSQL table will."""

    def __init__(self) -> None:
        self.claimed: dict[tuple[str, str], datetime] = {}

    async def claim(self, authority_id: str, nonce: str, *, expires_at: datetime) -> bool:
        if (authority_id, nonce) in self.claimed:
            return False
        self.claimed[authority_id, nonce] = expires_at
        return True


def submission(
    *,
    body: bytes = BODY,
    at: datetime = NOW,
    nonce: str = "n0nce-0123456789abcdef",
    key: Ed25519PrivateKey = KEY,
) -> Submission:
    ts = int(at.timestamp())
    path = "/v1/requests"
    return Submission(
        method="POST",
        path=path,
        body=body,
        timestamp=str(ts),
        nonce=nonce,
        signature=sign(key, method="POST", path=path, timestamp=ts, nonce=nonce, body=body),
    )


async def verify(
    sub: Submission, store: FakeNonceStore | None = None, authority: Authority | None = AUTHORITY
) -> Verified | Refusal:
    return await verify_submission(
        sub, authority=authority, nonces=store or FakeNonceStore(), now=NOW
    )


def code(outcome: Verified | Refusal) -> RefusalCode | None:
    return outcome.code if isinstance(outcome, Refusal) else None


async def test_a_correctly_signed_submission_is_verified() -> None:
    outcome = await verify(submission(at=NOW - timedelta(seconds=30)))
    assert isinstance(outcome, Verified)
    assert outcome.authority_id == "fr-parquet-paris"


@pytest.mark.parametrize("body", [BODY, EMERGENCY_BODY])
async def test_a_forged_signature_is_refused_even_for_an_emergency(body: bytes) -> None:
    forged = submission(body=body, key=Ed25519PrivateKey.generate())
    assert code(await verify(forged)) is RefusalCode.SIGNATURE_INVALID


async def test_a_body_changed_after_signing_is_refused() -> None:
    tampered = replace(submission(), body=BODY.replace(b"false", b"true "))
    assert code(await verify(tampered)) is RefusalCode.SIGNATURE_INVALID


async def test_a_signature_for_another_path_is_refused() -> None:
    moved = replace(submission(), path="/v1/requests/other")
    assert code(await verify(moved)) is RefusalCode.SIGNATURE_INVALID


async def test_expired_and_future_timestamps_are_refused() -> None:
    assert code(await verify(submission(at=NOW - timedelta(minutes=6)))) is (
        RefusalCode.TIMESTAMP_EXPIRED
    )
    assert code(await verify(submission(at=NOW + timedelta(minutes=6)))) is (
        RefusalCode.TIMESTAMP_IN_FUTURE
    )
    assert isinstance(await verify(submission(at=NOW + timedelta(minutes=4))), Verified)


@pytest.mark.parametrize("body", [BODY, EMERGENCY_BODY])
async def test_a_replayed_submission_is_refused(body: bytes) -> None:
    store = FakeNonceStore()
    first = submission(body=body)
    assert isinstance(await verify(first, store), Verified)
    assert code(await verify(first, store)) is RefusalCode.NONCE_REPLAYED
    assert ("fr-parquet-paris", first.nonce) in store.claimed


async def test_a_forged_submission_does_not_burn_the_nonce() -> None:
    store = FakeNonceStore()
    await verify(submission(key=Ed25519PrivateKey.generate()), store)
    assert store.claimed == {}
    assert isinstance(await verify(submission(), store), Verified)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"signature": None}, RefusalCode.SIGNATURE_MISSING),
        ({"timestamp": None}, RefusalCode.SIGNATURE_MISSING),
        ({"nonce": None}, RefusalCode.SIGNATURE_MISSING),
        ({"signature": "not base64!"}, RefusalCode.SIGNATURE_MALFORMED),
        ({"signature": "AAAA"}, RefusalCode.SIGNATURE_MALFORMED),
        ({"timestamp": "2026-11-28T09:00:00Z"}, RefusalCode.SIGNATURE_MALFORMED),
        ({"nonce": "short"}, RefusalCode.SIGNATURE_MALFORMED),
        ({"path": "/v1/requests\nX-Other: 1"}, RefusalCode.SIGNATURE_MALFORMED),
    ],
)
async def test_missing_or_malformed_parts_are_refused(
    changes: dict[str, str | None], expected: RefusalCode
) -> None:
    outcome = await verify(replace(submission(), **changes))  # type: ignore[arg-type]
    assert code(outcome) is expected
    assert isinstance(outcome, Refusal)
    assert outcome.ground is RefusalGround.UNVERIFIED_AUTHORITY


async def test_an_unknown_authority_is_refused() -> None:
    assert code(await verify(submission(), authority=None)) is RefusalCode.AUTHORITY_UNKNOWN
