"""The raw Temporal baseline for ``benchmarks.temporal_adapter``: the calculator workload written
directly against ``temporalio``, with no Arvo code on the workflow or activity path.

It has the shape of what the adapter does for one calculator execution, so the ratio between the
two measures the adapter's own overhead and not Temporal's:

* signal-with-start delivers a CloudEvent-shaped init (the same 17 keys and sizes as the Arvo
  init) into an inbox filled by a sync signal handler and drained by ``run``;
* one activity does the add and returns a reply event (the adapter's ``arvo_handle``);
* one *local* activity records the completion event in memory (the adapter's ``arvo_dispatch``,
  which is a local activity too; ``emit_mode="activity"`` makes it a normal activity instead);
* the workflow completes.

Everything is defined at module top level because the workflow sandbox imports this module; the
benchmark passes it through the sandbox, as the worker passes ``arvo_temporal`` (the adapter's
workflow module) through, so neither side pays a per-run re-import the other does not.

``Completions`` is also used by the adapter phase: a driver slot waits on the future of the
execution it started, and whoever records a completion (the raw emit activity here, the sink in
the adapter phase) resolves it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

__all__ = [
    "ADD_ACTIVITY",
    "COUNTER_WORKFLOW_NAME",
    "EMIT_ACTIVITY",
    "EVENT_SIGNAL",
    "EXECUTE_UPDATE",
    "WORKFLOW_NAME",
    "Completions",
    "EmitMode",
    "RawActivities",
    "RawCalculatorWorkflow",
    "RawCounterWorkflow",
    "RawEvent",
    "RawInput",
    "create_raw_worker",
    "send_raw",
]

WORKFLOW_NAME = "RawCalculatorWorkflow"
COUNTER_WORKFLOW_NAME = "RawCounterWorkflow"
EVENT_SIGNAL = "event"
EXECUTE_UPDATE = "execute"
ADD_ACTIVITY = "raw_add"
EMIT_ACTIVITY = "raw_emit"
EmitMode = Literal["local", "activity"]

T = TypeVar("T")


class RawEvent(BaseModel):
    """A CloudEvent with Arvo's extension keys, as plain data: the same payload size on the wire
    as an ``ArvoEvent``, without its validation."""

    id: str
    source: str
    specversion: str = "1.0"
    type: str
    subject: str
    datacontenttype: str | None = None
    dataschema: str | None = None
    data: dict[str, Any]
    time: str
    to: str | None = None
    accesscontrol: str | None = None
    redirectto: str | None = None
    executionunits: float | None = None
    traceparent: str | None = None
    tracestate: str | None = None
    parentid: str | None = None
    domain: str | None = None


class RawInput(BaseModel):
    """The workflow's start argument: the subject it serves and how it emits."""

    subject: str
    emit_mode: EmitMode = "local"


class Completions(Generic[T]):
    """Futures keyed by execution (subject or workflow id), resolved when a completion lands.

    ``expect`` before sending, so a completion can never arrive before anyone listens; a
    completion nobody expected (a warm-up run) is kept and resolves a later ``expect``.
    """

    def __init__(self) -> None:
        self._futures: dict[str, asyncio.Future[T]] = {}
        self.count = 0

    def _future(self, key: str) -> asyncio.Future[T]:
        future = self._futures.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._futures[key] = future
        return future

    def expect(self, key: str) -> asyncio.Future[T]:
        """The future that ``resolve(key, …)`` completes."""
        return self._future(key)

    def resolve(self, key: str, value: T) -> None:
        """Record the first completion for ``key``; a redelivery (at-least-once) is ignored."""
        future = self._future(key)
        if not future.done():
            future.set_result(value)
            self.count += 1


