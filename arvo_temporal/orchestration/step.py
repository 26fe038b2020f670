"""THE pure orchestration step (README.md, "How it fits together": one pure core, two drivers).

``step`` is a function of (orchestrator settings, stored record or None, event, id/clock source)
that returns the record to write, the events to emit and the outcome. It does no I/O, reads no
clock and draws no ids itself; the in-process ``ArvoOrchestrator`` wraps it in lock → read →
step → write → unlock, and the Temporal workflow calls it on each event of its inbox, holding the
record in workflow state. Both drivers therefore produce the same events for the same input.

The order follows docs/arvo.md §5.2: subject check (``check_subject``, before any memory access),
failure records and non-init events without state ignored, machine resolution by exact version,
input validation, machine execution, completion, event building, the new record. Violations are
raised and nothing is written; any other failure becomes a failure record plus
``sys.<source>.error`` events.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from arvo_temporal._parsed_subjects import parsed_subject
from arvo_temporal.contracts import PARENT_SUBJECT_KEY, error_to_data
from arvo_temporal.domains import LOCAL, ORCHESTRATION_CONTEXT, DomainToken
from arvo_temporal.engine import MachineExecutionEngine, MachineExecutionResult, TimerCapableEngine
from arvo_temporal.errors import (
    ConfigViolation,
    ExecutionViolation,
    InvalidSubjectError,
    is_violation,
)
from arvo_temporal.events import ArvoEvent
from arvo_temporal.orchestration.emission import (
    EmissionContext,
    build_events,
    build_system_errors,
    completion_raw_event,
)
from arvo_temporal.orchestration.record import ErrorRecord, MachineMemoryRecord, RecordEvents
from arvo_temporal.orchestration.result import OrchestratorResult
from arvo_temporal.orchestration.status import total_execution_units
from arvo_temporal.sources import IdClockSource
from arvo_temporal.subject import SubjectContent

if TYPE_CHECKING:
    from arvo_temporal.machine import ArvoMachine
    from arvo_temporal.registry import MachineRegistry

__all__ = [
    "UNOBSERVED",
    "EmissionDomains",
    "ExecutionCancelled",
    "OrchestratorSettings",
    "SizeLimitExceeded",
    "SizeLimits",
    "StepObserver",
    "StepOutcome",
    "StepResult",
    "bounded",
    "check_event_sizes",
    "check_subject",
    "counted",
    "failure_result",
    "step",
    "step_cancel",
    "step_timer",
]


@dataclass(frozen=True)
class EmissionDomains:
    """Default domain tokens per kind of emitted event (Arvo's ``defaultEventEmissionDomains``)."""

    system_error: tuple[DomainToken, ...] = (ORCHESTRATION_CONTEXT,)
    services: tuple[DomainToken, ...] = (LOCAL,)
    complete: tuple[DomainToken, ...] = (ORCHESTRATION_CONTEXT,)


@dataclass(frozen=True)
class OrchestratorSettings:
    """The static part of an orchestrator: its machines, engine, units and domain defaults."""

    registry: MachineRegistry
    engine: MachineExecutionEngine
    execution_units: float | None = None
    domains: EmissionDomains = field(default_factory=EmissionDomains)

    @property
    def source(self) -> str:
        """``arvo.orc.<name>``."""
        return self.registry.source

    @property
    def requires_resource_locking(self) -> bool:
        """True when any machine needs a lock (parallel states or multi-emit services)."""
        return any(machine.requires_resource_locking for machine in self.registry.machines)


@dataclass(frozen=True)
class SizeLimits:
    """How large a machine's record and each emitted event may grow (JSON bytes).

    A driver whose memory has a size limit passes these to ``step``: the Temporal workflow does
    (the record is part of what continue-as-new carries, and Temporal refuses a payload over
    2 MiB), so an execution that outgrows them *fails* (``sys.<source>.error`` to the
    initiator, as any machine error) instead of wedging its run. The in-process driver passes
    none.

    Attributes:
        record_bytes: the machine memory record after a step (context, state, the consumed
            and produced events); 1 MiB.
        event_bytes: each emitted event; 256 KiB.
    """

    record_bytes: int = 1024 * 1024
    event_bytes: int = 256 * 1024

    def __post_init__(self) -> None:
        if self.record_bytes < 1024 or self.event_bytes < 1024:
            raise ConfigViolation(
                f"size limits must be at least 1 KiB (record_bytes={self.record_bytes}, "
                f"event_bytes={self.event_bytes})"
            )


class SizeLimitExceeded(Exception):
    """A machine's record or emitted event outgrew ``SizeLimits``: the execution fails."""


def _json_bytes(model: ArvoEvent | MachineMemoryRecord) -> int:
    return len(model.model_dump_json().encode("utf-8"))


def _kib(size: int) -> str:
    return f"{size / 1024:,.1f} KiB"


def check_event_sizes(events: list[ArvoEvent], limits: SizeLimits | None) -> None:
    """Raise ``SizeLimitExceeded`` for the first emitted event over ``limits.event_bytes``."""
    if limits is None:
        return
    for event in events:
        size = _json_bytes(event)
        if size > limits.event_bytes:
            raise SizeLimitExceeded(
                f"the emitted event {event.type} ({event.id}) is {_kib(size)}, over the limit "
                f"of {_kib(limits.event_bytes)} for one event (SizeLimits.event_bytes)"
            )


def bounded(
    ctx: EmissionContext,
    result: StepResult,
    limits: SizeLimits | None,
    *,
    domains: tuple[DomainToken, ...],
) -> StepResult:
    """The step's result, or a failure (system errors into ``domains``) when its record outgrew
    the limit."""
    if limits is None or result.record is None:
        return result
    size = _json_bytes(result.record)
    if size <= limits.record_bytes:
        return result
    return failure_result(
        ctx,
        SizeLimitExceeded(
            f"the machine record would be {_kib(size)}, over the limit of "
            f"{_kib(limits.record_bytes)} (SizeLimits.record_bytes): the context or the "
            "events of one step are too large"
        ),
        domains=domains,
    )


class StepObserver(Protocol):
    """Sees the phases of a step (``machine.run``, ``events.create``) without the core knowing
    about tracing: the in-process driver opens an OpenTelemetry child span per phase."""

    def phase(self, name: str) -> AbstractContextManager[object]:
        """A context manager around one phase."""
        ...


class _Unobserved:
    def phase(self, name: str) -> AbstractContextManager[object]:
        return contextlib.nullcontext()


UNOBSERVED: StepObserver = _Unobserved()


class StepOutcome(StrEnum):
    """How a step ended."""

    IGNORED = "ignored"
    EXECUTED = "executed"
    FAILED = "failed"


@dataclass(frozen=True)
class StepResult:
    """The record to write (None: write nothing), the events to emit, and why."""

    outcome: StepOutcome
    result: OrchestratorResult
    record: MachineMemoryRecord | None = None
    reason: str = ""

    @property
    def events(self) -> list[ArvoEvent]:
        """Every emitted event, in emission order."""
        return self.result.all_events

    @classmethod
    def ignored(cls, reason: str) -> StepResult:
        """Nothing to write and nothing emitted, with the reason."""
        return cls(StepOutcome.IGNORED, OrchestratorResult.empty(), None, reason)


def check_subject(event: ArvoEvent, source: str) -> SubjectContent | None:
    """The subject check that precedes any memory access (docs/arvo.md §5.2 step 2).

    Returns the parsed subject, or None when the subject belongs to another orchestrator (the
    event is then ignored).

    Raises:
        ExecutionViolation: when the subject is not an orchestration subject.
    """
    try:
        subject = parsed_subject(event.subject)
    except InvalidSubjectError:
        raise ExecutionViolation(
            f"Invalid event (id={event.id}) subject format. Expected an "
            f"ArvoOrchestrationSubject but received '{event.subject}'. The subject must follow "
            "the format specified by ArvoOrchestrationSubject schema"
        ) from None
    return subject if subject.orchestrator.name == source else None


def _ignored(reason: str) -> StepResult:
    return StepResult.ignored(reason)


def counted(
    result: StepResult, previous: MachineMemoryRecord | None, consumed: ArvoEvent | None
) -> StepResult:
    """The result with the execution-units total of its record brought up to date."""
    if result.record is None:
        return result
    units = total_execution_units(previous, consumed, result.events)
    return replace(result, record=result.record.model_copy(update={"execution_units": units}))


def step(
    settings: OrchestratorSettings,
    *,
    record: MachineMemoryRecord | None,
    event: ArvoEvent,
    subject: SubjectContent,
    id_clock: IdClockSource,
    traceparent: str | None = None,
    tracestate: str | None = None,
    now_ms: float = 0,
    observer: StepObserver = UNOBSERVED,
    limits: SizeLimits | None = None,
) -> StepResult:
    """Apply one event to one execution. ``subject`` is ``check_subject``'s result; ``now_ms``
    (epoch milliseconds from the driver's clock) stamps timers scheduled by ``after``;
    ``limits`` bounds the record and the emitted events (see ``SizeLimits``).

    Raises:
        ViolationError: ConfigViolation, ContractViolation, ExecutionViolation (nothing written).
    """
    source = settings.source
    if record is not None and record.failed:
        return _ignored("the execution failed earlier; later events are ignored")
    parent_subject = record.parent_subject if record else None
    init_event_id = record.init_event_id if record else None
    if record is None and event.type != source:
        return _ignored("no execution exists for this subject and the event is not an init")
    if event.type == source:
        parent = event.data.get(PARENT_SUBJECT_KEY)
        parent_subject = parent if isinstance(parent, str) and parent else None
        init_event_id = init_event_id or event.id

    machine = settings.registry.resolve_subject(subject)
    if machine is None:
        raise ConfigViolation(
            "Machine resolution failed: No machine found matching orchestrator "
            f"name='{subject.orchestrator.name}' and "
            f"version='{subject.orchestrator.version}'."
        )
    ctx = EmissionContext(
        source=source,
        execution_units=settings.execution_units,
        consumed=event,
        subject=subject,
        parent_subject=parent_subject,
        init_event_id=init_event_id,
        self_contract=machine.self_contract,
        service_contracts=machine.service_contracts,
        id_clock=id_clock,
        traceparent=traceparent,
        tracestate=tracestate,
    )
    try:
        machine.validate_input(event).raise_for_violation()
        with observer.phase("machine.run"):
            executed = settings.engine.execute(
                machine=machine, state=record.state if record else None, event=event, now_ms=now_ms
            )
        with observer.phase("events.create"):
            raw_events = _with_completion(
                executed,
                complete_type=machine.self_contract.complete_event_type,
                subject=subject,
                settings=settings,
            )
            events = build_events(
                ctx, raw_events, default_service_domains=settings.domains.services
            )
            check_event_sizes(events, limits)
    except Exception as error:
        if is_violation(error):
            raise
        return counted(_failure(ctx, settings, error), record, event)
    result = _executed(ctx, executed, events, consumed=event, machine_version=machine.version)
    domains = settings.domains.system_error
    return counted(bounded(ctx, result, limits, domains=domains), record, event)


def _with_completion(
    executed: MachineExecutionResult,
    *,
    complete_type: str | None,
    subject: SubjectContent,
    settings: OrchestratorSettings,
) -> list[dict[str, Any]]:
    raw_events = [dict(raw) for raw in executed.events]
    if executed.final_output is not None:
        assert complete_type is not None, "an orchestrator contract always has a complete type"
        raw_events.append(
            completion_raw_event(
                executed.final_output,
                complete_type=complete_type,
                subject=subject,
                default_domains=settings.domains.complete,
            )
        )
    return raw_events


def _executed(
    ctx: EmissionContext,
    executed: MachineExecutionResult,
    events: list[ArvoEvent],
    *,
    consumed: ArvoEvent,
    machine_version: str,
) -> StepResult:
    new_record = MachineMemoryRecord(
        execution_status="normal",
        subject=consumed.subject,
        init_event_id=ctx.init_event_id,
        parent_subject=ctx.parent_subject,
        status=executed.status,
        value=executed.value,
        state=executed.state,
        events=RecordEvents(
            consumed=consumed.to_json(), produced=[produced.to_json() for produced in events]
        ),
        machine_version=machine_version,
    )
    return StepResult(StepOutcome.EXECUTED, OrchestratorResult.from_events(events), new_record)


def _context_from_record(
    settings: OrchestratorSettings,
    record: MachineMemoryRecord,
    machine: ArvoMachine,
    subject: SubjectContent,
    id_clock: IdClockSource,
) -> EmissionContext:
    """Emission context for work not triggered by an Arvo event (a timer, a cancellation): the
    last consumed event stands in as the trigger, so accesscontrol and parentid are inherited."""
    assert record.events is not None, "callers check that the record has consumed an event"
    consumed = ArvoEvent.from_json(record.events.consumed)
    return EmissionContext(
        source=settings.source,
        execution_units=settings.execution_units,
        consumed=consumed,
        subject=subject,
        parent_subject=record.parent_subject,
        init_event_id=record.init_event_id,
        self_contract=machine.self_contract,
        service_contracts=machine.service_contracts,
        id_clock=id_clock,
        traceparent=consumed.traceparent,
        tracestate=consumed.tracestate,
    )


def step_timer(
    settings: OrchestratorSettings,
    *,
    record: MachineMemoryRecord | None,
    timer_event: Mapping[str, Any],
    subject: SubjectContent,
    id_clock: IdClockSource,
    now_ms: float,
    limits: SizeLimits | None = None,
) -> StepResult:
    """Deliver a due delayed transition (statechart ``after``) to the execution.

    A timer is not an Arvo event, so it runs in the context of the last consumed event: emitted
    events inherit its ``accesscontrol`` and name it as ``parentid``, and the record keeps it as
    ``events.consumed``. A stale timer, or one for a finished execution, changes nothing.
    """
    engine = settings.engine
    if record is None or record.failed or record.status != "active" or record.events is None:
        return _ignored("no active execution for this timer")
    if not isinstance(engine, TimerCapableEngine):
        return _ignored("the execution engine does not support timers")
    machine = settings.registry.resolve_subject(subject)
    if machine is None or record.state is None:
        return _ignored("no machine for this timer")
    ctx = _context_from_record(settings, record, machine, subject, id_clock)
    consumed = ctx.consumed
    try:
        executed = engine.fire_timer(
            machine=machine, state=record.state, timer_event=timer_event, now_ms=now_ms
        )
        raw_events = _with_completion(
            executed,
            complete_type=machine.self_contract.complete_event_type,
            subject=subject,
            settings=settings,
        )
        events = build_events(ctx, raw_events, default_service_domains=settings.domains.services)
        check_event_sizes(events, limits)
    except Exception as error:
        if is_violation(error):
            raise
        return counted(_failure(ctx, settings, error), record, None)
    result = _executed(ctx, executed, events, consumed=consumed, machine_version=machine.version)
    domains = settings.domains.system_error
    return counted(bounded(ctx, result, limits, domains=domains), record, None)


def _failure(ctx: EmissionContext, settings: OrchestratorSettings, error: Exception) -> StepResult:
    return failure_result(ctx, error, domains=settings.domains.system_error)


def failure_result(
    ctx: EmissionContext, error: Exception, *, domains: tuple[DomainToken, ...]
) -> StepResult:
    """An ordinary error ends the execution: a failure record plus ``sys.<source>.error``
    events, one per resolved domain of ``domains`` (docs/arvo.md §5.6)."""
    if isinstance(error, SizeLimitExceeded):
        # The trigger's tracestate is copied onto every emitted event: when it is what made
        # them too large, the system error must not be too large as well.
        ctx = replace(ctx, tracestate=None)
    failure = MachineMemoryRecord(
        execution_status="failure",
        subject=ctx.consumed.subject,
        error=ErrorRecord(
            name=type(error).__name__,
            message=str(error),
            stack=error_to_data(error)["errorStack"],
        ),
    )
    events = build_system_errors(ctx, error, domains=domains)
    return StepResult(
        StepOutcome.FAILED, OrchestratorResult.from_events(events), failure, str(error)
    )


class ExecutionCancelled(Exception):
    """Why a running execution was ended from outside (a client cancel or its timeout)."""


def step_cancel(
    settings: OrchestratorSettings,
    *,
    record: MachineMemoryRecord | None,
    subject: SubjectContent,
    id_clock: IdClockSource,
    reason: str,
) -> StepResult:
    """End an active execution from outside: status ``cancelled``, and the initiator is told with
    ``sys.<source>.error`` (errorName ``ExecutionCancelled``), routed as any system error."""
    if record is None or record.failed or record.status != "active" or record.events is None:
        return _ignored("no active execution to cancel")
    machine = settings.registry.resolve_subject(subject) or settings.registry.machines[0]
    ctx = _context_from_record(settings, record, machine, subject, id_clock)
    events = build_system_errors(
        ctx, ExecutionCancelled(reason), domains=settings.domains.system_error
    )
    cancelled = record.model_copy(
        update={
            "status": "cancelled",
            "events": RecordEvents(
                consumed=record.events.consumed, produced=[event.to_json() for event in events]
            ),
        }
    )
    return counted(
        StepResult(StepOutcome.EXECUTED, OrchestratorResult.from_events(events), cancelled, reason),
        record,
        None,
    )
