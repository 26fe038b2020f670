"""The interpreter's data: :class:`Snapshot` (persisted between events), :class:`Timer` and
:class:`Effects` (what one step asks the caller to do).

All three are frozen and convert to and from plain JSON, because Arvo stores the snapshot between
events and Temporal replays from it: a ``json.dumps`` / ``json.loads`` round trip must not change
behaviour. The context is held as given (no copy, for speed); treat it as read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, cast

from arvo_temporal.statechart._args import Context, Event, StateValue

__all__ = ["NO_EFFECTS", "STATUSES", "Effects", "Snapshot", "Timer", "new_snapshot"]

STATUSES: Final = frozenset({"active", "done", "error", "stopped"})
_SNAPSHOT_KEYS: Final = frozenset({"value", "context", "status", "output", "timers", "history"})


@dataclass(frozen=True, slots=True)
class Timer:
    """A pending delayed transition (``after``).

    ``id`` is XState's timer id, which is also the event type delivered when it fires:
    ``xstate.after.<delay>.<stateId>``. ``due_ms`` is ``now_ms`` of the step that scheduled it plus
    ``delay_ms``.
    """

    id: str
    delay_ms: float
    due_ms: float
    event: Event

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "id": self.id,
            "delay_ms": self.delay_ms,
            "due_ms": self.due_ms,
            "event": dict(self.event),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Timer:
        """Rebuild a timer from :meth:`to_json` output; raises ``ValueError`` if malformed."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a timer must be an object, got {data!r}")
        timer_id, delay, due, event = (
            data.get("id"),
            data.get("delay_ms"),
            data.get("due_ms"),
            data.get("event"),
        )
        if not isinstance(timer_id, str):
            raise ValueError(f"timer id must be a string, got {timer_id!r}")
        for name, number in (("delay_ms", delay), ("due_ms", due)):
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise ValueError(f"timer {timer_id}: {name} must be a number, got {number!r}")
        if not isinstance(event, Mapping) or not isinstance(event.get("type"), str):
            raise ValueError(f"timer {timer_id}: event must be an object with a string type")
        return cls(timer_id, cast(float, delay), cast(float, due), event)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything needed to continue a machine: restore it with :meth:`from_json` and ``send``.

    * ``value`` — XState's state value (a parallel state lists every region).
    * ``context`` — the machine context.
    * ``status`` — ``active``, ``done``, ``error`` or ``stopped``; only ``active`` handles events.
    * ``output`` — the machine output once done, else ``None``.
    * ``timers`` — pending timers in the order they were scheduled (the tie-break for equal
      deadlines).
    * ``history`` — history-state memory: history state id → ids of the remembered states.
    """

    value: StateValue
    context: Context
    status: str = "active"
    output: Any = None
    timers: tuple[Timer, ...] = ()
    history: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-compatible data; :meth:`from_json` restores an equal snapshot."""
        value, timers, history = self.value, self.timers, self.history
        return {
            "value": value if type(value) is str else _copy_value(value),
            "context": self.context,
            "status": self.status,
            "output": self.output,
            # Most snapshots have neither: skip building the comprehensions.
            "timers": [timer.to_json() for timer in timers] if timers else [],
            "history": {key: list(ids) for key, ids in history.items()} if history else {},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Snapshot:
        """Restore a snapshot from :meth:`to_json` output (after any JSON round trip).

        Only the shape is checked here; whether the value fits a machine is checked by ``send``.

        Raises:
            ValueError: the data is not a snapshot.
        """
        if type(data) is not dict and not isinstance(data, Mapping):
            raise ValueError(f"a snapshot must be an object, got {type(data).__name__}")
        if not _SNAPSHOT_KEYS.issuperset(data):
            raise ValueError(f"unknown snapshot keys: {sorted(data.keys() - _SNAPSHOT_KEYS)}")
        value, context, status = data.get("value"), data.get("context"), data.get("status")
        # isinstance with tuples: this runs for every restored event, and tuples are faster.
        if not isinstance(value, (str, dict)):
            raise ValueError(f"snapshot value must be a string or an object, got {value!r}")
        if not isinstance(context, dict):
            raise ValueError("snapshot context must be an object")
        if status not in STATUSES:
            raise ValueError(f"snapshot status must be one of {sorted(STATUSES)}, got {status!r}")
        raw_timers = data.get("timers", ())
        raw_history = data.get("history", {})
        if not isinstance(raw_timers, (list, tuple)) or not isinstance(raw_history, dict):
            raise ValueError("snapshot timers must be a list and history an object")
        history: dict[str, tuple[str, ...]] = {}
        for key, ids in raw_history.items() if raw_history else ():
            if not isinstance(ids, (list, tuple)) or not all(isinstance(i, str) for i in ids):
                raise ValueError(f"history {key!r} must be a list of state ids")
            history[key] = tuple(ids)
        timers = tuple(Timer.from_json(timer) for timer in raw_timers) if raw_timers else ()
        if cls is Snapshot:
            return new_snapshot(value, context, status, data.get("output"), timers, history)
        return cls(value, context, status, data.get("output"), timers, history)


# The interpreter makes a snapshot per step and one per restore. A frozen dataclass's __init__
# sets each field through object.__setattr__, which cost about as much as the rest of a restore;
# the fields' own slot descriptors set the same slots for half of that.
_SLOT_SETTERS: Final = tuple(
    Snapshot.__dict__[name].__set__
    for name in ("value", "context", "status", "output", "timers", "history")
)


def new_snapshot(
    value: StateValue,
    context: Context,
    status: str,
    output: Any,
    timers: tuple[Timer, ...],
    history: Mapping[str, tuple[str, ...]],
) -> Snapshot:
    """``Snapshot(value, context, status, output, timers, history)``, built faster (all six
    fields given, so no default applies)."""
    snapshot = object.__new__(Snapshot)
    set_value, set_context, set_status, set_output, set_timers, set_history = _SLOT_SETTERS
    set_value(snapshot, value)
    set_context(snapshot, context)
    set_status(snapshot, status)
    set_output(snapshot, output)
    set_timers(snapshot, timers)
    set_history(snapshot, history)
    return snapshot


def _copy_value(value: StateValue) -> StateValue:
    # State values are shared with the machine's cache, so hand out a copy of nested ones.
    if isinstance(value, str):
        return value
    return {key: _copy_value(child) for key, child in value.items()}


@dataclass(frozen=True, slots=True)
class Effects:
    """What one ``start`` / ``send`` step asks of the caller.

    * ``emitted`` — events from ``emit`` actions, in execution order.
    * ``scheduled`` / ``cancelled`` — the net change to the pending timers over the step. A timer
      that was restarted appears in both: apply the cancellations first, then the schedules.
    * ``done`` — the machine reached its top-level final state in this step; ``output`` is then
      its output.
    """

    emitted: tuple[Event, ...] = ()
    scheduled: tuple[Timer, ...] = ()
    cancelled: tuple[str, ...] = ()
    done: bool = False
    output: Any = None


NO_EFFECTS: Final = Effects()
