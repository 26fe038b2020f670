"""Declaration-time checks: every config problem raises InvalidMachineDefinition naming its path."""

from __future__ import annotations

import pytest

from arvo_temporal.errors import InvalidMachineDefinition
from arvo_temporal.statechart import Machine, and_, assign, emit, not_


def machine(states: dict, **root) -> dict:
    return {"id": "m", "initial": next(iter(states)), "states": states, **root}


IMPLS = {
    "actions": {"log": assign({"x": 1}), "ping": emit({"type": "ping"})},
    "guards": {"ok": lambda a, p: True},
    "delays": {"soon": 10, "later": lambda a: 20},
}

CASES = [
    # targets
    (machine({"a": {"on": {"X": "nowhere"}}}), "states.a.on.X.target", "unknown target 'nowhere'"),
    (
        machine({"a": {"on": {"X": [{"guard": "ok"}, {"target": "b"}]}}}),
        "states.a.on.X[1].target",
        "unknown target 'b'",
    ),
    (machine({"a": {"on": {"X": "#nope"}}}), "states.a.on.X.target", "no state has id 'nope'"),
    (machine({"a": {"on": {"X": "#m.a.zz"}}}), "states.a.on.X.target", "has no child 'zz'"),
    (machine({"a": {"on": {"X": ".kid"}}}), "states.a.on.X.target", "has no child 'kid'"),
    (
        {"id": "m", "initial": "a", "on": {"X": "a"}, "states": {"a": {}}},
        "on.X.target",
        "did you mean '.a'",
    ),
    (machine({"a": {"on": {"X": {"target": 5}}}}), "states.a.on.X.target", "non-empty string"),
    (
        machine({"a": {"on": {"X": {"target": ["b", "c"]}}}, "b": {}, "c": {}}),
        "states.a.on.X.target",
        "cannot be active together",
    ),
    (machine({"a": {"on": {"X": None}}}), "states.a.on.X", "target string or an object"),
    # initial
    (machine({"a": {"states": {"b": {}}}}), "states.a.initial", "add initial: 'b'"),
    (machine({"a": {"initial": "zz", "states": {"b": {}}}}), "states.a.initial", "not a child"),
    (
        machine({"a": {"initial": "h", "states": {"b": {}, "h": {"type": "history"}}}}),
        "states.a.initial",
        "history",
    ),
    (
        machine({"a": {"type": "parallel", "initial": "b", "states": {"b": {}}}}),
        "states.a.initial",
        "parallel state cannot",
    ),
    (machine({"a": {"initial": "b"}}), "states.a.initial", "atomic state cannot"),
    ({"id": "m", "states": {"a": {}}}, "initial", "needs an initial child"),
    # actions, guards, delays
    (machine({"a": {"entry": "missing"}}), "states.a.entry", "unknown action 'missing'"),
    (
        machine({"a": {"exit": ["log", {"type": "nope", "params": {}}]}}),
        "states.a.exit[1]",
        "unknown action 'nope'",
    ),
    (
        machine({"a": {"entry": [{"type": "log", "params": 3}]}}),
        "states.a.entry[0].params",
        "params must be an object",
    ),
    (
        machine({"a": {"entry": [{"type": "log", "extra": 1}]}}),
        "states.a.entry[0]",
        "unsupported keys",
    ),
    (machine({"a": {"entry": [42]}}), "states.a.entry[0]", "not an action"),
    (
        machine({"a": {"on": {"X": {"guard": "nope"}}}}),
        "states.a.on.X.guard",
        "unknown guard 'nope'",
    ),
    (
        machine({"a": {"on": {"X": {"guard": {"type": "and", "guards": ["ok", "bad"]}}}}}),
        "states.a.on.X.guard.guards[1]",
        "unknown guard 'bad'",
    ),
    (
        machine({"a": {"on": {"X": {"guard": {"type": "not", "guard": {"type": "zz"}}}}}}),
        "states.a.on.X.guard.guard",
        "unknown guard 'zz'",
    ),
    (
        machine({"a": {"on": {"X": {"guard": {"type": "or", "guards": []}}}}}),
        "states.a.on.X.guard.guards",
        "non-empty list",
    ),
    (
        machine({"a": {"on": {"X": {"guard": {"type": "not", "guards": ["ok"]}}}}}),
        "states.a.on.X.guard",
        "'not' guard is",
    ),
    (
        machine({"a": {"on": {"X": {"guard": and_("ok", not_("nah"))}}}}),
        "states.a.on.X.guard[1]",
        "unknown guard 'nah'",
    ),
    (machine({"a": {"after": {"-5": "a"}}}), "states.a.after.-5", "negative"),
    (machine({"a": {"after": {"1.5": "a"}}}), "states.a.after.1.5", "not a canonical integer"),
    (machine({"a": {"after": {"0100": "a"}}}), "states.a.after.0100", "not a canonical integer"),
    (machine({"a": {"after": {-1: "a"}}}), "states.a.after.-1", "negative"),
    (
        machine({"a": {"after": {1.5: "a"}}}),
        "states.a.after.1.5",
        "integer milliseconds or a delay name",
    ),
    (
        machine({"a": {"after": {"sometime": "a"}}}),
        "states.a.after.sometime",
        "unknown delay 'sometime'",
    ),
    (machine({"a": {"after": {500: "a", "500": "a"}}}), "states.a.after.500", "given twice"),
    (machine({"a": {"after": {"soon": "zz"}}}), "states.a.after.soon.target", "unknown target"),
    # unsupported or unknown keys
    (
        machine({"a": {"invoke": {"src": "svc"}}}),
        "states.a.invoke",
        "invoked actors are not supported",
    ),
    (
        machine({"a": {"on": {"X": {"target": "a", "cond": "ok"}}}}),
        "states.a.on.X.cond",
        "renamed 'cond' to 'guard'",
    ),
    (
        machine({"a": {"on": {"X": {"target": "a", "internal": True}}}}),
        "states.a.on.X.internal",
        "reenter",
    ),
    (machine({"a": {"colour": "red"}}), "states.a.colour", "unknown state key"),
    (machine({"a": {"context": {}}}), "states.a.context", "unsupported key 'context'"),
    (machine({"a": {"on": {"X": {"reenter": "yes"}}}}), "states.a.on.X.reenter", "true or false"),
    (machine({"a": {"on": {"": "a"}}}), "states.a.on.", "use 'always' for eventless"),
    (machine({"a": {"on": {"a.*.b": "a"}}}), "states.a.on.a.*.b", "wildcard"),
    (machine({"a": {"on": {"*x": "a"}}}), "states.a.on.*x", "wildcard"),
    # shapes
    (machine({"a": {"type": "weird"}}), "states.a.type", "unknown state type"),
    (
        machine({"a": {"type": "final", "states": {"b": {}}}}),
        "states.a.states",
        "cannot have child states",
    ),
    (machine({"a": {"type": "parallel"}}), "states.a.states", "needs child states"),
    (machine({"a": {"onDone": "a"}}), "states.a.onDone", "only supported on compound and parallel"),
    (machine({"a": {"output": 1}}), "states.a.output", "only supported on final states"),
    (
        machine({"a": {}, "b": {"id": "a"}, "c": {"id": "a"}}),
        "states.c.id",
        "duplicate state id 'a'",
    ),
    (
        machine(
            {
                "a": {
                    "initial": "b",
                    "states": {"b": {}, "h": {"type": "history", "history": "sideways"}},
                }
            }
        ),
        "states.a.states.h.history",
        "shallow' or 'deep",
    ),
    (
        machine(
            {"a": {"initial": "b", "states": {"b": {}, "h": {"type": "history", "target": "zz"}}}}
        ),
        "states.a.states.h.target",
        "unknown target",
    ),
    (
        machine({"a": {"initial": "b", "states": {"b": {}, "h": {"type": "history", "on": {}}}}}),
        "states.a.states.h.on",
        "history state key",
    ),
    (
        machine(
            {
                "a": {
                    "initial": "b",
                    "on": {"xstate.done.state.m.a": "a"},
                    "onDone": "a",
                    "states": {"b": {}},
                }
            }
        ),
        "states.a.onDone",
        "already handles",
    ),
    (machine({"a.b": {}}), "states.a.b", "without '.'"),
    ({"id": "m", "type": "final"}, "type", "root cannot be a final"),
    ({"id": "", "initial": "a", "states": {"a": {}}}, "id", "non-empty string"),
]


