"""The two drivers of the one pure core, behind one small interface, so every orchestration
scenario runs on both (README.md, "How it fits together": both drivers give the same events).

``run(event)`` feeds an init event to the system and returns the events that *left* it once the
root execution settled: unrouted events and events with a domain (in process: the broker's
leftovers; on Temporal: what reached the sinks). ``execute(event)`` is Arvo's ``execute`` on the
event's orchestrator (violations raise).
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any, Protocol

from arvo_temporal import (
    ArvoEvent,
    OrchestratorResult,
    SimpleEventBroker,
    SimpleMachineMemory,
    create_arvo_orchestrator,
)
from arvo_temporal.errors import ExecutionCancelledError, ExecutionFailedError
from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoApp, ArvoTemporalClient, create_worker
from tests.fixtures.machines import BUILDERS, EXECUTION_UNITS
from tests.fixtures.services import make_calculator_handler

HISTORY_TASK_QUEUE = "arvo-recorded-histories"


def fixture_app(task_queue: str, sink: MemorySink | None = None, **options: Any) -> ArvoApp:
    """Every conformance orchestrator plus the calculator, all leaving events to one sink."""
    from arvo_temporal.temporal import OrchestratorSpec

    return ArvoApp(
        orchestrators=[
            OrchestratorSpec(machines=(build(),), execution_units=EXECUTION_UNITS[name])
            for name, build in BUILDERS.items()
        ],
        handlers=[make_calculator_handler()],
        default_sink=sink or MemorySink(),
        task_queue=task_queue,
        **options,
    )


class Driver(Protocol):
    name: str

    async def run(self, event: ArvoEvent) -> list[ArvoEvent]: ...

    async def execute(self, event: ArvoEvent) -> OrchestratorResult: ...


class InProcessDriver:
    """ArvoOrchestrators on SimpleMachineMemory, wired by the SimpleEventBroker."""

    name = "memory"

    def __init__(self) -> None:
        self.orchestrators = {
            f"arvo.orc.{name}": create_arvo_orchestrator(
                memory=SimpleMachineMemory(),
                machines=[build()],
                execution_units=EXECUTION_UNITS[name],
            )
            for name, build in BUILDERS.items()
        }
        self.broker = SimpleEventBroker([*self.orchestrators.values(), make_calculator_handler()])

    async def run(self, event: ArvoEvent) -> list[ArvoEvent]:
        return await self.broker.send(event)

    async def execute(self, event: ArvoEvent) -> OrchestratorResult:
        # Route by the event's type (as the broker routes by ``to``); any orchestrator raises
        # the ExecutionViolation for a subject that is not an orchestration subject.
        target = self.orchestrators.get(event.to or "", self.orchestrators["arvo.orc.adder"])
        return await target.execute(event)


class TemporalDriver:
    """The same orchestrators as workflows on the dev server; leaving events land in a sink."""

    name = "temporal"

    def __init__(self, client: ArvoTemporalClient, sink: MemorySink) -> None:
        self.client = client
        self.sink = sink

    async def run(self, event: ArvoEvent) -> list[ArvoEvent]:
        before = len(self.sink.events)
        await self.client.send(event)
        # A failed execution still tells its initiator; what left the system is what we compare.
        with contextlib.suppress(ExecutionFailedError, ExecutionCancelledError):
            await self.client.result(event.subject, wait=timedelta(seconds=60))
        return self.sink.events[before:]

    async def execute(self, event: ArvoEvent) -> OrchestratorResult:
        return await self.client.execute(event)


def temporal_worker(client: ArvoTemporalClient, app: ArvoApp) -> Any:
    """``async with`` this to run a worker for ``app`` (a Temporal Worker context manager)."""
    return create_worker(client, app=app)
