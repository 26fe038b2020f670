"""The one error boundary between Arvo and Temporal.

Everything the workflow or an activity reports to a caller crosses Temporal as
``ApplicationError(message, {fields}, type=<class name>, non_retryable=...)``; the client rebuilds
the same Python exception from ``type`` and the fields, never from the message text. A type this
module does not know comes back as a plain ``ExecutionViolation`` carrying the original message,
so a newer worker never breaks an older client.

Two types are not errors of the caller's but of timing, and are retried by the client without
the caller seeing them: ``ExecutionContinuingAsNew`` (the update arrived while the run hands over
to its successor) and ``ExecutionBusy`` (Temporal's in-flight update limit).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from temporalio.exceptions import ApplicationError

from arvo_temporal.errors import (
    ArvoError,
    ConfigViolation,
    ContractViolation,
    DataValidationError,
    ExecutionClosedError,
    ExecutionViolation,
    TransactionCause,
    TransactionViolation,
    UnknownStateError,
    ViolationError,
    is_violation,
)
from arvo_temporal.violations import violation_from_payload, violation_to_payload

__all__ = [
    "CONTINUING_AS_NEW",
    "ENDING_FAILURES",
    "EXECUTION_FAILED",
    "EXECUTION_REJECTED",
    "RETRYABLE_TYPES",
    "VIOLATION_TYPES",
    "error_from_failure",
    "failure_for",
    "failure_type",
]

CONTINUING_AS_NEW = "ExecutionContinuingAsNew"
EXECUTION_FAILED = "ExecutionFailed"
EXECUTION_REJECTED = "ExecutionRejected"
ENDING_FAILURES = frozenset({EXECUTION_FAILED, EXECUTION_REJECTED})
"""Types of the failure a run ends with when its machine failed or no event started it, so the
Temporal run status (FAILED) agrees with ``ArvoStatus``; details carry ``status`` and ``error``."""
RETRYABLE_TYPES = frozenset({CONTINUING_AS_NEW})
VIOLATION_TYPES = (
    "ConfigViolation",
    "ContractViolation",
    "ExecutionViolation",
    "TransactionViolation",
)
"""Types a handler activity must not retry: the same event would be refused again."""


def failure_type(error: BaseException) -> str:
    """The ``ApplicationError`` type of an error: its class name. User-defined violations that
    only follow Arvo's marker rule (not our classes) travel as ``ExecutionViolation``."""
    name = type(error).__name__
    if isinstance(error, ViolationError) and name not in _REBUILD:
        # A subclass of ours travels as the Arvo violation it specialises.
        kind = "TransactionViolation" if isinstance(error, TransactionViolation) else ""
        kind = kind or f"{error.kind}Violation"
        return kind if kind in _REBUILD else "ExecutionViolation"
    if isinstance(error, ArvoError):
        return name
    if is_violation(error):
        return "ExecutionViolation"
    return name


def _fields(error: BaseException) -> dict[str, Any]:
    if isinstance(error, TransactionViolation):
        return {
            "message": error.raw_message.partition("] ")[2] or error.raw_message,
            "cause": error.cause.value,
            "metadata": error.metadata,
        }
    if isinstance(error, ViolationError):
        fields: dict[str, Any] = {"message": error.raw_message, "metadata": error.metadata}
        if type(error).__name__ not in _REBUILD:
            # A user-defined violation: its class and attributes, so the client can rebuild
            # the very class (arvo_temporal/violations.py), not only the kind it specialises.
            fields["violation"] = violation_to_payload(error)
        return fields
    if isinstance(error, ExecutionClosedError):
        return {"subject": error.subject, "workflow_id": error.workflow_id}
    if isinstance(error, UnknownStateError):
        return {"path": error.path, "machine": error.machine, "known": error.known}
    return {"message": str(error)}


def failure_for(error: BaseException, *, non_retryable: bool = True) -> ApplicationError:
    """The ``ApplicationError`` that carries ``error`` across Temporal."""
    return ApplicationError(
        str(error), _fields(error), type=failure_type(error), non_retryable=non_retryable
    )


def _violation(kind: type[ViolationError]) -> Callable[[Mapping[str, Any]], ArvoError]:
    def build(fields: Mapping[str, Any]) -> ArvoError:
        return kind(str(fields.get("message", "")), metadata=fields.get("metadata"))

    return build


def _transaction(fields: Mapping[str, Any]) -> ArvoError:
    try:
        cause = TransactionCause(str(fields.get("cause")))
    except ValueError:
        cause = TransactionCause.LOCK_UNACQUIRED
    return TransactionViolation(
        str(fields.get("message", "")), cause=cause, metadata=fields.get("metadata")
    )


def _closed(fields: Mapping[str, Any]) -> ArvoError:
    return ExecutionClosedError(
        str(fields.get("subject", "")), workflow_id=str(fields.get("workflow_id", ""))
    )


def _unknown_state(fields: Mapping[str, Any]) -> ArvoError:
    known = fields.get("known")
    return UnknownStateError(
        str(fields.get("path", "")),
        machine=str(fields.get("machine", "the machine")),
        known=[str(path) for path in known] if isinstance(known, list) else [],
    )


_REBUILD: dict[str, Callable[[Mapping[str, Any]], ArvoError]] = {
    "ConfigViolation": _violation(ConfigViolation),
    "ContractViolation": _violation(ContractViolation),
    "ExecutionViolation": _violation(ExecutionViolation),
    "TransactionViolation": _transaction,
    "ExecutionClosedError": _closed,
    "UnknownStateError": _unknown_state,
}


def _user_violation(payload: Mapping[str, Any]) -> ArvoError | None:
    """The user's own violation class, when it can be imported here (else None: the kind it
    specialises is rebuilt instead)."""
    try:
        rebuilt = violation_from_payload(payload)
    except DataValidationError:
        return None
    return None if hasattr(rebuilt, "original_class") else rebuilt


def error_from_failure(failure: ApplicationError) -> ArvoError:
    """The Arvo error an ``ApplicationError`` carries (rebuilt from its type and fields)."""
    details = failure.details
    fields: Mapping[str, Any] = (
        details[0] if details and isinstance(details[0], Mapping) else {"message": failure.message}
    )
    payload = fields.get("violation")
    if isinstance(payload, Mapping) and (own := _user_violation(payload)) is not None:
        return own
    rebuild = _REBUILD.get(failure.type or "")
    if rebuild is None:
        return ExecutionViolation(f"{failure.type or 'Error'}: {failure.message}")
    return rebuild(fields)
