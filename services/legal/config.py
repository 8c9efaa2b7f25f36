"""Legal's configuration: environment variables with the ``CRIBLE_LEGAL_`` prefix.

The keys never come from the code or the repository: operators pass them (a secret store,
the deployment's environment); ``crible local`` generates development keys into its ignored
cache. Keys are base64 of 32 random bytes.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.legal.fieldcrypt import BlindIndex, FieldCipher, KeyRing


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
        "every disclosure package; authorities verify with its public half."
    )

    package_link_hours: float = Field(
        default=72,
        gt=0,
        description="How long an approved package's one-time download link stays valid.",
    )

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
