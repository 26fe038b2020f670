"""Snapshots are plain JSON: round trips are exact and never change behaviour."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError, fields

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arvo_temporal.statechart import Machine, Snapshot, Timer, assign, send, start
from arvo_temporal.statechart._snapshot import new_snapshot
from tests.statechart.harness import roundtrip

CONFIG = {
    "id": "m",
    "initial": "p",
    "states": {
        "p": {
            "type": "parallel",
            "on": {"LEAVE": "away"},
            "states": {
                "a": {
                    "initial": "a1",
                    "states": {"a1": {"on": {"A": "a2"}}, "a2": {"after": {"500": "a1"}}},
                },
                "b": {"initial": "b1", "states": {"b1": {"on": {"B": "b2"}}, "b2": {}}},
                "h": {"type": "history", "history": "deep"},
            },
        },
        "away": {"on": {"BACK": "p.h", "END": "end"}},
        "end": {"type": "final"},
    },
}
EVENTS = ["A", "B", "LEAVE", "BACK", "LEAVE", "END", "A"]


def build() -> Machine:
    return Machine(
        CONFIG,
        context=lambda input: {"seen": [], **(input or {})},
        output=lambda ctx: {"seen": ctx["seen"]},
    )


def test_to_json_is_plain_json_and_from_json_restores_it() -> None:
    machine = build()
    snapshot, _ = start(machine, {"k": 1}, now_ms=10)
    snapshot, _ = send(machine, snapshot, {"type": "A"}, now_ms=20)
    data = snapshot.to_json()
    assert json.loads(json.dumps(data)) == data
    assert data == {
        "value": {"p": {"a": "a2", "b": "b1"}},
        "context": {"seen": [], "k": 1},
        "status": "active",
        "output": None,
        "timers": [
            {
                "id": "xstate.after.500.m.p.a.a2",
                "delay_ms": 500,
                "due_ms": 520,
                "event": {"type": "xstate.after.500.m.p.a.a2"},
            }
        ],
        "history": {},
    }
    assert Snapshot.from_json(data) == snapshot
    assert roundtrip(snapshot) == snapshot


def test_history_memory_survives_the_round_trip() -> None:
    machine = build()
    snapshot, _ = start(machine)
    for event in ["A", "B", "LEAVE"]:
        snapshot, _ = send(machine, roundtrip(snapshot), {"type": event})
    assert snapshot.history == {"m.p.h": ("m.p.a.a2", "m.p.b.b2")}
    assert roundtrip(snapshot).history == snapshot.history
    snapshot, _ = send(machine, roundtrip(snapshot), {"type": "BACK"})
    assert snapshot.value == {"p": {"a": "a2", "b": "b2"}}


def test_live_and_round_tripped_runs_agree() -> None:
    machine = build()
    live, _ = start(machine)
    stored = roundtrip(live)
    for event in EVENTS:
        live, live_effects = send(machine, live, {"type": event})
        stored, stored_effects = send(machine, roundtrip(stored), {"type": event})
        assert roundtrip(live) == stored
        assert live_effects == stored_effects
    assert live.status == "done"
    assert live.output == {"seen": []}


def test_value_copies_do_not_leak_into_the_machine() -> None:
    machine = build()
    snapshot, _ = start(machine)
    data = snapshot.to_json()
    data["value"]["p"]["a"] = "a2"
    again, _ = start(machine)
    assert again.value == {"p": {"a": "a1", "b": "b1"}}


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ([], "must be an object"),
        ({"value": "a", "context": {}, "status": "active", "extra": 1}, "unknown snapshot keys"),
        ({"value": 3, "context": {}, "status": "active"}, "value must be"),
        ({"value": "a", "context": [], "status": "active"}, "context must be"),
        ({"value": "a", "context": {}, "status": "sleeping"}, "status must be"),
        ({"value": "a", "context": {}, "status": "active", "timers": {}}, "timers must be a list"),
        ({"value": "a", "context": {}, "status": "active", "history": {"h": "x"}}, "list of state"),
        ({"value": "a", "context": {}, "status": "active", "timers": [{"id": 1}]}, "timer id"),
        (
            {
                "value": "a",
                "context": {},
                "status": "active",
                "timers": [{"id": "t", "delay_ms": "1"}],
            },
            "delay_ms must be a number",
        ),
        (
            {
                "value": "a",
                "context": {},
                "status": "active",
                "timers": [{"id": "t", "delay_ms": 1, "due_ms": 2, "event": {}}],
            },
            "event must be an object with a string type",
        ),
        ({"value": "a", "context": {}, "status": "active", "timers": ["x"]}, "timer must be"),
    ],
)
def test_from_json_rejects_malformed_data(data, words) -> None:
    with pytest.raises(ValueError, match=words):
        Snapshot.from_json(data)


@pytest.mark.parametrize(
    "value", ["nowhere", {"p": {"a": "zz"}}, {"p": {"a": "a1"}, "away": {}}, {"p": 3}]
)
def test_a_value_that_does_not_fit_the_machine_is_refused(value) -> None:
    machine = build()
    snapshot = Snapshot(value, {"seen": []})
    with pytest.raises(ValueError, match="does not fit machine 'm'"):
        send(machine, snapshot, {"type": "A"})


def test_partial_values_are_completed_with_initial_states() -> None:
    machine = build()
    snapshot, _ = send(machine, Snapshot("p", {"seen": []}), {"type": "A"})
    assert snapshot.value == {"p": {"a": "a2", "b": "b1"}}


def test_unknown_history_ids_are_refused() -> None:
    machine = build()
    snapshot = Snapshot("away", {"seen": []}, history={"m.p.h": ("m.gone",)})
    with pytest.raises(ValueError, match=r"m\.gone"):
        send(machine, snapshot, {"type": "BACK"})


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=100, deadline=None)
@given(
    context=st.dictionaries(st.text(), json_values, max_size=4),
    output=json_values,
    status=st.sampled_from(["active", "done", "error", "stopped"]),
    timers=st.lists(
        st.builds(
            Timer,
            id=st.text(),
            delay_ms=st.integers(0, 10**6),
            due_ms=st.integers(0, 10**9) | st.floats(0, 1e9),
            event=st.fixed_dictionaries({"type": st.text()}, optional={"data": json_values}),
        ),
        max_size=3,
    ),
    history=st.dictionaries(st.text(), st.lists(st.text(), max_size=3).map(tuple), max_size=2),
    value=st.text(min_size=1)
    | st.dictionaries(st.text(min_size=1), st.text(min_size=1), max_size=3),
)
def test_json_round_trip_is_exact(context, output, status, timers, history, value) -> None:
    snapshot = Snapshot(value, context, status, output, tuple(timers), history)
    restored = Snapshot.from_json(json.loads(json.dumps(snapshot.to_json())))
    assert restored == snapshot
    assert restored.to_json() == snapshot.to_json()
    # The interpreter's own constructor sets the same fields as the dataclass's.
    built = new_snapshot(value, context, status, output, tuple(timers), history)
    assert type(built) is Snapshot
    assert [getattr(built, f.name) for f in fields(Snapshot)] == [
        getattr(snapshot, f.name) for f in fields(Snapshot)
    ]
    assert built == snapshot
    with pytest.raises(FrozenInstanceError):
        built.status = "done"  # type: ignore[misc]


@settings(max_examples=60, deadline=None)
@given(events=st.lists(st.sampled_from(["NEXT", "BACK", "NOPE", "ADD"]), max_size=25))
def test_round_trips_between_events_never_change_behaviour(events) -> None:
    machine = Machine(
        {
            "id": "c",
            "initial": "a",
            "states": {
                "a": {"on": {"NEXT": "b", "ADD": {"actions": "add"}}},
                "b": {"on": {"NEXT": "c", "BACK": "a", "ADD": {"actions": "add"}}},
                "c": {"on": {"BACK": "b"}, "after": {"100": "a"}},
            },
        },
        actions={"add": assign(lambda a, p: {"n": a.context["n"] + 1})},
        context={"n": 0},
    )
    live, _ = start(machine)
    stored = roundtrip(live)
    for now, name in enumerate(events):
        live, live_effects = send(machine, live, {"type": name}, now_ms=now)
        stored, stored_effects = send(machine, roundtrip(stored), {"type": name}, now_ms=now)
        assert live == stored
        assert live_effects == stored_effects
