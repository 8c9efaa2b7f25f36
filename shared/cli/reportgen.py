"""Realistic streams of user reports, as platform back ends publish them (demo, benchmark).

Reports concentrate on few subjects (a few messages draw most reports), carry several
languages and categories, are sometimes delivered twice (same report id) and sometimes
repeated by the same reporter; a demo stream also mixes in malformed events.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shared.events import Category

LANGUAGES = ("fr", "en", "de", "es", "it", "pt-BR", "ar", "ru", "uk", "fa", "tr")
CATEGORY_WEIGHTS = {
    Category.SPAM: 30,
    Category.FRAUD: 18,
    Category.HARASSMENT: 12,
    Category.HATE_SPEECH: 10,
    Category.ILLEGAL_GOODS: 7,
    Category.IP_INFRINGEMENT: 7,
    Category.OTHER: 6,
    Category.TERRORISM: 3,
    Category.NON_CONSENSUAL_IMAGERY: 3,
    Category.SELF_HARM: 2,
    Category.CHILD_SEXUAL_ABUSE: 2,
}
EXCERPTS = (
    "Gagnez 5000 EUR par semaine, cliquez ici",
    "Crypto airdrop, send 0.1 BTC to receive 1 BTC",
    "Buy followers cheap, DM now",
    "Je sais où tu habites",
    "Stream the final live in HD, free link",
    "Pills without prescription, discreet delivery",
)

MALFORMED: tuple[bytes, ...] = (
    b"\xff\xfe not utf-8 at all",
    b'{"schema_version": 1, "report_id": ',  # truncated JSON
    b'{"schema_version": 1, "report_id": "r-bad", "category": "not-a-category"}',
    b"[1, 2, 3]",
)


def subject_key(subject: dict[str, Any]) -> str:
    """The Kafka key platform back ends are asked to use for a report: its subject.

    All reports on one subject then reach the same partition, hence the same ingest lane,
    and concurrent workers never wait on each other's case locks.
    """
    if subject.get("chat_id") is not None:
        return f"{subject['kind']}:{subject['chat_id']}:{subject['id']}"
    return f"{subject['kind']}:{subject['id']}"


#: The sample banks ``crible demo`` loads (JSON bank files, format in the README).
DEMO_BANKS = Path(__file__).resolve().parents[2] / "deploy" / "prescreen" / "banks"


def demo_banks() -> list[dict[str, Any]]:
    """The sample bank files' contents (definition and hashes)."""
    return [json.loads(path.read_text()) for path in sorted(DEMO_BANKS.glob("*.json"))]


class ReportStream:
    """A seeded generator of report payloads (JSON bytes) and their Kafka keys."""

    def __init__(
        self,
        *,
        seed: int = 7,
        subjects: int = 2000,
        reporters: int = 50_000,
        namespace: str = "",
        known_media: list[dict[str, Any]] = (),  # type: ignore[assignment]
    ) -> None:
        self._rng = random.Random(seed)  # noqa: S311 - test data, not secrets
        self._ns = namespace
        self._subjects = subjects
        self._reporters = reporters
        self._categories = list(CATEGORY_WEIGHTS)
        self._weights = list(CATEGORY_WEIGHTS.values())
        self._start = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
        self._serial = 0
        # Media of the demo's block banks, by category: some reports carry them (exact, or a
        # PDQ hash a few bits away, as a re-encoded copy would be).
        self._known: dict[str, list[dict[str, Any]]] = {}
        for bank in known_media:
            if bank["bank"].get("kind", "block") == "block" and bank["bank"].get("category"):
                self._known.setdefault(bank["bank"]["category"], []).extend(bank["hashes"])

    def report(self) -> dict[str, Any]:
        """One new, valid report."""
        rng = self._rng
        self._serial += 1
        # Skewed popularity: a few subjects draw many reports, most draw one or two.
        subject_no = int(self._subjects * rng.random() ** 3)
        kind = ("message", "message", "message", "user", "group", "channel")[subject_no % 6]
        subject: dict[str, Any] = {"kind": kind, "id": f"{self._ns}{kind[0]}{subject_no}"}
        if kind == "message":
            subject["chat_id"] = f"{self._ns}chat{subject_no % 97}"
        category = self._categories[subject_no % len(self._categories)]
        if rng.random() < 0.15:
            category = rng.choices(self._categories, self._weights)[0]
        report: dict[str, Any] = {
            "schema_version": 1,
            "report_id": f"{self._ns}r{self._serial:09d}-{rng.getrandbits(32):08x}",
            "reported_at": (self._start + timedelta(milliseconds=self._serial * 3)).isoformat(),
            "reporter_id": f"u{rng.randrange(self._reporters)}",
            "reporter_language": rng.choice(LANGUAGES),
            "subject": subject,
            "category": category.value,
        }
        if rng.random() < 0.4:
            report["text"] = rng.choice(EXCERPTS)
        if rng.random() < 0.5:
            digest = hashlib.sha256(f"media{subject_no}".encode()).hexdigest()
            report["evidence"] = {
                "message_excerpt": rng.choice(EXCERPTS),
                "media": [{"sha256": digest, "md5": digest[:32]}] if rng.random() < 0.5 else [],
                "urls": [f"https://example.invalid/{subject_no}"] if rng.random() < 0.3 else [],
            }
        known = self._known.get(category.value)
        if known and rng.random() < 0.6:
            report.setdefault("evidence", {"media": []})["media"] = [self._known_media(known)]
        return report

    def _known_media(self, known: list[dict[str, Any]]) -> dict[str, Any]:
        entry = self._rng.choice(known)
        if entry["algorithm"] != "pdq":
            return {entry["algorithm"]: entry["hash"]}
        value = int(entry["hash"], 16)
        for bit in self._rng.sample(range(256), self._rng.randrange(0, 20)):
            value ^= 1 << bit
        return {"pdq": f"{value:064x}", "pdq_quality": 90}

    def payloads(
        self, count: int, *, duplicate_rate: float = 0.05
    ) -> Iterator[tuple[bytes, bytes]]:
        """``count`` (key, value) pairs; some are redeliveries of an earlier report."""
        recent: list[tuple[bytes, bytes]] = []
        for _ in range(count):
            if recent and self._rng.random() < duplicate_rate:
                yield self._rng.choice(recent)
                continue
            report = self.report()
            pair = (subject_key(report["subject"]).encode(), json.dumps(report).encode())
            recent.append(pair)
            if len(recent) > 500:
                recent.pop(0)
            yield pair