@workflow.defn(name=WORKFLOW_NAME)
class RawCalculatorWorkflow:
    """init (signal) → add activity → emit completion → complete."""

    @workflow.init
    def __init__(self, input: RawInput) -> None:
        self._inbox: list[RawEvent] = []

    @workflow.signal(name=EVENT_SIGNAL)
    def event(self, event: RawEvent) -> None:
        """The target of signal-with-start; only enqueues, as the adapter's handler does."""
        self._inbox.append(event)

    @workflow.run
    async def run(self, input: RawInput) -> float:
        await workflow.wait_condition(lambda: bool(self._inbox))
        init = self._inbox.pop(0)
        reply = await workflow.execute_activity(
            ADD_ACTIVITY,
            init,
            result_type=RawEvent,
            start_to_close_timeout=timedelta(minutes=5),
        )
        total = float(reply.data["result"])
        completion = RawEvent(
            id=str(workflow.uuid4()),
            source="arvo.orc.raw.adder",
            type="arvo.orc.raw.adder.done",
            subject=init.subject,
            datacontenttype=init.datacontenttype,
            dataschema=init.dataschema,
            data={"sum": total},
            time=workflow.now().isoformat(),
            to=init.source,
            parentid=init.id,
        )
        if input.emit_mode == "local":
            await workflow.execute_local_activity(
                EMIT_ACTIVITY, [completion], start_to_close_timeout=timedelta(seconds=30)
            )
        else:
            await workflow.execute_activity(
                EMIT_ACTIVITY, [completion], start_to_close_timeout=timedelta(seconds=30)
            )
        return total


@workflow.defn(name=COUNTER_WORKFLOW_NAME)
class RawCounterWorkflow:
    """The raw twin of the execute-latency machine: an update enqueues an event and waits until
    ``run`` has applied it, the adapter's ``execute`` pattern without Arvo. Never completes."""

    @workflow.init
    def __init__(self, input: RawInput) -> None:
        self._inbox: list[RawEvent] = []
        self._answers: dict[str, int] = {}
        self._count = 0

    @workflow.update(name=EXECUTE_UPDATE)
    async def execute(self, event: RawEvent) -> int:
        """Apply one event; answer with the count after it."""
        self._inbox.append(event)
        await workflow.wait_condition(lambda: event.id in self._answers)
        return self._answers.pop(event.id)

    @workflow.run
    async def run(self, input: RawInput) -> int:
        while True:
            await workflow.wait_condition(lambda: bool(self._inbox))
            while self._inbox:
                event = self._inbox.pop(0)
                self._count += int(event.data.get("n", 1))
                self._answers[event.id] = self._count


class RawActivities:
    """The add and the emission; completions go to ``completions``, keyed by subject."""

    def __init__(self, completions: Completions[RawEvent]) -> None:
        self.completions = completions

    @activity.defn(name=ADD_ACTIVITY)
    async def add(self, event: RawEvent) -> RawEvent:
        """The calculator: the reply event the adapter's handler would return."""
        return RawEvent(
            id=f"{event.id}-reply",
            source="com.calculator.add",
            type="evt.calculator.add.success",
            subject=event.subject,
            datacontenttype=event.datacontenttype,
            dataschema=event.dataschema,
            data={"result": event.data["a"] + event.data["b"]},
            time=event.time,
            to=event.source,
            parentid=event.id,
        )

    @activity.defn(name=EMIT_ACTIVITY)
    async def emit(self, events: Sequence[RawEvent]) -> None:
        """Record the completion in memory (the adapter's MemorySink)."""
        for event in events:
            self.completions.resolve(event.subject, event)


def create_raw_worker(
    client: Client, task_queue: str, completions: Completions[RawEvent]
) -> Worker:
    """A worker with the adapter's sandbox settings plus this module passed through."""
    activities = RawActivities(completions)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[RawCalculatorWorkflow, RawCounterWorkflow],
        activities=[activities.add, activities.emit],
        # What a Temporal user writes by hand: pydantic and this module passed through.
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(
                "pydantic", "pydantic_core", __name__
            )
        ),
    )


async def send_raw(
    client: Client, event: RawEvent, workflow_id: str, task_queue: str, emit_mode: EmitMode
) -> None:
    """Signal-with-start, with the adapter's id policies (join an open run, never reuse an id)."""
    await client.start_workflow(
        WORKFLOW_NAME,
        RawInput(subject=event.subject, emit_mode=emit_mode),
        id=workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        task_timeout=timedelta(seconds=10),
        start_signal=EVENT_SIGNAL,
        start_signal_args=[event],
    )
