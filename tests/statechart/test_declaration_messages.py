"""Every declaration error of the statechart compiler and binder, with its exact message and the
config path it names (tests/statechart/test_declaration_errors.py checks them by pattern), and the
declarations these checks must let through."""

from __future__ import annotations

from typing import Any

import pytest

from arvo_temporal.errors import InvalidMachineDefinition
from arvo_temporal.statechart import Machine, send, start


def _fn(*args: Any) -> Any:
    return {}


@pytest.mark.parametrize(
    ("config", "implementations", "message", "path"),
    [
        pytest.param(
            {
                "id": "m",
                "initial": "p",
                "states": {"p": {"type": "parallel", "states": {"h": {"type": "history"}}}},
            },
            {},
            "states.p.states: a parallel state needs at least one region",
            "states.p.states",
            id="parallel with only a history state",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {"after": {"-0": "a"}}}},
            {},
            "states.a.after.-0: invalid delay '-0': not a canonical integer number of milliseconds",
            "states.a.after.-0",
            id="after key minus zero",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {"after": {"0.5": "a"}}}},
            {},
            "states.a.after.0.5: invalid delay '0.5': not a canonical integer number of milliseconds",
            "states.a.after.0.5",
            id="after key below one",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "context": None, "states": {"a": {}}},
            {},
            "context: context must be an object or a callable (input) -> dict",
            "context",
            id="context null",
        ),
        pytest.param(
            {
                "id": "m",
                "initial": "p",
                "states": {
                    "p": {"initial": "x", "onDone": "zz", "states": {"x": {"type": "final"}}}
                },
            },
            {},
            "states.p.onDone.target: unknown target 'zz': 'm' has no child 'zz'",
            "states.p.onDone.target",
            id="onDone to an unknown state",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {"always": "zz"}}},
            {},
            "states.a.always.target: unknown target 'zz': 'm' has no child 'zz'",
            "states.a.always.target",
            id="always to an unknown state",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "#m.nowhere"}}}},
            {},
            "states.a.on.GO.target: unknown target '#m.nowhere': 'm' has no child 'nowhere'",
            "states.a.on.GO.target",
            id="unknown target by id",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {"on": {"GO": ".nowhere"}}}},
            {},
            "states.a.on.GO.target: unknown target '.nowhere': 'm.a' has no child 'nowhere'",
            "states.a.on.GO.target",
            id="unknown child target",
        ),
        pytest.param(
            {
                "id": "h",
                "initial": "on",
                "states": {
                    "on": {
                        "initial": "a",
                        "states": {"a": {}, "hist": {"type": "history", "target": "#h.nowhere"}},
                    }
                },
            },
            {},
            "states.on.states.hist.target: unknown target '#h.nowhere': 'h' has no child 'nowhere'",
            "states.on.states.hist.target",
            id="unknown history target by id",
        ),
        pytest.param(
            {
                "id": "h",
                "initial": "on",
                "states": {
                    "on": {
                        "initial": "a",
                        "states": {"a": {}, "hist": {"type": "history", "target": "zz"}},
                    }
                },
            },
            {},
            "states.on.states.hist.target: unknown target 'zz': 'h.on' has no child 'zz'",
            "states.on.states.hist.target",
            id="unknown history target",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {}}},
            {"delays": {"": 5}},
            "delays.: implementation names must be non-empty strings",
            "delays.",
            id="delay name empty",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "transitions": [], "states": {"a": {}}},
            {},
            "transitions: this is XState's machine.toJSON() / machine.definition export, which "
            "silently drops inline guards, `always` transitions, context and output; export the "
            "machine config instead (tests/xstate/export.mjs) with every action and guard named",
            "transitions",
            id="an XState definition export",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {"entry": [None]}}},
            {},
            "states.a.entry[0]: inline JavaScript action lost in export (null, which "
            "JSON.stringify leaves in place of a function); the implementation must be named and "
            "supplied in Python via Machine(actions={name: ...})",
            "states.a.entry[0]",
            id="an inline action exported as null",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {"entry": {"type": ""}}}},
            {},
            "states.a.entry: inline JavaScript action lost in export (an anonymous function "
            "exported as {'type': ''}); the implementation must be named and supplied in Python "
            "via Machine(actions={name: ...})",
            "states.a.entry",
            id="an anonymous inline action",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "Xtra": 1, "states": {"a": {}}},
            {},
            "Xtra: unsupported key 'Xtra': unknown state key; supported keys: after, always, "
            "context, description, entry, exit, id, initial, meta, on, onDone, output, schemas, "
            "states, tags, type, types, version",
            "Xtra",
            id="unknown root key",
        ),
        pytest.param(
            ["x"], {}, "a machine config must be an object", "", id="config not an object"
        ),
        pytest.param(
            {"id": "", "initial": "a", "states": {"a": {}}},
            {},
            "id: the machine id must be a non-empty string",
            "id",
            id="machine id not a string",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "output": {"x": 1}, "states": {"a": {"type": "final"}}},
            {"output": _fn},
            "output: output is given both in the config and as Machine(output=...)",
            "output",
            id="output twice",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {"type": "final"}}},
            {"output": 5},
            "output: Machine(output=...) must be a callable (context) -> output",
            "output",
            id="output not callable",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "output": "inline:js", "states": {"a": {"type": "final"}}},
            {},
            "output: inline JavaScript output lost in export (exported as 'inline:js'); the implementation must be named and supplied in Python via Machine(output=...)",
            "output",
            id="root output lost",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "context": {"n": 1}, "states": {"a": {}}},
            {"context": {"n": 2}},
            "context: context is given both in the config and as Machine(context=...)",
            "context",
            id="context twice",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "context": "inline:js", "states": {"a": {}}},
            {},
            "context: inline JavaScript context lost in export (exported as 'inline:js'); the implementation must be named and supplied in Python via Machine(context=...)",
            "context",
            id="context lost",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "context": 5, "states": {"a": {}}},
            {},
            "context: context must be an object or a callable (input) -> dict",
            "context",
            id="context not an object",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {"on": ["x"]}}},
            {},
            "states.a.on: 'on' must be an object",
            "states.a.on",
            id="on not an object",
        ),
        pytest.param(
            {
                "id": "m",
                "initial": "a",
                "states": {"a": {"after": {"100": "a"}, "on": {"xstate.after.100.m.a": "a"}}},
            },
            {},
            "states.a.after.100: 'on' already handles xstate.after.100.m.a, which after defines",
            "states.a.after.100",
            id="on handles an after event",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": 5}},
            {},
            "states.a: a state config must be an object, got 5",
            "states.a",
            id="state config not an object",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {"id": 5}}},
            {},
            "states.a.id: a state id must be a string",
            "states.a.id",
            id="state id not a string",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {"id": "m"}}},
            {},
            "states.a.id: duplicate state id 'm' (also used by the root)",
            "states.a.id",
            id="duplicate id of the root",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {"id": "x"}, "b": {"id": "x"}}},
            {},
            "states.b.id: duplicate state id 'x' (also used by states.a)",
            "states.b.id",
            id="duplicate id of a state",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": ["a"]},
            {},
            "states: 'states' must be an object",
            "states",
            id="states not an object",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {}, "": {}}},
            {},
            "states.: state keys must be non-empty strings without '.'",
            "states.",
            id="state key empty",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {}, 5: {}}},
            {},
            "states.5: state keys must be non-empty strings without '.'",
            "states.5",
            id="state key not a string",
        ),
        pytest.param(
            {"id": "m", "type": "parallel", "states": {}},
            {},
            "states: a parallel state needs child states",
            "states",
            id="parallel without regions",
        ),
        pytest.param(
            {"id": "m", "initial": "h", "states": {"a": {}, "h": {"type": "history"}}},
            {},
            "initial: initial cannot be a history state",
            "initial",
            id="initial is a history state",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {"onDone": "a"}}},
            {},
            "states.a.onDone: onDone is only supported on compound and parallel states",
            "states.a.onDone",
            id="onDone on an atomic state",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {"output": {"x": 1}}}},
            {},
            "states.a.output: output is only supported on final states and the machine root",
            "states.a.output",
            id="output on a non-final state",
        ),
        pytest.param(
            {
                "id": "m",
                "initial": "a",
                "states": {"a": {}, "h": {"type": "history", "history": "both"}},
            },
            {},
            "states.h.history: history must be 'shallow' or 'deep'",
            "states.h.history",
            id="history mode",
        ),
        pytest.param(
            {"id": "m", "type": "history"},
            {},
            "type: the machine root cannot be a history state",
            "type",
            id="root history",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {"after": ["x"]}}},
            {},
            "states.a.after: 'after' must be an object of delay → transition",
            "states.a.after",
            id="after not an object",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {"after": {"": "a"}}}},
            {},
            "states.a.after.: unknown delay '': an after key is integer milliseconds or the name of a delay supplied in Python (known delays: none)",
            "states.a.after.",
            id="after key neither",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {"after": {"-5": "a"}}}},
            {},
            "states.a.after.-5: invalid delay '-5': negative",
            "states.a.after.-5",
            id="after key negative",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {"after": {"1.5": "a"}}}},
            {},
            "states.a.after.1.5: invalid delay '1.5': not a canonical integer number of milliseconds",
            "states.a.after.1.5",
            id="after key not integer",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {"after": {"01": "a"}}}},
            {},
            "states.a.after.01: invalid delay '01': not a canonical integer number of milliseconds",
            "states.a.after.01",
            id="after key zero padded",
        ),
        pytest.param(
            {
                "id": "m",
                "initial": "a",
                "states": {"a": {"on": {"GO": {"target": "a", "when": 1}}}},
            },
            {},
            "states.a.on.GO.when: unsupported key 'when': unknown transition key; supported keys: actions, description, guard, meta, reenter, target",
            "states.a.on.GO.when",
            id="transition key",
        ),
        pytest.param(
            {
                "id": "m",
                "initial": "a",
                "states": {"a": {"on": {"GO": {"target": "a", "reenter": 1}}}},
            },
            {},
            "states.a.on.GO.reenter: reenter must be true or false",
            "states.a.on.GO.reenter",
            id="reenter not a bool",
        ),
        pytest.param(
            {
                "id": "m",
                "initial": "p",
                "states": {
                    "p": {"initial": "x", "states": {"x": {}}},
                    "b": {"on": {"GO": {"target": ["p", "p.x"]}}},
                },
            },
            {},
            "states.b.on.GO.target: targets 'm.p' and 'm.p.x' overlap",
            "states.b.on.GO.target",
            id="overlapping targets",
        ),
        pytest.param(
            {
                "id": "m",
                "initial": "a",
                "states": {"a": {"on": {"GO": {"target": ["a", "b"]}}}, "b": {}},
            },
            {},
            "states.a.on.GO.target: targets 'm.a' and 'm.b' cannot be active together (their closest common ancestor is not parallel)",
            "states.a.on.GO.target",
            id="targets not parallel",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {}}},
            {"actions": {"xstate.x": _fn}},
            "actions.xstate.x: action names starting with 'xstate.' are reserved",
            "actions.xstate.x",
            id="action name reserved",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {}}},
            {"actions": {"x": 5}},
            "actions.x: an action must be assign(...), emit(...), raise_(...) or a callable (args, params), got int",
            "actions.x",
            id="action not callable",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {}}},
            {"actions": {"": _fn}},
            "actions.: implementation names must be non-empty strings",
            "actions.",
            id="action name empty",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {}}},
            {"guards": {"g": 5}},
            "guards.g: a guard must be a callable (args, params) -> bool or and_/or_/not_(...), got int",
            "guards.g",
            id="guard not callable",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {}}},
            {"guards": {"": _fn}},
            "guards.: implementation names must be non-empty strings",
            "guards.",
            id="guard name empty",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {}}},
            {"delays": {"-1.5": 10}},
            "delays.-1.5: a delay name cannot look like a number of milliseconds",
            "delays.-1.5",
            id="delay name numeric",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {}}},
            {"delays": {"soon": -1}},
            "delays.soon: a delay cannot be negative, got -1",
            "delays.soon",
            id="delay negative",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {}}},
            {"delays": {"soon": "x"}},
            "delays.soon: a delay must be milliseconds or a callable (args) -> ms, got 'x'",
            "delays.soon",
            id="delay not a number",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {"after": {"later": "a"}}}},
            {"delays": {"soon": 1, "now": 0}},
            "states.a.after.later: unknown delay 'later': an after key is integer milliseconds or the name of a delay supplied in Python (known delays: now, soon)",
            "states.a.after.later",
            id="unknown delay",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {"after": {"later": "a"}}}},
            {},
            "states.a.after.later: unknown delay 'later': an after key is integer milliseconds or the name of a delay supplied in Python (known delays: none)",
            "states.a.after.later",
            id="unknown delay none known",
        ),
        pytest.param(
            {
                "id": "m",
                "initial": "p",
                "states": {
                    "p": {"initial": "x", "states": {"x": {}}},
                    "b": {"on": {"GO": {"target": ["p.x", "p"]}}},
                },
            },
            {},
            "states.b.on.GO.target: targets 'm.p.x' and 'm.p' overlap",
            "states.b.on.GO.target",
            id="overlapping targets, descendant first",
        ),
        pytest.param(
            {"id": "m", "initial": "a", "states": {"a": {"on": {"GO": {"target": ["a", "a"]}}}}},
            {},
            "states.a.on.GO.target: targets 'm.a' and 'm.a' overlap",
            "states.a.on.GO.target",
            id="the same target twice",
        ),
        pytest.param(
            {
                "initial": "p",
                "states": {
                    "p": {"initial": "x", "states": {"x": {}}},
                    "b": {"on": {"GO": {"target": ["p", "p.x"]}}},
                },
            },
            {},
            "states.b.on.GO.target: targets '(machine).p' and '(machine).p.x' overlap",
            "states.b.on.GO.target",
            id="a machine without an id",
        ),
        pytest.param(
            {
                "id": "m",
                "initial": "a",
                "states": {"a": {"on": {"GO": {"target": ["a", "nowhere"]}}}},
            },
            {},
            "states.a.on.GO.target[1]: unknown target 'nowhere': 'm' has no child 'nowhere'",
            "states.a.on.GO.target[1]",
            id="an unknown target in a list",
        ),
    ],
)
def test_declaration_errors_name_what_and_where(config, implementations, message, path):
    with pytest.raises(InvalidMachineDefinition) as raised:
        Machine(config, **implementations)
    assert (str(raised.value), raised.value.path) == (message, path)


