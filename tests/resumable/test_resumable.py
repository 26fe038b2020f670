"""ArvoResumable in process: Arvo's semantics through the same memory transaction and broker as
machines — the adder as a resumable gives the machine adder's events, byte for byte."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arvo_temporal import (
    ArvoEvent,
    ArvoEventFactory,
    ArvoOrchestratorEventFactory,
    ConfigViolation,
    ContractViolation,
    DeterministicSource,
    ExecutionViolation,
    SimpleEventBroker,
    SimpleMachineMemory,
    TransactionCause,
    TransactionViolation,
    create_arvo_orchestrator,
    create_arvo_resumable,
)
from arvo_temporal.domains import FROM_EVENT_CONTRACT
from arvo_temporal.orchestration.record import MachineMemoryRecord
from arvo_temporal.subject import ArvoOrchestrationSubject
from tests.fixtures import anchors
from tests.fixtures.machines import build_adder, build_parent
from tests.fixtures.services import make_calculator_handler
from tests.resumable.fixtures import (
    BudgetExceeded,
    build_adder_resumable,
    build_misbehaving,
)

CLIENT = "com.test.client"


def adder_init(a: float = 2, b: float = 3, *, id_clock: Any = None, **data: Any) -> ArvoEvent:
    options = {"id_clock": id_clock} if id_clock is not None else {}
    return ArvoOrchestratorEventFactory(anchors.adder.version("1.0.0"), **options).init(
        source=CLIENT, data={"parentSubject$$": None, "a": a, "b": b, **data}
    )


def answer(call: ArvoEvent, result: float = 5) -> ArvoEvent:
    return ArvoEventFactory(anchors.calculator.version("1.0.0")).emits(
        type="evt.calculator.add.success",
        source="com.calculator.add",
        subject=call.subject,
        to=call.redirectto,
        parentid=call.id,
        data={"result": result},
    )


async def test_init_calls_the_service_and_the_answer_completes_the_execution():
    memory = SimpleMachineMemory[MachineMemoryRecord]()
    resumable = build_adder_resumable(memory, units=0.5)
    init = adder_init()
    (call,) = (await resumable.execute(init)).events
    assert (call.type, call.data, call.to) == (
        "com.calculator.add",
        {"a": 2.0, "b": 3.0},
        "com.calculator.add",
    )
    assert (call.source, call.redirectto, call.parentid, call.subject) == (
        "arvo.orc.adder",
        "arvo.orc.adder",
        init.id,
        init.subject,
    )
    assert call.dataschema == "#/anchors/calculator/add/1.0.0" and call.executionunits == 0.5
    record = await memory.read(init.subject)
    assert record is not None and record.events is not None
    assert record.events.expected == {call.id: []} and record.state == {"state$$": {"a": 2, "b": 3}}
    (done,) = (await resumable.execute(answer(call))).events
    assert done.type == "arvo.orc.adder.done"
    assert done.data == {"success": True, "sum": 5.0, "errors": []}
    assert (done.to, done.parentid, done.subject, done.domain) == (
        CLIENT,
        init.id,
        init.subject,
        None,
    )
    assert done.dataschema == "#/anchors/orchestrator/adder/1.0.0"
    status = await resumable.status(init.subject)
    assert status.status == "done" and status.execution_units == pytest.approx(1.0)


async def test_the_resumable_adder_emits_what_the_machine_adder_emits():
    """Same input, same id/clock source: identical events (ids included) for a parent machine
    whose child adder is a machine in one run and a resumable in the other."""

    async def run(child: str) -> list[dict[str, Any]]:
        source = DeterministicSource()
        memory = SimpleMachineMemory[MachineMemoryRecord]()
        parent = create_arvo_orchestrator(memory=memory, machines=[build_parent()], id_clock=source)
        adder: Any = (
            create_arvo_orchestrator(memory=memory, machines=[build_adder()], id_clock=source)
            if child == "machine"
            else build_adder_resumable(memory, id_clock=source)
        )
        seen: list[dict[str, Any]] = []
        calculator = make_calculator_handler(id_clock=source)

        class Recording:
            def __init__(self, inner: Any) -> None:
                self.inner, self.source = inner, inner.source

            async def execute(self, event: ArvoEvent) -> Any:
                result = await self.inner.execute(event)
                # Times are left out: the machine driver reads the clock once more per event
                # (to stamp ``after`` timers), so its events are a few ticks later.
                seen.extend({**e.to_json(), "time": None} for e in result.all_events)
                return result

        broker = SimpleEventBroker([Recording(parent), Recording(adder), Recording(calculator)])
        init = ArvoOrchestratorEventFactory(anchors.parent.version("1.0.0"), id_clock=source).init(
            source=CLIENT, data={"parentSubject$$": None, "a": 1, "b": 2, "c": 3}
        )
        (done,) = await broker.send(init)
        assert done.data == {"success": True, "total": 6.0, "errors": []}
        return seen

    machine, resumable = await run("machine"), await run("resumable")
    assert len(machine) == 7
    assert resumable == machine


async def test_responses_are_collected_until_the_handler_has_what_it_waits_for():
    memory = SimpleMachineMemory[MachineMemoryRecord]()
    resumable = build_misbehaving(memory)
    init = adder_init(a=4)
    first, second = (await resumable.execute(init)).events
    assert (await resumable.execute(answer(first, 1))).events == []
    record = await memory.read(init.subject)
    assert record is not None and record.events is not None and record.events.expected is not None
    assert [len(v) for v in record.events.expected.values()] == [1, 0]
    assert record.state == {"state$$": {"calls": 2, "waiting": True}}
    (done,) = (await resumable.execute(answer(second, 2))).events
    assert done.data["sum"] == 3.0
    # An unrelated answer (its parentid names nothing expected) is not collected.
    assert (await resumable.execute(answer(first, 9))).events == []


async def test_events_after_done_are_ignored_and_nothing_is_written():
    writes: list[str] = []

    class CountingMemory(SimpleMachineMemory[MachineMemoryRecord]):
        async def write(self, id, data, prev_data, metadata=None):
            writes.append(id)
            await super().write(id, data, prev_data, metadata)

    resumable = build_adder_resumable(CountingMemory())
    init = adder_init()
    (call,) = (await resumable.execute(init)).events
    await resumable.execute(answer(call))
    assert len(writes) == 2
    assert (await resumable.execute(answer(call, 99))).events == []
    assert (await resumable.execute(init)).events == []
    assert len(writes) == 2


async def test_events_for_other_executions_or_without_an_init_are_ignored():
    resumable = build_adder_resumable()
    init = adder_init()
    call = ArvoEventFactory(anchors.calculator.version("1.0.0")).accepts(
        source="arvo.orc.adder", subject=init.subject, data={"a": 1, "b": 1}
    )
    assert (await resumable.execute(answer(call))).events == []  # no execution yet
    foreign = ArvoOrchestratorEventFactory(anchors.parent.version("1.0.0")).init(
        source=CLIENT, data={"parentSubject$$": None, "a": 1, "b": 2, "c": 3}
    )
    assert (await resumable.execute(foreign)).events == []  # another orchestrator's subject


async def test_violations_are_raised_and_nothing_is_written():
    memory = SimpleMachineMemory[MachineMemoryRecord]()
    resumable = build_adder_resumable(memory)
    bad_subject = adder_init().model_copy(update={"subject": "not-a-subject"})
    with pytest.raises(ExecutionViolation, match="subject"):
        await resumable.execute(bad_subject)
    other_version = ArvoOrchestrationSubject.new(
        orchestrator="arvo.orc.adder", version="9.9.9", initiator=CLIENT
    )
    with pytest.raises(ConfigViolation, match="Handler resolution failed"):
        await resumable.execute(adder_init().model_copy(update={"subject": other_version}))
    with pytest.raises(ContractViolation, match="Input validation failed"):
        await resumable.execute(
            adder_init().model_copy(update={"data": {"parentSubject$$": None, "a": "x"}})
        )
    init = adder_init()
    await resumable.execute(init)
    stranger = ArvoEventFactory(anchors.approval.version("1.0.0")).emits(
        type="evt.approval.request.success",
        source="com.approval.request",
        subject=init.subject,
        data={"approved": True},
    )
    with pytest.raises(ConfigViolation, match="in the resumable"):
        await resumable.execute(stranger)
    assert len(memory) == 1


async def test_a_user_violation_reaches_the_caller_with_its_class_and_fields():
    memory = SimpleMachineMemory[MachineMemoryRecord]()
    resumable = build_misbehaving(memory)
    with pytest.raises(BudgetExceeded) as raised:
        await resumable.execute(adder_init(a=2, b=50))
    assert (raised.value.limit, raised.value.asked) == (10, 50)
    assert raised.value.name == "ViolationError<BudgetExceeded>"
    assert len(memory) == 0


@pytest.mark.parametrize(
    ("mode", "error_name", "message"),
    [(1, "Error", "the handler broke"), (3, "TypeError", "got list")],
)
async def test_an_ordinary_error_ends_the_execution_with_a_system_error(mode, error_name, message):
    memory = SimpleMachineMemory[MachineMemoryRecord]()
    resumable = build_misbehaving(memory, execution_units=2)
    init = adder_init(a=mode)
    (error,) = (await resumable.execute(init)).events
    assert error.type == "sys.arvo.orc.adder.error"
    assert error.data["errorName"] == error_name and message in error.data["errorMessage"]
    assert (error.to, error.parentid, error.subject) == (CLIENT, init.id, init.subject)
    assert error.dataschema == "#/anchors/orchestrator/adder/0.0.0"
    assert error.executionunits == 2
    record = await memory.read(init.subject)
    assert record is not None and record.failed
    assert (await resumable.execute(init)).events == []  # a failed execution ignores the rest


async def test_a_child_resumable_reports_to_its_parent_subject():
    memory = SimpleMachineMemory[MachineMemoryRecord]()
    resumable = build_adder_resumable(memory)
    parent = ArvoOrchestrationSubject.new(
        orchestrator="arvo.orc.parent", version="1.0.0", initiator=CLIENT
    )
    child = ArvoOrchestratorEventFactory(anchors.adder.version("1.0.0")).init(
        source="arvo.orc.parent", data={"parentSubject$$": parent, "a": 1, "b": 1}
    )
    (call,) = (await resumable.execute(child)).events
    (done,) = (await resumable.execute(answer(call, 2))).events
    # The factory routes the child's completion to the parent's initiator (docs/arvo.md §4).
    assert (done.subject, done.to) == (parent, CLIENT)
    record = await memory.read(child.subject)
    assert record is not None and record.parent_subject == parent


async def test_service_calls_take_their_domains_from_tokens():
    def ask_for_approval(request):
        if request.input is not None:
            return {
                "services": [
                    {
                        "type": "com.approval.request",
                        "data": {"amount": 3},
                        "domain": [FROM_EVENT_CONTRACT, None],
                    }
                ]
            }
        return {"output": {"success": True, "sum": 0, "errors": []}}

    resumable = create_arvo_resumable(
        contracts={
            "self": anchors.adder,
            "services": {"approval": anchors.approval.version("1.0.0")},
        },
        memory=SimpleMachineMemory(),
        handler={"1.0.0": ask_for_approval},
    )
    result = await resumable.execute(adder_init())
    assert [event.domain for event in result.all_events] == ["human.review", None]
    assert result.all_event_domains == ["human.review", "default"]


async def test_the_lock_is_taken_by_default():
    memory = SimpleMachineMemory[MachineMemoryRecord]()
    resumable = build_adder_resumable(memory)
    init = adder_init()
    await memory.lock(init.subject)
    with pytest.raises(TransactionViolation) as raised:
        await resumable.execute(init)
    assert raised.value.cause is TransactionCause.LOCK_UNACQUIRED
    await memory.unlock(init.subject)
    await resumable.execute(init)
    assert not memory.is_locked(init.subject)


async def test_identical_sources_give_identical_events():
    async def run() -> list[dict[str, Any]]:
        source = DeterministicSource()
        resumable = build_adder_resumable(id_clock=source)
        (call,) = (await resumable.execute(adder_init(id_clock=source))).events
        (done,) = (await resumable.execute(answer(call))).events
        return [call.to_json(), {**done.to_json(), "time": None}]

    assert await run() == await run()


@pytest.mark.parametrize(
    ("contracts", "handler", "match"),
    [
        ({"self": anchors.calculator, "services": {}}, {"1.0.0": print}, "orchestrator contract"),
        (
            {"self": anchors.adder, "services": {"x": anchors.calculator}},
            {"1.0.0": print},
            "versioned",
        ),
        ({"self": anchors.adder, "services": {}}, {}, "missing: \\['1.0.0'\\]"),
        ({"self": anchors.adder, "services": {}}, {"1.0.0": print, "2.0.0": print}, "unknown"),
        ({"self": anchors.adder, "services": {}}, {"1.0.0": 42}, "not callable"),
        (
            {
                "self": anchors.adder,
                "services": {
                    "a": anchors.calculator.version("1.0.0"),
                    "b": anchors.calculator.version("1.0.0"),
                },
            },
            {"1.0.0": print},
            "distinct uris",
        ),
        (
            {"self": anchors.adder, "services": {"me": anchors.adder.version("1.0.0")}},
            {"1.0.0": print},
            "cannot also be listed",
        ),
    ],
)
def test_definitions_are_checked_at_construction(contracts, handler, match):
    with pytest.raises(ConfigViolation, match=match):
        create_arvo_resumable(contracts=contracts, memory=SimpleMachineMemory(), handler=handler)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.dictionaries(
        st.sampled_from(["a", "b", "parentSubject$$", "c"]) | st.text(max_size=4), JSON, max_size=4
    )
)
async def test_hostile_init_data_is_a_contract_violation_or_a_normal_step(data):
    resumable = build_adder_resumable()
    base = adder_init()
    event = base.model_copy(update={"data": data})
    try:
        result = await resumable.execute(event)
    except (ContractViolation, ExecutionViolation) as violation:
        assert str(violation).startswith("ViolationError<")
    else:
        assert all(
            produced.type.startswith(("com.calculator", "sys.")) for produced in result.all_events
        )
