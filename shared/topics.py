"""Every Kafka topic Crible uses, declared once with its partitions, retention and cleanup.

``crible topics apply`` creates missing topics and brings the configuration of existing ones
in line with these declarations. Names are logical; ``Settings.topic_prefix`` is prepended
on the wire so that several environments (or test runs) can share one cluster.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DAY_MS = 24 * 3600 * 1000
DLQ_SUFFIX = ".dlq"
#: Kafka's own default ``max.message.bytes``; every Crible topic declares its limit.
MIB = 1024 * 1024
#: Room a dead-letter copy needs beyond its original for the headers saying why.
DLQ_HEADROOM_BYTES = 64 * 1024
#: How long a dead-letter topic keeps a message, unless its source must forget it sooner.
DLQ_RETENTION_MS = 30 * DAY_MS


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic as Crible needs it to be."""

    name: str
    partitions: int
    retention_ms: int
    compacted: bool = False
    description: str = ""
    #: The largest record the topic takes (its ``max.message.bytes``); producers check
    #: their records against it before the transaction that makes them commits.
    max_message_bytes: int = MIB
    #: Carries phone numbers, IP addresses or other personal data: its dead-letter topic
    #: keeps nothing longer than it does.
    personal_data: bool = False
    extra_config: tuple[tuple[str, str], ...] = field(default=())

    def config(self) -> dict[str, str]:
        """Topic-level configuration as Kafka expects it."""
        settings = {
            "cleanup.policy": "compact" if self.compacted else "delete",
            "retention.ms": str(self.retention_ms),
            "max.message.bytes": str(self.max_message_bytes),
        }
        settings.update(dict(self.extra_config))
        return settings

    def dlq(self) -> TopicSpec:
        """The dead-letter topic of this topic: its poison messages, or undeliverable events.

        It takes the largest original with its headers, and keeps a topic's personal data
        no longer than the topic itself does.
        """
        retention = DLQ_RETENTION_MS
        if self.personal_data:
            retention = min(retention, self.retention_ms)
        return TopicSpec(
            name=self.name + DLQ_SUFFIX,
            partitions=1,
            retention_ms=retention,
            description=f"Messages of {self.name} that could not be processed, with the reason.",
            max_message_bytes=self.max_message_bytes + DLQ_HEADROOM_BYTES,
            personal_data=self.personal_data,
        )


REPORTS_SUBMITTED = TopicSpec(
    "reports.submitted",
    8,
    7 * DAY_MS,
    description="User reports, as platform back ends publish them.",
)
REPORTS_ACCEPTED = TopicSpec(
    "reports.accepted", 8, 7 * DAY_MS, description="Reports ingest accepted, with their case."
)
CASES = TopicSpec(
    "cases",
    8,
    14 * DAY_MS,
    description="Case lifecycle events (opened, updated, reopened), keyed by case id so one "
    "case's events stay in order.",
)
SCREENING_VERDICTS = TopicSpec(
    "screening.verdicts", 8, 14 * DAY_MS, description="Pre-screening verdicts and routes."
)
HASHBANKS_UPDATES = TopicSpec(
    "hashbanks.updates",
    4,
    # Compacted: the latest record of every bank and hash is kept for as long as it matters,
    # so a new prescreen worker could rebuild its banks from the topic alone.
    -1,
    compacted=True,
    description="Hash-bank definitions and hashes added or removed (`crible banks`); "
    "compacted, keyed by bank or by bank, algorithm and hash.",
)
SURGE_SIGNALS = TopicSpec("surge.signals", 4, 7 * DAY_MS, description="Report-velocity signals.")
# The surge detector's own topics (a faust app, which never creates topics itself): two
# repartitions of reports.accepted and the changelogs of its tables. Every one has the
# partitions of reports.accepted, as faust requires of the topics and tables of one app.
SURGE_BY_REPORTER = TopicSpec(
    "surge.by_reporter",
    REPORTS_ACCEPTED.partitions,
    7 * DAY_MS,
    description="Accepted reports, compacted to what surge needs, packed per partition of "
    "their reporter (surge's repartition; no platform ids beyond the reporter's).",
)
SURGE_BY_SUBJECT = TopicSpec(
    "surge.by_subject",
    REPORTS_ACCEPTED.partitions,
    7 * DAY_MS,
    description="The same reports with what surge knows of their reporter, packed per "
    "partition of their subject.",
)
SURGE_SUBJECTS = TopicSpec(
    "surge.subjects.changelog",
    REPORTS_ACCEPTED.partitions,
    -1,
    compacted=True,
    description="Changelog of surge's subject windows (faust table; expired subjects are "
    "deleted with a tombstone).",
    max_message_bytes=4 * MIB,
)
SURGE_REPORTERS = TopicSpec(
    "surge.reporters.changelog",
    REPORTS_ACCEPTED.partitions,
    -1,
    compacted=True,
    description="Changelog of surge's reporters (first seen, recent subjects; fingerprints).",
)
SURGE_CATEGORIES = TopicSpec(
    "surge.categories.changelog",
    REPORTS_ACCEPTED.partitions,
    -1,
    compacted=True,
    description="Changelog of surge's category baselines, per partition.",
)
REVIEW_DECISIONS = TopicSpec(
    "review.decisions", 4, 30 * DAY_MS, description="Decisions taken by human reviewers."
)
ENFORCEMENT_ACTIONS = TopicSpec(
    "enforcement.actions", 8, 30 * DAY_MS, description="Actions the platform must carry out."
)
STATEMENTS_OF_REASONS = TopicSpec(
    "statements.of_reasons",
    4,
    365 * DAY_MS,
    description="DSA statements of reasons of restrictive decisions, in the Transparency "
    "Database's format, for the submitter.",
)
IDENTITY_EVENTS = TopicSpec(
    "identity.events",
    8,
    # Carries phone numbers and IP addresses: kept on the wire only until the legal service
    # has stored them encrypted.
    1 * DAY_MS,
    description="Account identity and connection events (personal data; short retention).",
    personal_data=True,
)
LEGAL_REQUESTS = TopicSpec(
    "legal.requests",
    2,
    365 * DAY_MS,
    description="Verified judicial requests waiting for their legal checks (ids only: the "
    "request itself stays sealed in the database).",
    # Its events hold ids only, but a record that fails validation may hold anything (a
    # phone number typed where an id belongs): its dead letters keep no payload.
    personal_data=True,
)
LEGAL_DISCLOSURES = TopicSpec(
    "legal.disclosures",
    2,
    30 * DAY_MS,
    description="What became of each request's answer: package ready, downloaded, no data or "
    "refused (ids and counts; the package itself never travels on a topic).",
)
USER_NOTIFICATIONS = TopicSpec(
    "user.notifications",
    4,
    30 * DAY_MS,
    description="Notices for the platform to deliver to users (a platform user id and what "
    "happened: no other personal data).",
)
#: The audit chain's signed checkpoints, kept for good: an auditor's anchor outside the database.
LEGAL_AUDIT_CHECKPOINTS = TopicSpec(
    "legal.audit.checkpoints",
    1,
    -1,
    description="Signed checkpoints (size, head, time) of the legal audit chain, published "
    "every minute it grows: `crible audit verify` checks the chain against them.",
    max_message_bytes=64 * 1024,
)
#: The ledger of ``crible dlq replay``: one record per dead letter sent back (compacted, kept).
DLQ_REPLAYS = TopicSpec(
    "dlq.replays",
    1,
    -1,
    compacted=True,
    description="Which dead letters `crible dlq replay` sent back (key: dlq:partition:offset).",
)

