"""Runtime details the XState scenarios do not pin: builder and guard argument errors, params
reaching assign functions, events built as read-only mappings, a static machine output, and
what ``advance`` reports (done, output, scheduled and cancelled timers)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pytest

from arvo_temporal.statechart import Machine, advance, and_, assign, emit, send, start


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
