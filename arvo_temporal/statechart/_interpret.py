"""The public step functions: ``start``, ``send``, and ``due_timers`` / ``advance`` for clocks.

They are pure: the same machine, snapshot, event and ``now_ms`` always give the same result, and
nothing outside the returned values changes. The caller owns time (``now_ms``) and decides when a
timer fires by sending its event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from arvo_temporal.statechart._args import Event
from arvo_temporal.statechart._engine import Step
from arvo_temporal.statechart._machine import Machine
from arvo_temporal.statechart._snapshot import NO_EFFECTS, Effects, Snapshot, Timer, new_snapshot

__all__ = ["advance", "due_timers", "send", "start"]

INIT_EVENT_TYPE: Final = "xstate.init"
_TIMER_PREFIX: Final = "xstate.after."
_ADVANCE_LIMIT: Final = 100_000


def start(machine: Machine, input: Any = None, *, now_ms: float = 0) -> tuple[Snapshot, Effects]:
    """Start a new run: build the context from ``input``, enter the initial states (running their
    entry actions) and run to completion.

    Entry actions see the event ``{"type": "xstate.init", "input": input}``.

    Returns:
        The first snapshot and the effects of starting (emitted events, scheduled timers).
    """
    context = machine.initial_context(input)
    step = Step(machine, context, machine.nodes[0].bit, {}, (), now_ms)
    step.begin({"type": INIT_EVENT_TYPE, "input": input})
    return _finish(machine, step, (), None)


def send(
    machine: Machine, snapshot: Snapshot, event: Mapping[str, Any], *, now_ms: float = 0
) -> tuple[Snapshot, Effects]:
    """Process one event to completion from ``snapshot`` (restored snapshots do not re-run entry
    actions).

    A machine that is not ``active`` ignores the event, and so does a timer event whose timer is no
    longer pending (its state was left): both return ``snapshot`` itself with no effects.

    Raises:
        TypeError: ``event`` is not a mapping with a string ``type``.
        ValueError: the event type is ``*``, or the snapshot does not fit this machine.
        Exception: whatever an action or guard raised, unchanged.
    """
    event_type = event.get("type") if type(event) is dict or isinstance(event, Mapping) else None
    if not isinstance(event_type, str):
        raise TypeError(f"an event must be a mapping with a string 'type', got {event!r}")
    if event_type == "*":
        raise ValueError("an event cannot have the wildcard type '*'")
    if snapshot.status != "active":
        return snapshot, NO_EFFECTS
    timers = snapshot.timers
    if event_type.startswith(_TIMER_PREFIX):
        position = next((i for i, t in enumerate(timers) if t.id == event_type), -1)
        if position < 0:
            return snapshot, NO_EFFECTS
        timers = timers[:position] + timers[position + 1 :]
    layout = machine.layout
    value = snapshot.value
    config = layout.masks.get(value) if type(value) is str else None
    if config is None:
        config = layout.mask_of(value)
    step = Step(machine, snapshot.context, config, snapshot.history, timers, now_ms)
    step.handle(event)
    return _finish(machine, step, timers, snapshot)


def due_timers(snapshot: Snapshot, now_ms: float) -> tuple[Timer, ...]:
    """Pending timers due at ``now_ms``, in firing order: earliest deadline first, ties in the
    order they were scheduled (as XState's simulated clock fires them)."""
    return tuple(sorted((t for t in snapshot.timers if t.due_ms <= now_ms), key=_deadline))


def advance(machine: Machine, snapshot: Snapshot, now_ms: float) -> tuple[Snapshot, Effects]:
    """Move a simulated clock to ``now_ms``: fire due timers one at a time (re-reading the pending
    timers after each, so timers scheduled meanwhile fire too if due) until none is due.

    Timers scheduled while firing are due from ``now_ms``. The effects are combined: all emitted
    events in order, and the net timer changes (fired timers are neither scheduled nor cancelled).
    """
    current = snapshot
    emitted: list[Event] = []
    fired: list[Timer] = []
    done, output = False, None
    for _ in range(_ADVANCE_LIMIT):
        due = due_timers(current, now_ms) if current.status == "active" else ()
        if not due:
            break
        current, effects = send(machine, current, due[0].event, now_ms=now_ms)
        fired.append(due[0])
        emitted.extend(effects.emitted)
        if effects.done:
            done, output = True, effects.output
    else:
        raise RuntimeError(f"timers keep firing at {now_ms} ms: a zero-delay timer loop?")
    if current is snapshot:
        return snapshot, NO_EFFECTS
    before = [t for t in snapshot.timers if not any(t is f for f in fired)]
    scheduled, cancelled = _timer_changes(before, current.timers)
    return current, Effects(tuple(emitted), scheduled, cancelled, done, output)


def _deadline(timer: Timer) -> float:
    return timer.due_ms


def _timer_changes(
    before: Sequence[Timer], after: Sequence[Timer]
) -> tuple[tuple[Timer, ...], tuple[str, ...]]:
    if before is after or (not before and not after):
        return (), ()
    scheduled = tuple(t for t in after if t not in before)
    cancelled = tuple(t.id for t in before if t not in after)
    return scheduled, cancelled


def _finish(
    machine: Machine, step: Step, timers_before: Sequence[Timer], snapshot: Snapshot | None
) -> tuple[Snapshot, Effects]:
    timers_after = step.timers
    if (
        snapshot is not None
        and not step.emitted
        and not step.done
        and step.context is snapshot.context
        and step.history is snapshot.history
        and timers_after is snapshot.timers
        and machine.layout.value_of(step.config) == snapshot.value
    ):
        return snapshot, NO_EFFECTS
    layout = machine.layout
    value = layout.values.get(step.config)
    if value is None:
        value = layout.value_of(step.config)
    status = "done" if step.done else "active"
    new = new_snapshot(value, step.context, status, step.output, tuple(timers_after), step.history)
    if not (step.emitted or step.done) and (
        timers_before is timers_after or (not timers_before and not timers_after)
    ):
        return new, NO_EFFECTS  # the common step: nothing but a new state (no call needed)
    scheduled, cancelled = _timer_changes(timers_before, timers_after)
    if not (step.emitted or scheduled or cancelled or step.done):
        return new, NO_EFFECTS
    return new, Effects(tuple(step.emitted), scheduled, cancelled, step.done, step.output)
