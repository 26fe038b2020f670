"""ArvoResumable: an orchestrator written as a handler function (docs/arvo.md §10).

Where a machine describes an orchestration as a statechart, a resumable describes it as one
function per contract version, called once per event with the stored context, the init input,
the service response and the responses collected so far; it returns the new context, the service
calls to make and, when it is finished, the output. This module is the in-process driver: the
same memory transaction as ``ArvoOrchestrator`` (subject check → lock → read → step → write →
cleanup → unlock) around the pure ``step_resumable``, which a Temporal workflow can call the
same way.

Example::

    async def adder(request: ResumableInput) -> ResumableOutput | None:
        if request.input is not None:                       # the init event
            data = request.input["data"]
            return {"context": {"calls": 1},
                    "services": [{"type": "com.calculator.add", "data": data}]}
        (answer,) = request.collected_events["evt.calculator.add.success"]
        return {"output": {"sum": answer["data"]["result"]}}

    resumable = create_arvo_resumable(
        contracts={"self": adder_contract, "services": {"add": calculator.version("1.0.0")}},
        memory=SimpleMachineMemory(),
        handler={"1.0.0": adder},
    )
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from opentelemetry.trace import SpanKind

from arvo_temporal import telemetry
from arvo_temporal._memory_access import AnyMachineMemory, MemoryAccess
from arvo_temporal.contracts import ArvoContract, VersionedArvoContract
from arvo_temporal.domains import LOCAL, DomainToken
from arvo_temporal.errors import ConfigViolation
from arvo_temporal.events import ArvoEvent
from arvo_temporal.machine import MachineOrigin, _caller_origin
from arvo_temporal.orchestration.result import OrchestratorResult
from arvo_temporal.orchestration.resumable_step import (
    ResumableContracts,
    ResumableDomains,
    ResumableHandler,
    ResumableInput,
    ResumableOutput,
    ResumableSettings,
    step_resumable,
)
from arvo_temporal.orchestration.status import InProcessStatus
from arvo_temporal.orchestration.step import StepOutcome, check_subject
from arvo_temporal.orchestrator import check_subject_or_raise
from arvo_temporal.sources import SYSTEM_SOURCE, IdClockSource

__all__ = [
    "ArvoResumable",
    "ResumableContracts",
    "ResumableDomains",
    "ResumableHandler",
    "ResumableInput",
    "ResumableOutput",
    "create_arvo_resumable",
]


class ArvoResumable:
    """Executes events for one resumable orchestrator against a memory; build it with
    :func:`create_arvo_resumable`."""

    def __init__(
        self,
        *,
        settings: ResumableSettings,
        memory: AnyMachineMemory,
        requires_resource_locking: bool = True,
        id_clock: IdClockSource = SYSTEM_SOURCE,
        origin: MachineOrigin | None = None,
    ) -> None:
        self.settings = settings
        self.origin = origin  # where it was built: the Temporal worker builds it again there
        self.memory = memory
        self.access = MemoryAccess(memory, source=settings.source)
        self.requires_resource_locking = requires_resource_locking
        self.id_clock = id_clock

    @property
    def source(self) -> str:
        """``arvo.orc.<name>``: the topic the resumable listens on."""
        return self.settings.source

    @property
    def contract(self) -> ArvoContract:
        """The self (orchestrator) contract, every version."""
        return self.settings.contract

    async def execute(
        self, event: ArvoEvent, *, inherit_from: Literal["EVENT", "CONTEXT"] = "EVENT"
    ) -> OrchestratorResult:
        """Process one event (see ``arvo_temporal/orchestration/resumable_step.py``).

        Raises:
            ViolationError: Config/Contract/Execution/TransactionViolation or a violation the
                handler raised, unchanged; nothing is written.
        """
        with telemetry.execution_span(
            f"Resumable<{self.contract.uri}>@<{event.type}>",
            event=event,
            kind=SpanKind.PRODUCER,
            inherit_from=inherit_from,
            attributes={"arvo.handler.execution.type": "resumable"},
        ) as span:
            subject = check_subject(event, self.source)
            if subject is None:
                telemetry.log_to_span(span, "WARNING", "event subject names another orchestrator")
                return OrchestratorResult.empty()
            async with self.access.held(
                event.subject, lock=self.requires_resource_locking, initiating_event=event
            ):
                record = await self.access.read(event.subject)
                traceparent, tracestate = telemetry.current_trace_headers()
                outcome = await step_resumable(
                    self.settings,
                    record=record,
                    event=event,
                    subject=subject,
                    id_clock=self.id_clock,
                    traceparent=traceparent,
                    tracestate=tracestate,
                )
                if outcome.record is not None:
                    previous = None if outcome.outcome is StepOutcome.FAILED else record
                    await self.access.persist(subject, event.subject, outcome.record, previous)
                span.set_attribute(
                    "arvo.handler.execution.status",
                    "failure" if outcome.outcome is StepOutcome.FAILED else "normal",
                )
                telemetry.set_emittable_attributes(span, outcome.events)
                return outcome.result

    async def status(self, subject: str) -> InProcessStatus:
        """What the memory says about the execution of ``subject`` (``pending`` when unknown)."""
        check_subject_or_raise(subject, self.source)
        record = await self.access.read(subject)
        return InProcessStatus.of(record, subject=subject, orchestrator=self.source)


def _check_definition(
    contract: object, services: object, handler: Mapping[str, Any]
) -> tuple[ArvoContract, dict[str, VersionedArvoContract]]:
    """Definition-time checks, each naming what is wrong (all as ConfigViolation, as Arvo)."""
    if not isinstance(contract, ArvoContract) or not contract.is_orchestrator:
        raise ConfigViolation(
            "contracts['self'] must be an orchestrator contract (every version; the execution's "
            "subject picks one)"
        )
    if not isinstance(services, Mapping) or not all(
        isinstance(service, VersionedArvoContract) for service in services.values()
    ):
        raise ConfigViolation("contracts['services'] must map keys to versioned contracts")
    uris = [service.uri for service in services.values()]
    repeated = sorted({uri for uri in uris if uris.count(uri) > 1})
    if repeated:
        raise ConfigViolation(f"Service contracts must have distinct uris, repeated: {repeated}")
    if contract.uri in uris:
        raise ConfigViolation("The self contract cannot also be listed as a service contract")
    missing = [v for v in contract.sorted_versions("asc") if v not in handler]
    unknown = sorted(v for v in handler if v not in contract.versions)
    not_callable = sorted(v for v, fn in handler.items() if not callable(fn))
    if missing or unknown or not_callable:
        raise ConfigViolation(
            f"ArvoResumable for '{contract.uri}': handler versions must match the contract's "
            f"(missing: {missing}, unknown: {unknown}, not callable: {not_callable})"
        )
    return contract, dict(services)


def create_arvo_resumable(
    *,
    contracts: Mapping[str, Any],
    memory: AnyMachineMemory,
    handler: Mapping[str, ResumableHandler],
    execution_units: float | None = None,
    requires_resource_locking: bool = True,
    system_error_domain: Sequence[DomainToken] = (LOCAL,),
    id_clock: IdClockSource = SYSTEM_SOURCE,
) -> ArvoResumable:
    """Arvo's ``createArvoResumable``.

    Args:
        contracts: ``{"self": <orchestrator contract, all versions>, "services": {key:
            <versioned contract>}}``.
        memory: where records live (any machine memory, old or 3.0.28 protocol).
        handler: ``{"X.Y.Z": function}``, one per self contract version; sync or async.
        execution_units: the cost stamped on emitted events unless one sets its own.
        requires_resource_locking: lock the subject around each event (Arvo's default: True).
        system_error_domain: domain tokens of ``sys.<source>.error`` events (default: local).
        id_clock: where event ids, times and child subjects' ids come from.

    Raises:
        ConfigViolation: a self contract that is not an orchestrator contract, services that are
            not versioned contracts or repeat a uri, or handler versions that do not match.
    """
    contract, services = _check_definition(
        contracts.get("self"), contracts.get("services") or {}, handler
    )
    settings = ResumableSettings(
        contract=contract,
        services=services,
        handlers=dict(handler),
        execution_units=execution_units,
        system_error_domains=tuple(system_error_domain),
    )
    return ArvoResumable(
        settings=settings,
        memory=memory,
        requires_resource_locking=requires_resource_locking,
        id_clock=id_clock,
        origin=_caller_origin(),
    )