def test_declarations_the_checks_let_through():
    # An empty target is no target: the transition only runs its actions.
    ran: list[str] = []
    machine = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {"a": {"on": {"GO": {"target": "", "actions": "note"}}}},
        },
        actions={"note": lambda args, params: ran.append("note")},
    )
    snapshot, _ = start(machine)
    snapshot, _ = send(machine, snapshot, {"type": "GO"})
    assert snapshot.value == "a" and ran == ["note"]
    # history: true, a history state right under the root, a zero delay, dotted delay names.
    Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {"on": {"GO": "b"}},
                "b": {"on": {"BACK": "h"}},
                "h": {"type": "history", "history": True},
            },
        },
        delays={"1.2.3": 5, "now": 0, "X5": 5},
    )
    # A backslash escapes an ordinary character too: "x\\y" names the state "xy".
    escaped = Machine(
        {"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "x\\y"}}, "xy": {}}}
    )
    snapshot, _ = start(escaped)
    assert send(escaped, snapshot, {"type": "GO"})[0].value == "xy"
    # A state with a history mode but no type is a history state.
    by_key = Machine(
        {
            "id": "m",
            "initial": "p",
            "states": {
                "p": {
                    "initial": "a",
                    "on": {"OUT": "q"},
                    "states": {"a": {"on": {"N": "b"}}, "b": {}, "h": {"history": "shallow"}},
                },
                "q": {"on": {"BACK": "p.h"}},
            },
        }
    )
    snapshot, _ = start(by_key)
    for event in ("N", "OUT", "BACK"):
        snapshot, _ = send(by_key, snapshot, {"type": event})
    assert snapshot.value == {"p": "b"}


def test_integer_delays_are_scheduled_in_javascript_key_order():
    # Integer-like keys up to 2**32 - 2 come first, in numeric order; larger ones keep their order.
    machine = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {
                    "after": {
                        "4294967296": "a",
                        "4294967295": "a",
                        "100": "a",
                        "4294967294": "a",
                    }
                }
            },
        }
    )
    snapshot, _ = start(machine)
    assert [timer.id for timer in snapshot.timers] == [
        "xstate.after.100.m.a",
        "xstate.after.4294967294.m.a",
        "xstate.after.4294967296.m.a",
        "xstate.after.4294967295.m.a",
    ]
