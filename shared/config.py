"""Process configuration, read from environment variables with the ``CRIBLE_`` prefix.

``KAFKA_BOOTSTRAP_SERVERS`` and ``DATABASE_URL`` are also accepted without the prefix, as
most deployment platforms set them that way. The defaults point at the local stack that
``crible local`` starts, so a developer needs no configuration at all.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal, Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_KAFKA = "127.0.0.1:19092"
LOCAL_DATABASE_URL = "postgresql://crible_owner@127.0.0.1:15432/crible"


class Settings(BaseSettings):
    """Everything a Crible process can be told from outside."""

    # hide_input_in_errors: a configuration error must not print the DSN or a password.
    model_config = SettingsConfigDict(
        env_prefix="CRIBLE_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    kafka_bootstrap_servers: str = Field(
        default=LOCAL_KAFKA,
        validation_alias=AliasChoices("CRIBLE_KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS"),
        description="Comma-separated host:port list of Kafka brokers.",
    )
    database_url: SecretStr = Field(
        default=SecretStr(LOCAL_DATABASE_URL),
        validation_alias=AliasChoices("CRIBLE_DATABASE_URL", "DATABASE_URL"),
        description="PostgreSQL DSN (postgresql://user:password@host:port/db) of the owner "
        "role: `crible migrate` runs as it; services use it only when they have no DSN of "
        "their own in service_database_urls.",
    )
    admin_database_url: SecretStr | None = Field(
        default=None,
        description="PostgreSQL DSN of a superuser (or a managed service's equivalent), used "
        "only by `crible db guard` to install the schema guard once per database "
        "(shared/db_guard.py); `crible local` sets it for the local server.",
    )
    topic_prefix: str = Field(
        default="",
        description="Prepended to every topic name; lets several environments share a cluster.",
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT",
        description="How every Kafka client (consumers, producers, admin, faust) connects: "
        "SASL_SSL on a production cluster.",
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        default="SCRAM-SHA-512", description="SASL mechanism, with a SASL_* protocol."
    )
    kafka_sasl_username: str | None = Field(
        default=None, description="SASL user of this service (one per service is best)."
    )
    kafka_sasl_password: SecretStr | None = Field(default=None, description="SASL password.")
    kafka_ssl_cafile: str | None = Field(
        default=None, description="CA bundle that signed the brokers' certificates (SSL_*)."
    )
    kafka_ssl_certfile: str | None = Field(
        default=None, description="Client certificate, when the brokers require mutual TLS."
    )
    kafka_ssl_keyfile: str | None = Field(default=None, description="The client certificate's key.")
    kafka_ssl_key_password: SecretStr | None = Field(
        default=None, description="Password of the client key, if it is encrypted."
    )
    kafka_replication_factor: int = Field(
        default=1,
        ge=1,
        description="Replicas of every Crible topic: 1 on the local single node, 3 on a cluster.",
    )
    kafka_min_insync_replicas: int = Field(
        default=1,
        ge=1,
        description="min.insync.replicas of every Crible topic: 1 locally, 2 on a cluster "
        "(with acks=all, a write then survives the loss of one broker).",
    )
    metrics_host: str = Field(default="127.0.0.1", description="Address the metrics server binds.")
    metrics_port: int = Field(
        default=0, description="Port of this process's Prometheus endpoint; 0 disables it."
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token a scraper must present on /metrics (role: metrics-reader).",
    )
    consumer_max_batch: int = Field(
        default=4000, ge=1, description="Most records one batch hands to a handler."
    )
    consumer_lanes: int = Field(
        default=4,
        ge=1,
        description="Most concurrent batch loops per process, each over its own partitions: "
        "one runs while the consumer keeps up, all of them while a backlog lasts (one batch "
        "uses the CPU while another waits for the database).",
    )
    consumer_poll_timeout_ms: int = Field(
        default=200, ge=1, description="How long an idle consumer waits for records."
    )
    consumer_session_timeout_ms: int = Field(
        default=30_000,
        ge=6_000,
        description="How long the group waits for a silent member (killed, frozen) before "
        "giving its partitions to the others; heartbeats go every tenth of it.",
    )
    consumer_max_poll_interval_ms: int = Field(
        default=300_000,
        ge=1_000,
        description="How long a consumer may hold a batch without polling before it leaves "
        "its group (its partitions go to others); it rejoins as soon as the batch ends.",
    )
    consumer_commit_interval_ms: int = Field(
        default=100,
        ge=1,
        description="How often a consumer forgets the outbox rows of acknowledged batches and "
        "commits their offsets, off the lanes' path (and always before partitions move).",
    )
    producer_linger_ms: int = Field(
        default=5, ge=0, description="How long the producer waits to fill a batch."
    )
    retry_initial_seconds: float = Field(
        default=0.2, gt=0, description="First back-off after a transient failure."
    )
    retry_max_seconds: float = Field(
        default=15.0, gt=0, description="Cap of the exponential back-off after transient failures."
    )
    db_pool_max: int = Field(
        default=6, ge=2, description="Most PostgreSQL connections a process opens (lanes + 1)."
    )
    service_database_urls: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Each service's own PostgreSQL DSN, as the role crible_<service> that "
        "`crible migrate` creates (rows of its own schema only); JSON in "
        'CRIBLE_SERVICE_DATABASE_URLS, e.g. {"ingest": "postgresql://crible_ingest:...@db/crible"}.',
    )
    outbox_relay_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How often a worker looks for outbox rows a crashed peer left.",
    )
    outbox_orphan_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Age after which an unpublished outbox row counts as orphaned.",
    )
    retry_ambiguous_attempts: int = Field(
        default=3,
        ge=0,
        description="Retries of a failure that may be an outage or a bad message (e.g. an "
        "unexpected client state) before the batch is split to find out.",
    )
    housekeeping_seconds: float = Field(
        default=2.0, gt=0, description="How often lag, readiness and the outbox are checked."
    )
    metadata_refresh_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How often the publisher re-reads a topic's partition count, so keys "
        "follow a partition increase as every other producer's do.",
    )
    http_host: str = Field(default="127.0.0.1", description="Address a service's HTTP API binds.")
    http_port: int = Field(
        default=0, ge=0, description="Port of this process's HTTP API, if it has one; 0: none."
    )
    stop_grace_seconds: float = Field(
        default=25.0,
        gt=0,
        description="How long a stop signal waits for batches to finish and clients to close "
        "before the process exits anyway (a second signal exits at once); below Kubernetes' "
        "30 s grace period.",
    )
    log_level: str = Field(default="INFO", description="Python logging level.")
    log_fold_seconds: float = Field(
        default=30.0,
        ge=0,
        description="Identical warnings and errors within this many seconds are written once, "
        "then counted in one line at the end of the interval (0: write every one).",
    )

    def database_url_for(self, service: str) -> SecretStr:
        """The DSN ``service`` connects with: its own role's, else ``database_url``."""
        return self.service_database_urls.get(service, self.database_url)

    @model_validator(mode="after")
    def _kafka_security_is_complete(self) -> Self:
        if self.kafka_security_protocol.startswith("SASL_") and (
            self.kafka_sasl_username is None or self.kafka_sasl_password is None
        ):
            raise ValueError(
                "CRIBLE_KAFKA_SASL_USERNAME and CRIBLE_KAFKA_SASL_PASSWORD are needed with "
                f"CRIBLE_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol}"
            )
        if self.kafka_min_insync_replicas > self.kafka_replication_factor:
            raise ValueError(
                "CRIBLE_KAFKA_MIN_INSYNC_REPLICAS cannot exceed CRIBLE_KAFKA_REPLICATION_FACTOR"
            )
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read once)."""
    return Settings()
