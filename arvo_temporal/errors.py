"""The one error tree of arvo_temporal.

Arvo separates two kinds of failure (docs/arvo.md §5.6). *Violations* mean the caller or the
deployment is wrong (bad contract, bad config, bad subject, lock not acquired); they are raised
to the caller, nothing is persisted, and on Temporal they cross the boundary as non-retryable
``ApplicationError`` with ``type`` set to the violation's class name. Everything else that goes
wrong inside a machine or a handler becomes a ``sys.<source>.error`` *event*, never an exception.

Definition-time problems (a malformed event, contract, subject or machine) are ``ValueError``
subclasses that name every offending field, so they can be caught either way::

    ArvoError
    ├── ArvoEventValidationError        (ValueError)  bad event fields, one entry per field
    ├── ArvoContractError               (ValueError)  bad contract definition or version lookup
    ├── DataValidationError             (ValueError)  event data that breaks its schema
    ├── InvalidSubjectError             (ValueError)  subject that cannot be parsed or created
    ├── InvalidMachineDefinition        (ValueError)  machine config refused at declaration
    ├── UnknownStateError               (ValueError)  a state path the machine does not have
    ├── InvalidTestSuite                (ValueError)  a test suite, case or step that cannot run
    ├── ViolationError                                Arvo violations, raised to the caller
    │   ├── ConfigViolation
    │   ├── ContractViolation
    │   ├── ExecutionViolation
    │   └── TransactionViolation                      carries a TransactionCause
    ├── ExecutionClosedError                          the execution for a subject already finished
    ├── ExecutionNotFoundError                        no execution exists for a subject
    ├── ExecutionFailedError                          the execution ended in failure (or rejection)
    ├── ExecutionCancelledError                       the execution was cancelled or timed out
    ├── ExecutionTimeoutError           (TimeoutError) no answer in the time the caller allowed
    ├── EventTooLargeError              (ValueError)  an event over Temporal's payload limit
    ├── TemporalUnavailableError        (ConnectionError) Temporal unreachable or refusing
    ├── InvalidEventTemplate            (ValueError)  a schedule's event template that cannot
    │                                                 start executions (not an init, off contract)
    ├── InvalidQueryError               (ValueError)  a visibility query refused before or by
    │                                                 Temporal (bulk operations)
    ├── InvalidScheduleError            (ValueError)  a schedule without a timetable, or one
    │                                                 Temporal refuses (a malformed cron)
    ├── BulkItemError                                 one execution a bulk operation could not
    │                                                 act on (its reason goes in the summary)
    ├── ScheduleNotFoundError                         no schedule of that name
    ├── ScheduleExistsError                           a schedule of that name exists already
    ├── SinkDeliveryError                             a sink could not deliver (arvo_temporal.sinks)
    ├── DevServerError                  (RuntimeError) the embedded dev server failed
    │                                                 (arvo_temporal.temporal)
    └── CommandError                                  a CLI or worker-process failure, one line
        ├── SettingsError               (ValueError)  a bad option, variable or module:attr
        └── TimelineError                             a history inspect cannot show (not Arvo,
                                                      not served, no longer replays)
                                                      (all three in arvo_temporal.cli)

Across Temporal, each of these travels as ``ApplicationError(type=<class name>, details=[fields])``
and the client rebuilds it from type and fields (``arvo_temporal/temporal/_errors.py``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

__all__ = [
    "ArvoContractError",
    "ArvoError",
    "ArvoEventValidationError",
    "BulkItemError",
    "ConfigViolation",
    "ContractViolation",
    "DataValidationError",
    "EventTooLargeError",
    "ExecutionCancelledError",
    "ExecutionClosedError",
    "ExecutionFailedError",
    "ExecutionNotFoundError",
    "ExecutionTimeoutError",
    "ExecutionViolation",
    "InvalidEventTemplate",
    "InvalidMachineDefinition",
    "InvalidQueryError",
    "InvalidScheduleError",
    "InvalidSubjectError",
    "InvalidTestSuite",
    "ScheduleExistsError",
    "ScheduleNotFoundError",
    "TemporalUnavailableError",
    "TransactionCause",
    "TransactionViolation",
    "UnknownStateError",
    "ViolationError",
    "is_violation",
]


class ArvoError(Exception):
    """Root of every error raised by arvo_temporal."""


class _FieldErrors(ArvoError, ValueError):
    """An error that gathers one message per offending field, so the caller sees all of them."""

    def __init__(self, what: str, errors: Mapping[str, str]) -> None:
        self.errors: dict[str, str] = dict(errors)
        details = "; ".join(f"{field}: {reason}" for field, reason in self.errors.items())
        super().__init__(f"{what}: {details}" if details else what)


class ArvoEventValidationError(_FieldErrors):
    """Raised by ``ArvoEvent`` construction and parsing; ``errors`` maps field → reason."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("Invalid ArvoEvent", errors)


