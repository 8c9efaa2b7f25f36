"""How prescreen reads a case event: strict on what identifies the case, lenient on evidence.

The ``cases`` contract is strict, but a screener must still screen a case whose evidence it
cannot use (a malformed hash from another producer, an oversized excerpt): the fields it
cannot use are reported in the verdict instead of sending the whole case to the DLQ.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.prescreen.core.model import CaseInput, MediaItem, TextItem
from shared.events import Category, Subject


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)


class LooseEvidence(_Loose):
    """Evidence as sent: the screeners decide what of it they can use."""

    message_excerpt: Any = None
    media: list[dict[str, Any]] | None = None
    urls: list[Any] | None = None


class LooseReport(_Loose):
    """A report as carried by a case event."""

    report_id: str
    reporter_language: Any = None
    text: Any = None
    evidence: LooseEvidence | None = None


class CaseToScreen(_Loose):
    """A ``cases`` event as prescreen reads it."""

    schema_version: int = Field(ge=1, le=1)
    event_id: UUID
    case_id: UUID
    revision: int = Field(ge=1)
    subject: Subject
    category: Category
    report_count: int = Field(ge=1)
    reporter_count: int = Field(ge=1)
    reporter_languages: tuple[str, ...] = ()
    new_reports: tuple[LooseReport, ...] = ()
    occurred_at: AwareDatetime

    def to_input(self) -> CaseInput:
        """What the screeners see of this case revision."""
        texts: list[TextItem] = []
        media: list[MediaItem] = []
        urls: list[str] = []
        for report in self.new_reports:
            language = _text(report.reporter_language)
            if (text := _text(report.text)) is not None:
                texts.append(TextItem("report", text, language))
            evidence = report.evidence
            if evidence is None:
                continue
            if (excerpt := _text(evidence.message_excerpt)) is not None:
                texts.append(TextItem("excerpt", excerpt, None))
            media.extend(_media(item) for item in evidence.media or ())
            # A link that is not a string stays in the list as one the screener cannot use.
            urls.extend(u if isinstance(u, str) else "" for u in evidence.urls or ())
        return CaseInput(
            case_id=str(self.case_id),
            revision=self.revision,
            category=self.category,
            texts=tuple(texts),
            media=tuple(media),
            urls=tuple(dict.fromkeys(urls)),
            report_count=self.report_count,
            reporter_count=self.reporter_count,
            languages=self.reporter_languages,
        )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _media(item: dict[str, Any]) -> MediaItem:
    def hex_field(name: str) -> str | None:
        value = item.get(name)
        # a value of the wrong type is kept as a malformed hash so that the screener says so
        return None if value is None else value if isinstance(value, str) else "?"

    quality = item.get("pdq_quality")
    variants = item.get("pdq_dihedral")
    return MediaItem(
        sha256=hex_field("sha256"),
        md5=hex_field("md5"),
        pdq=hex_field("pdq"),
        pdq_quality=quality if isinstance(quality, int) and not isinstance(quality, bool) else None,
        pdq_dihedral=tuple(v if isinstance(v, str) else "?" for v in (variants or ())[:7])
        if isinstance(variants, list)
        else (),
    )
