"""THE pure step of a resumable orchestrator (Arvo's ``ArvoResumable``, docs/arvo.md §10).

A resumable is the imperative sibling of a machine: instead of a statechart, a versioned handler
function is called once per event with what the execution knows — its stored context, the init
event (on the init), the service response (on a response), and every response collected so far
for the calls it made last — and returns the new context, the service calls to make and, when
finished, the output. The rules around it are the orchestrator's, shared with ``step``:

* failure records and non-init events without state are ignored; the handler is chosen by the
  subject's version (none → ConfigViolation); the event is validated against the self contract
  or the service contract that emits its type (ConfigViolation / ContractViolation);
* an execution that is ``done`` ignores every later event;
* responses whose ``parentid`` names an event emitted by the last call are collected in the
  record (``events.expected``); a call that emits new events starts a new collection;
* the output becomes ``arvo.orc.<name>.done`` (to ``meta.redirectto`` or the initiator, on the
  parent's subject for a child), service calls to orchestrator contracts start children with
  ``parentSubject$$``; domains default to local (null), as Arvo's resumable does;
* violations raised anywhere (including a handler's own ``ViolationError`` subclasses) are raised
  to the caller with nothing written; any other error writes a failure record and emits
  ``sys.<source>.error``.

Like ``step``, it reads no clock and draws no id itself: ids come from the driver's
``IdClockSource``, so the Temporal workflow shell gets identical events on replay. It is
``async`` only so that handlers may be ``async def``; it awaits nothing else.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, NotRequired, TypeAlias, TypedDict

from arvo_temporal.contracts import PARENT_SUBJECT_KEY, ArvoContract, VersionedArvoContract
from arvo_temporal.domains import LOCAL, DomainToken
from arvo_temporal.errors import ArvoContractError, ConfigViolation, is_violation
from arvo_temporal.events import ArvoEvent
from arvo_temporal.orchestration.emission import (
    EmissionContext,
    build_events,
    build_system_errors,
    completion_raw_event,
)
from arvo_temporal.orchestration.record import MachineMemoryRecord, RecordEvents
from arvo_temporal.orchestration.result import OrchestratorResult
from arvo_temporal.orchestration.step import (
    ExecutionCancelled,
    SizeLimits,
    StepOutcome,
    StepResult,
    bounded,
    check_event_sizes,
    counted,
    failure_result,
)
from arvo_temporal.sources import IdClockSource
from arvo_temporal.subject import SubjectContent
from arvo_temporal.validation import ValidationKind, validate_machine_input

__all__ = [
    "CONTEXT_KEY",
    "ResumableContracts",
    "ResumableDomains",
    "ResumableHandler",
    "ResumableInput",
    "ResumableOutput",
    "ResumableSettings",
    "cancel_resumable",
    "step_resumable",
]

CONTEXT_KEY = "state$$"
"""Where the handler's context lives in the record's ``state`` (Arvo's name)."""


class ResumableDomains(NamedTuple):
    """The domains a handler may want to route by: the consumed event's and its contract's."""

    event: str | None
    self: str | None


@dataclass(frozen=True)
class ResumableContracts:
    """The contracts a handler speaks: its own (the version of this execution) and services."""

    self: VersionedArvoContract
    services: Mapping[str, VersionedArvoContract]


@dataclass(frozen=True)
class ResumableInput:
    """What a resumable handler is called with (Arvo's handler parameter, in snake_case).

    Attributes:
        input: the init event's JSON on the init event, else None.
        service: the service response's JSON (a contract emit or system error), else None.
        context: the context the handler returned last time (None on a new execution).
        metadata: the stored record's JSON without the context (None on a new execution).
        collected_events: responses to the events the last call emitted, by event type.
        domain: the consumed event's domain and the self contract's.
        contracts: the self contract version of this execution and the service contracts.
        event: the consumed event itself (a convenience: ``input``/``service`` hold its JSON).
    """

    input: dict[str, Any] | None
    service: dict[str, Any] | None
    context: Any
    metadata: dict[str, Any] | None
    collected_events: dict[str, list[dict[str, Any]]]
    domain: ResumableDomains
    contracts: ResumableContracts
    event: ArvoEvent


class ResumableOutput(TypedDict):
    """What a handler returns (every key optional; returning None changes nothing).

    ``context`` replaces the stored context; ``services`` are raw events to emit (``type``,
    ``data`` and the optional routing keys of a machine's raw events); ``output`` finishes the
    execution and becomes the completion event's data (``__id``, ``__domain`` and
    ``__executionunits`` steer that event, as with machines).
    """

    context: NotRequired[Any]
    output: NotRequired[Mapping[str, Any] | None]
    services: NotRequired[Sequence[Mapping[str, Any]]]


ResumableResult: TypeAlias = ResumableOutput | Mapping[str, Any] | None
ResumableHandler: TypeAlias = Callable[
    [ResumableInput], ResumableResult | Awaitable[ResumableResult]
]


@dataclass(frozen=True)
class ResumableSettings:
    """The static part of a resumable: contracts, handlers, units and error domains."""

    contract: ArvoContract
    services: Mapping[str, VersionedArvoContract]
    handlers: Mapping[str, ResumableHandler]
    execution_units: float | None = None
    system_error_domains: tuple[DomainToken, ...] = field(default=(LOCAL,))

    @property
    def source(self) -> str:
        """``arvo.orc.<name>``: the self contract's type."""
        return self.contract.type


def _expected_after(record: MachineMemoryRecord | None, event: ArvoEvent) -> dict[str, list[Any]]:
    """The stored collection with ``event`` added when it answers one of the last calls."""
    stored = record.events.expected if record is not None and record.events is not None else None
    expected = copy.deepcopy(stored) if stored else {}
    if event.parentid is not None and event.parentid in expected:
        expected[event.parentid].append(event.to_json())
    return expected


def _by_type(expected: Mapping[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for responses in expected.values():
        for response in responses:
            grouped.setdefault(str(response.get("type")), []).append(response)
    return grouped


def _versioned_self(settings: ResumableSettings, subject: SubjectContent) -> VersionedArvoContract:
    version = subject.orchestrator.version
    handler = settings.handlers.get(version)
    if handler is not None:
        try:
            return settings.contract.version(version)
        except ArvoContractError:
            pass
    raise ConfigViolation(
        "Handler resolution failed: No handler found matching orchestrator "
        f"name='{subject.orchestrator.name}' and version='{version}'."
    )


def _validated_kind(
    event: ArvoEvent, versioned: VersionedArvoContract, settings: ResumableSettings
) -> str:
    """``self`` or ``service``: which contract the event belongs to (raises the violation)."""
    verdict = validate_machine_input(
        event, self_contract=versioned, service_contracts=settings.services
    )
    if verdict.kind is ValidationKind.CONTRACT_UNRESOLVED:
        raise ConfigViolation(
            "Contract validation failed - Event does not match any registered contract "
            "schemas in the resumable"
        )
    verdict.raise_for_violation()
    return "self" if event.type == versioned.accepts_type else "service"


def _parse_result(result: object) -> tuple[bool, Any, Mapping[str, Any] | None, list[Any]]:
    """(has context, context, output, services) from what the handler returned; a malformed
    return value is an ordinary error of the handler, naming the field."""
    if result is None:
        return False, None, None, []
    if not isinstance(result, Mapping):
        raise TypeError(
            "a resumable handler must return None or a mapping with 'context', 'output' and "
            f"'services'; got {type(result).__name__}"
        )
    output = result.get("output")
    if output is not None and not isinstance(output, Mapping):
        raise TypeError(f"'output' must be a mapping or None; got {type(output).__name__}")
    services = result.get("services") or []
    if not isinstance(services, (list, tuple)) or not all(
        isinstance(raw, Mapping) for raw in services
    ):
        raise TypeError("'services' must be a list of raw event mappings")
    context = result.get("context")
    return context is not None, context, output, list(services)


async def step_resumable(
    settings: ResumableSettings,
    *,
    record: MachineMemoryRecord | None,
    event: ArvoEvent,
    subject: SubjectContent,
    id_clock: IdClockSource,
    traceparent: str | None = None,
    tracestate: str | None = None,
    limits: SizeLimits | None = None,
) -> StepResult:
    """Apply one event to one resumable execution (see the module docstring).

    ``subject`` is ``check_subject``'s result for ``event``; ``limits`` bounds the record and
    the emitted events as for ``step``.

    Raises:
        ViolationError: Config/Contract/Execution violations and the handler's own; nothing is
            to be written.
    """
    source = settings.source
    if record is not None and record.failed:
        return StepResult.ignored("the execution failed earlier; later events are ignored")
    if record is None and event.type != source:
        return StepResult.ignored(
            "no execution exists for this subject and the event is not an init"
        )
    parent_subject = record.parent_subject if record else None
    if event.type == source:
        parent = event.data.get(PARENT_SUBJECT_KEY)
        parent_subject = parent if isinstance(parent, str) and parent else None
    init_event_id = (record.init_event_id if record else None) or event.id

    ctx = EmissionContext(
        source=source,
        execution_units=settings.execution_units,
        consumed=event,
        subject=subject,
        parent_subject=parent_subject,
        init_event_id=init_event_id,
        self_contract=settings.contract.version("latest"),
        service_contracts=settings.services,
        id_clock=id_clock,
        traceparent=traceparent,
        tracestate=tracestate,
    )
    try:
        versioned = _versioned_self(settings, subject)
        ctx = replace(ctx, self_contract=versioned)
        kind = _validated_kind(event, versioned, settings)
        if record is not None and record.status == "done":
            return StepResult.ignored("the execution is done; later events are ignored")
        expected = _expected_after(record, event)
        stored = record.state if record is not None and record.state is not None else {}
        request = ResumableInput(
            input=event.to_json() if kind == "self" else None,
            service=event.to_json() if kind == "service" else None,
            context=stored.get(CONTEXT_KEY),
            metadata=_metadata(record),
            collected_events=_by_type(expected),
            domain=ResumableDomains(event=event.domain, self=settings.contract.domain),
            contracts=ResumableContracts(self=versioned, services=settings.services),
            event=event,
        )
        result = settings.handlers[versioned.version](request)
        if inspect.isawaitable(result):
            result = await result
        has_context, context, output, services = _parse_result(result)
        raw_events = [dict(raw) for raw in services]
        if output is not None:
            raw_events.append(
                completion_raw_event(
                    output,
                    complete_type=str(versioned.complete_event_type),
                    subject=subject,
                    default_domains=(LOCAL,),
                )
            )
        events = build_events(ctx, raw_events, default_service_domains=(LOCAL,))
        check_event_sizes(events, limits)
    except Exception as error:
        if is_violation(error):
            raise
        return counted(
            failure_result(ctx, error, domains=settings.system_error_domains), record, event
        )
    new_record = MachineMemoryRecord(
        execution_status="normal",
        subject=event.subject,
        init_event_id=init_event_id,
        parent_subject=parent_subject,
        status="done" if output is not None else "active",
        state={CONTEXT_KEY: context if has_context else stored.get(CONTEXT_KEY)},
        events=RecordEvents(
            consumed=event.to_json(),
            produced=[produced.to_json() for produced in events],
            expected={produced.id: [] for produced in events} if events else expected,
        ),
        machine_version=versioned.version,
    )
    executed = StepResult(StepOutcome.EXECUTED, OrchestratorResult.from_events(events), new_record)
    return counted(
        bounded(ctx, executed, limits, domains=settings.system_error_domains), record, event
    )


def _metadata(record: MachineMemoryRecord | None) -> dict[str, Any] | None:
    """The record as the handler sees it: everything but the context (Arvo's ``metadata``)."""
    if record is None:
        return None
    data = record.to_json()
    data.pop("state", None)
    return data


def cancel_resumable(
    settings: ResumableSettings,
    *,
    record: MachineMemoryRecord | None,
    subject: SubjectContent,
    id_clock: IdClockSource,
    reason: str,
) -> StepResult:
    """End an active resumable execution from outside, as ``step_cancel`` ends a machine's:
    status ``cancelled`` and ``sys.<source>.error`` (errorName ``ExecutionCancelled``) to the
    initiator, in the context of the last consumed event."""
    if record is None or record.failed or record.status != "active" or record.events is None:
        return StepResult.ignored("no active execution to cancel")
    consumed = ArvoEvent.from_json(record.events.consumed)
    ctx = EmissionContext(
        source=settings.source,
        execution_units=settings.execution_units,
        consumed=consumed,
        subject=subject,
        parent_subject=record.parent_subject,
        init_event_id=record.init_event_id,
        self_contract=_versioned_self(settings, subject),
        service_contracts=settings.services,
        id_clock=id_clock,
        traceparent=consumed.traceparent,
        tracestate=consumed.tracestate,
    )
    events = build_system_errors(
        ctx, ExecutionCancelled(reason), domains=settings.system_error_domains
    )
    cancelled = record.model_copy(
        update={
            "status": "cancelled",
            "events": RecordEvents(
                consumed=record.events.consumed, produced=[event.to_json() for event in events]
            ),
        }
    )
    result = StepResult(
        StepOutcome.EXECUTED, OrchestratorResult.from_events(events), cancelled, reason
    )
    return counted(result, record, None)
