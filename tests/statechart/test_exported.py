"""Configs exported from TypeScript: named logic loads, lost inline JavaScript is refused.

The fixtures are real exports of small XState machines (``node tests/xstate/export.mjs``; the
differential test checks they are current).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arvo_temporal.errors import InvalidMachineDefinition
from arvo_temporal.statechart import Machine, advance, assign, send, start

FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "exported.json").read_text("utf-8"))

NAMED = {
    "actions": {"log": assign(lambda a, p: {"log": [*a.context["log"], p["msg"]]})},
    "guards": {
        "ctxGte": lambda a, p: a.context[p["key"]] >= p["value"],
        "isReady": lambda a, p: True,
    },
}


def test_named_export_loads_and_runs() -> None:
    machine = Machine(FIXTURES["named"], context={"log": [], "n": 5}, **NAMED)
    snapshot, _ = start(machine)
    assert snapshot.context["log"] == ["en:idle"]
    snapshot, effects = send(machine, snapshot, {"type": "GO"})
    assert snapshot.value == "busy"
    assert snapshot.context["log"] == ["en:idle", "t:GO"]
    assert [t.id for t in effects.scheduled] == ["xstate.after.100.exported.busy"]
    snapshot, effects = advance(machine, snapshot, 100)
    assert snapshot.status == "done"
    assert effects.done


@pytest.mark.parametrize(
    ("fixture", "path", "words"),
    [
        ("inline_assign", "states.s.entry[0]", "xstate.assign"),
        ("inline_emit_single", "states.s.exit", "xstate.emit"),
        ("inline_guard", "states.s.on.GO.guard", "inline JavaScript guard"),
        ("inline_guard_in_and", "states.s.on.GO.guard.guards[1]", "isBig"),
        ("inline_action_function", "states.s.on.GO.actions[0]", "notify"),
        ("inline_context", "context", "Machine(context=...)"),
        ("stringify_inline_actions", "states.s.entry[0]", "null"),
        ("definition", "initial", "machine.toJSON()"),
    ],
)
def test_lost_inline_logic_is_refused(fixture: str, path: str, words: str) -> None:
    with pytest.raises(InvalidMachineDefinition) as caught:
        Machine(FIXTURES[fixture], **NAMED)
    assert caught.value.path == path
    assert words in str(caught.value)
    if fixture != "definition":
        assert "must be named and supplied in Python" in str(caught.value)


def test_builtin_action_types_from_a_definition_are_refused() -> None:
    config = {"initial": "s", "states": {"s": {"entry": [{"type": "xstate.raise"}]}}}
    with pytest.raises(InvalidMachineDefinition, match=r"built-in xstate\.raise") as caught:
        Machine(config)
    assert caught.value.path == "states.s.entry[0]"


def test_anonymous_function_action_is_refused() -> None:
    config = {"initial": "s", "states": {"s": {"exit": [{"type": ""}]}}}
    with pytest.raises(InvalidMachineDefinition, match="anonymous function"):
        Machine(config)
