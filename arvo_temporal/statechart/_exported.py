"""Refuse what JSON exported from a TypeScript machine leaves behind in place of inline JavaScript.

XState configs serialise their structure but not their logic. ``JSON.stringify(machine.config)``
turns an inline function inside an array into ``null`` and drops it everywhere else;
``machine.toJSON()`` (the *definition*) writes built-in actions as ``{"type": "xstate.assign"}``,
other inline functions as ``{"type": "<function name>"}`` and drops inline guards, ``always``,
``context`` and ``output`` altogether. A dropped guard silently makes its transition unguarded, so
every trace of lost logic is refused here with the config path, never ignored. The exporter in
``tests/xstate/export.mjs`` marks each function as ``"inline:<kind>"`` so nothing is dropped unseen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from arvo_temporal.errors import InvalidMachineDefinition

__all__ = ["INLINE_MARKER", "check_not_definition_export", "lost_inline_logic"]

INLINE_MARKER: Final = "inline:"
"""Prefix the exporter writes in place of a JavaScript function."""

_DEFINITION_KEYS: Final = ("initial", "transitions", "order")

_WHERE: Final = {
    "action": "Machine(actions={name: ...})",
    "guard": "Machine(guards={name: ...})",
    "context": "Machine(context=...)",
    "output": "Machine(output=...)",
}


def check_not_definition_export(config: Mapping[str, object], path: str) -> None:
    """Refuse XState's ``machine.toJSON()`` / ``machine.definition`` format.

    That format has already lost inline guards, ``always`` transitions, ``context`` and ``output``
    without leaving a trace, so no check could make loading it safe.
    """
    found = [
        key
        for key in _DEFINITION_KEYS
        if key in config and (key != "initial" or isinstance(config[key], Mapping))
    ]
    if found:
        raise InvalidMachineDefinition(
            "this is XState's machine.toJSON() / machine.definition export, which silently drops "
            "inline guards, `always` transitions, context and output; export the machine config "
            "instead (tests/xstate/export.mjs) with every action and guard named",
            path=f"{path}.{found[0]}".lstrip("."),
        )


def lost_inline_logic(value: object, what: str, *, null_is_lost: bool = True) -> str | None:
    """A message when ``value`` is what an export leaves in place of an inline function, else None.

    Args:
        value: the JSON value found where an action, guard, context or output was expected.
        what: ``"action"``, ``"guard"``, ``"context"`` or ``"output"``.
        null_is_lost: whether ``null`` means a lost function (true inside arrays, where
            JSON.stringify writes ``null`` for a function; object properties are dropped instead).
    """
    detail: str | None = None
    if value is None and null_is_lost:
        detail = "null, which JSON.stringify leaves in place of a function"
    elif isinstance(value, str) and value.startswith(INLINE_MARKER):
        detail = f"exported as {value!r}"
    elif isinstance(value, Mapping):
        kind = value.get("type")
        if kind == "":
            detail = "an anonymous function exported as {'type': ''}"
        elif isinstance(kind, str) and kind.startswith("xstate."):
            detail = f"built-in {kind} exported without its function"
    if detail is None:
        return None
    return (
        f"inline JavaScript {what} lost in export ({detail}); the implementation must be named "
        f"and supplied in Python via {_WHERE[what]}"
    )
