"""ExecutionState on its own: status publishing, timers in any order, wake-ups, what is carried."""

from __future__ import annotations

from arvo_temporal.orchestration.record import MachineMemoryRecord
from arvo_temporal.temporal._execution import ORPHAN_TIMEOUT_MS, ExecutionState
from arvo_temporal.temporal._inbox import ExecutionInbox
from arvo_temporal.temporal._models import CarriedState, StoredOutcome, WorkflowInput


def record(*, status: str = "active", timers=(), failed: bool = False) -> MachineMemoryRecord:
    return MachineMemoryRecord(
        execution_status="failure" if failed else "normal",
        subject="s",
        status=status,
        value="waiting",
        state={
            "timers": [{"id": name, "due_ms": due, "event": {"type": name}} for name, due in timers]
        },
    )


def state_with(rec: MachineMemoryRecord | None = None, **carried) -> ExecutionState:
    return ExecutionState(
        WorkflowInput(
            orchestrator="arvo.orc.x", subject="s", carried=CarriedState(record=rec, **carried)
        )
    )


def test_a_status_is_published_once_per_change():
    state = state_with()
    assert state.status == "pending" and state.status_to_publish() is None
    state.record, state.status = record(), "active"
    assert state.status_to_publish() is None, "the client set active at start"
    state.status = "done"
    assert state.status_to_publish() == "done" and state.status_to_publish() is None


def test_the_earliest_due_timer_fires_first_whatever_the_stored_order():
    state = state_with(record(timers=[("late", 300.0), ("early", 100.0), ("future", 900.0)]))
    assert state.due_timer(50.0) is None
    assert state.due_timer(400.0)["id"] == "early"
    assert state.wake_at_ms(0.0) == 100.0


def test_wake_ups_follow_the_deadline_and_the_orphan_timeout():
    assert state_with().wake_at_ms(1000.0) == 1000.0 + ORPHAN_TIMEOUT_MS
    assert state_with(record(), deadline_ms=5000.0).wake_at_ms(0.0) == 5000.0
    assert state_with(record()).wake_at_ms(0.0) is None
    finished = state_with(record(status="done", timers=[("t", 10.0)]))
    assert finished.due_timer(100.0) is None and finished.wake_at_ms(0.0) is None


def test_an_ended_execution_says_why():
    state = state_with(record())
    state.end("cancelled", "operator asked")
    summary = state.summary()
    assert (summary.status, summary.error) == ("cancelled", "operator asked") and state.ended


def test_continue_as_new_carries_everything_once():
    state = state_with(record(), processed=7, runs=2, cancel_reason=None, deadline_ms=9.0)
    inbox = ExecutionInbox()
    inbox.settle("applied", StoredOutcome())
    carried = state.carried(inbox).carried
    assert carried is not None
    assert (carried.processed, carried.runs, carried.deadline_ms) == (7, 3, 9.0)
    assert carried.seen == ["applied"] and carried.record == state.record
