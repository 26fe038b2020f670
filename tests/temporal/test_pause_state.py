"""A pause in ExecutionState on its own: what it holds, what it shows and publishes, what
continue-as-new carries, and the order held events and due timers are released in."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from arvo_temporal.temporal._inbox import ExecutionInbox
from arvo_temporal.temporal._models import (
    MAX_IDENTITY_CHARS,
    MAX_REASON_CHARS,
    OperatorRequest,
    PauseInfo,
    RedriveInfo,
)
from tests.temporal.test_execution_state import record, state_with

PAUSE = PauseInfo(since_ms=1000.0, identity="alice", reason="incident")


def test_a_paused_execution_holds_its_timers_and_shows_paused_once():
    state = state_with(record(timers=[("t", 1500.0)]), deadline_ms=9000.0)
    assert state.pause(PAUSE, pending=["queued"]) and not state.pause(PAUSE, pending=[])
    assert state.due_timer(2000.0) is None, "a timer due during the pause waits"
    assert state.wake_at_ms(1200.0) == 9000.0, "only the deadline wakes a paused run"
    assert state.status == "active" and state.shown_status == "paused"
    assert state.status_to_publish() == "paused" and state.status_to_publish() is None
    assert state.view(ExecutionInbox()).paused == PAUSE
    assert state.held_arrivals == {"queued": 1000.0}, "queued before the pause: at the pause"
    assert state.resume() and not state.resume()
    assert state.due_timer(2000.0) is not None
    assert state.status_to_publish() == "active"


def test_continue_as_new_carries_the_pause_and_the_arrivals():
    state = state_with(record())
    state.pause(PAUSE, pending=[])
    state.hold("e1", 1200.0)
    carried = state.carried(ExecutionInbox()).carried
    assert carried is not None
    again = state_with(record(), paused=carried.paused, held_arrivals=carried.held_arrivals)
    assert again.shown_status == "paused" and again.held_arrivals == {"e1": 1200.0}
    assert again.status_to_publish() is None, "published before continue-as-new"


@given(
    arrivals=st.lists(st.floats(1001.0, 5000.0), max_size=8),
    due=st.floats(1001.0, 5000.0),
)
def test_release_follows_what_happened_first(arrivals, due):
    state = state_with(record(timers=[("t", due)]))
    state.pause(PAUSE, pending=[])
    for n, at in enumerate(arrivals):
        state.hold(f"e{n}", at)
    state.resume()
    order: list[str] = []
    remaining = [f"e{n}" for n in range(len(arrivals))]
    fired = False
    while True:
        kind, _ = state.next_held(remaining[0] if remaining else None, 6000.0)
        if kind == "none" or (kind == "timer" and fired):
            break
        if kind == "timer":
            fired = True
            state.record = record()  # the timer left its state: no timer any more
            order.append("timer")
        else:
            order.append(remaining.pop(0))
    names = [f"e{n}" for n in range(len(arrivals))]
    first_later = next((n for n, at in enumerate(arrivals) if at > due), len(arrivals))
    assert order == [*names[:first_later], "timer", *names[first_later:]]


@given(identity=st.text(max_size=5000), reason=st.text(max_size=5000))
def test_operator_names_and_reasons_are_bounded(identity, reason):
    request = OperatorRequest(identity=identity, reason=reason)
    assert request.identity == identity[:MAX_IDENTITY_CHARS]
    assert request.reason == reason[:MAX_REASON_CHARS]
    info = RedriveInfo(at_ms=0.0, identity=identity, reason=reason, from_run_id="r")
    assert len(info.identity) <= MAX_IDENTITY_CHARS and len(info.reason) <= MAX_REASON_CHARS
