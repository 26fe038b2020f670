"""What user implementations receive, and the plain-data shapes the interpreter passes around.

Actions, guards, delays and state outputs all get one :class:`ActionArgs` (XState's ``{context,
event}``) so a function written for one kind of hook reads the same for every other kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple, TypeAlias

__all__ = ["ActionArgs", "Context", "Event", "Params", "StateValue"]

Context: TypeAlias = dict[str, Any]
"""The machine context: JSON data, replaced (never mutated) by ``assign``."""

Event: TypeAlias = Mapping[str, Any]
"""An event: a JSON object with a string ``type``."""

Params: TypeAlias = Mapping[str, Any]
"""Static ``params`` of a named action or guard reference (empty when the reference has none)."""

StateValue: TypeAlias = str | dict[str, Any]
"""XState's state value: a key for an atomic top-level state, else a nested object."""


class ActionArgs(NamedTuple):
    """The ``args`` of every action, guard, delay and output function.

    A tuple, so it is immutable and cheap to build once per action. ``context`` is the context as
    it is at that moment (earlier ``assign`` actions of the same step are visible); treat it as
    read-only and return changes from an ``assign`` instead.
    """

    context: Context
    event: Event
