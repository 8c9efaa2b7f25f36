"""The base of every event model, and the small constrained types they share."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

#: An opaque identifier issued by the platform (account, chat, message, report).
PlatformId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")
]
#: Text the database can store: any character but U+0000, which PostgreSQL's text and jsonb
#: refuse (lone surrogates are refused by the JSON parser already). Every free-text field of
#: a contract is one, so such a record is refused before a handler sees it.
NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, StringConstraints(pattern=NO_NUL)]
#: A BCP 47 language tag such as ``fr`` or ``pt-BR``.
LanguageTag = Annotated[
    str, StringConstraints(min_length=2, max_length=35, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
]


class Event(BaseModel):
    """A message on a Crible topic: strict types, no unknown fields, immutable."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)
