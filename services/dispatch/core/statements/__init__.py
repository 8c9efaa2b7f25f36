"""Statements of reasons (DSA art. 17 and 24(5)) in the EU Transparency Database's format.

``format`` holds the format's enums and codes, ``validation`` checks a statement as the server
would (a little stricter), ``building`` makes one from a decision's facts, and ``wording``
writes Crible's standard wording from a restriction and the catalogue's reason. Submitting
them is ``handlers/statements.py`` over ``adapters/sor_http.py``.
"""

from services.dispatch.core.statements.building import (
    CATEGORY_MAP,
    DecisionFacts,
    IllegalContent,
    IncompatibleContent,
    InvalidStatementError,
    build_statement,
    puid_for,
)
from services.dispatch.core.statements.format import (
    EEA_COUNTRIES,
    EU_COUNTRIES,
    KEYWORDS_BY_CATEGORY,
    LANGUAGES,
    UNGROUPED_KEYWORDS,
    ContentType,
    CountryCode,
    Keyword,
    StatementCategory,
)
from services.dispatch.core.statements.validation import (
    StatementOfReasons,
    server_trim,
    validate_statement,
)
from services.dispatch.core.statements.wording import (
    AUTOMATIC_OUTCOME,
    Restriction,
    statement_of,
)

__all__ = [
    "AUTOMATIC_OUTCOME",
    "CATEGORY_MAP",
    "EEA_COUNTRIES",
    "EU_COUNTRIES",
    "KEYWORDS_BY_CATEGORY",
    "LANGUAGES",
    "UNGROUPED_KEYWORDS",
    "ContentType",
    "CountryCode",
    "DecisionFacts",
    "IllegalContent",
    "IncompatibleContent",
    "InvalidStatementError",
    "Keyword",
    "Restriction",
    "StatementCategory",
    "StatementOfReasons",
    "build_statement",
    "puid_for",
    "server_trim",
    "statement_of",
    "validate_statement",
]
