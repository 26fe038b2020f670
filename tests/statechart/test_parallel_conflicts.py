"""Transitions taken together in parallel regions (docs/statecharts.md): all of them when their
exit sets are disjoint, the first in document order when they conflict, for events and for
eventless transitions alike."""

from __future__ import annotations

from typing import Any

from arvo_temporal.statechart import Machine, send, start


def _parallel(*regions: dict[str, Any]) -> Machine:
    return Machine(
        {
            "id": "m",
            "initial": "par",
            "states": {
                "par": {
                    "type": "parallel",
                    "states": {f"r{i}": region for i, region in enumerate(regions, start=1)},
                },
                "one": {},
                "two": {},
            },
        }
    )


def _go(machine: Machine) -> Any:
    snapshot, _ = start(machine)
    return send(machine, snapshot, {"type": "GO"})[0].value


def test_disjoint_transitions_in_every_region_are_all_taken():
    machine = _parallel(
        {"initial": "a", "states": {"a": {"on": {"GO": "a2"}}, "a2": {}}},
        {"initial": "b", "states": {"b": {"on": {"GO": "b2"}}, "b2": {}}},
    )
    assert _go(machine) == {"par": {"r1": "a2", "r2": "b2"}}


def test_of_conflicting_transitions_the_first_in_document_order_wins():
    machine = _parallel(
        {"initial": "a", "states": {"a": {"on": {"GO": "#m.one"}}}},
        {"initial": "b", "states": {"b": {"on": {"GO": "#m.two"}}}},
    )
    assert _go(machine) == "one"


def test_a_conflict_drops_only_the_conflicting_transition():
    machine = _parallel(
        {"initial": "a", "states": {"a": {"on": {"GO": "a2"}}, "a2": {}}},
        {"initial": "b", "states": {"b": {"on": {"GO": "#m.two"}}}},
        {"initial": "c", "states": {"c": {"on": {"GO": "c2"}}, "c2": {}}},
    )
    assert _go(machine) == {"par": {"r1": "a2", "r2": "b", "r3": "c2"}}


def test_conflicting_eventless_transitions_are_resolved_the_same_way():
    machine = _parallel(
        {"initial": "a", "states": {"a": {"always": "#m.one"}}},
        {"initial": "b", "states": {"b": {"always": "#m.two"}}},
    )
    snapshot, _ = start(machine)
    assert snapshot.value == "one"
