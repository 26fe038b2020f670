"""Errors cross Temporal as typed ApplicationErrors and come back as the same Arvo errors,
rebuilt from type and fields, never from message text."""

from __future__ import annotations

import pytest
from temporalio.exceptions import ApplicationError

from arvo_temporal.errors import (
    ArvoEventValidationError,
    ConfigViolation,
    ContractViolation,
    ExecutionClosedError,
    ExecutionViolation,
    TransactionCause,
    TransactionViolation,
    ViolationError,
)
from arvo_temporal.temporal._errors import error_from_failure, failure_for, failure_type

EXAMPLES = [
    ConfigViolation("no such version", metadata={"version": "9.9.9"}),
    ContractViolation("data.a: not a number"),
    ExecutionViolation("bad parentSubject$$"),
    TransactionViolation("held elsewhere", cause=TransactionCause.LOCK_UNACQUIRED),
    ExecutionClosedError("c3ViamVjdA==", workflow_id="arvo.orc.x/1/abc"),
]


@pytest.mark.parametrize("error", EXAMPLES, ids=lambda error: type(error).__name__)
def test_each_error_comes_back_as_itself(error):
    failure = failure_for(error)
    assert failure.type == type(error).__name__ and failure.non_retryable
    # The message is not what the client reads: change it and the error is rebuilt the same.
    garbled = ApplicationError("garbled", *failure.details, type=failure.type)
    rebuilt = error_from_failure(garbled)
    assert type(rebuilt) is type(error) and str(rebuilt) == str(error)
    if isinstance(error, ViolationError):
        assert rebuilt.metadata == error.metadata  # type: ignore[attr-defined]
    if isinstance(error, TransactionViolation):
        assert rebuilt.cause == error.cause  # type: ignore[attr-defined]
    if isinstance(error, ExecutionClosedError):
        assert (rebuilt.subject, rebuilt.workflow_id) == (error.subject, error.workflow_id)  # type: ignore[attr-defined]


def test_subclasses_travel_as_the_violation_they_specialise():
    class QuotaExceeded(ContractViolation):
        pass

    assert failure_type(QuotaExceeded("too many")) == "ContractViolation"
    assert isinstance(error_from_failure(failure_for(QuotaExceeded("x"))), ContractViolation)


def test_marker_violations_and_unknown_types_arrive_as_execution_violations():
    class Marked(Exception):
        is_arvo_violation_error = True
        name = "ViolationError<Quota>"

    assert failure_type(Marked("over quota")) == "ExecutionViolation"
    unknown = error_from_failure(ApplicationError("boom", type="SomethingNew"))
    assert isinstance(unknown, ExecutionViolation) and "SomethingNew: boom" in str(unknown)
    # A field error keeps its own class name on the wire.
    assert failure_type(ArvoEventValidationError({"id": "required"})) == "ArvoEventValidationError"


def test_a_retryable_failure_is_marked_so():
    assert not failure_for(ExecutionViolation("x"), non_retryable=False).non_retryable
