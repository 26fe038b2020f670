"""What a state value means: active state paths, accepted events and tags, on a machine with
compound and parallel states, root transitions, wildcards, timers and a history state; and, for
thousands of hostile values, no exception and only states the machine has."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from arvo_temporal.statechart import Machine
from arvo_temporal.statechart._active import (
    accepted_events,
    active_states,
    active_tags,
    all_state_paths,
    state_paths,
)
from examples.approval.machine import build_expense_machine

CONFIG = {
    "id": "shop",
    "initial": "browsing",
    "on": {"RESET": ".browsing"},
    "states": {
        "browsing": {"tags": "open", "on": {"ADD": "checkout", "evt.search.*": "browsing"}},
        "checkout": {
            "type": "parallel",
            "tags": ["busy", "paying"],
            "states": {
                "payment": {
                    "initial": "card",
                    "states": {
                        "card": {"on": {"PAY": "paid"}, "after": {"5000": "expired"}},
                        "paid": {"type": "final"},
                        "expired": {"tags": "late"},
                    },
                },
                "shipping": {
                    "initial": "address",
                    "states": {
                        "address": {"on": {"SHIP": "ready"}},
                        "ready": {"type": "final"},
                        "hist": {"type": "history"},
                    },
                },
            },
            "onDone": "done",
        },
        "done": {"type": "final"},
    },
}
MACHINE = Machine(CONFIG)
CHECKOUT = {"checkout": {"payment": "card", "shipping": "address"}}


def test_paths_name_every_active_state_with_its_ancestors_in_document_order():
    assert state_paths(MACHINE, "browsing") == ["browsing"]
    assert state_paths(MACHINE, CHECKOUT) == [
        "checkout",
        "checkout.payment",
        "checkout.payment.card",
        "checkout.shipping",
        "checkout.shipping.address",
    ]


def test_every_state_path_of_the_machine_leaves_out_history_pseudo_states():
    paths = all_state_paths(MACHINE)
    assert paths[0] == "browsing" and "checkout.shipping.ready" in paths
    assert not any(path.endswith("hist") for path in paths)
    assert len(paths) == len(set(paths)) == 10


def test_accepted_events_include_ancestors_and_the_root_but_no_internal_events():
    assert accepted_events(MACHINE, "browsing") == ["ADD", "RESET", "evt.search.*"]
    # The card's timer (xstate.after...) and checkout's onDone (xstate.done...) are not events
    # anyone sends.
    assert accepted_events(MACHINE, CHECKOUT) == ["PAY", "RESET", "SHIP"]
    assert accepted_events(MACHINE, {"checkout": {"payment": "paid", "shipping": "ready"}}) == [
        "RESET"
    ]


def test_tags_come_from_the_config_of_the_active_states():
    assert active_tags(MACHINE, CONFIG, "browsing") == ["open"]
    assert active_tags(MACHINE, CONFIG, CHECKOUT) == ["busy", "paying"]
    assert active_tags(MACHINE, CONFIG, {"checkout": {"payment": "expired"}}) == [
        "busy",
        "late",
        "paying",
    ]
    assert active_tags(MACHINE, CONFIG, "done") == []


def test_an_arvo_machine_says_what_it_accepts_and_checks_state_paths():
    machine = build_expense_machine()
    assert machine.active_states("awaitingDecision") == ["awaitingDecision"]
    assert machine.accepts("awaitingDecision") == ["evt.expense.approval.decided"]
    assert machine.accepts("approved") == []
    assert machine.state_paths == ["awaitingDecision", "approved", "rejected", "timedOut"]
    machine.check_state("approved")
    try:
        machine.check_state("approve")
    except ValueError as error:
        assert "arvo.orc.expense 1.0.0 has no state 'approve'" in str(error)
        assert "awaitingDecision, approved, rejected, timedOut" in str(error)
    else:
        raise AssertionError("an unknown state path must be refused")


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(
        st.sampled_from(["browsing", "checkout", "payment", "shipping", "card", "hist", "done"])
        | st.text(max_size=8),
        inner,
        max_size=4,
    ),
    max_leaves=10,
)


@settings(max_examples=2000, deadline=None)
@given(_JSON)
def test_any_value_gives_known_states_and_never_raises(value):
    known = set(all_state_paths(MACHINE))
    paths = state_paths(MACHINE, value)
    assert set(paths) <= known | {"checkout.shipping.hist"}
    assert len(active_states(MACHINE, value)) == len(paths)
    for path in paths:  # ancestors come with every state
        parent = path.rpartition(".")[0]
        assert not parent or parent in paths
    assert set(accepted_events(MACHINE, value)) >= {"RESET"}
    assert all(not kind.startswith("xstate.") for kind in accepted_events(MACHINE, value))
    assert set(active_tags(MACHINE, CONFIG, value)) <= {"open", "busy", "paying", "late"}
