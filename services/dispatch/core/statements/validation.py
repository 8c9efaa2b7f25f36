"""Validating a statement as the Transparency Database would, and a little stricter.

``validate_statement`` is stricter than the server in a few places, on purpose: whatever the
server would silently drop or only the docs require is reported, so that a statement we send
always says what we meant. Texts are trimmed as the server trims them before they are
counted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Annotated, Any, Final, Literal, get_args
from urllib.parse import urlsplit

from annotated_types import MinLen
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, ValidationError
from pydantic_core import ErrorDetails

from services.dispatch.core.statements.format import (
    KEYWORDS_BY_CATEGORY,
    LANGUAGES,
    UNGROUPED_KEYWORDS,
    AccountType,
    AutomatedDecision,
    ContentType,
    CountryCode,
    DecisionAccount,
    DecisionGround,
    DecisionMonetary,
    DecisionProvision,
    DecisionVisibility,
    Keyword,
    SourceType,
    StatementCategory,
    YesNo,
)

# --- Field types -------------------------------------------------------------------------------

_LAST_DATE: Final = date(2038, 1, 1)
_YMD = re.compile(r"\d{4}-\d{2}-\d{2}")


#: What the server trims from both ends of every string before validating it (Laravel's
#: ``TrimStrings``, ``Str::trim``: PCRE's ``\s`` in Unicode mode, NUL, and the zero-width no-break
#: space, zero-width space and left-to-right mark), then turning "" into null.
_SERVER_TRIMMED: Final = (
    "\x00\t\n\x0b\x0c\r \x85\xa0\u1680\u180e\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff\u200b\u200e"
)


def server_trim(value: str) -> str:
    """``value`` as the server validates it: trimmed of whitespace and zero-width characters."""
    return value.strip(_SERVER_TRIMMED)


def _not_blank(value: str) -> str:
    # The server trims input and turns "" into null, so blank text counts as absent.
    if not server_trim(value):
        raise ValueError("must not be blank")
    return value


def _within(limit: int) -> Callable[[str], str]:
    # The server counts characters after trimming.
    def check(value: str) -> str:
        if len(server_trim(value)) > limit:
            raise ValueError(f"must be at most {limit} characters once trimmed")
        return _not_blank(value)

    return check


def _parse_ymd(value: str) -> date:
    # PHP's date_format:Y-m-d wants exactly four-two-two digits, zero-padded, and a real day.
    if not _YMD.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a real calendar date (YYYY-MM-DD)") from None


def _date_between(first: date, last: date) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not first <= _parse_ymd(value) <= last:
            raise ValueError(f"must be from {first} to {last}")
        return value

    return check


def _end_date(value: str) -> str:
    # Blank means an indefinite restriction.
    if server_trim(value) and _parse_ymd(value) > _LAST_DATE:
        raise ValueError(f"must be no later than {_LAST_DATE}")
    return value


def _url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or re.search(r"\s", value):
        raise ValueError("must be a valid http(s) URL")
    return value


def _language(value: str) -> str:
    if value not in LANGUAGES:
        raise ValueError("must be an uppercase ISO 639-1 language code")
    return value


Text500 = Annotated[str, AfterValidator(_within(500))]
Text2000 = Annotated[str, AfterValidator(_within(2000))]
Text5000 = Annotated[str, AfterValidator(_within(5000))]
Url500 = Annotated[str, StringConstraints(max_length=500), AfterValidator(_url)]
Puid = Annotated[str, StringConstraints(max_length=500, pattern=r"^[a-zA-Z0-9_-]+$")]
Ean13 = Annotated[str, StringConstraints(pattern=r"^[0-9]{13}$")]
Language = Annotated[str, AfterValidator(_language)]
ContentDate = Annotated[str, AfterValidator(_date_between(date(2000, 1, 1), _LAST_DATE))]
ApplicationDate = Annotated[str, AfterValidator(_date_between(date(2020, 1, 1), _LAST_DATE))]
EndDate = Annotated[str, AfterValidator(_end_date)]


class StatementOfReasons(BaseModel):
    """One statement, field for field as the Transparency Database API takes it.

    Types, enums and lengths only; the rules between fields live in ``validate_statement``.
    ``territorial_scope`` is required as the docs say, though the server accepts it missing.
    """

    # Strict: the server takes enum values and "Yes"/"No" as strings, never booleans.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    decision_visibility: Annotated[list[DecisionVisibility], MinLen(1)] | None = None
    decision_visibility_other: Text500 | None = None
    decision_monetary: DecisionMonetary | None = None
    decision_monetary_other: Text500 | None = None
    decision_provision: DecisionProvision | None = None
    decision_account: DecisionAccount | None = None
    account_type: AccountType | None = None
    decision_facts: Text5000
    decision_ground: DecisionGround
    decision_ground_reference_url: Url500 | None = None
    illegal_content_legal_ground: Text500 | None = None
    illegal_content_explanation: Text2000 | None = None
    incompatible_content_ground: Text500 | None = None
    incompatible_content_explanation: Text2000 | None = None
    incompatible_content_illegal: YesNo | None = None
    content_type: Annotated[list[ContentType], MinLen(1)]
    content_type_other: Text500 | None = None
    category: StatementCategory
    category_addition: list[StatementCategory] | None = None
    category_specification: list[Keyword] | None = None
    category_specification_other: Text500 | None = None
    content_id: dict[Literal["EAN-13"], Ean13] | None = None
    territorial_scope: list[CountryCode]
    content_language: Language | None = None
    content_date: ContentDate
    application_date: ApplicationDate
    end_date_account_restriction: EndDate | None = None
    end_date_monetary_restriction: EndDate | None = None
    end_date_service_restriction: EndDate | None = None
    end_date_visibility_restriction: EndDate | None = None
    source_type: SourceType
    source_identity: Text500 | None = None
    automated_detection: YesNo
    automated_decision: AutomatedDecision
    puid: Puid


# --- Validation --------------------------------------------------------------------------------

_DECISIONS = ("decision_visibility", "decision_monetary", "decision_provision", "decision_account")
_END_DATES = (
    "end_date_account_restriction",
    "end_date_monetary_restriction",
    "end_date_service_restriction",
    "end_date_visibility_restriction",
)
_ILLEGAL_FIELDS = ("illegal_content_legal_ground", "illegal_content_explanation")
_INCOMPATIBLE_FIELDS = ("incompatible_content_ground", "incompatible_content_explanation")
_KNOWN_KEYWORDS: Final[frozenset[str]] = frozenset(get_args(Keyword))
_KEYWORDS_OF: Final[dict[str, frozenset[str]]] = dict(KEYWORDS_BY_CATEGORY.items())


def validate_statement(data: Mapping[str, Any]) -> list[str]:
    """Every way ``data`` breaks the format, as ``"<field>: <problem>"``; empty when valid.

    Besides what the server enforces, this reports what it would silently drop (a ``*_other``
    text without its OTHER value, a ground's text under the other ground, a source identity of
    a voluntary action, ``category_specification_other`` without ``KEYWORD_OTHER`` on the batch
    endpoint), a missing ``territorial_scope`` (required by the docs), end dates before the
    application date (the docs forbid it, the server does not check), and keywords outside the
    groups of the statement's categories.
    """
    if not isinstance(data, Mapping):
        return ["statement: must be a JSON object"]
    return _field_errors(data) + _cross_field_errors(data)


def _field_errors(data: Mapping[str, Any]) -> list[str]:
    try:
        StatementOfReasons.model_validate(data)
    except ValidationError as exc:
        return [_describe(error) for error in exc.errors()]
    return []


_PATTERN_HINTS: Final = {
    "puid": "may only hold the characters a-z, A-Z, 0-9, '-' and '_'",
    "content_id": "must be exactly 13 digits",
}


def _describe(error: ErrorDetails) -> str:
    """``"<field>: <problem>"``, naming the item or key inside a list or an object."""
    field, *inner = error["loc"] or ("statement",)
    where = "".join(
        f"item {part}: " if isinstance(part, int) else f"{part!r}: "
        for part in inner
        if part != "[key]"
    )
    match error["type"]:
        case "missing":
            problem = "is required"
        case "extra_forbidden":
            problem = "is not a field of the statement format"
        case "literal_error":
            problem = f"{error['input']!r} is not an allowed value"
        case "string_pattern_mismatch":
            problem = _PATTERN_HINTS.get(str(field), error["msg"])
        case "value_error":
            # Our own validators' messages, without pydantic's "Value error, " prefix.
            problem = str(error["ctx"]["error"])
        case _:
            problem = error["msg"]
    return f"{field}: {where}{problem}"


def _given(value: object) -> bool:
    """Whether the server would see a value: null, blank text and empty lists count as absent."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(server_trim(value))
    if isinstance(value, list | dict):
        return bool(value)
    return True


