"""The machine execution engine (Arvo's MachineExecutionEngine): runs one event through a
machine.

The orchestrator depends only on the ``MachineExecutionEngine`` protocol, so another statechart
library (or a hand-written engine) can be plugged in. The default, ``StatechartExecutionEngine``,
runs our pure XState-v5-subset interpreter with Arvo's calling pattern
(docs/arvo.md §5.3): the first
event starts the machine with the init event's JSON as input; every later event restores the
stored snapshot (entry actions do not re-run) and sends the whole event JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from arvo_temporal.events import ArvoEvent
from arvo_temporal.statechart import Effects, Snapshot, send, start

if TYPE_CHECKING:
    from arvo_temporal.machine import ArvoMachine

__all__ = [
    "MachineExecutionEngine",
    "MachineExecutionResult",
    "StatechartExecutionEngine",
    "TimerCapableEngine",
    "completion_output",
    "pending_timers",
]


@dataclass(frozen=True)
class MachineExecutionResult:
    """What one engine step produced.

    Attributes:
        state: the JSON snapshot to persist and hand back on the next event.
        events: raw events, ``emit``-ted ones first, then the ``enqueueArvoEvent`` queue.
        final_output: the machine output when it changed in this step (completion fires once).
        status: ``active``, ``done``, ``error`` or ``stopped``.
        value: the state value (a state key or a nested object).
    """

    state: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    final_output: dict[str, Any] | None = None
    status: str = "active"
    value: Any = None


@runtime_checkable
class MachineExecutionEngine(Protocol):  # pragma: no mutate block (a runtime-checked interface)
    """Runs one event through a machine; pure and deterministic for a given input."""

    def execute(
        self,
        *,
        machine: ArvoMachine,
        state: Mapping[str, Any] | None,
        event: ArvoEvent,
        now_ms: float = 0,
    ) -> MachineExecutionResult:
        """Start (``state`` is None) or resume the machine and process ``event``.

        ``now_ms`` is the current time in epoch milliseconds (the workflow's clock on Temporal),
        used only to stamp delayed transitions; engines without timers may ignore it.
        """
        ...


@runtime_checkable
class TimerCapableEngine(MachineExecutionEngine, Protocol):  # pragma: no mutate block
    """An engine whose machines can schedule delayed transitions (statechart ``after``)."""

    def fire_timer(
        self,
        *,
        machine: ArvoMachine,
        state: Mapping[str, Any],
        timer_event: Mapping[str, Any],
        now_ms: float,
    ) -> MachineExecutionResult:
        """Deliver a due timer's event to the machine restored from ``state``."""
        ...


def completion_output(output: Any, previous_output: Any) -> dict[str, Any] | None:
    """Arvo's completion rule: the output, unless it equals the previous one as JSON (a missing
    output counts as ``{}``), so completion fires exactly once and an output of ``{}`` never does.
    """
    current = output if output is not None else {}
    before = previous_output if previous_output is not None else {}
    if type(current) is dict and type(before) is dict and (not current or not before):
        # Most steps of a running machine compare {} with {}; an empty object's JSON equals
        # only another empty object's, so no text is needed to tell.
        return None if not current and not before else current
    if json.dumps(current, sort_keys=True) == json.dumps(before, sort_keys=True):
        return None
    if not isinstance(current, dict):
        raise TypeError(f"a machine output must be a JSON object, got {type(current).__name__}")
    return current


def _drain_queue(context: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Take the ``enqueueArvoEvent`` queue out of the context, leaving ``arvo$$: {}`` (as Arvo)."""
    arvo = context.get("arvo$$")
    if not isinstance(arvo, dict):
        return context, []
    volatile = arvo.get("volatile$$") or {}
    queue = [dict(raw) for raw in volatile.get("eventQueue$$") or []]
    cleaned = {key: value for key, value in arvo.items() if key != "volatile$$"}
    return {**context, "arvo$$": cleaned}, queue


def pending_timers(state: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The pending delayed transitions stored in a statechart snapshot, earliest first."""
    if not state:
        return []
    timers = [dict(timer) for timer in state.get("timers") or [] if isinstance(timer, Mapping)]
    return sorted(timers, key=lambda timer: float(timer.get("due_ms", 0)))


class StatechartExecutionEngine:
    """The default engine: our pure statechart interpreter with Arvo's calling pattern."""

    def execute(
        self,
        *,
        machine: ArvoMachine,
        state: Mapping[str, Any] | None,
        event: ArvoEvent,
        now_ms: float = 0,
    ) -> MachineExecutionResult:
        """Start on the init event or resume from ``state``; see the module docstring.

        ``now_ms`` stamps timers scheduled by ``after`` (the Temporal driver passes workflow time).

        Raises:
            ValueError: a new execution started by an event other than the init event.
            Exception: whatever a machine action or guard raises, unchanged.
        """
        payload = event.to_json()
        if state is None:
            if event.type != machine.source:
                raise ValueError(
                    f"Invalid initialization event: a new execution of {machine.source} must "
                    f"start with {machine.source}, got {event.type}"
                )
            snapshot, effects = start(machine.logic, payload, now_ms=now_ms)
            return _result(snapshot, effects, previous_output=None)
        restored = Snapshot.from_json(state)
        snapshot, effects = send(machine.logic, restored, payload, now_ms=now_ms)
        return _result(snapshot, effects, previous_output=restored.output)

    def fire_timer(
        self,
        *,
        machine: ArvoMachine,
        state: Mapping[str, Any],
        timer_event: Mapping[str, Any],
        now_ms: float,
    ) -> MachineExecutionResult:
        """Deliver a due timer; a stale one (its state already left) changes nothing."""
        restored = Snapshot.from_json(state)
        snapshot, effects = send(machine.logic, restored, timer_event, now_ms=now_ms)
        return _result(snapshot, effects, previous_output=restored.output)


def _result(
    snapshot: Snapshot, effects: Effects, *, previous_output: Any
) -> MachineExecutionResult:
    context, queued = _drain_queue(snapshot.context)
    persisted = snapshot.to_json()
    persisted["context"] = context
    return MachineExecutionResult(
        state=persisted,
        events=[*(dict(raw) for raw in effects.emitted), *queued],
        final_output=completion_output(snapshot.output, previous_output),
        status=snapshot.status,
        value=persisted["value"],
    )
