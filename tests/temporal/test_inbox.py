"""ExecutionInbox on its own: arrival order, de-duplication, stored answers, bounded windows."""

from __future__ import annotations

from arvo_temporal import ArvoOrchestratorEventFactory
from arvo_temporal.orchestration.result import OrchestratorResult
from arvo_temporal.temporal._inbox import (
    OUTCOME_BYTES,
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


def _big_answer(n: int) -> StoredOutcome:
    emitted = event(n).model_copy(update={"data": {"blob": "x" * 40_000, "parentSubject$$": None}})
    return StoredOutcome(result=OrchestratorResult.from_events([emitted]))


BIG_ANSWERS = [_big_answer(n) for n in range(100)]


def big_answer(n: int) -> StoredOutcome:
    """An answer of about 40 KB: one emitted event carrying a large context."""
    return BIG_ANSWERS[n]


def stored_bytes(inbox: ExecutionInbox) -> int:
    return sum(len(outcome.model_dump_json()) for outcome in inbox.outcomes.values())


def test_answers_are_bounded_in_bytes_too_and_each_event_is_stored_once():
    inbox = ExecutionInbox()
    events = [event(n) for n in range(20)]
    for n, item in enumerate(events):
        inbox.settle(item.id, big_answer(n))
    assert stored_bytes(inbox) <= OUTCOME_BYTES
    assert len(inbox.outcomes) == OUTCOME_BYTES // len(big_answer(0).model_dump_json())
    assert inbox.outcome(events[-1].id) == big_answer(19)
    assert inbox.outcome(events[0].id) is None and inbox.was_applied(events[0].id)
    # Stored once: the 40 KB payload appears once in what continue-as-new carries.
    assert big_answer(0).model_dump_json().count("x" * 40_000) == 1


def test_an_answer_a_caller_waits_for_is_kept_past_the_byte_bound():
    inbox = ExecutionInbox()
    awaited = event(0)
    inbox.await_outcome(awaited.id)
    inbox.settle(awaited.id, big_answer(0))
    for n in range(1, 20):
        inbox.settle(event(n).id, big_answer(n))
    assert inbox.outcome(awaited.id) == big_answer(0), "pinned while awaited"
    inbox.release(awaited.id)
    inbox.settle(event(99).id, big_answer(99))
    assert inbox.outcome(awaited.id) is None, "released, it ages out like the others"


def test_carried_answers_are_trimmed_to_the_bounds_when_a_run_starts():
    answers = {event(n).id: big_answer(n) for n in range(20)}
    inbox = ExecutionInbox(outcomes=answers)
    assert stored_bytes(inbox) <= OUTCOME_BYTES
    assert list(inbox.outcomes)[-1] == list(answers)[-1]


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
