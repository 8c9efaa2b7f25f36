"""Prescreen's configuration: environment variables with the ``CRIBLE_PRESCREEN_`` prefix.

The policy, rules and domain lists are files (versioned with the code under
``deploy/prescreen/``, or mounted from elsewhere in production).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.prescreen.core.safety_prompts import Dialect

#: The files shipped with Crible.
DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "prescreen"


class PrescreenSettings(BaseSettings):
    """What prescreen can be told from outside."""

    model_config = SettingsConfigDict(
        env_prefix="CRIBLE_PRESCREEN_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    policy: Path = Field(default=DEPLOY / "policy.yaml", description="The live policy.")
    shadow_policy: Path | None = Field(
        default=DEPLOY / "policy-shadow.yaml",
        description="A policy run beside the live one, stored and counted, never published "
        "(empty: none).",
    )
    rules: Path = Field(default=DEPLOY / "rules.yaml", description="Keyword and pattern rules.")
    framing: Path = Field(
        default=DEPLOY / "framing.yaml",
        description="How a message frames what it names (news, lessons, care, games, banter): "
        "frames that lower the text screener's scores.",
    )
    domains: Path = Field(default=DEPLOY / "domains.yaml", description="Domain lists.")
    max_text_chars: int = Field(
        default=10_000, ge=100, description="Longer texts are cut to this for scoring."
    )
    external_url: str | None = Field(
        default=None,
        description="An OpenAI-moderation-compatible endpoint; unset: the adapter is off.",
    )
    external_api_key: SecretStr | None = Field(default=None, description="Its bearer token.")
    external_model: str = Field(default="omni-moderation-latest")
    external_timeout_seconds: float = Field(default=2.0, gt=0)
    languages: str = Field(
        default="en,fr,de,es,it,pt,nl",
        description="Candidate languages (ISO 639-1, comma-separated) of the offline language "
        "identification of texts without a reliable tag (excerpts); empty: off, such texts "
        "stay of unknown language.",
    )
    reporter_words_weight: float = Field(
        default=0.6,
        ge=0.0,
        le=1.0,
        description="What a text rule's or model's hit in a reporter's own words is worth "
        "beside the same hit in the reported message.",
    )
    safety_url: str | None = Field(
        default=None,
        description="An OpenAI-compatible chat-completions URL serving a safety model "
        "(gpt-oss-safeguard, Llama Guard); unset: the policy-prompted screener is off.",
    )
    safety_api_key: SecretStr | None = Field(default=None, description="Its bearer token.")
    safety_model: str = Field(default="gpt-oss-safeguard-20b", description="The model name.")
    safety_dialect: Dialect = Field(
        default=Dialect.SAFEGUARD,
        description="How the model is prompted and answers: safeguard or llama_guard.",
    )
    safety_policies: Path = Field(
        default=DEPLOY / "policies", description="The written policies, <language>/<category>.md."
    )
    safety_languages: str = Field(
        default="en,fr", description="Languages the model is asked about (comma-separated)."
    )
    safety_timeout_seconds: float = Field(default=5.0, gt=0, description="Per request.")
    safety_batch_timeout_seconds: float = Field(
        default=15.0, gt=0, description="Per batch: later answers count as unavailable."
    )
    safety_concurrency: int = Field(default=4, ge=1, description="Requests in flight at once.")
    classifier_model: Path | None = Field(
        default=None,
        description="An ONNX text classifier an operator provides (model.onnx); unset: off.",
    )
    classifier_tokenizer: Path | None = Field(
        default=None, description="Its tokenizer.json (Hugging Face tokenizers format)."
    )
    classifier_labels: Path | None = Field(
        default=None,
        description="A YAML file mapping the model's outputs to categories, with the "
        "languages it was trained for (format: services/prescreen/adapters/onnx_classifier.py).",
    )
    stage_workers: int = Field(default=2, ge=1, description="Threads screening batches.")
    text_in_process: bool = Field(
        default=True,
        description="Run the text screener in a child process, beside the others (uses a "
        "second core when there is one).",
    )
    text_processes: int = Field(
        default=1,
        ge=1,
        description="Child processes sharing each batch's text screening (with text_in_process).",
    )