def _contains(data: Mapping[str, Any], field: str, value: str) -> bool:
    got = data.get(field)
    return got == value or (isinstance(got, list) and value in got)


def _cross_field_errors(data: Mapping[str, Any]) -> list[str]:
    return [
        *_decision_errors(data),
        *_other_text_errors(data),
        *_ground_errors(data),
        *_keyword_errors(data),
        *_date_order_errors(data),
        *_source_errors(data),
    ]


def _decision_errors(data: Mapping[str, Any]) -> list[str]:
    if any(_given(data.get(field)) for field in _DECISIONS):
        return []
    return [f"decision: at least one of {', '.join(_DECISIONS)} is required"]


def _other_text_errors(data: Mapping[str, Any]) -> list[str]:
    errors = []
    for choice, other_value, text in (
        ("decision_visibility", "DECISION_VISIBILITY_OTHER", "decision_visibility_other"),
        ("decision_monetary", "DECISION_MONETARY_OTHER", "decision_monetary_other"),
        ("content_type", "CONTENT_TYPE_OTHER", "content_type_other"),
    ):
        chosen = _contains(data, choice, other_value)
        if chosen and not _given(data.get(text)):
            errors.append(f"{text}: is required when {choice} is {other_value}")
        elif not chosen and _given(data.get(text)):
            errors.append(f"{text}: is only kept when {choice} is {other_value}")
    return errors


