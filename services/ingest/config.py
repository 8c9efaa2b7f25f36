"""Ingest's configuration: environment variables with the ``CRIBLE_INGEST_`` prefix."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class IngestSettings(BaseSettings):
    """What ingest can be told from outside: how long it keeps a closed case's reports."""

    model_config = SettingsConfigDict(env_prefix="CRIBLE_INGEST_", extra="ignore", frozen=True)

    report_retention_days: float = Field(
        default=396, gt=0, description="A closed case's reports are kept this long."
    )
