"""Named implementations of the XState vectors (tests/vectors/README.md §4) and a scenario runner.

The same names are implemented in ``tests/xstate/run.mjs`` for real XState; this module is the
Python side of every differential comparison. Beyond the README table it adds ``logEvent``,
``expand`` (a custom action returning further actions, XState's ``enqueueActions``), the guard
``ctxEq`` and the delays ``short``, ``long`` and ``ctxDelay``.
"""

from __future__ import annotations

import json
from typing import Any

from arvo_temporal.statechart import (
    Machine,
    Snapshot,
    advance,
    assign,
    emit,
    raise_,
    send,
    start,
)


def get_path(value: Any, dotted: str) -> Any:
    """The value at a dotted path (``None`` when missing, like JavaScript's ``undefined``)."""
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _expand(args, params):
    return params["actions"]


ACTIONS: dict[str, Any] = {
    "log": assign(lambda a, p: {"log": [*a.context["log"], p["msg"]]}),
    "set": assign(lambda a, p: {p["key"]: get_path(a.event, p["from"])}),
    "inc": assign(lambda a, p: {p["key"]: (a.context.get(p["key"]) or 0) + 1}),
    "emitEv": emit(lambda a, p: {"type": p["type"], "data": {p["key"]: a.context.get(p["key"])}}),
    "raiseEv": raise_(lambda a, p: {"type": p["type"]}),
    "logEvent": assign(lambda a, p: {"log": [*a.context["log"], p["prefix"] + a.event["type"]]}),
    "expand": _expand,
}

GUARDS: dict[str, Any] = {
    "evEq": lambda a, p: get_path(a.event, p["path"]) == p["value"],
    "ctxGte": lambda a, p: a.context[p["key"]] >= p["value"],
    "ctxLt": lambda a, p: a.context[p["key"]] < p["value"],
    "ctxEq": lambda a, p: a.context.get(p["key"]) == p["value"],
}

DELAYS: dict[str, Any] = {
    "short": 100,
    "long": 1000,
    "ctxDelay": lambda a: a.context["delay"],
}


def build_machine(scenario: dict[str, Any]) -> Machine:
    """The scenario's machine with the harness implementations, context ``{log: [], ...input}``
    (unless ``context_from_input`` is false) and output ``{final: context}`` (unless
    ``machine_output`` is ``"none"``)."""
    context = None
    if scenario.get("context_from_input", True):
        context = lambda input: {"log": [], **(input or {})}  # noqa: E731
    output = None
    if scenario.get("machine_output", "final") != "none":
        output = lambda ctx: {"final": ctx}  # noqa: E731
    return Machine(
        scenario["config"],
        actions=ACTIONS,
        guards=GUARDS,
        delays=DELAYS,
        context=context,
        output=output,
    )


def _record(snapshot: Snapshot, emitted) -> dict[str, Any]:
    step = {
        "value": snapshot.value,
        "context": snapshot.context,
        "status": snapshot.status,
        "output": snapshot.output,
        "emitted": list(emitted),
    }
    return json.loads(json.dumps(step))


def roundtrip(snapshot: Snapshot) -> Snapshot:
    """The snapshot after ``to_json`` → ``json.dumps`` → ``json.loads`` → ``from_json``."""
    return Snapshot.from_json(json.loads(json.dumps(snapshot.to_json())))


def run_scenario(scenario: dict[str, Any], *, persist: bool | None = None) -> list[dict[str, Any]]:
    """Replay a scenario and record every step like the truth was recorded.

    ``persist`` (default: untimed scenarios only) restores the snapshot through a JSON round trip
    before every event, as Arvo does; otherwise one live snapshot is used. Timed scenarios advance
    a simulated clock for ``{"tick": N}`` entries.
    """
    machine = build_machine(scenario)
    if persist is None:
        persist = not scenario.get("timed", False)
    now = 0
    snapshot, effects = start(machine, scenario.get("input"), now_ms=now)
    steps = [_record(snapshot, effects.emitted)]
    for entry in scenario["events"]:
        if persist:
            snapshot = roundtrip(snapshot)
        if "tick" in entry:
            now += entry["tick"]
            snapshot, effects = advance(machine, snapshot, now)
        else:
            snapshot, effects = send(machine, snapshot, entry, now_ms=now)
        steps.append(_record(snapshot, effects.emitted))
    return steps
