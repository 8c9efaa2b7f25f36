"""Legal's configuration: environment variables with the ``CRIBLE_LEGAL_`` prefix.

The keys never come from the code or the repository: operators pass them (a secret store,
the deployment's environment); ``crible local`` generates development keys into its ignored
cache. Keys are base64 of 32 random bytes.
"""

from __future__ import annotations

import base64
import functools
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.legal.core.deadlines import DeadlinePolicy
from services.legal.core.fieldcrypt import BlindIndex, FieldCipher, KeyRing
from services.legal.core.policy import Policy
from services.legal.core.rules import RetentionPolicy


class LegalSettings(BaseSettings):
    """What legal can be told from outside."""

    model_config = SettingsConfigDict(
        env_prefix="CRIBLE_LEGAL_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    field_keys: dict[str, SecretStr] = Field(
        description='Field-encryption keys by id, JSON: {"k2026": "<base64 of 32 bytes>"}; '
        "keep old ones until `crible legal rotate-key` has moved every row off them."
    )
    current_key: str = Field(description="The id of the key new values are sealed with.")
    index_key: SecretStr = Field(
        description="The HMAC key of the blind indexes (phone numbers, usernames); changing "
        "it means rebuilding the indexes."
    )

    signing_key: SecretStr = Field(
        description="The platform's Ed25519 private key (base64 of its 32 raw bytes): signs "
        "every disclosure package and every audit checkpoint; authorities and auditors verify "
        "with its public half."
    )
    audit_keys: dict[str, SecretStr] = Field(
        description='The audit chain\'s HMAC keys by id, JSON: {"a2026": "<base64 of 32 '
        'bytes>"}. Never stored in the database: whoever writes the table without them '
        "cannot recompute the chain. Keep old ones as long as entries name them."
    )
    audit_current_key: str = Field(description="The id of the key new audit entries use.")
    audit_origin: str = Field(
        default="crible/legal-audit",
        description="The name of this audit log in its signed checkpoints (origin and key "
        "name): one per deployment, e.g. crible.example.org/legal-audit.",
    )
    checkpoint_every_seconds: float = Field(
        default=60,
        gt=0,
        description="How often the chain's head is signed and published to "
        "legal.audit.checkpoints (when it moved): entries newer than the last checkpoint "
        "are not yet anchored.",
    )

    package_link_hours: float = Field(
        default=72,
        gt=0,
        description="How long an approved package's one-time download link stays valid.",
    )

    # Retention (décret n° 2021-1362 art. 1 and 2, taken by CPP art. 60-1-2 and L34-1 CPCE):
    # civil identity 5 years after the account ends, connection data 1 year.
    retention_identity_days: float = Field(
        default=5 * 365 + 1,
        gt=0,
        description="Identity data (account, phone numbers) kept this long after the account "
        "ended: 5 years (décret n° 2021-1362 art. 1, 1°-2°).",
    )
    retention_connection_days: float = Field(
        default=365,
        gt=0,
        description="Connection data (sessions: IP address, port, time) kept this long: 1 "
        "year (décret n° 2021-1362 art. 1, 4°-5°; CPCE art. L34-1 II bis).",
    )
    # Deadlines the law leaves to the platform (services/legal/deadlines.py).
    fr_requisition_hours: float = Field(
        default=120,
        gt=0,
        description='A French réquisition\'s deadline ("dans les meilleurs délais", CPP art. '
        "60-1: no number in the law; platform policy).",
    )
    emergency_disclosure_hours: float = Field(
        default=8, gt=0, description="An emergency disclosure request's deadline (policy)."
    )
    emergency_notice_delay_days: float = Field(
        default=30,
        ge=0,
        description="After an emergency disclosure, the user is told once this has passed "
        "(the emergency is over), unless a non-disclosure order runs longer.",
    )

    def retention(self) -> RetentionPolicy:
        """The retention periods, as the legal checks and the retention job use them."""
        return RetentionPolicy(
            civil_identity_after_account_end=timedelta(days=self.retention_identity_days),
            connection_data=timedelta(days=self.retention_connection_days),
        )

    def deadlines(self) -> DeadlinePolicy:
        """The deadlines the law leaves to the platform."""
        return DeadlinePolicy(
            fr_requisition=timedelta(hours=self.fr_requisition_hours),
            emergency_disclosure=timedelta(hours=self.emergency_disclosure_hours),
        )

    def policy(self) -> Policy:
        """Everything the handlers are told by configuration, as plain values."""
        return Policy(
            retention=self.retention(),
            deadlines=self.deadlines(),
            package_link=timedelta(hours=self.package_link_hours),
            emergency_notice_delay=timedelta(days=self.emergency_notice_delay_days),
        )

    def keys(self) -> ConfiguredKeys:
        """The keys, each built once (``KeyStore``)."""
        return ConfiguredKeys(self)

    def platform_key(self) -> Ed25519PrivateKey:
        """The key that signs disclosure packages."""
        raw = base64.b64decode(self.signing_key.get_secret_value(), validate=True)
        return Ed25519PrivateKey.from_private_bytes(raw)

    def cipher(self) -> FieldCipher:
        """The field cipher over the configured key ring."""
        return FieldCipher(KeyRing.from_config(self.field_keys, current=self.current_key))

    def blind_index(self) -> BlindIndex:
        """The blind index under the configured key."""
        return BlindIndex(self.index_key)

    def audit_ring(self) -> KeyRing:
        """The audit chain's HMAC keys (a missing or malformed key stops the service)."""
        return KeyRing.from_config(self.audit_keys, current=self.audit_current_key)


class ConfiguredKeys:
    """``KeyStore`` over the configuration: each key is decoded once, on first use."""

    def __init__(self, settings: LegalSettings) -> None:
        self._settings = settings

    @functools.cached_property
    def _cipher(self) -> FieldCipher:
        return self._settings.cipher()

    @functools.cached_property
    def _index(self) -> BlindIndex:
        return self._settings.blind_index()

    @functools.cached_property
    def _platform(self) -> Ed25519PrivateKey:
        return self._settings.platform_key()

    @functools.cached_property
    def _audit(self) -> KeyRing:
        return self._settings.audit_ring()

    def cipher(self) -> FieldCipher:
        """The field cipher."""
        return self._cipher

    def blind_index(self) -> BlindIndex:
        """The blind index."""
        return self._index

    def platform_key(self) -> Ed25519PrivateKey:
        """The platform's signing key."""
        return self._platform

    def audit_ring(self) -> KeyRing:
        """The audit chain's HMAC keys."""
        return self._audit

    @property
    def audit_origin(self) -> str:
        """The audit log's name in its checkpoints."""
        return self._settings.audit_origin
