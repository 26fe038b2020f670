"""The in-process orchestrator beyond the transcripts: locking under concurrency, memory failures,
a custom execution engine, and the spans it produces."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from arvo_temporal import (
    ArvoEventFactory,
    ArvoOrchestratorEventFactory,
    MachineExecutionResult,
    SimpleMachineMemory,
    TransactionCause,
    TransactionViolation,
    create_arvo_orchestrator,
)
from arvo_temporal.telemetry import use_tracer_provider
from tests.fixtures import anchors
from tests.fixtures.machines import build_adder
from tests.fixtures.timing import ManualClock, build_counter, build_waiter, counter, ticker


class YieldingMemory(SimpleMachineMemory[Any]):
    """Yields to the event loop inside read, so concurrent executions really interleave."""

    async def read(self, id: str) -> Any:
        await asyncio.sleep(0)
        return await super().read(id)


async def test_concurrent_events_for_one_subject_are_serialised_by_the_lock():
    memory = YieldingMemory()
    orchestrator = create_arvo_orchestrator(memory=memory, machines=[build_counter()])
    assert orchestrator.requires_resource_locking
    init = ArvoOrchestratorEventFactory(counter.version("1.0.0")).init(
        source="com.test.client", data={"parentSubject$$": None}
    )
    await orchestrator.execute(init)
    ticks = ArvoEventFactory(ticker.version("1.0.0"))
    events = [
        ticks.emits(
            type="evt.ticker.tick.success",
            source="com.ticker.tick",
            subject=init.subject,
            to="arvo.orc.counter",
            data={"n": n},
        )
        for n in range(100)
    ]
    contention = 0

    async def deliver(event):
        nonlocal contention
        while True:
            try:
                return await orchestrator.execute(event)
            except TransactionViolation as violation:
                assert violation.cause is TransactionCause.LOCK_UNACQUIRED
                contention += 1
                await asyncio.sleep(0)

    await asyncio.gather(*(deliver(event) for event in events))
    record = await memory.read(init.subject)
    context = record.state["context"]
    assert context["count"] == 100
    assert sorted(context["seen"]) == list(range(100)), "every event processed exactly once"
    assert contention > 0, "the test must have produced real lock contention"
    assert not memory.is_locked(init.subject)


class FailingMemory(SimpleMachineMemory[Any]):
    def __init__(self, failing: str) -> None:
        super().__init__(read_attempts=1)
        self.failing = failing

    async def _read_once(self, id: str) -> Any:
        if self.failing == "read":
            raise OSError("store unreachable")
        return await super()._read_once(id)

    async def _write_once(self, id: str, data: Any) -> None:
        if self.failing == "write":
            raise OSError("store refused the write")
        await super()._write_once(id, data)

    async def lock(self, id: str) -> bool:
        if self.failing == "lock":
            raise OSError("lock service down")
        return await super().lock(id)


def _adder_init():
    return ArvoOrchestratorEventFactory(anchors.adder.version("1.0.0")).init(
        source=anchors.CLIENT, data={"parentSubject$$": None, "a": 1, "b": 2}
    )


@pytest.mark.parametrize(
    ("failing", "cause"),
    [
        ("read", TransactionCause.READ_MACHINE_MEMORY_FAILURE),
        ("write", TransactionCause.WRITE_MACHINE_MEMORY_FAILURE),
        ("lock", TransactionCause.LOCK_MACHINE_MEMORY_FAILURE),
    ],
)
async def test_memory_failures_become_transaction_violations(failing, cause):
    orchestrator = create_arvo_orchestrator(
        memory=FailingMemory(failing),
        machines=[build_adder()],
        requires_resource_locking=True,
    )
    with pytest.raises(TransactionViolation) as raised:
        await orchestrator.execute(_adder_init())
    assert raised.value.cause is cause
    assert f"[{cause.value}]" in str(raised.value)


async def test_a_held_lock_refuses_without_reading():
    memory = SimpleMachineMemory()
    orchestrator = create_arvo_orchestrator(
        memory=memory, machines=[build_adder()], requires_resource_locking=True
    )
    init = _adder_init()
    assert await memory.lock(init.subject)
    with pytest.raises(TransactionViolation) as raised:
        await orchestrator.execute(init)
    assert raised.value.cause is TransactionCause.LOCK_UNACQUIRED
    assert await memory.read(init.subject) is None


class ScriptedEngine:
    """A custom engine (Arvo's MachineExecutionEngine protocol): no statechart at all, one fixed emission and completion."""

    def __init__(self) -> None:
        self.calls: list[tuple[bool, str]] = []

    def execute(self, *, machine, state, event, now_ms=0) -> MachineExecutionResult:
        self.calls.append((state is None, event.type))
        if state is None:
            return MachineExecutionResult(
                state={"phase": "waiting"},
                events=[{"type": "com.calculator.add", "data": {"a": 40, "b": 2}}],
                status="active",
                value="waiting",
            )
        return MachineExecutionResult(
            state={"phase": "done"},
            final_output={"success": True, "sum": event.data["result"], "errors": []},
            status="done",
            value="done",
        )


async def test_a_custom_execution_engine_plugs_in():
    engine = ScriptedEngine()
    memory = SimpleMachineMemory()
    orchestrator = create_arvo_orchestrator(
        memory=memory, machines=[build_adder()], execution_engine=engine
    )
    init = _adder_init()
    (call,) = (await orchestrator.execute(init)).events
    assert call.type == "com.calculator.add" and call.data == {"a": 40, "b": 2}
    reply = ArvoEventFactory(anchors.calculator.version("1.0.0")).emits(
        type="evt.calculator.add.success",
        source="com.calculator.add",
        subject=init.subject,
        to="arvo.orc.adder",
        data={"result": 42},
    )
    (done,) = (await orchestrator.execute(reply)).events
    assert done.type == "arvo.orc.adder.done" and done.data["sum"] == 42
    assert engine.calls == [(True, "arvo.orc.adder"), (False, "evt.calculator.add.success")]
    assert (await memory.read(init.subject)).state == {"phase": "done"}


async def test_execute_spans_nest_and_carry_the_incoming_trace():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    init = _adder_init().model_copy(update={"traceparent": incoming})
    orchestrator = create_arvo_orchestrator(
        memory=SimpleMachineMemory(), machines=[build_adder()], requires_resource_locking=True
    )
    with use_tracer_provider(provider):
        result = await orchestrator.execute(init)
    spans = {span.name: span for span in exporter.get_finished_spans()}
    root = spans["Orchestrator<#/anchors/orchestrator/adder>@arvo.orc.adder"]
    assert format(root.context.trace_id, "032x") == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert format(root.parent.span_id, "016x") == "00f067aa0ba902b7"
    for child in (
        "memory.lock",
        "memory.read",
        "machine.run",
        "events.create",
        "memory.write",
        "memory.unlock",
    ):
        assert spans[child].parent.span_id == root.context.span_id, child
    assert root.attributes["arvo.orchestration.status"] == "active"
    assert root.attributes["arvo.parsed.subject.orchestrator.name"] == "arvo.orc.adder"
    assert root.attributes["emittables.0.cloudevents.event_type"] == "com.calculator.add"
    (produced,) = result.events
    trace_id, span_id = produced.traceparent.split("-")[1:3]
    assert trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert span_id != "00f067aa0ba902b7", "a real SDK mints a new span id in the same trace"


async def test_without_an_sdk_the_incoming_traceparent_is_copied():
    incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    init = _adder_init().model_copy(update={"traceparent": incoming})
    orchestrator = create_arvo_orchestrator(memory=SimpleMachineMemory(), machines=[build_adder()])
    (produced,) = (await orchestrator.execute(init)).events
    assert produced.traceparent == incoming


async def test_in_process_timers_fire_when_due():
    contract, machine = build_waiter()
    clock = ManualClock()
    memory = SimpleMachineMemory()
    orchestrator = create_arvo_orchestrator(memory=memory, machines=[machine], id_clock=clock)
    init = ArvoOrchestratorEventFactory(contract.version("1.0.0"), id_clock=clock).init(
        source="com.test.client", data={"parentSubject$$": None}
    )
    await orchestrator.execute(init)
    (timer,) = (await memory.read(init.subject)).state["timers"]
    assert timer["delay_ms"] == 5000
    clock.advance(seconds=1)
    assert (await orchestrator.fire_due_timers(init.subject)).all_events == []
    clock.advance(seconds=5)
    (done,) = (await orchestrator.fire_due_timers(init.subject)).events
    assert done.type == "arvo.orc.waiter.done" and done.data == {"timed_out": True}
    assert done.parentid == init.id
    record = await memory.read(init.subject)
    assert record.status == "done" and record.state["timers"] == []
