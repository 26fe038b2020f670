"""The pure step through the in-process driver, where the transcripts leave gaps: a machine that
fails on a service's reply, a second init for a running execution, and timers stored out of due
order."""

from __future__ import annotations

from arvo_temporal import (
    ArvoEventFactory,
    ArvoOrchestratorEventFactory,
    SimpleMachineMemory,
    create_arvo_orchestrator,
    setup_arvo_machine,
)
from arvo_temporal.statechart import emit
from tests.fixtures import anchors
from tests.fixtures.machines import build_adder
from tests.fixtures.timing import ManualClock, build_timer_race


def _explode(args, params):
    raise RuntimeError("the reply broke the machine")


def build_fragile_adder():
    """The adder, except that the calculator's reply makes its action raise."""
    setup = setup_arvo_machine(
        contracts={
            "self": anchors.adder.version("1.0.0"),
            "services": {"add": anchors.calculator.version("1.0.0")},
        },
        actions={"explode": _explode},
    )
    return setup.create_machine(
        id="adder",
        context=lambda event: {"a": event["data"]["a"], "b": event["data"]["b"]},
        config={
            "initial": "adding",
            "states": {
                "adding": {
                    "entry": emit(
                        lambda args, params: {
                            "type": "com.calculator.add",
                            "data": {"a": args.context["a"], "b": args.context["b"]},
                        }
                    ),
                    "on": {"evt.calculator.add.success": {"actions": "explode"}},
                },
            },
        },
    )


def _init(**fields):
    return ArvoOrchestratorEventFactory(anchors.adder.version("1.0.0")).init(
        source=anchors.CLIENT, data={"parentSubject$$": None, "a": 2, "b": 3}, **fields
    )


def _reply(init, result: float):
    return ArvoEventFactory(anchors.calculator.version("1.0.0")).emits(
        type="evt.calculator.add.success",
        source="com.calculator.add",
        subject=init.subject,
        to="arvo.orc.adder",
        data={"result": result},
    )


async def test_a_failure_on_a_service_reply_tells_the_initiator_not_the_service():
    memory = SimpleMachineMemory()
    orchestrator = create_arvo_orchestrator(memory=memory, machines=[build_fragile_adder()])
    init = _init()
    await orchestrator.execute(init)
    reply = _reply(init, 5)
    (error,) = (await orchestrator.execute(reply)).events
    assert error.type == "sys.arvo.orc.adder.error"
    assert error.data["errorMessage"] == "the reply broke the machine"
    # The reply came from the calculator; the error is for whoever started the execution.
    assert reply.source == "com.calculator.add"
    assert error.to == anchors.CLIENT
    assert error.subject == init.subject
    assert error.parentid == init.id, "system errors name the init event, not the reply"
    record = await memory.read(init.subject)
    assert record.execution_status == "failure"
    assert record.error is not None and record.error.message == "the reply broke the machine"


async def test_a_second_init_for_a_running_execution_keeps_the_first_init_id():
    memory = SimpleMachineMemory()
    orchestrator = create_arvo_orchestrator(memory=memory, machines=[build_adder()])
    first = _init()
    await orchestrator.execute(first)
    again = _init(subject=first.subject)
    assert again.id != first.id and again.subject == first.subject
    assert (await orchestrator.execute(again)).all_events == [], "the machine ignores it"
    assert (await memory.read(first.subject)).init_event_id == first.id
    (done,) = (await orchestrator.execute(_reply(first, 5))).events
    assert done.type == "arvo.orc.adder.done" and done.data["sum"] == 5
    assert done.parentid == first.id, "completion names the init that started the execution"


async def test_timers_stored_out_of_due_order_fire_earliest_first():
    contract, machine = build_timer_race(slow_ms=5000, quick_ms=1000)
    clock = ManualClock()
    memory = SimpleMachineMemory()
    orchestrator = create_arvo_orchestrator(memory=memory, machines=[machine], id_clock=clock)
    init = ArvoOrchestratorEventFactory(contract.version("1.0.0"), id_clock=clock).init(
        source="com.test.client", data={"parentSubject$$": None}
    )
    await orchestrator.execute(init)
    stored = (await memory.read(init.subject)).state["timers"]
    assert [timer["delay_ms"] for timer in stored] == [5000, 1000], "the race needs this order"
    # Both are due by now; the one due first must be delivered first (and end the race).
    clock.advance(seconds=10)
    (done,) = (await orchestrator.fire_due_timers(init.subject)).events
    assert done.data == {"fired": "quick"}
    record = await memory.read(init.subject)
    assert record.status == "done" and record.state["timers"] == []
