"""A pure interpreter for the XState v5 JSON machine config subset that Arvo machines use.

``Machine(config, actions=..., guards=..., delays=..., context=..., output=...)`` checks a config at
declaration time; ``start`` and ``send`` are pure step functions returning a new
:class:`Snapshot` (plain JSON via ``to_json`` / ``from_json``) and the step's :class:`Effects`
(emitted events, timers to schedule or cancel, completion). No clock, randomness, I/O or
``temporalio`` import happens here, so the same code runs in a Temporal workflow sandbox::

    machine = Machine(config, actions={"log": assign(...)}, output=lambda ctx: ctx)
    snapshot, effects = start(machine, {"n": 1})
    snapshot, effects = send(machine, snapshot, {"type": "NEXT"}, now_ms=1000)

Timers (``after``) are data: ``effects.scheduled`` / ``effects.cancelled`` and ``snapshot.timers``
say what to wait for; deliver ``timer.event`` with ``send`` when it is due (``due_timers`` and
``advance`` do this for a simulated clock). In JSON, guard combinators are written
``{"type": "and" | "or", "guards": [...]}`` and ``{"type": "not", "guard": ...}``.

The semantics follow XState 5.33.3 (``docs/statecharts.md``); differential tests replay scenarios
through real XState. Configs exported from TypeScript must name their logic: traces of inline
JavaScript (``null`` actions, ``"inline:..."`` markers, ``{"type": "xstate.assign"}``, the
``machine.toJSON()`` format) are refused with the config path.
"""

from arvo_temporal.errors import InvalidMachineDefinition
from arvo_temporal.statechart._actions import (
    ActionFunction,
    ActionSpec,
    Assign,
    Emit,
    Raise,
    assign,
    emit,
    raise_,
)
from arvo_temporal.statechart._args import ActionArgs, Context, Event, Params, StateValue
from arvo_temporal.statechart._bind import Delay
from arvo_temporal.statechart._guards import And, GuardFunction, GuardSpec, Not, Or, and_, not_, or_
from arvo_temporal.statechart._interpret import advance, due_timers, send, start
from arvo_temporal.statechart._machine import Machine
from arvo_temporal.statechart._snapshot import Effects, Snapshot, Timer

__all__ = [
    "ActionArgs",
    "ActionFunction",
    "ActionSpec",
    "And",
    "Assign",
    "Context",
    "Delay",
    "Effects",
    "Emit",
    "Event",
    "GuardFunction",
    "GuardSpec",
    "InvalidMachineDefinition",
    "Machine",
    "Not",
    "Or",
    "Params",
    "Raise",
    "Snapshot",
    "StateValue",
    "Timer",
    "advance",
    "and_",
    "assign",
    "due_timers",
    "emit",
    "not_",
    "or_",
    "raise_",
    "send",
    "start",
]
