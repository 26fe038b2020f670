"""Action builders: ``assign``, ``emit`` and ``raise_`` (XState's built-ins) as plain objects.

They are data, not closures, so the compiler can tell them apart from custom action functions and
the engine can apply them in place (``assign`` must take effect before the next action runs).
Custom actions are any callable ``fn(args, params)``; returning further actions from one runs them
in place, which is how XState's ``enqueueActions`` expansion is expressed here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias

from arvo_temporal.statechart._args import ActionArgs, Context, Event, Params

__all__ = [
    "ActionFunction",
    "ActionSpec",
    "Assign",
    "Emit",
    "EventSource",
    "Raise",
    "assign",
    "emit",
    "raise_",
]

ActionFunction: TypeAlias = Callable[[ActionArgs, Params], Any]
"""A custom action ``fn(args, params)``; may return ``None`` or more action(s) to run in place."""

EventSource: TypeAlias = Event | Callable[[ActionArgs, Params], Event]
"""A fixed event, or a function building it from ``args`` and ``params``."""

AssignSource: TypeAlias = Mapping[str, Any] | Callable[[ActionArgs, Params], Mapping[str, Any]]


class Assign:
    """Merge a partial context into the context, immediately (see :func:`assign`)."""

    __slots__ = ("_fixed", "_produce", "source")

    def __init__(self, source: AssignSource) -> None:
        if not (callable(source) or isinstance(source, Mapping)):
            raise TypeError("assign() takes a mapping or a callable (args, params) -> mapping")
        self.source = source
        # Which form it is, decided once rather than on every run (this runs for every assign).
        self._fixed: Mapping[str, Any] = source if isinstance(source, Mapping) else {}
        self._produce: Callable[[ActionArgs, Params], Any] = (
            self._resolve_values if isinstance(source, Mapping) else source
        )

    def _resolve_values(self, args: ActionArgs, params: Params) -> dict[str, Any]:
        return {
            key: value(args, params) if callable(value) else value
            for key, value in self._fixed.items()
        }

    def patch(self, args: ActionArgs, params: Params) -> Mapping[str, Any]:
        """The partial context this action merges, for the given args and params."""
        patch = self._produce(args, params)
        if type(patch) is not dict and not isinstance(patch, Mapping):
            raise _not_a_patch(patch)
        return patch

    def apply(self, context: Context, args: ActionArgs, params: Params) -> Context:
        """A new context: ``context`` with the patch merged in (the old dict is left untouched)."""
        # ``patch`` inlined: this runs for every assign of every step.
        patch = self._produce(args, params)
        if type(patch) is not dict and not isinstance(patch, Mapping):
            raise _not_a_patch(patch)
        updated = dict(context)
        updated.update(patch)
        return updated

    def __repr__(self) -> str:
        return f"assign({self.source!r})"


def _not_a_patch(patch: object) -> TypeError:
    return TypeError(f"an assign function must return a mapping, got {type(patch).__name__}")


class _EventAction:
    """Shared part of :class:`Emit` and :class:`Raise`: resolve and check the event."""

    __slots__ = ("source",)
    verb = "event"

    def __init__(self, source: EventSource) -> None:
        if not callable(source):
            _check_event(source, self.verb)
        self.source = source

    def event(self, args: ActionArgs, params: Params) -> dict[str, Any]:
        """The event to emit or raise; a fresh dict so later mutation cannot leak back."""
        source = self.source
        if callable(source):
            built = source(args, params)
            _check_event(built, self.verb)
            return built if isinstance(built, dict) else dict(built)
        return dict(source)

    def __repr__(self) -> str:
        return f"{self.verb}({self.source!r})"


class Emit(_EventAction):
    """Emit an event to the caller (an effect of the step), see :func:`emit`."""

    __slots__ = ()
    verb = "emit"


class Raise(_EventAction):
    """Put an event on the internal queue, processed in this macrostep; see :func:`raise_`."""

    __slots__ = ()
    verb = "raise"


def _check_event(event: object, verb: str) -> None:
    if not isinstance(event, Mapping) or not isinstance(event.get("type"), str):
        raise TypeError(f"{verb}: an event must be a mapping with a string 'type', got {event!r}")


def assign(source: AssignSource) -> Assign:
    """Build an ``assign`` action.

    Args:
        source: a mapping of context keys to values or to functions ``(args, params) -> value``,
            or one function ``(args, params) -> mapping`` returning the partial context to merge.
    """
    return Assign(source)


def emit(event: EventSource) -> Emit:
    """Build an ``emit`` action: ``event`` is a dict with a ``type``, or ``(args, params) -> dict``.

    Emitted events are effects of the step, in action execution order.
    """
    return Emit(event)


def raise_(event: EventSource) -> Raise:
    """Build a ``raise`` action: the event is handled in this macrostep, after eventless transitions
    settle. ``event`` is a dict with a ``type`` or ``(args, params) -> dict``."""
    return Raise(event)


ActionSpec: TypeAlias = str | Mapping[str, Any] | Assign | Emit | Raise | ActionFunction
"""Anything that may stand where an action is expected: a name, ``{"type", "params"}``, a builder
object or a custom function."""

ActionSpecs: TypeAlias = ActionSpec | Sequence[ActionSpec]
