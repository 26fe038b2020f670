"""Restoring snapshot values (partial values completed, bad ones refused with the reason) and
how implementations are bound: params of inline logic, named combinator guards, the lists of
known names in errors."""

from __future__ import annotations

from typing import Any

import pytest

from arvo_temporal.errors import InvalidMachineDefinition
from arvo_temporal.statechart import Machine, Snapshot, and_, assign, send, start

LAYOUT = {
    "id": "m",
    "initial": "a",
    "states": {
        "a": {"on": {"GO": "p"}},
        "p": {"initial": "x", "states": {"x": {"on": {"NEXT": "y"}}, "y": {}}},
        "q": {
            "type": "parallel",
            "states": {
                "r1": {"initial": "u", "states": {"u": {}}},
                "r2": {"initial": "v", "states": {"v": {}}},
            },
        },
    },
}


def _restored(value: Any) -> Any:
    machine = Machine(LAYOUT)
    snapshot, _ = start(machine)
    restored = Snapshot.from_json({**snapshot.to_json(), "value": value})
    return send(machine, restored, {"type": "NOTHING"})[0].value


@pytest.mark.parametrize(
    ("value", "completed"),
    [
        ("p", {"p": "x"}),
        ({"p": {}}, {"p": "x"}),
        ("q", {"q": {"r1": "u", "r2": "v"}}),
        ({"q": {"r1": "u"}}, {"q": {"r1": "u", "r2": "v"}}),
    ],
)
def test_a_partial_state_value_is_completed_with_initial_states(value, completed):
    assert _restored(value) == completed


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("zzz", "snapshot value does not fit machine 'm': 'm' has no child state 'zzz'"),
        ({"a": "x"}, "snapshot value does not fit machine 'm': 'm.a' has no child state 'x'"),
        ({"p": "zzz"}, "snapshot value does not fit machine 'm': 'm.p' has no child state 'zzz'"),
        (
            {"p": {"x": {}, "y": {}}},
            "snapshot value does not fit machine 'm': 'm.p' is not parallel but the value names "
            "['x', 'y']",
        ),
        ({"p": 5}, "snapshot value does not fit machine 'm': 5 is not a state value"),
        (5, "snapshot value must be a string or an object, got 5"),
    ],
)
def test_a_state_value_that_does_not_fit_is_refused(value, reason):
    with pytest.raises(ValueError) as raised:
        _restored(value)
    assert str(raised.value) == reason


def test_inline_logic_gets_empty_params():
    seen: list[Any] = []
    machine = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {
                    "entry": [
                        assign(lambda args, params: {"builder": dict(params)}),
                        lambda args, params: seen.append(dict(params)),
                    ],
                    "on": {"GO": {"guard": lambda args, params: params == {}, "target": "b"}},
                },
                "b": {},
            },
        }
    )
    snapshot, _ = start(machine)
    assert snapshot.context == {"builder": {}} and seen == [{}]
    assert send(machine, snapshot, {"type": "GO"})[0].value == "b"


def test_a_named_guard_may_be_a_combinator_and_errors_inside_it_are_located():
    guards = {"ok": lambda args, params: True, "no": lambda args, params: False}
    machine = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {"a": {"on": {"GO": {"guard": "either", "target": "b"}}}, "b": {}},
        },
        guards={**guards, "either": and_("ok", "ok")},
    )
    snapshot, _ = start(machine)
    assert send(machine, snapshot, {"type": "GO"})[0].value == "b"
    with pytest.raises(InvalidMachineDefinition) as raised:
        Machine(
            {
                "id": "m",
                "initial": "a",
                "states": {"a": {"on": {"GO": {"guard": "both", "target": "a"}}}},
            },
            guards={**guards, "both": and_("ok", "nope")},
        )
    assert raised.value.path == "guards.both[1]"
    assert str(raised.value) == "guards.both[1]: unknown guard 'nope' (known guards: both, no, ok)"


def test_errors_list_the_known_names():
    with pytest.raises(InvalidMachineDefinition) as action:
        Machine(
            {"id": "x", "initial": "a", "states": {"a": {"entry": "zz"}}},
            actions={"b": lambda a, p: None, "a": lambda a, p: None},
        )
    assert str(action.value) == "states.a.entry: unknown action 'zz' (known actions: a, b)"
    with pytest.raises(InvalidMachineDefinition) as guard:
        Machine({"id": "x", "initial": "a", "states": {"a": {"on": {"GO": {"guard": "g"}}}}})
    assert str(guard.value) == "states.a.on.GO.guard: unknown guard 'g' (known guards: none)"
    with pytest.raises(InvalidMachineDefinition) as typed:
        Machine({"id": "x", "initial": "a", "states": {"a": {"entry": {"type": 5}}}})
    assert typed.value.path == "states.a.entry.type"
    assert str(typed.value) == (
        "states.a.entry.type: a action reference needs a non-empty string 'type'"
    )