class ArvoContractError(_FieldErrors):
    """Raised when a contract definition is invalid or a version cannot be resolved."""

    def __init__(self, message: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message, errors or {})


class DataValidationError(ArvoError, ValueError):
    """Event data failed its contract schema; ``issues`` lists ``(location, message)`` pairs."""

    def __init__(self, message: str, issues: list[tuple[str, str]]) -> None:
        self.issues = list(issues)
        details = "; ".join(f"{where}: {what}" for where, what in self.issues)
        super().__init__(f"{message}: {details}" if details else message)


class InvalidSubjectError(ArvoError, ValueError):
    """Raised when an orchestration subject cannot be parsed or created; says why."""


class InvalidMachineDefinition(ArvoError, ValueError):
    """Raised at declaration time for a machine config that cannot run.

    ``path`` is the location in the config (e.g. ``states.adding.on.evt.x.target``).
    """

    def __init__(self, message: str, *, path: str = "") -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


class UnknownStateError(ArvoError, ValueError):
    """A state path (``list --state``, ``wait_for(state=...)``) the machine does not have.

    Attributes:
        path: the path asked for.
        machine: the machine it was checked against (``arvo.orc.x 1.0.0``).
        known: the machine's state paths.
    """

    def __init__(self, path: str, *, machine: str, known: list[str]) -> None:
        self.path = path
        self.machine = machine
        self.known = list(known)
        shown = ", ".join(self.known[:20]) + (" …" if len(self.known) > 20 else "")
        super().__init__(f"{machine} has no state {path!r} (its states: {shown or 'none'})")


class InvalidTestSuite(ArvoError, ValueError):
    """Raised when a test suite (``arvo_temporal.testing``) is declared in a way that cannot
    run: a step expecting both events and an error, a case without steps, a bad repeat."""


class ViolationError(ArvoError):
    """Base of Arvo's violations: raised to the caller, never turned into events.

    ``name`` follows Arvo (``ViolationError<Contract>``), and the message starts with it, so logs
    and error payloads read the same as the TypeScript libraries'.
    """

    kind: str = "Violation"
    is_arvo_violation_error = True

    def __init__(self, message: str, *, metadata: Mapping[str, Any] | None = None) -> None:
        self.name = f"ViolationError<{self.kind}>"
        self.raw_message = message
        self.metadata: dict[str, Any] | None = dict(metadata) if metadata is not None else None
        super().__init__(f"{self.name} {message}")

    @property
    def message(self) -> str:
        """The full message, ``ViolationError<Kind> <text>``."""
        return str(self)


class ConfigViolation(ViolationError):
    """The deployment cannot handle the event (unknown type, machine or version)."""

    kind = "Config"


class ContractViolation(ViolationError):
    """The event (or an emitted event) breaks its contract: dataschema or data."""

    kind = "Contract"


class ExecutionViolation(ViolationError):
    """The execution cannot proceed: invalid subject, invalid ``parentSubject$$``, or a machine
    action that raised a violation on purpose."""

    kind = "Execution"


class TransactionCause(enum.StrEnum):
    """Why a :class:`TransactionViolation` was raised (Arvo's names)."""

    READ_MACHINE_MEMORY_FAILURE = "READ_MACHINE_MEMORY_FAILURE"
    LOCK_MACHINE_MEMORY_FAILURE = "LOCK_MACHINE_MEMORY_FAILURE"
    WRITE_MACHINE_MEMORY_FAILURE = "WRITE_MACHINE_MEMORY_FAILURE"
    LOCK_UNACQUIRED = "LOCK_UNACQUIRED"
    INVALID_SUBJECT = "INVALID_SUBJECT"


