"""Runtime details the XState scenarios do not pin: builder and guard argument errors, params
reaching assign functions, events built as read-only mappings, a static machine output, and
what ``advance`` reports (done, output, scheduled and cancelled timers)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pytest

from arvo_temporal.statechart import Machine, advance, and_, assign, emit, raise_, send, start


def _on_go(*actions: Any, **implementations: Any) -> Machine:
    return Machine(
        {"id": "m", "initial": "a", "states": {"a": {"on": {"GO": {"actions": list(actions)}}}}},
        **implementations,
    )


def test_builders_and_combinators_say_what_they_need():
    with pytest.raises(TypeError) as not_a_patch:
        assign(5)  # type: ignore[arg-type]
    assert (
        str(not_a_patch.value) == "assign() takes a mapping or a callable (args, params) -> mapping"
    )
    with pytest.raises(TypeError) as not_an_event:
        emit(5)  # type: ignore[arg-type]
    assert str(not_an_event.value) == "emit: an event must be a mapping with a string 'type', got 5"
    with pytest.raises(TypeError) as empty:
        and_()
    assert str(empty.value) == "and_() needs at least one guard"
    assert repr(and_("a", "b")) == "and_('a', 'b')"


def test_action_results_are_checked_when_they_run():
    machine = _on_go(assign(lambda args, params: [1]))
    snapshot, _ = start(machine)
    with pytest.raises(TypeError) as bad_patch:
        send(machine, snapshot, {"type": "GO"})
    assert str(bad_patch.value) == "an assign function must return a mapping, got list"
    machine = _on_go(emit(lambda args, params: 5))
    snapshot, _ = start(machine)
    with pytest.raises(TypeError) as bad_event:
        send(machine, snapshot, {"type": "GO"})
    assert str(bad_event.value) == "emit: an event must be a mapping with a string 'type', got 5"
    with pytest.raises(ValueError) as wildcard:
        send(machine, snapshot, {"type": "*"})
    assert str(wildcard.value) == "an event cannot have the wildcard type '*'"


def test_params_reach_assign_functions_and_events_come_out_as_dicts():
    machine = _on_go(
        {"type": "bump", "params": {"by": 3}},
        emit(lambda args, params: MappingProxyType({"type": "bumped"})),
        actions={"bump": assign({"n": lambda args, params: args.context["n"] + params["by"]})},
        context={"n": 1},
    )
    snapshot, _ = start(machine)
    snapshot, effects = send(machine, snapshot, {"type": "GO"})
    assert snapshot.context == {"n": 4}
    (event,) = effects.emitted
    assert type(event) is dict and event == {"type": "bumped"}


def test_a_static_machine_output_is_the_completion_output():
    machine = Machine(
        {
            "id": "m",
            "initial": "a",
            "output": {"x": 1},
            "states": {"a": {"on": {"GO": "b"}}, "b": {"type": "final"}},
        }
    )
    snapshot, _ = start(machine)
    snapshot, effects = send(machine, snapshot, {"type": "GO"})
    assert (snapshot.status, snapshot.output, effects.output) == ("done", {"x": 1}, {"x": 1})


def test_advance_reports_what_the_fired_timers_did():
    machine = Machine(
        {
            "id": "m",
            "initial": "a",
            "output": lambda context: {"n": context["n"]},
            "context": {"n": 0},
            "states": {
                "a": {"after": {"10": "b", "50": "c"}},
                "b": {"after": {"5": "d"}},
                "c": {},
                "d": {"type": "final"},
            },
        }
    )
    snapshot, _ = start(machine, now_ms=0)
    moved, effects = advance(machine, snapshot, 12)
    assert moved.value == "b"
    assert (effects.done, effects.output) == (False, None)
    assert [timer.id for timer in effects.scheduled] == ["xstate.after.5.m.b"]
    assert effects.cancelled == ("xstate.after.50.m.a",)
    finished, done = advance(machine, moved, 100)
    assert finished.status == "done"
    assert (done.done, done.output) == (True, {"n": 0})
    assert done.scheduled == () and done.cancelled == ()


def test_every_kind_of_action_sees_the_event_being_processed():
    machine = Machine(
        {
            "id": "m",
            "initial": "a",
            "context": {"n": 7},
            "states": {
                "a": {
                    "exit": assign(lambda args, params: {"exited_on": args.event["type"]}),
                    "on": {
                        "GO": {
                            "target": "b",
                            "actions": [
                                emit(
                                    lambda args, params: {"type": "out", "on": args.event["type"]}
                                ),
                                raise_(
                                    lambda args, params: {
                                        "type": "NEXT",
                                        "from": args.event["type"],
                                        "n": args.context["n"],
                                    }
                                ),
                                "plan",
                            ],
                        }
                    },
                },
                "b": {
                    "on": {
                        "NEXT": {
                            "target": "c",
                            "actions": assign(lambda args, params: {"next": dict(args.event)}),
                        }
                    }
                },
                "c": {"after": {"wait": "d"}},
                "d": {
                    "initial": "x",
                    "onDone": {
                        "target": "e",
                        "actions": assign(lambda args, params: {"output": args.event["output"]}),
                    },
                    "states": {
                        "x": {"type": "final", "output": lambda args: {"n": args.context["n"]}}
                    },
                },
                "e": {},
            },
        },
        actions={
            "plan": lambda args, params: [
                assign(lambda inner, _: {"planned_on": inner.event["type"]})
            ]
        },
        delays={"wait": lambda args: args.event["n"] * 10},
    )
    snapshot, _ = start(machine, now_ms=0)
    snapshot, effects = send(machine, snapshot, {"type": "GO"}, now_ms=0)
    assert effects.emitted == ({"type": "out", "on": "GO"},)
    assert snapshot.context == {
        "n": 7,
        "exited_on": "GO",
        "planned_on": "GO",
        "next": {"type": "NEXT", "from": "GO", "n": 7},
    }
    (timer,) = snapshot.timers
    assert timer.delay_ms == 70, "the delay function saw the raised NEXT event"
    finished, _ = advance(machine, snapshot, 70)
    assert finished.value == "e" and finished.context["output"] == {"n": 7}


@pytest.mark.parametrize("bad", ["soon", True, -1])
def test_a_delay_function_must_return_a_non_negative_number(bad):
    machine = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {"a": {"on": {"GO": "b"}}, "b": {"after": {"d": "a"}}},
        },
        delays={"d": lambda args: bad},
    )
    snapshot, _ = start(machine)
    with pytest.raises(ValueError) as raised:
        send(machine, snapshot, {"type": "GO"})
    assert str(raised.value) == (
        f"delay for xstate.after.d.m.b must be a non-negative number, got {bad!r}"
    )


def test_a_delay_function_may_return_zero():
    machine = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {"a": {"on": {"GO": "b"}}, "b": {"after": {"d": "a"}}},
        },
        delays={"d": lambda args: 0},
    )
    snapshot, _ = start(machine, now_ms=5)
    snapshot, _ = send(machine, snapshot, {"type": "GO"}, now_ms=5)
    (timer,) = snapshot.timers
    assert (timer.delay_ms, timer.due_ms) == (0, 5)
