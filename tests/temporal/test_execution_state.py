"""ExecutionState on its own: status publishing, timers in any order, wake-ups, what is carried."""

from __future__ import annotations

from arvo_temporal import create_arvo_event
from arvo_temporal.orchestration.record import MachineMemoryRecord, RecordEvents
from arvo_temporal.orchestration.result import OrchestratorResult
from arvo_temporal.orchestration.step import StepOutcome, StepResult
from arvo_temporal.temporal._execution import ORPHAN_TIMEOUT_MS, ExecutionState
from arvo_temporal.temporal._inbox import ExecutionInbox
from arvo_temporal.temporal._models import CarriedState, StoredOutcome, WorkflowInput
from examples.approval.machine import build_expense_machine
from examples.approval.starter import decision_event, expense_init


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


# ------------------------------------------------------------------ what people see of it


def _expense_step(state: ExecutionState, value: str, *, consumed, emitted=()) -> None:
    """Apply a hand-made step of the expense machine to ``state``."""
    rec = MachineMemoryRecord(
        execution_status="normal",
        subject="s",
        status="done" if value in ("approved", "rejected") else "active",
        value=value,
        state={"context": {"amount": 12, "arvo$$": {}}, "timers": []},
        events=RecordEvents(consumed=consumed.to_json(), produced=[]),
    )
    result = StepResult(
        outcome=StepOutcome.EXECUTED,
        result=OrchestratorResult.from_events(emitted),
        record=rec,
    )
    state.applied(result)
    state.observed(result, now_ms=1000.0)


def _request():
    return create_arvo_event(
        type="com.expense.approval",
        source="arvo.orc.expense",
        subject=INIT.subject,
        to="com.expense.approval",
        domain="external",
        data={"amount": 12, "description": "d", "requester": "r"},
    )


INIT = expense_init(12, "pens")


def test_the_status_view_shows_states_accepts_context_and_requests_awaiting_a_reply():
    state = state_with()
    state.machine = build_expense_machine()
    request = _request()
    _expense_step(state, "awaitingDecision", consumed=INIT, emitted=[request])
    view = state.view(ExecutionInbox())
    assert view.states == ["awaitingDecision"]
    assert view.accepts == ["evt.expense.approval.decided"]
    assert view.context == '{"amount":12}'
    (opened,) = view.open_requests
    assert (opened.event_id, opened.domain, opened.emitted_ms) == (request.id, "external", 1000.0)
    assert opened.reply_types == ["evt.expense.approval.decided"]
    details = state.details()
    assert "**active** · state `awaitingDecision`" in details
    assert "accepts `evt.expense.approval.decided`" in details
    assert f"awaiting a reply to `com.expense.approval` (external) · event `{request.id}`" in details
    assert 'context `{"amount":12}`' in details
    # What continue-as-new carries keeps the open request.
    carried = state.carried(ExecutionInbox()).carried
    assert carried is not None and carried.open_requests == view.open_requests

    reply = decision_event(INIT.subject, approved=True, approver="a", request_id=request.id)
    _expense_step(state, "approved", consumed=reply)
    view = state.view(ExecutionInbox())
    assert view.open_requests == [] and view.accepts == [] and view.states == ["approved"]


def test_state_and_task_domains_are_published_only_when_they_change():
    state = state_with()
    state.machine = build_expense_machine()
    assert state.states_to_publish(None) is None and state.domains_to_publish() is None
    _expense_step(state, "awaitingDecision", consumed=INIT, emitted=[_request()])
    assert state.states_to_publish() == ["awaitingDecision"]
    assert state.domains_to_publish() == ["external"]
    assert state.states_to_publish() is None and state.domains_to_publish() is None
    reply = decision_event(INIT.subject, approved=False, approver="a")
    _expense_step(state, "rejected", consumed=reply)
    assert state.states_to_publish() == ["rejected"] and state.domains_to_publish() == []


def test_a_continued_run_starts_from_what_the_search_attribute_holds():
    state = state_with(record())
    state.machine = build_expense_machine()
    state.record = record().model_copy(update={"value": "awaitingDecision"})
    assert state.states_to_publish(["awaitingDecision"]) is None


def test_wait_conditions_follow_the_configuration_and_the_end():
    state = state_with()
    state.machine = build_expense_machine()
    assert not state.reached(state=None, tag=None, done=True)
    _expense_step(state, "awaitingDecision", consumed=INIT)
    assert state.reached(state="awaitingDecision", tag=None, done=False)
    assert not state.reached(state="approved", tag=None, done=False)
    assert not state.reached(state="awaitingDecision", tag=None, done=True)
    reply = decision_event(INIT.subject, approved=True, approver="a")
    _expense_step(state, "approved", consumed=reply)
    assert state.reached(state=None, tag=None, done=True)
    assert state.reached(state="approved", tag=None, done=True)
