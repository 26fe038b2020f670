"""The compiled state tree: nodes in document order, transitions and bound actions.

Node indexes are document order (pre-order, root = 0), which is also XState's ``order``; a set of
states is an ``int`` bit mask over those indexes, so exit sets, entry sets and "is a descendant"
checks are single integer operations and sorting by document order is reading bits in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

from arvo_temporal.statechart._args import ActionArgs, Params

__all__ = [
    "ASSIGN",
    "ATOMIC",
    "CANCEL",
    "COMPOUND",
    "CUSTOM",
    "EMIT",
    "FINAL",
    "HISTORY",
    "NO_DOMAIN",
    "PARALLEL",
    "RAISE",
    "SCHEDULE",
    "BoundAction",
    "GuardCheck",
    "MicrostepPlan",
    "StateNode",
    "Transition",
    "bits_ascending",
]

# Node kinds.
ATOMIC: Final = 0
COMPOUND: Final = 1
PARALLEL: Final = 2
FINAL: Final = 3
HISTORY: Final = 4
KIND_NAMES: Final = ("atomic", "compound", "parallel", "final", "history")

# Action kinds.
ASSIGN: Final = 0
EMIT: Final = 1
RAISE: Final = 2
CUSTOM: Final = 3
SCHEDULE: Final = 4
CANCEL: Final = 5

NO_DOMAIN: Final = -1
"""XState's ``undefined`` transition domain (a re-entering root transition): every state."""

GuardCheck = Callable[[ActionArgs], bool]


class BoundAction:
    """An action resolved against the machine's implementations: what to run and with which params.

    ``impl`` depends on ``kind``: an ``Assign`` / ``Emit`` / ``Raise`` object, a custom function,
    or for timers ``(event_type, delay)`` (SCHEDULE) and the timer id (CANCEL).
    """

    __slots__ = ("impl", "kind", "label", "params")

    def __init__(self, kind: int, impl: Any, params: Params, label: str) -> None:
        self.kind = kind
        self.impl = impl
        self.params = params
        self.label = label

    def __repr__(self) -> str:
        return f"<action {self.label}>"


@dataclass(slots=True, eq=False)
class Transition:
    """One transition candidate. ``targets`` is ``None`` for a targetless transition.

    ``static`` transitions (no history state among the targets) have their domain and exit scope
    computed once; the entry set of a static transition taken alone is cached on first use.
    """

    source: int
    targets: tuple[int, ...] | None
    reenter: bool
    guard: GuardCheck | None
    actions: tuple[BoundAction, ...]
    descriptor: str
    static: bool = True
    domain: int = NO_DOMAIN
    exit_scope: int = 0
    entry_cache: tuple[int, ...] | None = None
    plans: dict[int, MicrostepPlan | None] = field(default_factory=dict)


class MicrostepPlan(NamedTuple):
    """What taking one static transition alone does from one configuration, worked out once.

    Actions never look at the active states, so which exit and entry actions run, and the states
    active after the exits and after the entries, depend only on the configuration and the
    transition (in a machine without history states, whose memory would also change). The
    engine replays the plan, running only the actions (``Step.microstep``).
    """

    exit_actions: tuple[tuple[BoundAction, ...], ...]
    after_exit: int
    entry_actions: tuple[tuple[BoundAction, ...], ...]
    after_entry: int
    exits: int
    entered: tuple[int, ...]


@dataclass(slots=True, eq=False)
class StateNode:
    """One state of the compiled tree (read-only once the machine is built)."""

    index: int
    key: str
    id: str
    path: str
    parent: int
    kind: int
    bit: int
    children: tuple[int, ...] = ()
    history_children: tuple[int, ...] = ()
    child_by_key: dict[str, int] = field(default_factory=dict)
    initial: int = -1
    ancestors: tuple[int, ...] = ()
    desc_mask: int = 0
    entry: tuple[BoundAction, ...] = ()
    exit: tuple[BoundAction, ...] = ()
    on: dict[str, tuple[Transition, ...]] = field(default_factory=dict)
    wildcards: tuple[tuple[str, tuple[Transition, ...]], ...] = ()
    always: tuple[Transition, ...] = ()
    always_chain: tuple[int, ...] = ()
    has_output: bool = False
    output: Any = None
    deep_history: bool = False
    history_default: tuple[int, ...] = ()
    done_type: str = ""
    candidates: dict[str, tuple[Transition, ...]] = field(default_factory=dict)


def bits_ascending(mask: int) -> tuple[int, ...]:
    """Indexes of the set bits, lowest first (document order)."""
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return tuple(out)
