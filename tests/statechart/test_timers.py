"""Delayed transitions as timer effects: schedule, cancel, restart, stale events, simulated clock."""

from __future__ import annotations

import pytest

from arvo_temporal.statechart import (
    Machine,
    Timer,
    _interpret,
    advance,
    assign,
    due_timers,
    send,
    start,
)

LOG = {"log": assign(lambda a, p: {"log": [*a.context["log"], p["msg"]]})}


def log(msg: str) -> dict:
    return {"type": "log", "params": {"msg": msg}}


def build(**delays) -> Machine:
    return Machine(
        {
            "id": "t",
            "initial": "wait",
            "states": {
                "wait": {
                    "after": {
                        "1000": {"target": "late", "actions": [log("1000")]},
                        "500": {"actions": [log("500")]},
                        "named": {"actions": [log("named")]},
                    },
                    "on": {
                        "PING": {"target": "wait", "reenter": True},
                        "POKE": {"target": "wait", "actions": [log("poke")]},
                        "GO": "other",
                    },
                },
                "other": {"on": {"BACK": "wait"}},
                "late": {"type": "final"},
            },
        },
        actions=LOG,
        delays={"named": delays.get("named", 700)},
        context={"log": []},
    )


def ids(timers) -> list[str]:
    return [t.id for t in timers]


def test_entering_schedules_one_timer_per_delay_in_key_order() -> None:
    snapshot, effects = start(build(), now_ms=100)
    assert effects.scheduled == (
        Timer("xstate.after.500.t.wait", 500, 600, {"type": "xstate.after.500.t.wait"}),
        Timer("xstate.after.1000.t.wait", 1000, 1100, {"type": "xstate.after.1000.t.wait"}),
        Timer("xstate.after.named.t.wait", 700, 800, {"type": "xstate.after.named.t.wait"}),
    )
    assert effects.cancelled == ()
    assert snapshot.timers == effects.scheduled


def test_named_delay_can_be_computed_from_context() -> None:
    machine = build(named=lambda args: len(args.context["log"]) + 42)
    snapshot, _ = start(machine, now_ms=0)
    assert [t.due_ms for t in snapshot.timers if "named" in t.id] == [42]


def test_negative_computed_delay_raises() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        start(build(named=lambda args: -1))


def test_exit_cancels_and_reentry_restarts() -> None:
    machine = build()
    snapshot, _ = start(machine, now_ms=0)
    left, effects = send(machine, snapshot, {"type": "GO"}, now_ms=10)
    assert effects.scheduled == ()
    assert effects.cancelled == (
        "xstate.after.500.t.wait",
        "xstate.after.1000.t.wait",
        "xstate.after.named.t.wait",
    )
    assert left.timers == ()
    restarted, effects = send(machine, snapshot, {"type": "PING"}, now_ms=200)
    assert list(effects.cancelled) == ids(effects.scheduled) == ids(snapshot.timers)
    assert [t.due_ms for t in restarted.timers] == [700, 1200, 900]


def test_internal_self_transition_keeps_timers() -> None:
    machine = build()
    snapshot, _ = start(machine, now_ms=0)
    after, effects = send(machine, snapshot, {"type": "POKE"}, now_ms=300)
    assert after.timers == snapshot.timers
    assert effects.scheduled == effects.cancelled == ()


def test_targetless_timer_fires_once_and_others_keep_running() -> None:
    machine = build()
    snapshot, _ = start(machine, now_ms=0)
    fired, effects = send(machine, snapshot, {"type": "xstate.after.500.t.wait"}, now_ms=500)
    assert fired.context["log"] == ["500"]
    assert ids(fired.timers) == ["xstate.after.1000.t.wait", "xstate.after.named.t.wait"]
    assert effects.scheduled == effects.cancelled == ()


def test_stale_timer_event_is_ignored() -> None:
    machine = build()
    snapshot, _ = start(machine, now_ms=0)
    left, _ = send(machine, snapshot, {"type": "GO"})
    again, effects = send(machine, left, {"type": "xstate.after.500.t.wait"}, now_ms=500)
    assert again is left
    assert effects.emitted == effects.scheduled == effects.cancelled == ()
    # A timer that already fired is stale as well.
    fired, _ = send(machine, snapshot, {"type": "xstate.after.500.t.wait"}, now_ms=500)
    twice, _ = send(machine, fired, {"type": "xstate.after.500.t.wait"}, now_ms=600)
    assert twice is fired


def test_due_timers_orders_by_deadline_then_scheduling() -> None:
    machine = build(named=500)
    snapshot, _ = start(machine, now_ms=0)
    assert ids(due_timers(snapshot, 499)) == []
    assert ids(due_timers(snapshot, 500)) == [
        "xstate.after.500.t.wait",
        "xstate.after.named.t.wait",
    ]
    assert len(due_timers(snapshot, 5000)) == 3


def test_advance_fires_due_timers_in_order_and_completes() -> None:
    machine = build()
    snapshot, _ = start(machine, now_ms=0)
    snapshot, effects = advance(machine, snapshot, 499)
    assert effects.emitted == () and snapshot.context["log"] == []
    snapshot, effects = advance(machine, snapshot, 2000)
    assert snapshot.context["log"] == ["500", "named", "1000"]
    assert snapshot.status == "done"
    assert effects.done
    assert snapshot.timers == ()
    assert effects.scheduled == effects.cancelled == ()


def test_completion_cancels_remaining_timers() -> None:
    machine = build()
    snapshot, _ = start(machine, now_ms=0)
    done, effects = send(machine, snapshot, {"type": "xstate.after.1000.t.wait"}, now_ms=1000)
    assert done.status == "done"
    assert effects.cancelled == ("xstate.after.500.t.wait", "xstate.after.named.t.wait")
    assert done.timers == ()


def test_zero_delay_loop_is_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    # A lower limit finds the same loop in 1/1000 of the steps (100,000 steps cost seconds per
    # mutant in `make mutate`, where every call goes through a trampoline).
    monkeypatch.setattr(_interpret, "_ADVANCE_LIMIT", 100)
    machine = Machine(
        {
            "id": "z",
            "initial": "a",
            "states": {"a": {"after": {"0": {"target": "a", "reenter": True}}}},
        }
    )
    snapshot, _ = start(machine)
    with pytest.raises(RuntimeError, match="zero-delay"):
        advance(machine, snapshot, 0)
