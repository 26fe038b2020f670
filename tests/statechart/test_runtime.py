"""Runtime behaviour beyond the vectors: Python-only logic, errors, completion, effects."""

from __future__ import annotations

import pytest

from arvo_temporal.errors import InvalidMachineDefinition
from arvo_temporal.statechart import (
    ActionArgs,
    Machine,
    Snapshot,
    and_,
    assign,
    emit,
    not_,
    or_,
    raise_,
    send,
    start,
)


class Boom(Exception):
    pass


def boom(args, params):
    raise Boom(params.get("why", "boom"))


def test_exceptions_from_actions_and_guards_propagate_unchanged() -> None:
    machine = Machine(
        {
            "id": "e",
            "initial": "a",
            "states": {
                "a": {
                    "on": {
                        "ACT": {"actions": {"type": "boom", "params": {"why": "action"}}},
                        "GUARD": {"guard": "explode", "target": "b"},
                        "ENTER": "b",
                    }
                },
                "b": {"entry": "boom"},
            },
        },
        actions={"boom": boom},
        guards={"explode": boom},
    )
    snapshot, _ = start(machine)
    with pytest.raises(Boom, match="action"):
        send(machine, snapshot, {"type": "ACT"})
    with pytest.raises(Boom, match="boom"):
        send(machine, snapshot, {"type": "GUARD"})
    with pytest.raises(Boom):
        send(machine, snapshot, {"type": "ENTER"})
    assert snapshot.value == "a"  # the input snapshot is untouched


def test_done_machine_ignores_events() -> None:
    machine = Machine(
        {"id": "d", "initial": "a", "states": {"a": {"on": {"END": "z"}}, "z": {"type": "final"}}},
        output=lambda ctx: {"ok": True},
    )
    snapshot, _ = start(machine)
    done, effects = send(machine, snapshot, {"type": "END"})
    assert (done.status, done.output, effects.done, effects.output) == (
        "done",
        {"ok": True},
        True,
        {"ok": True},
    )
    again, effects = send(machine, done, {"type": "END"})
    assert again is done
    assert not effects.done and effects.emitted == ()
    for status in ("error", "stopped"):
        stopped = Snapshot("a", {}, status)
        assert send(machine, stopped, {"type": "END"})[0] is stopped


def test_restored_snapshot_does_not_rerun_entry_actions() -> None:
    calls = []
    machine = Machine(
        {"id": "r", "initial": "a", "states": {"a": {"entry": "note", "on": {"X": {}}}}},
        actions={"note": lambda args, params: calls.append(args.event["type"])},
    )
    snapshot, _ = start(machine, {"k": 1})
    assert calls == ["xstate.init"]
    send(machine, Snapshot.from_json(snapshot.to_json()), {"type": "X"})
    assert calls == ["xstate.init"]


def test_start_passes_the_init_event_and_input() -> None:
    seen = []
    machine = Machine(
        {"id": "i", "initial": "a", "states": {"a": {"entry": "see"}}},
        actions={"see": lambda args, params: seen.append(dict(args.event))},
        context=lambda input: {"from_input": input["n"]},
    )
    snapshot, _ = start(machine, {"n": 3})
    assert seen == [{"type": "xstate.init", "input": {"n": 3}}]
    assert snapshot.context == {"from_input": 3}


def test_inline_python_actions_guards_and_builders() -> None:
    machine = Machine(
        {
            "id": "p",
            "initial": "a",
            "states": {
                "a": {
                    "on": {
                        "E": [
                            {
                                "guard": and_(lambda a, p: a.event["n"] > 0, not_("small")),
                                "target": "b",
                            },
                            {
                                "guard": or_("small", lambda a, p: False),
                                "actions": [
                                    assign({"n": lambda a, p: a.event["n"], "fixed": 1}),
                                    emit(lambda a, p: {"type": "saw", "n": a.context["n"]}),
                                ],
                            },
                        ]
                    }
                },
                "b": {
                    "entry": [raise_({"type": "LATER"}), emit({"type": "entered"})],
                    "on": {"LATER": {"actions": emit({"type": "later"})}},
                },
            },
        },
        guards={"small": lambda a, p: a.event["n"] < 10},
    )
    snapshot, _ = start(machine)
    snapshot, effects = send(machine, snapshot, {"type": "E", "n": 5})
    assert snapshot.context == {"n": 5, "fixed": 1}
    assert effects.emitted == ({"type": "saw", "n": 5},)
    snapshot, effects = send(machine, snapshot, {"type": "E", "n": 50})
    assert snapshot.value == "b"
    assert effects.emitted == ({"type": "entered"}, {"type": "later"})


