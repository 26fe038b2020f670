"""ExecutionInbox on its own: arrival order, de-duplication, stored answers, bounded windows."""

from __future__ import annotations

from arvo_temporal import ArvoOrchestratorEventFactory
from arvo_temporal.temporal._inbox import (
    OUTCOME_WINDOW,
    REJECTION_WINDOW,
    SEEN_WINDOW,
    ExecutionInbox,
)
from arvo_temporal.temporal._models import Rejection, StoredOutcome
from tests.fixtures import anchors

FACTORY = ArvoOrchestratorEventFactory(anchors.adder.version("1.0.0"))


def event(n: int):
    return FACTORY.init(source=anchors.CLIENT, data={"parentSubject$$": None, "a": n, "b": 0})


def test_events_come_out_in_arrival_order_and_only_once():
    inbox = ExecutionInbox()
    first, second = event(1), event(2)
    assert inbox.offer(first) and inbox.offer(second)
    assert not inbox.offer(first), "already queued"
    assert len(inbox) == 2 and list(inbox) == [first, second]
    assert inbox.take() == first
    inbox.settle(first.id, StoredOutcome())
    assert not inbox.offer(first), "already applied"
    assert inbox.take() == second and inbox.take() is None and not inbox


def test_an_event_applied_while_queued_is_skipped():
    inbox = ExecutionInbox()
    queued = event(1)
    inbox.offer(queued)
    inbox.settle(queued.id, StoredOutcome())  # e.g. applied through another door meanwhile
    assert inbox.take() is None


def test_answers_are_remembered_within_their_window():
    inbox = ExecutionInbox()
    events = [event(n) for n in range(OUTCOME_WINDOW + 1)]
    for item in events:
        inbox.settle(item.id, StoredOutcome(error_type="ContractViolation", error_message="x"))
    assert inbox.outcome(events[0].id) is None, "the oldest answer aged out"
    assert inbox.was_applied(events[0].id), "but the event is still known as applied"
    assert inbox.outcome(events[-1].id) == StoredOutcome(
        error_type="ContractViolation", error_message="x"
    )
    assert len(inbox.outcomes) == OUTCOME_WINDOW


def test_the_seen_window_is_bounded_oldest_first():
    inbox = ExecutionInbox(seen=[f"id-{n}" for n in range(SEEN_WINDOW)])
    inbox.settle("newest", StoredOutcome())
    assert not inbox.was_applied("id-0") and inbox.was_applied("id-1")
    assert inbox.seen[-1] == "newest" and len(inbox.seen) == SEEN_WINDOW


def test_rejections_keep_the_most_recent():
    inbox = ExecutionInbox()
    for n in range(REJECTION_WINDOW + 5):
        inbox.reject(Rejection(event_id=str(n), event_type="t", error_type="E", message="m"))
    kept = inbox.rejections
    assert (
        len(kept) == REJECTION_WINDOW
        and kept[0].event_id == "5"
        and kept[-1].event_id == str(REJECTION_WINDOW + 4)
    )


def test_what_is_carried_comes_back_the_same():
    inbox = ExecutionInbox()
    pending, applied = event(1), event(2)
    inbox.offer(pending)
    inbox.settle(applied.id, StoredOutcome())
    inbox.reject(Rejection(event_id="r", event_type="t", error_type="E", message="m"))
    again = ExecutionInbox(
        pending=list(inbox),
        seen=inbox.seen,
        outcomes=inbox.outcomes,
        rejections=inbox.rejections,
    )
    assert list(again) == [pending] and not again.offer(pending)
    assert again.was_applied(applied.id) and again.outcome(applied.id) == StoredOutcome()
    assert again.rejections == inbox.rejections
