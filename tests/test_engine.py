"""engine.py on its own: Arvo's completion rule, pending timers in due order, and the clock
reading stamped on timers whether the machine starts, resumes or fires a timer."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from arvo_temporal import (
    ArvoEventFactory,
    ArvoOrchestratorEventFactory,
    StatechartExecutionEngine,
    create_arvo_orchestrator_contract,
    setup_arvo_machine,
)
from arvo_temporal.engine import completion_output, pending_timers
from tests.fixtures.timing import build_waiter, ticker


class Empty(BaseModel):
    pass


def test_completion_fires_once_and_only_for_objects():
    assert completion_output({"sum": 1}, None) == {"sum": 1}
    assert completion_output({"sum": 1}, {"sum": 1}) is None
    assert completion_output({}, None) is None, "an output of {} never completes"
    with pytest.raises(TypeError) as raised:
        completion_output([1], None)
    assert str(raised.value) == "a machine output must be a JSON object, got list"


def test_pending_timers_come_earliest_first():
    state = {
        "timers": [
            {"id": "late", "due_ms": 9000.0},
            {"id": "early", "due_ms": 0.5},
            {"id": "unstamped"},  # counts as due at 0
            "not a timer",
        ]
    }
    assert [timer["id"] for timer in pending_timers(state)] == ["unstamped", "early", "late"]
    assert pending_timers(None) == [] and pending_timers({"timers": None}) == []


def _waiter_init(contract):
    return ArvoOrchestratorEventFactory(contract.version("1.0.0")).init(
        source="com.test.client", data={"parentSubject$$": None}
    )


def test_timers_are_stamped_with_the_clock_of_the_step_that_scheduled_them():
    contract, machine = build_waiter(delay_ms=5000)
    engine = StatechartExecutionEngine()
    started = engine.execute(machine=machine, state=None, event=_waiter_init(contract))
    (timer,) = pending_timers(started.state)
    assert timer["due_ms"] == 5000, "without a clock reading, time 0"
    stamped = engine.execute(machine=machine, state=None, event=_waiter_init(contract), now_ms=1000)
    assert pending_timers(stamped.state)[0]["due_ms"] == 6000


def test_a_resumed_machine_stamps_new_timers_with_the_clock_it_is_given():
    contract = create_arvo_orchestrator_contract(
        uri="#/test/nudged", name="nudged", versions={"1.0.0": {"init": Empty, "complete": Empty}}
    )
    setup = setup_arvo_machine(
        contracts={"self": contract.version("1.0.0"), "services": {"tick": ticker.version("1.0.0")}}
    )
    machine = setup.create_machine(
        id="nudged",
        config={
            "initial": "idle",
            "states": {
                "idle": {"on": {"evt.ticker.tick.success": "waiting"}},
                "waiting": {"after": {"5000": "idle"}},
            },
        },
    )
    engine = StatechartExecutionEngine()
    init = _waiter_init(contract)
    started = engine.execute(machine=machine, state=None, event=init, now_ms=0)
    assert pending_timers(started.state) == []
    tick = ArvoEventFactory(ticker.version("1.0.0")).emits(
        type="evt.ticker.tick.success",
        source="com.ticker.tick",
        subject=init.subject,
        to="arvo.orc.nudged",
        data={"n": 1},
    )
    resumed = engine.execute(machine=machine, state=started.state, event=tick, now_ms=2000)
    (timer,) = pending_timers(resumed.state)
    assert timer["due_ms"] == 7000
