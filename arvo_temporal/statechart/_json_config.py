"""A machine config as plain JSON, XState's own format (``arvo-temporal graph --format json``).

A Python config may hold logic in place of names: an ``emit(...)`` / ``assign(...)`` builder or a
function as an action, a function as a guard. JSON cannot carry logic, and dropping it would make
a guarded transition look unguarded (docs/statecharts.md §6), so each piece of logic is written
as the ``"inline:<kind>"`` marker (arvo_temporal/statechart/_exported.py) that the loader refuses
with the config path: the structure travels (to Stately's visualiser, to a TypeScript port) and
the logic is visibly missing. Named actions, guards and delays stay names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from arvo_temporal.statechart._exported import INLINE_MARKER
from arvo_temporal.statechart._guards import And, Not, Or

__all__ = ["json_config"]

_LOGIC_KEYS = {
    "entry": "action",
    "exit": "action",
    "actions": "action",
    "guard": "guard",
    "context": "context",
    "output": "output",
}


def json_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with every piece of Python logic replaced by an ``inline:<kind>`` marker."""
    return {str(key): _value(value, _LOGIC_KEYS.get(str(key))) for key, value in config.items()}


def _value(value: Any, kind: str | None) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, And | Or):
        return {"type": value.kind, "guards": [_value(item, "guard") for item in value.guards]}
    if isinstance(value, Not):
        return {"type": "not", "guard": _value(value.guards[0], "guard")}
    if isinstance(value, Mapping):
        if kind in ("action", "guard"):
            # A reference {"type": name, "params": {...}}; params are data.
            return {str(key): _value(item, None) for key, item in value.items()}
        return json_config(value)
    if isinstance(value, Sequence):
        return [_value(item, kind) for item in value]
    return f"{INLINE_MARKER}{kind or 'value'}"
