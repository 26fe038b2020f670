"""Declaration-time details that the XState vectors do not reach: history defaults, escaped state
paths, inline callables and their labels, reference and guard syntax errors (exact message and
path), descriptors, exported outputs, and snapshot parsing errors."""

from __future__ import annotations

from typing import Any

import pytest

from arvo_temporal.errors import InvalidMachineDefinition
from arvo_temporal.statechart import Machine, Snapshot, send, start


def _history(target: Any = None) -> dict[str, Any]:
    hist: dict[str, Any] = {"type": "history"}
    if target is not None:
        hist["target"] = target
    return {
        "id": "h",
        "initial": "off",
        "states": {
            "off": {"on": {"ON": "on.hist"}},
            "on": {
                "initial": "a",
                "on": {"OFF": "off"},
                "states": {"a": {"on": {"NEXT": "b"}}, "b": {}, "hist": hist},
            },
        },
    }


def _declaration_error(config: dict[str, Any], **implementations: Any) -> tuple[str, str]:
    with pytest.raises(InvalidMachineDefinition) as raised:
        Machine(config, **implementations)
    return str(raised.value), raised.value.path


@pytest.mark.parametrize(
    ("target", "entered"),
    [(None, "a"), ("b", "b"), (["b"], "b"), ("#h.on.b", "b")],
)
def test_a_history_state_without_memory_enters_its_target(target, entered):
    machine = Machine(_history(target))
    snapshot, _ = start(machine)
    snapshot, _ = send(machine, snapshot, {"type": "ON"})
    assert snapshot.value == {"on": entered}


@pytest.mark.parametrize(
    ("target", "path", "message"),
    [
        ("", "states.on.states.hist.target", "a history target must be a non-empty string"),
        (
            ["b", 5],
            "states.on.states.hist.target[1]",
            "a history target must be a non-empty string",
        ),
        (
            "hist",
            "states.on.states.hist.target",
            "a history target must be a (non-history) state inside its parent",
        ),
        (
            "#h.off",
            "states.on.states.hist.target",
            "a history target must be a (non-history) state inside its parent",
        ),
    ],
)
def test_bad_history_targets_are_refused_with_the_path(target, path, message):
    assert _declaration_error(_history(target)) == (f"{path}: {message}", path)


def test_a_backslash_escapes_the_next_character_of_a_state_path():
    machine = Machine(
        {
            "id": "d",
            "initial": "start",
            "states": {
                "a\\b": {},
                "c\\": {},
                "start": {"on": {"GO": "a\\\\b", "END": "c\\"}},
            },
        }
    )
    snapshot, _ = start(machine)
    assert send(machine, snapshot, {"type": "GO"})[0].value == "a\\b"
    assert send(machine, snapshot, {"type": "END"})[0].value == "c\\", "a trailing backslash"


class _Callable:
    def __call__(self, args: Any, params: Any) -> str:
        return "ghost"


@pytest.mark.parametrize(
    ("action", "label"), [(lambda a, p: "ghost", "<lambda>"), (_Callable(), "inline action")]
)
def test_an_inline_callable_action_is_named_in_errors_by_its_label(action, label):
    machine = Machine(
        {"id": "x", "initial": "a", "states": {"a": {"on": {"GO": {"actions": action}}}}}
    )
    snapshot, _ = start(machine)
    with pytest.raises(InvalidMachineDefinition) as raised:
        send(machine, snapshot, {"type": "GO"})
    where = f"(actions returned by {label})"
    assert raised.value.path == where
    assert str(raised.value) == f"{where}: unknown action 'ghost' (known actions: none)"


@pytest.mark.parametrize(
    ("spec", "path", "message"),
    [
        (
            {"type": "say", "extra": 1},
            "states.a.entry",
            "unsupported keys in action reference: ['extra']",
        ),
        (
            {"type": "say", "params": 3},
            "states.a.entry.params",
            "action params must be an object, got 3",
        ),
        (5, "states.a.entry", "not an action: 5"),
    ],
)
def test_action_reference_errors(spec, path, message):
    config = {"id": "x", "initial": "a", "states": {"a": {"entry": spec}}}
    assert _declaration_error(config, actions={"say": lambda a, p: None}) == (
        f"{path}: {message}",
        path,
    )


@pytest.mark.parametrize(
    ("spec", "suffix", "message"),
    [
        ({"type": "ok", "extra": 1}, "", "unsupported keys in guard reference: ['extra']"),
        ({"type": "ok", "params": 3}, ".params", "guard params must be an object, got 3"),
        (5, "", "not a guard: 5"),
        ("nope", "", "unknown guard 'nope' (known guards: also, ok)"),
        ({"type": "and", "guards": []}, ".guards", "'guards' must be a non-empty list"),
        ({"type": "and", "guards": "ab"}, ".guards", "'guards' must be a non-empty list"),
        (
            {"type": "or", "guards": ["ok"], "x": 1},
            "",
            "an 'or' guard is {'type': 'or', 'guards': [...]}",
        ),
        ({"type": "not"}, "", "a 'not' guard is {'type': 'not', 'guard': ...}"),
    ],
)
def test_guard_reference_errors(spec, suffix, message):
    config = {
        "id": "x",
        "initial": "a",
        "states": {"a": {"on": {"GO": {"guard": spec, "target": "a"}}}},
    }
    path = f"states.a.on.GO.guard{suffix}"
    guards = {"ok": lambda a, p: True, "also": lambda a, p: True}
    assert _declaration_error(config, guards=guards) == (f"{path}: {message}", path)


@pytest.mark.parametrize(
    ("descriptor", "message"),
    [
        ("", "event descriptors must be non-empty strings (use 'always' for eventless)"),
        (
            "a*b",
            "a wildcard is only allowed as the whole descriptor ('*') or as its last token ('prefix.*')",
        ),
        (
            "*.x",
            "a wildcard is only allowed as the whole descriptor ('*') or as its last token ('prefix.*')",
        ),
        (
            "a.*.*",
            "a wildcard is only allowed as the whole descriptor ('*') or as its last token ('prefix.*')",
        ),
    ],
)
def test_bad_event_descriptors(descriptor, message):
    config = {"id": "w", "initial": "a", "states": {"a": {"on": {descriptor: "a"}}}}
    path = f"states.a.on.{descriptor}"
    assert _declaration_error(config) == (f"{path}: {message}", path)


def test_an_output_lost_in_export_is_refused():
    config = {"id": "o", "initial": "a", "states": {"a": {"type": "final", "output": "inline:js"}}}
    assert _declaration_error(config) == (
        "states.a.output: inline JavaScript output lost in export ('inline:js'); give the final "
        "state a static JSON output or a Python callable (args) -> output",
        "states.a.output",
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (5, "a snapshot must be an object, got int"),
        (["a"], "a snapshot must be an object, got list"),
        (
            {"value": "a", "context": [], "status": "active", "timers": [], "history": {}},
            "snapshot context must be an object",
        ),
        (
            {"value": "a", "context": {}, "status": "active", "timers": {}, "history": {}},
            "snapshot timers must be a list and history an object",
        ),
        (
            {
                "value": "a",
                "context": {},
                "status": "active",
                "timers": [{"id": "t", "delay_ms": 1, "due_ms": "x", "event": {"type": "t"}}],
                "history": {},
            },
            "timer t: due_ms must be a number, got 'x'",
        ),
    ],
)
def test_snapshot_parsing_errors_say_what_is_wrong(data, message):
    with pytest.raises(ValueError) as raised:
        Snapshot.from_json(data)
    assert str(raised.value) == message