#: Topics some service consumes: each has a dead-letter topic.
CONSUMED: tuple[TopicSpec, ...] = (
    REPORTS_SUBMITTED,
    REPORTS_ACCEPTED,
    CASES,
    SCREENING_VERDICTS,
    HASHBANKS_UPDATES,
    SURGE_SIGNALS,
    SURGE_BY_REPORTER,
    SURGE_BY_SUBJECT,
    REVIEW_DECISIONS,
    STATEMENTS_OF_REASONS,
    IDENTITY_EVENTS,
    LEGAL_REQUESTS,
)
PRODUCED_ONLY: tuple[TopicSpec, ...] = (
    ENFORCEMENT_ACTIONS,
    LEGAL_DISCLOSURES,
    USER_NOTIFICATIONS,
    LEGAL_AUDIT_CHECKPOINTS,
    DLQ_REPLAYS,
)
#: State, not events: the changelogs of faust tables (read back only to restore a table).
STATE: tuple[TopicSpec, ...] = (SURGE_SUBJECTS, SURGE_REPORTERS, SURGE_CATEGORIES)
#: Every topic the surge app reads or writes, dead-letter topics included (its tests and
#: benchmark create these under a prefix of their own).
SURGE_APP: tuple[TopicSpec, ...] = (
    REPORTS_ACCEPTED,
    REPORTS_ACCEPTED.dlq(),
    SURGE_BY_REPORTER,
    SURGE_BY_REPORTER.dlq(),
    SURGE_BY_SUBJECT,
    SURGE_BY_SUBJECT.dlq(),
    SURGE_SIGNALS,
    *STATE,
)


def all_topics() -> tuple[TopicSpec, ...]:
    """Every topic Crible declares, dead-letter topics included (one for every event topic)."""
    return _ALL


_ALL: tuple[TopicSpec, ...] = (
    CONSUMED + PRODUCED_ONLY + STATE + tuple(spec.dlq() for spec in CONSUMED + PRODUCED_ONLY)
)
_LIMITS: dict[str, int] = {spec.name: spec.max_message_bytes for spec in _ALL}


def max_message_bytes(name: str) -> int:
    """The declared ``max.message.bytes`` of a logical topic (Kafka's default if undeclared)."""
    return _LIMITS.get(name, MIB)


_PERSONAL = frozenset(spec.name for spec in _ALL if spec.personal_data)


def carries_personal_data(name: str) -> bool:
    """Whether a logical topic is declared to carry personal data."""
    return name in _PERSONAL


def largest_message_bytes() -> int:
    """The largest record any declared topic takes: the producers' request size."""
    return max(_LIMITS.values())


def wire_name(name: str, prefix: str) -> str:
    """The name of a logical topic on the cluster."""
    return prefix + name