def _ground_errors(data: Mapping[str, Any]) -> list[str]:
    ground = data.get("decision_ground")
    required: tuple[str, ...]
    dropped: tuple[str, ...]
    if ground == "DECISION_GROUND_ILLEGAL_CONTENT":
        required, dropped = _ILLEGAL_FIELDS, (*_INCOMPATIBLE_FIELDS, "incompatible_content_illegal")
    elif ground == "DECISION_GROUND_INCOMPATIBLE_CONTENT":
        required, dropped = _INCOMPATIBLE_FIELDS, _ILLEGAL_FIELDS
    else:
        return []  # a missing or unknown ground is already reported by the field check
    errors = [
        f"{f}: is required when decision_ground is {ground}"
        for f in required
        if not _given(data.get(f))
    ]
    errors += [
        f"{f}: is only kept with the other decision ground" for f in dropped if _given(data.get(f))
    ]
    return errors


def _keyword_errors(data: Mapping[str, Any]) -> list[str]:
    keywords = data.get("category_specification")
    keywords = keywords if isinstance(keywords, list) else []
    errors = []
    if _given(data.get("category_specification_other")) and "KEYWORD_OTHER" not in keywords:
        errors.append(
            "category_specification_other: is only kept when category_specification has"
            " KEYWORD_OTHER"
        )
    categories = [data.get("category")]
    additions = data.get("category_addition")
    if isinstance(additions, list):
        categories += additions
    allowed: set[str] = set(UNGROUPED_KEYWORDS)
    for category in categories:
        if isinstance(category, str):
            allowed |= _KEYWORDS_OF.get(category, frozenset())
    errors += [
        f"category_specification: {k} belongs to none of the statement's categories"
        for k in keywords
        if isinstance(k, str) and k in _KNOWN_KEYWORDS and k not in allowed
    ]
    return errors


def _date_order_errors(data: Mapping[str, Any]) -> list[str]:
    applied = _date_or_none(data.get("application_date"))
    if applied is None:
        return []
    return [
        f"{field}: must not be before application_date"
        for field in _END_DATES
        if (end := _date_or_none(data.get(field))) is not None and end < applied
    ]


def _date_or_none(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return _parse_ymd(value)
    except ValueError:
        return None


def _source_errors(data: Mapping[str, Any]) -> list[str]:
    if data.get("source_type") == "SOURCE_VOLUNTARY" and _given(data.get("source_identity")):
        return ["source_identity: is dropped when source_type is SOURCE_VOLUNTARY"]
    return []
