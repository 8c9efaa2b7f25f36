"""A unit of work over fakes, an authority, a stored request, two officers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from services.legal.core.approval import Officer, OfficerRole
from services.legal.core.deadlines import Deadline, DeadlinePolicy
from services.legal.core.model import Authority, AuthorityKind
from services.legal.core.policy import Policy
from services.legal.core.rules import RetentionPolicy
from services.legal.ports import Legal
from shared.events.legal import (
    DataCategory,
    Instrument,
    LegalRequest,
    Official,
    Target,
    TargetKind,
)
from tests.unit.legal.fakes import fake_legal

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
AUTHORITY_KEY = X25519PrivateKey.generate()
PARIS = Authority(
    authority_id="fr-parquet-paris",
    country="FR",
    kind=AuthorityKind.PROSECUTOR,
    active=True,
    signing_key=bytes(32),
    encryption_key=AUTHORITY_KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
)
POLICY = Policy(
    retention=RetentionPolicy(),
    deadlines=DeadlinePolicy(
        fr_requisition=timedelta(days=5), emergency_disclosure=timedelta(hours=8)
    ),
    package_link=timedelta(hours=72),
    emergency_notice_delay=timedelta(days=30),
)
INES = Officer("ines", frozenset({OfficerRole.LEGAL_OFFICER}), proof="ines-token")
HUGO = Officer("hugo", frozenset({OfficerRole.LEGAL_OFFICER}), proof="hugo-token")


def a_request(**changes: object) -> LegalRequest:
    fields: dict[str, object] = {
        "schema_version": 1,
        "request_id": uuid.uuid4(),
        "instrument": Instrument.FR_CPP_60_1,
        "authority_id": PARIS.authority_id,
        "official": Official(name="Claire Martin"),
        "case_reference": "2026/123",
        "offence": "escroquerie",
        "max_penalty_years": 5,
        "committed_online": True,
        "emergency": False,
        "target": Target(kind=TargetKind.PLATFORM_USER_ID, value="u1"),
        "categories": (DataCategory.SUBSCRIBER, DataCategory.IDENTIFICATION),
        "date_from": NOW - timedelta(days=90),
        "date_to": NOW - timedelta(days=10),
        "document_sha256": "0" * 64,
        "received_at": NOW,
    }
    return LegalRequest(**(fields | changes))  # type: ignore[arg-type]


@pytest.fixture
def legal() -> Legal:
    return fake_legal({PARIS.authority_id: PARIS})


async def received(legal: Legal, request: LegalRequest) -> LegalRequest:
    await legal.requests.store_received(
        request, document=b"%PDF", media_type="application/pdf", deadline=Deadline(NOW, "test")
    )
    return request
