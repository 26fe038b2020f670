"""Guard combinators ``and_``, ``or_`` and ``not_``, mirroring XState's ``and`` / ``or`` / ``not``.

JSON configs spell them ``{"type": "and", "guards": [...]}``, ``{"type": "or", "guards": [...]}``
and ``{"type": "not", "guard": ...}``; these builders are the Python spelling of the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

from arvo_temporal.statechart._args import ActionArgs, Params

__all__ = ["And", "GuardFunction", "GuardSpec", "Not", "Or", "and_", "not_", "or_"]

GuardFunction: TypeAlias = Callable[[ActionArgs, Params], bool]
"""A guard: ``fn(args, params) -> bool`` (truthiness counts, like XState)."""


class _Combinator:
    __slots__ = ("guards",)
    kind = ""

    def __init__(self, guards: tuple[GuardSpec, ...]) -> None:
        if not guards:
            raise TypeError(f"{self.kind}_() needs at least one guard")
        self.guards = guards

    def __repr__(self) -> str:
        return f"{self.kind}_({', '.join(map(repr, self.guards))})"


class And(_Combinator):
    """True when every guard is true (evaluated left to right, stopping at the first false)."""

    __slots__ = ()
    kind = "and"


class Or(_Combinator):
    """True when any guard is true (evaluated left to right, stopping at the first true)."""

    __slots__ = ()
    kind = "or"


class Not(_Combinator):
    """True when the one guard is false."""

    __slots__ = ()
    kind = "not"


GuardSpec: TypeAlias = str | Mapping[str, Any] | And | Or | Not | GuardFunction
"""Anything that may stand where a guard is expected."""


def and_(*guards: GuardSpec) -> And:
    """All ``guards`` must pass (names, ``{"type", "params"}``, callables, combinators)."""
    return And(guards)


def or_(*guards: GuardSpec) -> Or:
    """At least one of ``guards`` must pass."""
    return Or(guards)


def not_(guard: GuardSpec) -> Not:
    """``guard`` must fail."""
    return Not((guard,))
