"""ArvoOrchestrator: the in-process driver around the pure orchestration step.

``execute(event)`` does what Arvo's orchestrator does (docs/arvo.md §5.2) on any ``MachineMemory``:
subject check → lock (only when a machine requires it) → read → ``step`` → write → unlock, inside
an OpenTelemetry PRODUCER span whose parent is the event's ``traceparent``. The Temporal workflow
runs the very same ``step``; this driver is for tests, scripts and request-scoped use.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Literal

from opentelemetry.trace import SpanKind

from arvo_temporal import telemetry
from arvo_temporal._memory_access import AnyMachineMemory, MemoryAccess
from arvo_temporal.domains import DomainToken
from arvo_temporal.engine import MachineExecutionEngine, StatechartExecutionEngine, pending_timers
from arvo_temporal.errors import ExecutionViolation, InvalidSubjectError
from arvo_temporal.events import ArvoEvent
from arvo_temporal.machine import ArvoMachine
from arvo_temporal.orchestration.result import OrchestratorResult
from arvo_temporal.orchestration.status import InProcessStatus
from arvo_temporal.orchestration.step import (
    UNOBSERVED,
    EmissionDomains,
    OrchestratorSettings,
    StepOutcome,
    check_subject,
    step,
    step_timer,
)
from arvo_temporal.registry import MachineRegistry
from arvo_temporal.sources import SYSTEM_SOURCE, IdClockSource
from arvo_temporal.subject import ArvoOrchestrationSubject, SubjectContent

__all__ = ["ArvoOrchestrator", "create_arvo_orchestrator"]


def check_subject_or_raise(subject: str, source: str) -> SubjectContent:
    """The parsed subject, which must belong to ``source``.

    Raises:
        ExecutionViolation: for an invalid subject or one of another orchestrator.
    """
    try:
        parsed = ArvoOrchestrationSubject.parse(subject)
    except InvalidSubjectError as error:
        raise ExecutionViolation(str(error)) from None
    if parsed.orchestrator.name != source:
        raise ExecutionViolation(f"the subject belongs to {parsed.orchestrator.name}, not {source}")
    return parsed


class _SpanPerPhase:
    """Child spans for the pure step's phases (``machine.run``, ``events.create``)."""

    def phase(self, name: str) -> AbstractContextManager[object]:
        return telemetry.child_span(name)


_SPANS = _SpanPerPhase()


