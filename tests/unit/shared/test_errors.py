"""What a failure means: outages retried, configuration errors fatal, bad input isolated."""

from __future__ import annotations

import asyncpg
import pytest
from aiokafka import errors as kafka_errors
from pydantic import ValidationError

from shared.events import ReportSubmitted
from shared.runtime.errors import (
    ConfigurationError,
    Fault,
    PublishError,
    RecordTooLargeError,
    classify,
    describe_error,
)


def postgres_error(sqlstate: str) -> asyncpg.PostgresError:
    error = asyncpg.PostgresError.new({"C": sqlstate, "M": 'value "0612345678" is odd'})
    assert isinstance(error, asyncpg.PostgresError)
    return error


@pytest.mark.parametrize(
    ("sqlstate", "fault"),
    [
        ("25006", Fault.TRANSIENT),  # read-only transaction: failover
        ("25P03", Fault.TRANSIENT),  # idle-in-transaction timeout
        ("55P03", Fault.TRANSIENT),  # lock timeout
        ("40001", Fault.TRANSIENT),  # serialization failure
        ("40P01", Fault.TRANSIENT),  # deadlock
        ("57P01", Fault.TRANSIENT),  # admin shutdown
        ("08006", Fault.TRANSIENT),  # connection failure
        ("53300", Fault.TRANSIENT),  # too many connections
        ("42P01", Fault.FATAL),  # undefined table: migrations not applied
        ("42501", Fault.FATAL),  # insufficient privilege
        ("28P01", Fault.FATAL),  # wrong password
        ("22P02", Fault.MESSAGE),  # invalid text representation
        ("23505", Fault.MESSAGE),  # unique violation
        ("57014", Fault.AMBIGUOUS),  # statement timeout
        ("XX000", Fault.AMBIGUOUS),  # internal error
    ],
)
def test_postgres_errors_by_sqlstate(sqlstate: str, fault: Fault) -> None:
    assert classify(postgres_error(sqlstate)) is fault


@pytest.mark.parametrize(
    ("error", "fault"),
    [
        (kafka_errors.KafkaConnectionError(), Fault.TRANSIENT),
        (kafka_errors.NotLeaderForPartitionError(), Fault.TRANSIENT),
        (kafka_errors.RequestTimedOutError(), Fault.TRANSIENT),
        (kafka_errors.KafkaTimeoutError(), Fault.TRANSIENT),
        (kafka_errors.MessageSizeTooLargeError(), Fault.MESSAGE),
        (kafka_errors.TopicAuthorizationFailedError(), Fault.FATAL),
        (kafka_errors.IllegalStateError(), Fault.AMBIGUOUS),
        (asyncpg.InterfaceError("connection is closed"), Fault.AMBIGUOUS),
        (asyncpg.exceptions._base.DataError("invalid input for query argument"), Fault.MESSAGE),
        (ConnectionRefusedError(), Fault.TRANSIENT),
        (TimeoutError(), Fault.TRANSIENT),
        (ConfigurationError("no table"), Fault.FATAL),
        (RecordTooLargeError(topic="cases", size=2, limit=1), Fault.MESSAGE),
        (KeyError("x"), Fault.MESSAGE),
        (PublishError([], kafka_errors.KafkaConnectionError()), Fault.TRANSIENT),
    ],
)
def test_other_errors(error: BaseException, fault: Fault) -> None:
    assert classify(error) is fault


def test_descriptions_never_echo_values() -> None:
    assert "0612345678" not in describe_error(postgres_error("22P02"))
    assert describe_error(postgres_error("22P02")) == (
        "InvalidTextRepresentationError (SQLSTATE 22P02)"
    )
    assert describe_error(KeyError("+33612345678")) == "KeyError"


def test_a_field_name_the_sender_invented_is_not_repeated() -> None:
    with pytest.raises(ValidationError) as caught:
        ReportSubmitted.model_validate_json(b'{"schema_version": 1, "+33612345678": 1}')

    reason = describe_error(caught.value)

    assert "+33612345678" not in reason
    assert "<unexpected field>: Extra inputs are not permitted" in reason
    assert "report_id: Field required" in reason