@pytest.mark.parametrize(("config", "path", "words"), CASES, ids=[c[1] + ":" + c[2] for c in CASES])
def test_config_errors_name_the_path(config, path, words) -> None:
    with pytest.raises(InvalidMachineDefinition) as caught:
        Machine(config, **IMPLS)
    assert caught.value.path == path
    assert words in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("kwargs", "path", "words"),
    [
        ({"actions": {"xstate.assign": assign({})}}, "actions.xstate.assign", "reserved"),
        ({"actions": {"bad": 3}}, "actions.bad", "an action must be"),
        ({"actions": {"": assign({})}}, "actions.", "non-empty"),
        ({"guards": {"and": lambda a, p: True}}, "guards.and", "combinator"),
        ({"guards": {"bad": "ok"}}, "guards.bad", "a guard must be"),
        ({"delays": {"neg": -1}}, "delays.neg", "negative"),
        ({"delays": {"100": 5}}, "delays.100", "look like a number"),
        ({"delays": {"bad": "soon"}}, "delays.bad", "milliseconds or a callable"),
        ({"context": 3}, "context", "object or a callable"),
        ({"output": {"not": "callable"}}, "output", "callable (context)"),
    ],
)
def test_implementation_errors_name_the_path(kwargs, path, words) -> None:
    with pytest.raises(InvalidMachineDefinition) as caught:
        Machine(machine({"a": {}}), **kwargs)
    assert caught.value.path == path
    assert words in str(caught.value)


