"""Resolve action, guard and delay references against the implementations given to ``Machine``.

Binding happens once, when the machine is built, so unknown names, lost inline JavaScript and
malformed references fail at declaration time with the config path; at run time the engine only
calls what was bound here. Actions returned by a custom action are bound when they are returned.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, TypeAlias

from arvo_temporal.errors import InvalidMachineDefinition
from arvo_temporal.statechart._actions import Assign, Emit, Raise
from arvo_temporal.statechart._args import ActionArgs, Params
from arvo_temporal.statechart._exported import lost_inline_logic
from arvo_temporal.statechart._guards import And, Not, Or
from arvo_temporal.statechart._tree import ASSIGN, CUSTOM, EMIT, RAISE, BoundAction, GuardCheck

__all__ = ["EMPTY_PARAMS", "Delay", "Implementations"]

EMPTY_PARAMS: Final[Params] = MappingProxyType({})

Delay: TypeAlias = float | Callable[[ActionArgs], float]
"""A named delay: milliseconds, or ``fn(args) -> milliseconds`` evaluated on entering the state."""

_COMBINATORS: Final = frozenset({"and", "or", "not"})
_BUILDER_KINDS: Final = {Assign: ASSIGN, Emit: EMIT, Raise: RAISE}


def _fail(message: str, path: str) -> InvalidMachineDefinition:
    return InvalidMachineDefinition(message, path=path.lstrip("."))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Implementations:
    """The named actions, guards and delays of one machine, checked when the machine is built."""

    def __init__(
        self,
        actions: Mapping[str, Any] | None,
        guards: Mapping[str, Any] | None,
        delays: Mapping[str, Any] | None,
    ) -> None:
        self.actions: dict[str, Any] = dict(actions or {})
        self.guards: dict[str, Any] = dict(guards or {})
        self.delays: dict[str, Delay] = {}
        for name, impl in self.actions.items():
            path = f"actions.{name}"
            self._check_name(name, path)
            if name.startswith("xstate."):
                raise _fail("action names starting with 'xstate.' are reserved", path)
            if not (isinstance(impl, Assign | Emit | Raise) or callable(impl)):
                raise _fail(
                    "an action must be assign(...), emit(...), raise_(...) or a callable "
                    f"(args, params), got {type(impl).__name__}",
                    path,
                )
        for name, impl in self.guards.items():
            path = f"guards.{name}"
            self._check_name(name, path)
            if name in _COMBINATORS:
                raise _fail(f"{name!r} is the {name} combinator and cannot name a guard", path)
            if not (isinstance(impl, And | Or | Not) or callable(impl)):
                raise _fail(
                    "a guard must be a callable (args, params) -> bool or and_/or_/not_(...), "
                    f"got {type(impl).__name__}",
                    path,
                )
        for name, value in (delays or {}).items():
            path = f"delays.{name}"
            self._check_name(name, path)
            if name.lstrip("-").replace(".", "", 1).isdigit():
                raise _fail("a delay name cannot look like a number of milliseconds", path)
            if _is_number(value):
                if value < 0:
                    raise _fail(f"a delay cannot be negative, got {value}", path)
            elif not callable(value):
                raise _fail(
                    f"a delay must be milliseconds or a callable (args) -> ms, got {value!r}", path
                )
            self.delays[name] = value

    @staticmethod
    def _check_name(name: object, path: str) -> None:
        if not isinstance(name, str) or not name:
            raise _fail("implementation names must be non-empty strings", path)

    # -- actions ---------------------------------------------------------------------------------

    def bind_actions(self, specs: object, path: str) -> tuple[BoundAction, ...]:
        """Bind one action spec or a list of them; ``path`` locates them in the config."""
        if isinstance(specs, Sequence) and not isinstance(specs, str):
            return tuple(self.bind_action(spec, f"{path}[{i}]") for i, spec in enumerate(specs))
        return (self.bind_action(specs, path),)

    def bind_action(self, spec: object, path: str) -> BoundAction:
        """Bind one action: a name, ``{"type", "params"}``, a builder object or a callable."""
        lost = lost_inline_logic(spec, "action")
        if lost:
            raise _fail(lost, path)
        if isinstance(spec, str):
            return self._named_action(spec, EMPTY_PARAMS, path)
        if isinstance(spec, Mapping):
            name, params = self._reference(spec, path, "action")
            return self._named_action(name, params, path)
        if isinstance(spec, Assign | Emit | Raise):
            return BoundAction(_BUILDER_KINDS[type(spec)], spec, EMPTY_PARAMS, repr(spec))
        if callable(spec):
            label = getattr(spec, "__name__", "inline action")
            return BoundAction(CUSTOM, spec, EMPTY_PARAMS, label)
        raise _fail(f"not an action: {spec!r}", path)

    def _named_action(self, name: str, params: Params, path: str) -> BoundAction:
        if name not in self.actions:
            known = ", ".join(sorted(self.actions)) or "none"
            raise _fail(f"unknown action {name!r} (known actions: {known})", path)
        impl = self.actions[name]
        kind = _BUILDER_KINDS.get(type(impl), CUSTOM)
        return BoundAction(kind, impl, params, name)

    @staticmethod
    def _reference(spec: Mapping[str, Any], path: str, what: str) -> tuple[str, Params]:
        extra = spec.keys() - {"type", "params"}
        if extra:
            raise _fail(f"unsupported keys in {what} reference: {sorted(extra)}", path)
        name, params = spec.get("type"), spec.get("params", EMPTY_PARAMS)
        if not isinstance(name, str) or not name:
            raise _fail(f"a {what} reference needs a non-empty string 'type'", f"{path}.type")
        if not isinstance(params, Mapping):
            raise _fail(f"{what} params must be an object, got {params!r}", f"{path}.params")
        return name, params

    # -- guards ----------------------------------------------------------------------------------

    def bind_guard(self, spec: object, path: str) -> GuardCheck:
        """Compile a guard spec into ``check(args) -> bool``."""
        lost = lost_inline_logic(spec, "guard")
        if lost:
            raise _fail(lost, path)
        if isinstance(spec, str):
            return self._named_guard(spec, EMPTY_PARAMS, path)
        if isinstance(spec, And | Or | Not):
            return self._combine(spec.kind, spec.guards, path)
        if isinstance(spec, Mapping):
            kind = spec.get("type")
            if kind in ("and", "or"):
                if spec.keys() != {"type", "guards"}:
                    raise _fail(f"an {kind!r} guard is {{'type': {kind!r}, 'guards': [...]}}", path)
                members = spec["guards"]
                if not isinstance(members, Sequence) or isinstance(members, str) or not members:
                    raise _fail("'guards' must be a non-empty list", f"{path}.guards")
                return self._combine(kind, tuple(members), f"{path}.guards")
            if kind == "not":
                if spec.keys() != {"type", "guard"}:
                    raise _fail("a 'not' guard is {'type': 'not', 'guard': ...}", path)
                return self._combine("not", (spec["guard"],), f"{path}.guard")
            name, params = self._reference(spec, path, "guard")
            return self._named_guard(name, params, path)
        if callable(spec):
            return _call_guard(spec, EMPTY_PARAMS)
        raise _fail(f"not a guard: {spec!r}", path)

    def _named_guard(self, name: str, params: Params, path: str) -> GuardCheck:
        if name not in self.guards:
            known = ", ".join(sorted(self.guards)) or "none"
            raise _fail(f"unknown guard {name!r} (known guards: {known})", path)
        impl = self.guards[name]
        if isinstance(impl, And | Or | Not):
            return self.bind_guard(impl, f"guards.{name}")
        return _call_guard(impl, params)

    def _combine(self, kind: str, members: tuple[object, ...], path: str) -> GuardCheck:
        if kind == "not":
            inner = self.bind_guard(members[0], path)
            return lambda args: not inner(args)
        checks = tuple(self.bind_guard(m, f"{path}[{i}]") for i, m in enumerate(members))
        if kind == "and":
            return lambda args: all(check(args) for check in checks)
        return lambda args: any(check(args) for check in checks)

    # -- delays ----------------------------------------------------------------------------------

    def delay(self, name: str, path: str) -> Delay:
        """The named delay, or a declaration error naming the path."""
        if name not in self.delays:
            known = ", ".join(sorted(self.delays)) or "none"
            raise _fail(
                f"unknown delay {name!r}: an after key is integer milliseconds or the name of a "
                f"delay supplied in Python (known delays: {known})",
                path,
            )
        return self.delays[name]


def _call_guard(impl: Callable[[ActionArgs, Params], object], params: Params) -> GuardCheck:
    return lambda args: bool(impl(args, params))
