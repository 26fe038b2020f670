"""What people see of a running execution, computed from the machine and its record (pure).

The Temporal UI's current details, the ``status`` query and the ``arvo-temporal`` commands
``status``, ``list --state``, ``wait`` and ``tasks`` all show the same things: the active states
(dotted paths, with their ancestors), the event types the configuration accepts, its tags, a
short summary of the context, and the requests that went to a person or another system and
still wait for a reply. They are worked out here, once, from plain data: no clock, no I/O, no
Temporal; the workflow recomputes them only when the record changed.

A *request awaiting a reply* is an event the machine emitted into a domain other than the
default one (``"domain": ["external"]``: a human task, a partner system) whose type a service
contract of the machine accepts, so the contract says which event types answer it. It stays open
until an event arrives whose ``parentid`` is its id, or failing that one of its reply types
(oldest request first), or until the execution ends.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from arvo_temporal.events import ArvoEvent
from arvo_temporal.machine import ArvoMachine

__all__ = [
    "CONTEXT_SUMMARY_CHARS",
    "AwaitedReply",
    "Configuration",
    "awaited_replies",
    "configuration_of",
    "context_summary",
    "replied_index",
]

CONTEXT_SUMMARY_CHARS = 400
"""The longest context summary (characters): enough to recognise an execution, small enough for
the UI's details and a status line, whatever the context holds."""

_ELLIPSIS = "…"


@dataclass(frozen=True)
class Configuration:
    """What a state value means: active state paths, accepted event types, tags."""

    states: tuple[str, ...] = ()
    accepts: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def reached(self, state: str | None, tag: str | None) -> bool:
        """True when ``state`` (a path; a compound state counts while any child is active) and
        ``tag`` both hold (a condition that is None always holds)."""
        return (state is None or state in self.states) and (tag is None or tag in self.tags)


def configuration_of(machine: ArvoMachine | None, value: Any) -> Configuration:
    """The configuration a record's ``value`` stands for in ``machine`` (empty without one)."""
    if machine is None or value is None:
        return Configuration()
    return Configuration(
        states=tuple(machine.active_states(value)),
        accepts=tuple(machine.accepts(value)),
        tags=tuple(machine.tags(value)),
    )


def context_summary(context: Any, *, limit: int = CONTEXT_SUMMARY_CHARS) -> str | None:
    """Compact JSON of the machine context without Arvo's own ``…$$`` keys, cut to ``limit``
    characters (ending with ``…``). Encoded piece by piece, so a large context costs no more than
    the part shown."""
    if context is None:
        return None
    if isinstance(context, Mapping):
        context = {
            key: value
            for key, value in context.items()
            if not (isinstance(key, str) and key.endswith("$$"))
        }
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)
    pieces: list[str] = []
    size = 0
    for piece in encoder.iterencode(context):
        pieces.append(piece)
        size += len(piece)
        if size > limit:
            return "".join(pieces)[: limit - len(_ELLIPSIS)] + _ELLIPSIS
    return "".join(pieces)


@dataclass(frozen=True)
class AwaitedReply:
    """An emitted event that waits for a reply, and the event types that answer it."""

    event: ArvoEvent
    reply_types: tuple[str, ...]


def awaited_replies(machine: ArvoMachine, events: Iterable[ArvoEvent]) -> list[AwaitedReply]:
    """The events among ``events`` that went into a non-default domain to a service the machine
    has a contract for (so that someone outside answers them), in emission order."""
    contracts = {contract.accepts_type: contract for contract in machine.service_contracts.values()}
    found: list[AwaitedReply] = []
    for event in events:
        contract = contracts.get(event.type)
        if event.domain is None or contract is None:
            continue
        found.append(AwaitedReply(event=event, reply_types=tuple(contract.emit_types)))
    return found


def replied_index(
    requests: list[tuple[str, str, tuple[str, ...]]], consumed: Mapping[str, Any]
) -> int | None:
    """Which open request ``consumed`` (an applied event, ``to_json`` form) answers: the one whose
    id is its ``parentid``, else the oldest one it is a reply type of (its contract's emitted
    types, or its system error ``sys.<type>.error``); None if it answers none.

    Args:
        requests: the open requests, oldest first, as ``(event id, event type, reply types)``.
        consumed: the event the machine just applied.
    """
    parent = consumed.get("parentid")
    if parent is not None:
        for index, (event_id, _, _) in enumerate(requests):
            if event_id == parent:
                return index
    kind = consumed.get("type")
    for index, (_, event_type, reply_types) in enumerate(requests):
        if kind in reply_types or kind == f"sys.{event_type}.error":
            return index
    return None