def test_context_and_output_given_twice_are_refused() -> None:
    with pytest.raises(InvalidMachineDefinition, match="both in the config") as caught:
        Machine(machine({"a": {}}, context={"n": 1}), context={"n": 2})
    assert caught.value.path == "context"
    with pytest.raises(InvalidMachineDefinition, match="both in the config"):
        Machine(machine({"a": {}}, output={"x": 1}), output=lambda c: c)


def test_not_a_mapping() -> None:
    with pytest.raises(InvalidMachineDefinition, match="must be an object"):
        Machine(["not", "a", "config"])  # type: ignore[arg-type]
    with pytest.raises(InvalidMachineDefinition) as caught:
        Machine(machine({"a": 3}))
    assert caught.value.path == "states.a"


def test_valid_machine_with_every_feature_builds() -> None:
    config = {
        "id": "m",
        "initial": "a",
        "context": {"n": 0},
        "output": {"static": True},
        "version": "1",
        "description": "documentation keys are accepted",
        "states": {
            "a": {
                "tags": ["t"],
                "meta": {"any": "thing"},
                "entry": ["log", {"type": "ping"}],
                "after": {"soon": "b", "later": "b", 0: "b", "1000": "b"},
                "on": {
                    "*": "b",
                    "x.*": ".",
                    "GO": [{"guard": {"type": "ok", "params": {"k": 1}}, "target": "#m.b"}],
                },
                "always": [{"guard": "ok", "target": "b", "reenter": True}],
            },
            "b": {
                "type": "parallel",
                "onDone": "c",
                "states": {
                    "r": {
                        "initial": "r1",
                        "states": {
                            "r1": {"type": "final", "output": 1},
                            "h": {"type": "history", "history": "deep", "target": "r1"},
                        },
                    }
                },
            },
            "c": {"type": "final"},
        },
    }
    built = Machine(config, **IMPLS)
    assert built.id == "m"
    assert built.state_ids == ("m", "m.a", "m.b", "m.b.r", "m.b.r.r1", "m.b.r.h", "m.c")
