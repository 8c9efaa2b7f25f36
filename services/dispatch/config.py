"""Dispatch's configuration: environment variables with the ``CRIBLE_DISPATCH_`` prefix."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.dispatch.core.review import ReviewPolicy
from shared.events.reports import Category


class DispatchSettings(BaseSettings):
    """What dispatch can be told from outside."""

    model_config = SettingsConfigDict(
        env_prefix="CRIBLE_DISPATCH_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    dual_review: frozenset[Category] = Field(
        default=frozenset({Category.CHILD_SEXUAL_ABUSE, Category.TERRORISM}),
        description="Categories decided by two reviewers independently (JSON list).",
    )
    lease_seconds: int = Field(default=300, ge=30, le=1800, description="A lease's length.")
    sor_url: str | None = Field(
        default=None,
        description="The DSA Transparency Database's base URL; unset: statements are kept "
        "in dispatch.statements and not submitted.",
    )
    sor_token: SecretStr | None = Field(default=None, description="The platform's API token.")
    sor_timeout_seconds: float = Field(default=30.0, gt=0)
    media_url: str | None = Field(
        default=None,
        description="Where the console fetches a reported media file for a reviewer who "
        "reveals it: the platform's media service, with {sha256} in place of the file's "
        "hash (e.g. http://media.internal/v1/files/{sha256}); unset: hashes only.",
    )

    decision_retention_days: float = Field(
        default=730,
        gt=0,
        description="Decided cases, with their decisions, appeals and reports, are kept this "
        "long after their last change (services/dispatch/adapters/postgres/retention.py).",
    )

    def review_policy(self) -> ReviewPolicy:
        """The review rules these settings give."""
        return ReviewPolicy(
            dual_review=self.dual_review, lease=timedelta(seconds=self.lease_seconds)
        )

    @property
    def submits_statements(self) -> bool:
        """Whether the statements-of-reasons submitter runs."""
        return bool(self.sor_url) and self.sor_token is not None
