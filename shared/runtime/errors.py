"""What a failure means for the pipeline: retry it, stop the worker, or blame a message.

Every exception the runtime meets is sorted into one :class:`Fault` before anything is
retried or dead-lettered, so that an outage never floods a dead-letter topic and a bad
message never stalls a partition:

- ``TRANSIENT``: the infrastructure is unavailable for a while (connection lost, broker
  leader moving, database failover to a read-only node, lock or idle timeouts). Retried with
  capped exponential back-off for as long as it lasts; never dead-lettered.
- ``FATAL``: the deployment is wrong (a missing table because ``crible migrate`` did not run,
  a privilege or credential missing, a malformed statement). Retrying cannot help and every
  message would fail the same way: the worker stops with a clear log and commits nothing.
- ``AMBIGUOUS``: could be either (an unexpected client state, a statement timeout). Retried a
  few times, then treated like a message fault: the batch is split to find out.
- ``MESSAGE``: something in the records made the handler fail (a data error, a constraint,
  a bug triggered by one input). The batch is split; a record that fails alone while the
  records beside it succeed is dead-lettered.

Error texts that leave the process (dead-letter headers, logs) never carry a field's value
or a key chosen by the sender: :func:`describe_error` keeps only what is safe.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import asyncpg
from aiokafka import errors as kafka_errors
from pydantic import ValidationError


class Fault(StrEnum):
    """How the runtime treats a failure."""

    TRANSIENT = "transient"
    FATAL = "fatal"
    AMBIGUOUS = "ambiguous"
    MESSAGE = "message"


class StopRequestedError(Exception):
    """Raised inside a retry loop when the process is asked to stop."""


class RecordTooLargeError(Exception):
    """An outgoing record would exceed its topic's ``max.message.bytes``.

    Raised before the transaction commits, so the input that produced it is dead-lettered
    once with this reason instead of the publisher retrying a send the broker must refuse.
    """

    def __init__(self, *, topic: str, size: int, limit: int) -> None:
        super().__init__(f"a record of {size} bytes for {topic} exceeds its limit of {limit}")


class RefusedError(Exception):
    """A handler refused one record on purpose (``Handled.refused``); dead-lettered at once.

    Its reason is written by the handler, which keeps it free of the record's values, and
    goes to the dead-letter headers as it is.
    """


class ConfigurationError(Exception):
    """The deployment cannot work as configured; the worker stops rather than retry."""


class PublishError(Exception):
    """Some records were not acknowledged; ``remaining`` are the ones to send again."""

    def __init__(self, remaining: list[Any], cause: BaseException) -> None:
        super().__init__(f"{len(remaining)} record(s) not acknowledged: {type(cause).__name__}")
        self.remaining = remaining
        self.cause = cause


#: PostgreSQL error classes (the first two characters of SQLSTATE) and what they mean here.
_SQLSTATE_CLASSES: dict[str, Fault] = {
    "08": Fault.TRANSIENT,  # connection exception
    "22": Fault.MESSAGE,  # data exception
    "23": Fault.MESSAGE,  # integrity constraint violation
    "28": Fault.FATAL,  # invalid authorization
    "3D": Fault.FATAL,  # invalid catalog (database) name
    "3F": Fault.FATAL,  # invalid schema name
    "40": Fault.TRANSIENT,  # serialization failure, deadlock
    "42": Fault.FATAL,  # undefined table/column/function, insufficient privilege, syntax
    "53": Fault.TRANSIENT,  # insufficient resources (connections, memory, disk)
    "58": Fault.TRANSIENT,  # system error (I/O)
}
_SQLSTATES: dict[str, Fault] = {
    "25006": Fault.TRANSIENT,  # read-only transaction: a failover in progress
    "25P03": Fault.TRANSIENT,  # idle-in-transaction timeout
    "55P03": Fault.TRANSIENT,  # lock not available (lock_timeout)
    "55006": Fault.TRANSIENT,  # object in use
    "57P01": Fault.TRANSIENT,  # admin shutdown
    "57P02": Fault.TRANSIENT,  # crash shutdown
    "57P03": Fault.TRANSIENT,  # cannot connect now (starting up)
    "57P05": Fault.TRANSIENT,  # idle session timeout
    "57014": Fault.AMBIGUOUS,  # query canceled (statement_timeout): load, or a huge input
}

#: Kafka errors that no retry can fix, whatever aiokafka's ``retriable`` says.
_KAFKA_FATAL: tuple[type[BaseException], ...] = (
    kafka_errors.TopicAuthorizationFailedError,
    kafka_errors.GroupAuthorizationFailedError,
    kafka_errors.ClusterAuthorizationFailedError,
    kafka_errors.UnsupportedVersionError,
    kafka_errors.InvalidTopicError,
)
#: Kafka errors caused by one record's size or contents: the record, not the broker.
KAFKA_RECORD_ERRORS: tuple[type[BaseException], ...] = (
    kafka_errors.MessageSizeTooLargeError,
    kafka_errors.RecordTooLargeError,
    kafka_errors.RecordListTooLargeError,
    kafka_errors.CorruptRecordException,
)


def classify(error: BaseException) -> Fault:
    """Sort ``error`` into the :class:`Fault` that decides what the runtime does next."""
    if isinstance(error, PublishError):
        return classify(error.cause)
    if isinstance(error, asyncpg.PostgresError):
        return _classify_postgres(error)
    if isinstance(error, kafka_errors.KafkaError):
        return _classify_kafka(error)
    for kinds, fault in _BY_TYPE:
        if isinstance(error, kinds):
            return fault
    return Fault.MESSAGE


#: Exceptions that are neither PostgreSQL's nor Kafka's, in the order they are tested.
_BY_TYPE: tuple[tuple[tuple[type[BaseException], ...], Fault], ...] = (
    ((ConfigurationError,), Fault.FATAL),
    ((RecordTooLargeError, RefusedError, ValidationError), Fault.MESSAGE),
    # A value the client could not encode for its column.
    ((asyncpg.exceptions._base.DataError,), Fault.MESSAGE),
    # "connection is closed", "cannot switch to state": mostly a killed connection,
    # sometimes a bug; a few retries tell them apart.
    ((asyncpg.InterfaceError, asyncpg.exceptions.InternalClientError), Fault.AMBIGUOUS),
    ((OSError, TimeoutError), Fault.TRANSIENT),
)


def _classify_postgres(error: asyncpg.PostgresError) -> Fault:
    sqlstate = str(getattr(error, "sqlstate", "") or "")
    exact = _SQLSTATES.get(sqlstate)
    if exact is not None:
        return exact
    return _SQLSTATE_CLASSES.get(sqlstate[:2], Fault.AMBIGUOUS)


def _classify_kafka(error: kafka_errors.KafkaError) -> Fault:
    if isinstance(error, _KAFKA_FATAL):
        return Fault.FATAL
    if isinstance(error, KAFKA_RECORD_ERRORS):
        return Fault.MESSAGE
    if getattr(error, "retriable", False) or isinstance(
        error, kafka_errors.KafkaConnectionError | kafka_errors.KafkaTimeoutError
    ):
        return Fault.TRANSIENT
    return Fault.AMBIGUOUS


def record_at_fault(error: BaseException) -> bool:
    """Whether ``error`` is the record's own fault whatever its neighbours do.

    True of an outgoing event too large for its topic and of a value the database cannot
    store (PostgreSQL's data exceptions, SQLSTATE class 22: a character it cannot hold, a
    number out of range; or a value the client cannot encode). Such a record is
    dead-lettered even when it is alone in its batch: no outage makes it fail that way.
    """
    if isinstance(error, RecordTooLargeError | asyncpg.exceptions._base.DataError):
        return True
    if isinstance(error, UnicodeEncodeError):
        return True
    if isinstance(error, asyncpg.PostgresError):
        return str(getattr(error, "sqlstate", "") or "").startswith("22")
    return False


def describe_error(error: BaseException) -> str:
    """A reason a platform engineer can act on, without echoing the message's content.

    Validation errors name the failing field and the rule, never the input, and a field
    name the sender invented is not repeated (it could be anything, a phone number too).
    PostgreSQL errors give their class and SQLSTATE, as their text may quote a value.
    Other exceptions give their class only, unless they are the runtime's own.
    """
    if isinstance(error, ValidationError):
        problems = []
        for problem in error.errors(include_url=False, include_input=False, include_context=False):
            location = [str(part) for part in problem["loc"]]
            if problem["type"] == "extra_forbidden" and location:
                location[-1] = "<unexpected field>"
            message = problem["msg"] if problem["type"] != "value_error" else "invalid value"
            problems.append(f"{'.'.join(location) or '<root>'}: {message}")
        text = f"{error.error_count()} validation error(s) for {error.title}: " + "; ".join(
            problems
        )
    elif isinstance(error, RecordTooLargeError | ConfigurationError | RefusedError):
        text = f"{type(error).__name__}: {error}"
    elif isinstance(error, asyncpg.PostgresError):
        text = f"{type(error).__name__} (SQLSTATE {getattr(error, 'sqlstate', '?')})"
    elif isinstance(error, UnicodeDecodeError):
        text = f"UnicodeDecodeError: invalid {error.encoding} at byte {error.start}"
    elif isinstance(error, ValueError) and type(error).__name__ == "JSONDecodeError":
        text = "JSONDecodeError: the value is not valid JSON"
    else:
        text = type(error).__name__
    return text[:1000]
