"""The pure step through the in-process driver, where the transcripts leave gaps: a machine that
fails on a service's reply, a second init for a running execution, and timers stored out of due
order."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pydantic import BaseModel

from arvo_temporal import (
    ArvoEventFactory,
    ArvoOrchestrationSubject,
    ArvoOrchestratorEventFactory,
    DeterministicSource,
    ExecutionViolation,
    SimpleMachineMemory,
    StatechartExecutionEngine,
    create_arvo_orchestrator,
    create_arvo_orchestrator_contract,
    create_simple_arvo_contract,
    setup_arvo_machine,
)
from arvo_temporal.orchestration.record import MachineMemoryRecord
from arvo_temporal.orchestration.step import (
    EmissionDomains,
    OrchestratorSettings,
    StepOutcome,
    check_subject,
    step,
    step_cancel,
    step_timer,
)
from arvo_temporal.registry import MachineRegistry
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


# ----------------------------------------------------------------- the step functions directly

SOURCE_ADDER = "arvo.orc.adder"
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class Tick(BaseModel):
    n: int


class Empty(BaseModel):
    pass


class Done(BaseModel):
    phase: str


def settings_for(*machines, **options) -> OrchestratorSettings:
    return OrchestratorSettings(
        registry=MachineRegistry(*machines), engine=StatechartExecutionEngine(), **options
    )


def run_step(settings, event, record=None, **options):
    return step(
        settings,
        record=record,
        event=event,
        subject=check_subject(event, settings.source),
        id_clock=DeterministicSource(),
        **options,
    )


def test_events_without_an_execution_are_ignored_and_say_why():
    settings = settings_for(build_adder())
    init = _init()
    reply = _reply(init, 5)
    ignored = run_step(settings, reply)
    assert ignored.outcome is StepOutcome.IGNORED and ignored.record is None
    assert ignored.events == []
    assert ignored.reason == "no execution exists for this subject and the event is not an init"
    failed = MachineMemoryRecord(execution_status="failure", subject=init.subject)
    after_failure = run_step(settings, reply, record=failed)
    assert after_failure.outcome is StepOutcome.IGNORED and after_failure.record is None
    assert after_failure.reason == "the execution failed earlier; later events are ignored"


def test_an_executed_step_records_the_machine_and_carries_the_trace_headers():
    settings = settings_for(build_adder(), execution_units=0.5)
    init = _init(accesscontrol="tenant:acme")
    result = run_step(settings, init, traceparent=TRACEPARENT, tracestate="vendor=1")
    assert result.outcome is StepOutcome.EXECUTED and result.reason == ""
    record = result.record
    assert record is not None
    assert record.machine_version == "1.0.0"
    assert (record.status, record.value, record.init_event_id) == ("active", "adding", init.id)
    assert record.events is not None and record.events.consumed == init.to_json()
    (add,) = result.events
    assert record.events.produced == [add.to_json()]
    assert (add.traceparent, add.tracestate) == (TRACEPARENT, "vendor=1")
    assert add.executionunits == 0.5 and add.accesscontrol == "tenant:acme"


def _versioned():
    """One orchestrator in two versions calling the ticker through different contracts."""
    contract = create_arvo_orchestrator_contract(
        uri="#/test/versioned",
        name="versioned",
        versions={
            "1.0.0": {"init": Empty, "complete": Done},
            "2.0.0": {"init": Empty, "complete": Done},
        },
    )
    machines = []
    for version, uri in (("1.0.0", "#/test/ticker/old"), ("2.0.0", "#/test/ticker/new")):
        ticker = create_simple_arvo_contract(
            uri=uri, type="ticker.tick", versions={"1.0.0": {"accepts": Tick, "emits": Tick}}
        )
        setup = setup_arvo_machine(
            contracts={
                "self": contract.version(version),
                "services": {"tick": ticker.version("1.0.0")},
            }
        )
        machines.append(
            setup.create_machine(
                id="versioned",
                config={
                    "initial": "go",
                    "states": {
                        "go": {"entry": emit({"type": "com.ticker.tick", "data": {"n": 1}})}
                    },
                },
            )
        )
    return contract, machines


def test_events_are_built_with_the_contracts_of_the_version_that_runs():
    contract, machines = _versioned()
    settings = settings_for(*machines)
    init = ArvoOrchestratorEventFactory(contract.version("2.0.0")).init(
        source=anchors.CLIENT, data={"parentSubject$$": None}
    )
    result = run_step(settings, init)
    assert result.record is not None and result.record.machine_version == "2.0.0"
    (tick,) = result.events
    assert tick.dataschema == "#/test/ticker/new/1.0.0", "2.0.0's service contract, not 1.0.0's"


def test_a_failed_step_keeps_the_error_and_routes_it_by_the_system_error_domains():
    settings = settings_for(
        build_fragile_adder(), domains=EmissionDomains(system_error=("ops", None))
    )
    init = _init()
    started = run_step(settings, init)
    failed = run_step(settings, _reply(init, 5), record=started.record)
    assert failed.outcome is StepOutcome.FAILED
    assert failed.reason == "the reply broke the machine"
    assert [e.domain for e in failed.events] == ["ops", None]
    record = failed.record
    assert record is not None and record.execution_status == "failure"
    assert record.error is not None
    assert (record.error.name, record.error.message) == (
        "RuntimeError",
        "the reply broke the machine",
    )
    assert record.error.stack is not None and "RuntimeError: the reply broke the machine" in (
        record.error.stack
    )


def _timed(*, fail_on_timer=False):
    """A child-capable orchestrator whose timer emits a service call, then waits again."""
    contract = create_arvo_orchestrator_contract(
        uri="#/test/timed", name="timed", versions={"1.0.0": {"init": Empty, "complete": Done}}
    )
    ticker = create_simple_arvo_contract(
        uri="#/test/ticker",
        type="ticker.tick",
        versions={"1.0.0": {"accepts": Tick, "emits": Tick}},
    )

    def fail(args, params):
        raise RuntimeError("the timer broke the machine")

    setup = setup_arvo_machine(
        contracts={
            "self": contract.version("1.0.0"),
            "services": {"tick": ticker.version("1.0.0")},
        },
        actions={"fail": fail},
    )
    first_timer = {
        "target": "second",
        "actions": emit({"type": "com.ticker.tick", "data": {"n": 2}}),
    }
    if fail_on_timer:
        first_timer["actions"] = "fail"
    machine = setup.create_machine(
        id="timed",
        output=lambda context: {"phase": "done"},
        config={
            "initial": "first",
            "states": {
                "first": {"after": {"1000": first_timer}},
                "second": {"after": {"2000": "done"}},
                "done": {"type": "final"},
            },
        },
    )
    return contract, machine


def _timed_start(settings, contract, *, parent_subject=None, **fields):
    init = ArvoOrchestratorEventFactory(contract.version("1.0.0")).init(
        source=anchors.CLIENT, data={"parentSubject$$": parent_subject}, **fields
    )
    started = run_step(settings, init, now_ms=10_000)
    assert started.record is not None
    (timer,) = started.record.state["timers"]
    assert timer["due_ms"] == 11_000, "now_ms stamps the timer"
    return init, started.record, timer


def fire(settings, record, timer, *, now_ms=11_000):
    return step_timer(
        settings,
        record=record,
        timer_event=timer["event"],
        subject=ArvoOrchestrationSubject.parse(record.subject),
        id_clock=DeterministicSource(),
        now_ms=now_ms,
    )


def test_a_timer_runs_in_the_context_of_the_last_consumed_event():
    contract, machine = _timed()
    settings = settings_for(machine, execution_units=0.5)
    parent = ArvoOrchestrationSubject.new(
        orchestrator="arvo.orc.parent", version="1.0.0", initiator=anchors.CLIENT
    )
    init, record, timer = _timed_start(
        settings,
        contract,
        parent_subject=parent,
        accesscontrol="tenant:acme",
    )
    init_with_trace = init.model_copy(update={"traceparent": TRACEPARENT, "tracestate": "v=1"})
    record = record.model_copy(
        update={"events": record.events.model_copy(update={"consumed": init_with_trace.to_json()})}
    )
    fired = fire(settings, record, timer)
    assert fired.outcome is StepOutcome.EXECUTED
    (tick,) = fired.events
    assert tick.type == "com.ticker.tick" and tick.domain is None
    assert (tick.traceparent, tick.tracestate) == (TRACEPARENT, "v=1")
    assert tick.accesscontrol == "tenant:acme" and tick.executionunits == 0.5
    assert tick.parentid == init.id and tick.subject == init.subject
    after = fired.record
    assert after is not None and after.machine_version == "1.0.0"
    assert after.events is not None and after.events.consumed == init_with_trace.to_json()
    (second,) = after.state["timers"]
    assert second["due_ms"] == 13_000, "the timer step's now_ms stamps the next timer"
    done = fire(settings, after, second, now_ms=13_000)
    (completion,) = done.events
    assert completion.type == "arvo.orc.timed.done" and completion.subject == parent
    assert completion.to == anchors.CLIENT and completion.parentid == init.id


def test_a_failing_timer_fails_the_execution():
    contract, machine = _timed(fail_on_timer=True)
    settings = settings_for(machine, domains=EmissionDomains(system_error=("ops",)))
    init, record, timer = _timed_start(settings, contract)
    failed = fire(settings, record, timer)
    assert failed.outcome is StepOutcome.FAILED
    assert failed.reason == "the timer broke the machine"
    (error,) = failed.events
    assert error.type == "sys.arvo.orc.timed.error" and error.domain == "ops"
    assert error.to == anchors.CLIENT and error.parentid == init.id
    assert failed.record is not None and failed.record.execution_status == "failure"


class _NoTimers:
    def execute(self, *, machine, state, event, now_ms=0):
        return StatechartExecutionEngine().execute(
            machine=machine, state=state, event=event, now_ms=now_ms
        )


def test_timers_without_an_active_execution_change_nothing_and_say_why():
    contract, machine = _timed()
    settings = settings_for(machine)
    _, record, timer = _timed_start(settings, contract)
    subject = ArvoOrchestrationSubject.parse(record.subject)
    finished = record.model_copy(update={"status": "done"})
    failed = MachineMemoryRecord(execution_status="failure", subject=record.subject)
    no_events = record.model_copy(update={"events": None})
    for stale in (None, failed, finished, no_events):
        result = step_timer(
            settings,
            record=stale,
            timer_event=timer["event"],
            subject=subject,
            id_clock=DeterministicSource(),
            now_ms=11_000,
        )
        assert result.outcome is StepOutcome.IGNORED and result.record is None
        assert result.reason == "no active execution for this timer"
    engine_without_timers = replace(settings, engine=_NoTimers())
    result = fire(engine_without_timers, record, timer)
    assert result.reason == "the execution engine does not support timers"
    no_state = fire(settings, record.model_copy(update={"state": None}), timer)
    assert no_state.reason == "no machine for this timer"
    other_version = subject.model_copy(
        update={"orchestrator": subject.orchestrator.model_copy(update={"version": "9.9.9"})}
    )
    unknown = step_timer(
        settings,
        record=record,
        timer_event=timer["event"],
        subject=other_version,
        id_clock=DeterministicSource(),
        now_ms=11_000,
    )
    assert unknown.outcome is StepOutcome.IGNORED and unknown.reason == "no machine for this timer"


def test_cancelling_ends_an_active_execution_and_tells_its_initiator():
    contract, machine = _timed()
    settings = settings_for(machine, execution_units=0.5)
    init, record, _ = _timed_start(settings, contract, accesscontrol="tenant:acme")
    subject = ArvoOrchestrationSubject.parse(record.subject)
    result = step_cancel(
        settings, record=record, subject=subject, id_clock=DeterministicSource(), reason="enough"
    )
    assert result.outcome is StepOutcome.EXECUTED and result.reason == "enough"
    (error,) = result.events
    assert error.type == "sys.arvo.orc.timed.error"
    assert error.data["errorName"] == "ExecutionCancelled"
    assert error.data["errorMessage"] == "enough"
    assert error.to == anchors.CLIENT and error.subject == init.subject
    assert error.parentid == init.id and error.accesscontrol == "tenant:acme"
    assert error.executionunits == 0.5 and error.domain is None
    cancelled = result.record
    assert cancelled is not None and cancelled.status == "cancelled"
    assert cancelled.events is not None
    assert cancelled.events.consumed == record.events.consumed
    assert cancelled.events.produced == [error.to_json()]
    assert cancelled.state == record.state and cancelled.machine_version == "1.0.0"
    # A subject whose version no machine serves is still cancelled, by the first machine.
    other_version = subject.model_copy(
        update={"orchestrator": subject.orchestrator.model_copy(update={"version": "9.9.9"})}
    )
    (by_first,) = step_cancel(
        settings,
        record=record,
        subject=other_version,
        id_clock=DeterministicSource(),
        reason="enough",
    ).events
    assert by_first.dataschema == "#/test/timed/0.0.0"


def test_cancelling_without_an_active_execution_changes_nothing():
    contract, machine = _timed()
    settings = settings_for(machine, domains=EmissionDomains(system_error=("ops",)))
    _, record, _ = _timed_start(settings, contract)
    subject = ArvoOrchestrationSubject.parse(record.subject)
    failed = MachineMemoryRecord(execution_status="failure", subject=record.subject)
    for stale in (
        None,
        failed,
        record.model_copy(update={"status": "done"}),
        record.model_copy(update={"events": None}),
    ):
        result = step_cancel(
            settings, record=stale, subject=subject, id_clock=DeterministicSource(), reason="x"
        )
        assert result.outcome is StepOutcome.IGNORED and result.record is None
        assert result.reason == "no active execution to cancel"
    (error,) = step_cancel(
        settings, record=record, subject=subject, id_clock=DeterministicSource(), reason="x"
    ).events
    assert error.domain == "ops", "routed as any system error"


def test_without_a_clock_reading_timers_are_stamped_from_time_zero():
    contract, machine = _timed()
    settings = settings_for(machine)
    init = ArvoOrchestratorEventFactory(contract.version("1.0.0")).init(
        source=anchors.CLIENT, data={"parentSubject$$": None}
    )
    record = run_step(settings, init).record
    assert record is not None
    assert [timer["due_ms"] for timer in record.state["timers"]] == [1000]


def test_completion_uses_the_self_contract_of_the_version_that_runs():
    contract = create_arvo_orchestrator_contract(
        uri="#/test/quick",
        name="quick",
        versions={
            "1.0.0": {"init": Empty, "complete": Done},
            "2.0.0": {"init": Empty, "complete": Done},
        },
    )
    machines = [
        setup_arvo_machine(
            contracts={"self": contract.version(version), "services": {}}
        ).create_machine(
            id="quick",
            output=lambda context: {"phase": "done"},
            config={"initial": "done", "states": {"done": {"type": "final"}}},
        )
        for version in ("1.0.0", "2.0.0")
    ]
    init = ArvoOrchestratorEventFactory(contract.version("2.0.0")).init(
        source=anchors.CLIENT, data={"parentSubject$$": None}
    )
    (done,) = run_step(settings_for(*machines), init).events
    assert done.dataschema == "#/test/quick/2.0.0"


def test_a_violation_raised_by_a_timer_is_raised_not_recorded():
    contract, _ = _timed()

    def violate(args, params):
        raise ExecutionViolation("the timer found a broken invariant")

    setup = setup_arvo_machine(
        contracts={"self": contract.version("1.0.0"), "services": {}}, actions={"violate": violate}
    )
    violating = setup.create_machine(
        id="timed",
        config={
            "initial": "first",
            "states": {"first": {"after": {"1000": {"actions": "violate"}}}},
        },
    )
    settings = settings_for(violating)
    _, record, timer = _timed_start(settings, contract)
    with pytest.raises(ExecutionViolation, match="broken invariant"):
        fire(settings, record, timer)