class ArvoOrchestrator:
    """Executes events for one orchestrator (all versions of its machine) against a memory."""

    def __init__(
        self,
        *,
        registry: MachineRegistry,
        memory: AnyMachineMemory,
        execution_engine: MachineExecutionEngine | None = None,
        execution_units: float | None = None,
        requires_resource_locking: bool | None = None,
        domains: EmissionDomains | None = None,
        id_clock: IdClockSource = SYSTEM_SOURCE,
    ) -> None:
        self.settings = OrchestratorSettings(
            registry=registry,
            engine=execution_engine or StatechartExecutionEngine(),
            execution_units=execution_units,
            domains=domains or EmissionDomains(),
        )
        self.memory = memory
        self.access = MemoryAccess(memory, source=self.settings.source)
        self.id_clock = id_clock
        self.requires_resource_locking = (
            self.settings.requires_resource_locking
            if requires_resource_locking is None
            else requires_resource_locking
        )

    @property
    def source(self) -> str:
        """``arvo.orc.<name>``: the topic the orchestrator listens on."""
        return self.settings.source

    @property
    def registry(self) -> MachineRegistry:
        """The machine versions this orchestrator serves."""
        return self.settings.registry

    async def execute(
        self, event: ArvoEvent, *, inherit_from: Literal["EVENT", "CONTEXT"] = "EVENT"
    ) -> OrchestratorResult:
        """Process one event.

        Raises:
            ViolationError: Config/Contract/Execution/TransactionViolation; nothing is written.
        """
        uri = self.registry.machines[0].self_contract.uri
        # Asked once: without a recording provider the phase spans are skipped altogether.
        tracing = telemetry.records_spans()
        with telemetry.execution_span(
            f"Orchestrator<{uri}>@{event.type}",
            event=event,
            kind=SpanKind.PRODUCER,
            inherit_from=inherit_from,
            records=tracing,
        ) as span:
            subject = check_subject(event, self.source)
            if subject is None:
                telemetry.log_to_span(span, "WARNING", "event subject names another orchestrator")
                return OrchestratorResult.empty()
            span.set_attribute("arvo.parsed.subject.orchestrator.name", subject.orchestrator.name)
            span.set_attribute(
                "arvo.parsed.subject.orchestrator.version", subject.orchestrator.version
            )
            async with self.access.held(
                event.subject, lock=self.requires_resource_locking, initiating_event=event
            ):
                record = await self.access.read(event.subject)
                traceparent, tracestate = telemetry.current_trace_headers()
                outcome = step(
                    self.settings,
                    record=record,
                    event=event,
                    subject=subject,
                    id_clock=self.id_clock,
                    traceparent=traceparent,
                    tracestate=tracestate,
                    now_ms=self.id_clock.now().timestamp() * 1000,
                    observer=_SPANS if tracing else UNOBSERVED,
                )
                if outcome.record is not None:
                    previous = None if outcome.outcome is StepOutcome.FAILED else record
                    await self.access.persist(subject, event.subject, outcome.record, previous)
                status = outcome.record.status if outcome.record else None
                span.set_attribute("arvo.orchestration.status", status or outcome.outcome.value)
                span.set_attribute(
                    "arvo.handler.execution.status",
                    "failure" if outcome.outcome is StepOutcome.FAILED else "normal",
                )
                telemetry.set_emittable_attributes(span, outcome.events)
                return outcome.result

    async def fire_due_timers(self, subject: str) -> OrchestratorResult:
        """Deliver every delayed transition (``after``) of ``subject`` that is due by the clock.

        The Temporal driver does this with durable timers; in process, call it when you want time
        to pass (a scheduler, a test advancing a ``DeterministicSource``). Each timer is one step.
        """
        parsed = check_subject_or_raise(subject, self.source)
        events = []
        async with self.access.held(subject, lock=self.requires_resource_locking):
            while True:
                record = await self.access.read(subject)
                now_ms = self.id_clock.now().timestamp() * 1000
                due = [
                    timer
                    for timer in pending_timers(record.state if record else None)
                    if float(timer["due_ms"]) <= now_ms
                ]
                if record is None or not due:
                    break
                outcome = step_timer(
                    self.settings,
                    record=record,
                    timer_event=due[0]["event"],
                    subject=parsed,
                    id_clock=self.id_clock,
                    now_ms=now_ms,
                )
                if outcome.record is None:
                    break
                await self.access.persist(parsed, subject, outcome.record, record)
                events.extend(outcome.events)
        return OrchestratorResult.from_events(events)

    async def status(self, subject: str) -> InProcessStatus:
        """What the memory says about the execution of ``subject``: its status (``pending``
        when there is no record), state value and execution-units total. Takes no lock."""
        check_subject_or_raise(subject, self.source)
        record = await self.access.read(subject)
        return InProcessStatus.of(record, subject=subject, orchestrator=self.source)


def create_arvo_orchestrator(
    *,
    memory: AnyMachineMemory,
    machines: Sequence[ArvoMachine],
    execution_units: float | None = None,
    requires_resource_locking: bool | None = None,
    domains: EmissionDomains | None = None,
    default_event_emission_domains: dict[str, list[DomainToken]] | None = None,
    execution_engine: MachineExecutionEngine | None = None,
    id_clock: IdClockSource = SYSTEM_SOURCE,
) -> ArvoOrchestrator:
    """Arvo's ``createArvoOrchestrator``: one orchestrator over every version of one machine.

    ``default_event_emission_domains`` takes Arvo's shape (``{"systemError": [...],
    "services": [...], "complete": [...]}``) as an alternative to ``domains``.

    Raises:
        ConfigViolation: no machines, different sources, or duplicate versions.
    """
    if domains is None and default_event_emission_domains is not None:
        defaults = EmissionDomains()
        given = default_event_emission_domains
        domains = EmissionDomains(
            system_error=tuple(given.get("systemError", defaults.system_error)),
            services=tuple(given.get("services", defaults.services)),
            complete=tuple(given.get("complete", defaults.complete)),
        )
    return ArvoOrchestrator(
        registry=MachineRegistry(*machines),
        memory=memory,
        execution_engine=execution_engine,
        execution_units=execution_units,
        requires_resource_locking=requires_resource_locking,
        domains=domains,
        id_clock=id_clock,
    )