def test_custom_action_may_return_actions_run_in_place() -> None:
    def plan(args: ActionArgs, params):
        return ["bump", {"type": "say", "params": {"what": "after bump"}}, emit({"type": "inline"})]

    machine = Machine(
        {"id": "x", "initial": "a", "states": {"a": {"on": {"GO": {"actions": ["plan", "say"]}}}}},
        actions={
            "plan": plan,
            "bump": assign(lambda a, p: {"n": a.context["n"] + 1}),
            "say": emit(lambda a, p: {"type": "said", "n": a.context["n"], "what": p.get("what")}),
        },
        context={"n": 0},
    )
    snapshot, _ = start(machine)
    snapshot, effects = send(machine, snapshot, {"type": "GO"})
    assert effects.emitted == (
        {"type": "said", "n": 1, "what": "after bump"},
        {"type": "inline"},
        {"type": "said", "n": 1, "what": None},
    )


def test_returned_unknown_action_names_its_origin() -> None:
    machine = Machine(
        {"id": "x", "initial": "a", "states": {"a": {"on": {"GO": {"actions": "plan"}}}}},
        actions={"plan": lambda a, p: "ghost"},
    )
    snapshot, _ = start(machine)
    with pytest.raises(InvalidMachineDefinition, match="unknown action 'ghost'") as caught:
        send(machine, snapshot, {"type": "GO"})
    assert "plan" in caught.value.path


def test_effects_and_bad_events() -> None:
    machine = Machine({"id": "b", "initial": "a", "states": {"a": {"on": {"X": {}}}}})
    snapshot, effects = start(machine)
    assert effects.emitted == () and not effects.done
    same, effects = send(machine, snapshot, {"type": "unhandled"})
    assert same is snapshot
    with pytest.raises(TypeError, match="string 'type'"):
        send(machine, snapshot, {"kind": "X"})
    with pytest.raises(TypeError):
        send(machine, snapshot, "X")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="wildcard"):
        send(machine, snapshot, {"type": "*"})


@pytest.mark.parametrize(
    ("action", "error"),
    [
        (emit(lambda a, p: {"no": "type"}), TypeError),
        (raise_(lambda a, p: "X"), TypeError),
        (assign(lambda a, p: ["not", "a", "mapping"]), TypeError),
    ],
)
def test_malformed_action_results_raise(action, error) -> None:
    machine = Machine(
        {"id": "m", "initial": "a", "states": {"a": {"on": {"GO": {"actions": action}}}}}
    )
    snapshot, _ = start(machine)
    with pytest.raises(error):
        send(machine, snapshot, {"type": "GO"})


def test_builders_check_their_arguments() -> None:
    with pytest.raises(TypeError):
        assign(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        emit({"no": "type"})
    with pytest.raises(TypeError):
        and_()
    assert "assign" in repr(assign({"a": 1})) and "or_" in repr(or_("g"))


def test_context_function_must_return_a_mapping() -> None:
    machine = Machine({"id": "m", "initial": "a", "states": {"a": {}}}, context=lambda input: [1])
    with pytest.raises(TypeError, match="mapping"):
        start(machine)


def test_static_context_is_copied_per_run() -> None:
    shared = {"items": []}
    machine = Machine({"id": "m", "initial": "a", "states": {"a": {}}}, context=shared)
    first, _ = start(machine)
    first.context["items"].append(1)
    second, _ = start(machine)
    assert second.context == {"items": []} and shared == {"items": []}


def test_final_state_output_may_be_a_python_callable() -> None:
    machine = Machine(
        {
            "id": "o",
            "initial": "job",
            "states": {
                "job": {
                    "initial": "run",
                    "onDone": {"target": "end", "actions": "keep"},
                    "states": {
                        "run": {"on": {"FIN": "ok"}},
                        "ok": {
                            "type": "final",
                            "output": lambda args: {"len": len(args.event["type"])},
                        },
                    },
                },
                "end": {"type": "final"},
            },
        },
        actions={"keep": assign(lambda a, p: {"got": a.event["output"]})},
        output=lambda ctx: ctx["got"],
    )
    snapshot, _ = start(machine)
    snapshot, effects = send(machine, snapshot, {"type": "FIN"})
    assert snapshot.output == effects.output == {"len": 3}
