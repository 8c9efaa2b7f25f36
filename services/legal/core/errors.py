"""Why a step on a request cannot be taken: domain errors, each with a stable code.

Handlers raise them; the HTTP adapter maps each kind to a status (``adapters/http``). The
message never holds a personal value.
"""

from __future__ import annotations


class LegalError(Exception):
    """A step refused, with a stable ``code`` shown to the caller and counted."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class UnknownRequestError(LegalError):
    """No request has this id."""

    def __init__(self) -> None:
        super().__init__("unknown_request", "no such request")


class StepConflictError(LegalError):
    """The request is not in a state where this step can be taken."""


class InvalidStepError(LegalError):
    """The step as asked is not valid (a narrowing that widens, a scope the law refuses)."""


class NotAllowedError(LegalError):
    """The person may not take this step (the two-person rule, a missing role)."""
