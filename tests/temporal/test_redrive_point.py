"""The redrive point a failed run keeps (ExecutionState.redrive_details), on its own."""

from __future__ import annotations

from arvo_temporal.temporal._inbox import ExecutionInbox
from arvo_temporal.temporal._models import RedrivePoint, StoredOutcome, WorkflowInput
from tests.fixtures.operating import logbook_init, logbook_tick
from tests.temporal.test_execution_state import record, state_with


def test_the_point_starts_with_the_failing_event_and_forgets_only_its_id():
    init = logbook_init()
    applied, failing, pending = (logbook_tick(init, n) for n in (1, 2, 3))
    inbox = ExecutionInbox(pending=[pending])
    for event in (init, applied, failing):
        inbox.settle(event.id, StoredOutcome())
    state = state_with(record(failed=True), processed=3)
    assert state.redrive_details(inbox) == {}, "no step failed the machine in this run"
    good = record()
    state.failed_from = RedrivePoint(record=good, event=failing)
    details = state.redrive_details(inbox)
    assert details["failing_event"] == failing.id
    start = WorkflowInput.model_validate(details["redrive"])
    assert start.carried is not None and start.carried.record == good
    assert [event.id for event in start.carried.inbox] == [failing.id, pending.id]
    assert start.carried.seen == [init.id, applied.id]
    assert start.carried.processed == 2 and start.carried.outcomes == {}


def test_a_point_too_large_for_the_failure_is_left_out_with_the_reason():
    state = state_with(record(failed=True))
    state.failed_from = RedrivePoint(record=record(), event=logbook_init())
    details = state.redrive_details(ExecutionInbox(), max_bytes=100)
    assert list(details) == ["redrive_omitted"]
    assert details["redrive_omitted"].endswith("bytes, over 100")
