"""``arvo-temporal inspect`` for people: one block per step, the essentials on one line each.

::

    #1  2026-01-05T10:00:00.000Z  event arvo.orc.expense  id 5f0c…  from com.example.client
        state    (none) → awaitingDecision  [active]
        context  replace  = {"amount": 10.0, …}
        emits    com.expense.approval → com.expense.approval  domain external  id 9a1b…
        timers   + xstate.after.decisionTimeout.expense.awaitingDecision  due 2026-01-05T11:00:00Z

Long values are cut (``--at N`` and ``--json`` give everything).
"""

from __future__ import annotations

import json
from typing import Any

from arvo_temporal.cli._timeline import Timeline, TimelineStep, iso_time

__all__ = ["timeline_lines"]

_VALUE_WIDTH = 100


def _short(value: Any, width: int = _VALUE_WIDTH) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def _state(value: Any) -> str:
    if value is None:
        return "(none)"
    return value if isinstance(value, str) else _short(value, 60)


def _trigger(step: TimelineStep) -> str:
    if step.kind == "timer":
        return f"timer {(step.timer or {}).get('type')}"
    if step.kind == "cancel":
        return "cancel"
    event = step.event or step.rejected_event or {}
    text = f"{step.kind} {event.get('type')}  id {event.get('id')}"
    source = (step.event or {}).get("source")
    return f"{text}  from {source}" if source else text


def _step_lines(step: TimelineStep) -> list[str]:
    lines = [f"#{step.number}  {iso_time(step.time_ms)}  {_trigger(step)}"]
    if step.kind != "rejected":
        status = f"  [{step.status_after}]" if step.status_after else ""
        lines.append(
            f"    state    {_state(step.value_before)} → {_state(step.value_after)}{status}"
        )
    for op in step.context_patch:
        value = f" = {_short(op['value'])}" if "value" in op else ""
        lines.append(f"    context  {op['op']} {op['path'] or '(all)'}{value}")
    for event in step.emitted:
        domain = f"  domain {event.get('domain')}" if event.get("domain") else ""
        lines.append(
            f"    emits    {event.get('type')} → {event.get('to')}{domain}  id {event.get('id')}"
        )
    if step.violation:
        lines.append(f"    refused  {step.violation}" if step.kind == "rejected" else
                     f"    error    {step.violation}")  # fmt: skip
    for timer in step.timers_scheduled:
        lines.append(f"    timers   + {timer.get('id')}  due {iso_time(timer.get('due_ms'))}")
    for timer_id in step.timers_cancelled:
        lines.append(f"    timers   - {timer_id}  cancelled")
    return lines


def timeline_lines(timeline: Timeline) -> list[str]:
    """The header and one block per step."""
    status = (timeline.status or {}).get("status") or "unknown"
    runs = f"{timeline.runs} runs" if timeline.runs != 1 else "1 run"
    lines = [
        f"{timeline.workflow_id}  {timeline.orchestrator}  status {status}  "
        f"{len(timeline.steps)} steps  {runs}"
    ]
    for step in timeline.steps:
        lines.extend(_step_lines(step))
    return lines