class TransactionViolation(ViolationError):
    """Machine memory could not give its guarantees (lock, read or write failed)."""

    kind = "OrchestratorTransaction"

    def __init__(
        self,
        message: str,
        *,
        cause: TransactionCause,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self.cause = cause
        super().__init__(f"[{cause.value}] {message}", metadata=metadata)


class ExecutionClosedError(ArvoError):
    """An event was sent for an execution that has already finished.

    Raised by the Temporal client instead of silently starting a new execution with empty memory.
    """

    def __init__(self, subject: str, *, workflow_id: str) -> None:
        self.subject = subject
        self.workflow_id = workflow_id
        super().__init__(
            f"the execution {workflow_id} for this subject has already finished; "
            "events for a closed execution are refused"
        )


class ExecutionNotFoundError(ArvoError):
    """No execution exists for the subject (it never started, or its history was deleted)."""

    def __init__(self, subject: str, *, workflow_id: str, hint: str = "") -> None:
        self.subject = subject
        self.workflow_id = workflow_id
        message = f"no execution exists for this subject (workflow id {workflow_id})"
        super().__init__(f"{message}; {hint}" if hint else message)


class EventTooLargeError(ArvoError, ValueError):
    """An event that cannot travel through Temporal: its JSON is over the payload limit.

    Attributes:
        event_id: the event's id.
        size: the event's JSON size in bytes.
        limit: the limit it broke, in bytes.
        field: the event's largest field (where to look).
    """

    def __init__(self, *, event_id: str, size: int, limit: int, field: str, field_size: int):
        self.event_id = event_id
        self.size = size
        self.limit = limit
        self.field = field
        super().__init__(
            f"event {event_id} is {size:,} bytes of JSON, over the {limit:,}-byte limit for one "
            f"Temporal payload; its largest field is {field} ({field_size:,} bytes)"
        )


class ExecutionTimeoutError(ArvoError, TimeoutError):
    """No answer came in the time the caller allowed. The event may still be applied later;
    asking again with the same event (same id) never applies it twice."""

    def __init__(self, message: str, *, workflow_id: str) -> None:
        self.workflow_id = workflow_id
        super().__init__(message)


class TemporalUnavailableError(ArvoError, ConnectionError):
    """Temporal could not be reached, or refused the request for a reason of its own."""


class ExecutionFailedError(ArvoError):
    """The execution ended in failure (a machine error) or was rejected (a violating init)."""

    def __init__(self, message: str, *, workflow_id: str, status: str) -> None:
        self.workflow_id = workflow_id
        self.status = status
        super().__init__(f"execution {workflow_id} {status}: {message}")


class ExecutionCancelledError(ArvoError):
    """The execution was cancelled (by a client or its execution timeout)."""

    def __init__(self, message: str, *, workflow_id: str) -> None:
        self.workflow_id = workflow_id
        super().__init__(f"execution {workflow_id} was cancelled: {message}")


class InvalidEventTemplate(ArvoError, ValueError):
    """A schedule's event template cannot start executions: it is not an orchestrator's init
    event, a field is invalid, or it breaks the orchestrator's contract; the message says which."""


class InvalidQueryError(ArvoError, ValueError):
    """A visibility query for a bulk operation was refused: it could escape the restriction to
    Arvo executions (unbalanced parentheses or quotes, comments), or Temporal refused it."""


class BulkItemError(ArvoError):
    """A bulk operation could not act on one execution (e.g. cancelling one that already
    completed); the loop records the reason under the execution's id and goes on."""


class InvalidScheduleError(ArvoError, ValueError):
    """A schedule that cannot be created: no cron expression or interval, a catchup window
    Temporal would not keep, or a timetable Temporal refuses (its reason is quoted)."""


class ScheduleNotFoundError(ArvoError):
    """No Arvo schedule has this name (never created, deleted, or not one of Arvo's)."""

    def __init__(self, name: str, *, hint: str = "") -> None:
        self.name = name
        message = f"no Arvo schedule named {name!r}"
        super().__init__(f"{message}: {hint}" if hint else message)


class ScheduleExistsError(ArvoError):
    """A schedule with this name exists already (delete it first, or choose another name)."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"a schedule named {name!r} exists already")


def is_violation(error: BaseException) -> bool:
    """True for Arvo violations, including user-defined ones that follow Arvo's marker rule
    (``is_arvo_violation_error`` true plus a non-empty ``name`` and message)."""
    if isinstance(error, ViolationError):
        return True
    marker = getattr(error, "is_arvo_violation_error", False) or getattr(
        error, "isArvoViolationError", False
    )
    return bool(marker) and bool(getattr(error, "name", "")) and bool(str(error))
