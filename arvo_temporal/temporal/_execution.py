"""ExecutionState: what one Arvo execution knows about itself between events.

The machine memory record, the execution's status, its counters, why it ended, and what it
carries into the next run on continue-as-new. Kept apart from the workflow (no Temporal in it),
so the rules (when a status is published, when to wake for a timer, what a summary says) are
plain code with plain tests; ``ArvoMachineWorkflow`` feeds it workflow time and step results.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from arvo_temporal.engine import pending_timers
from arvo_temporal.machine import ArvoMachine
from arvo_temporal.orchestration.observation import (
    Configuration,
    awaited_replies,
    configuration_of,
    context_summary,
    replied_index,
)
from arvo_temporal.orchestration.record import MachineMemoryRecord
from arvo_temporal.orchestration.step import StepResult
from arvo_temporal.temporal._inbox import ExecutionInbox
from arvo_temporal.temporal._models import (
    CarriedState,
    DeadLettered,
    ExecutionStatus,
    ExecutionStatusView,
    ExecutionSummary,
    HandleRequest,
    OpenRequest,
    PauseInfo,
    PendingTimer,
    RedrivePoint,
    WorkflowInput,
)

__all__ = [
    "DEAD_LETTER_WINDOW",
    "MAX_PUBLISHED_STATES",
    "OPEN_REQUEST_WINDOW",
    "ORPHAN_TIMEOUT_MS",
    "REDRIVE_POINT_BYTES",
    "TERMINAL",
    "ExecutionState",
]

TERMINAL: frozenset[str] = frozenset({"done", "failed", "cancelled"})
DEAD_LETTER_WINDOW = 50
"""Dead-lettered events an execution keeps a record of (the most recent; the count is total)."""
ORPHAN_TIMEOUT_MS = 60_000.0
"""A run started by a message that never arrived (update-with-start is not atomic) ends itself."""
OPEN_REQUEST_WINDOW = 50
"""Requests awaiting a reply an execution keeps (the most recent), so a machine that asks and
never hears back cannot grow what continue-as-new carries."""
REDRIVE_POINT_BYTES = 1_000_000
"""The largest redrive point a failed run keeps in its failure (JSON bytes): the failure is one
history event, and Temporal refuses one over its blob limit (2 MiB by default), which would leave
the run unable to end. A larger one is left out, and the failure says so."""
MAX_PUBLISHED_STATES = 32
_MAX_PUBLISHED_BYTES = 1800
"""Bounds of the ``ArvoState`` keyword list: Temporal refuses a search attribute value over
2 KiB (``limit.searchAttributeSize``); the outermost states are kept when a huge parallel
configuration would exceed it."""


def _status_of(record: MachineMemoryRecord | None) -> ExecutionStatus:
    if record is None:
        return "pending"
    if record.failed:
        return "failed"
    if record.status == "done":
        return "done"
    if record.status == "cancelled":
        return "cancelled"
    return "active"


class ExecutionState:
    """The record, status and counters of one execution, across runs.

    Args:
        input: the run's start input (with what the previous run carried, if any).
    """

    def __init__(self, input: WorkflowInput) -> None:
        carried = input.carried or CarriedState()
        self.subject = input.subject
        self.orchestrator = input.orchestrator
        self.record: MachineMemoryRecord | None = carried.record
        self.status: ExecutionStatus = _status_of(carried.record)
        self.processed = carried.processed
        self.runs = carried.runs
        self.cancel_reason = carried.cancel_reason
        self.deadline_ms = carried.deadline_ms
        self.ended_with: str | None = None
        self.output: dict[str, Any] | None = None  # when the record does not hold it
        self.dead_letters: list[DeadLettered] = list(carried.dead_letters)
        self.dead_letter_count = carried.dead_letter_count
        self.paused: PauseInfo | None = carried.paused
        self.held_arrivals: dict[str, float] = dict(carried.held_arrivals)
        self.redriven = carried.redriven
        self.failed_from: RedrivePoint | None = None
        """Set when a step failed the machine: what a redrive starts again from."""
        # The client sets ArvoStatus=active at start; search attributes survive continue-as-new.
        self._published: ExecutionStatus = self.shown_status if carried.record else "active"
        self.machine: ArvoMachine | None = None
        """The machine version of this execution, once the run has resolved it."""
        self.open_requests: list[OpenRequest] = list(carried.open_requests)
        self._configuration: tuple[Any, ArvoMachine | None, Configuration] | None = None
        self._published_states: tuple[str, ...] | None = None
        self._published_domains: tuple[str, ...] = self._domains()

    @property
    def ended(self) -> bool:
        """True once the machine is done, failed or cancelled."""
        return self.status in TERMINAL

    @property
    def shown_status(self) -> ExecutionStatus:
        """The status operators see: ``paused`` for an active execution that is paused."""
        return "paused" if self.paused is not None and self.status == "active" else self.status

    def pause(self, info: PauseInfo, pending: Sequence[str]) -> bool:
        """Hold events and timers from now on; False when paused already (one effect).

        Args:
            pending: ids of events waiting in the inbox now; they count as arrived at the
                pause, before any timer that falls due during it.
        """
        if self.paused is not None:
            return False
        self.paused = info
        for event_id in pending:
            self.held_arrivals.setdefault(event_id, info.since_ms)
        return True

    def resume(self) -> bool:
        """Stop holding; False when not paused. The held events and due timers are then
        released by the workflow, in the order they happened (``next_held``)."""
        if self.paused is None:
            return False
        self.paused = None
        return True

    def hold(self, event_id: str, now_ms: float) -> None:
        """Note when an event arrived while paused (its place among the timers on resume)."""
        if self.paused is not None:
            self.held_arrivals.setdefault(event_id, now_ms)

    def next_held(
        self, next_event_id: str | None, now_ms: float
    ) -> tuple[str, dict[str, Any] | None]:
        """What to release next after a resume: ``("event", None)``, ``("timer", timer)`` or
        ``("none", None)``; whichever happened first (an event arrived, or a timer fell due).
        An event that arrived at the very moment a timer fell due goes first, as a running
        execution would have applied it before waking. Events that arrived after the resume
        count as arriving now, after every timer already due."""
        timer = self.due_timer(now_ms)
        if next_event_id is None:
            return ("timer", timer) if timer is not None else ("none", None)
        arrived = self.held_arrivals.get(next_event_id, now_ms)
        if timer is not None and float(timer["due_ms"]) < arrived:
            return "timer", timer
        return "event", None

    def applied(self, result: StepResult) -> None:
        """Take a step's new record (a step that refused the event leaves it as it was)."""
        if result.record is not None:
            self.record = result.record
            self.status = _status_of(result.record)

    def dead_lettered(self, events: list[DeadLettered]) -> None:
        """Record events a sink refused for good (kept in the dead-letter sink, not retried)."""
        self.dead_letter_count += len(events)
        self.dead_letters = [*self.dead_letters, *events][-DEAD_LETTER_WINDOW:]

    def end(self, status: ExecutionStatus, reason: str) -> None:
        """End without a machine step: ``rejected`` (no event started it) or ``cancelled``."""
        self.status = status
        self.ended_with = reason

    def status_to_publish(self) -> ExecutionStatus | None:
        """The status to upsert as ``ArvoStatus`` now, or None: one history event per change."""
        status = self.shown_status
        if status in ("pending", self._published):
            return None
        self._published = status
        return status

    def due_timer(self, now_ms: float) -> dict[str, Any] | None:
        """The earliest pending timer that is due, whatever order the record lists them in."""
        if self.record is None or self.status != "active" or self.paused is not None:
            return None
        due = [timer for timer in pending_timers(self.record.state) if timer["due_ms"] <= now_ms]
        return min(due, key=lambda timer: float(timer["due_ms"])) if due else None

    def wake_at_ms(self, now_ms: float) -> float | None:
        """When the run must wake without a message: the earliest timer or the deadline."""
        if self.record is None:
            return now_ms + ORPHAN_TIMEOUT_MS
        candidates: list[float] = []
        timers = pending_timers(self.record.state)
        if timers and self.status == "active" and self.paused is None:
            candidates.append(min(float(timer["due_ms"]) for timer in timers))
        if self.deadline_ms is not None:
            candidates.append(self.deadline_ms)
        return min(candidates) if candidates else None

    def configuration(self) -> Configuration:
        """The active states, accepted events and tags of the record's value (recomputed only
        when the value or the machine changed)."""
        value = self.record.value if self.record else None
        cached = self._configuration
        if cached is not None and cached[1] is self.machine and cached[0] == value:
            return cached[2]
        configuration = configuration_of(self.machine, value)
        self._configuration = (value, self.machine, configuration)
        return configuration

    def reached(self, *, state: str | None, tag: str | None, done: bool) -> bool:
        """True when the execution is in ``state`` with ``tag`` (each when given), and has
        ended when ``done``."""
        if done and self.status in ("pending", "active"):
            return False
        if state is None and tag is None:
            return True
        return self.configuration().reached(state, tag)

    def observed(self, result: StepResult, *, now_ms: float) -> None:
        """Keep the requests awaiting a reply up to date after a step that wrote a record: the
        consumed event may answer one, the emitted events may open more; none stay open once
        the execution has ended."""
        if self.ended:
            self.open_requests = []
            return
        consumed = result.record.events.consumed if result.record and result.record.events else None
        if consumed and self.open_requests:
            answered = replied_index(
                [
                    (request.event_id, request.event_type, tuple(request.reply_types))
                    for request in self.open_requests
                ],
                consumed,
            )
            if answered is not None:
                self.open_requests = [
                    request for i, request in enumerate(self.open_requests) if i != answered
                ]
        if self.machine is None:
            return
        for awaited in awaited_replies(self.machine, result.events):
            event = awaited.event
            self.open_requests.append(
                OpenRequest(
                    event_id=event.id,
                    event_type=event.type,
                    domain=event.domain or "",
                    to=event.to,
                    emitted_ms=now_ms,
                    reply_types=list(awaited.reply_types),
                )
            )
        self.open_requests = self.open_requests[-OPEN_REQUEST_WINDOW:]

    def _domains(self) -> tuple[str, ...]:
        return tuple(sorted({request.domain for request in self.open_requests}))

    def states_to_publish(self, current: Sequence[str] | None = None) -> list[str] | None:
        """The ``ArvoState`` values to upsert now, or None when they did not change (each
        upsert is a history event).

        Args:
            current: what the search attribute holds when this run started (it survives
                continue-as-new); read once, on the first call.
        """
        if self._published_states is None:
            self._published_states = tuple(current or ())
        states: list[str] = []
        size = 0
        for path in self.configuration().states[:MAX_PUBLISHED_STATES]:
            size += len(path.encode("utf-8")) + 4
            if size > _MAX_PUBLISHED_BYTES:
                break
            states.append(path)
        if tuple(states) == self._published_states:
            return None
        self._published_states = tuple(states)
        return states

    def domains_to_publish(self) -> list[str] | None:
        """The ``ArvoTaskDomains`` values (domains with a request awaiting a reply) to upsert
        now, or None when they did not change."""
        domains = self._domains()
        if domains == self._published_domains:
            return None
        self._published_domains = domains
        return list(domains)

    def details(self) -> str:
        """The Temporal UI's current details (Markdown): status, state, what the configuration
        accepts, requests awaiting a reply, and a short context summary."""
        value = self.record.value if self.record else None
        shown = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        lines = [f"**{self.shown_status}** · state `{shown}` · {self.processed} events"]
        configuration = self.configuration()
        if configuration.accepts and self.status == "active":
            lines.append("accepts " + ", ".join(f"`{kind}`" for kind in configuration.accepts))
        for request in self.open_requests[-3:]:
            lines.append(
                f"awaiting a reply to `{request.event_type}` ({request.domain}) "
                f"· event `{request.event_id}`"
            )
        if len(self.open_requests) > 3:
            lines.append(f"… {len(self.open_requests) - 3} more awaiting a reply")
        summary = context_summary(self._context())
        if summary is not None:
            lines.append(f"context `{summary}`")
        return "\n\n".join(lines)

    def _context(self) -> Any:
        state = self.record.state if self.record else None
        return state.get("context") if state else None

    def view(self, inbox: ExecutionInbox) -> ExecutionStatusView:
        """The ``status`` query's answer."""
        state = self.record.state if self.record else None
        configuration = self.configuration()
        return ExecutionStatusView(
            subject=self.subject,
            orchestrator=self.orchestrator,
            status=self.shown_status,
            value=self.record.value if self.record else None,
            processed=self.processed,
            inbox=len(inbox),
            runs=self.runs,
            timers=[
                PendingTimer(id=str(timer["id"]), due_ms=float(timer["due_ms"]))
                for timer in pending_timers(state)
            ],
            rejections=inbox.rejections[-20:],
            dead_letters=self.dead_letters[-20:],
            dead_letter_count=self.dead_letter_count,
            states=list(configuration.states),
            accepts=list(configuration.accepts) if self.status == "active" else [],
            tags=list(configuration.tags),
            context=context_summary(self._context()),
            open_requests=list(self.open_requests),
            paused=self.paused,
            redriven=self.redriven,
            execution_units=self.record.execution_units if self.record else 0.0,
        )

    def summary(self) -> ExecutionSummary:
        """What the finished workflow returns."""
        record = self.record
        output = None
        if record is not None and record.state is not None and self.status == "done":
            value = record.state.get("output")
            output = value if isinstance(value, dict) else self.output
        error = self.ended_with
        if record is not None and record.failed and record.error is not None:
            error = f"{record.error.name}: {record.error.message}"
        return ExecutionSummary(
            subject=self.subject,
            orchestrator=self.orchestrator,
            status=self.status,
            output=output,
            error=error,
            value=record.value if record else None,
            processed=self.processed,
            execution_units=record.execution_units if record else 0.0,
        )

    def carried(
        self, inbox: ExecutionInbox, handler_requests: Sequence[HandleRequest] = ()
    ) -> WorkflowInput:
        """The next run's input on continue-as-new."""
        return WorkflowInput(
            orchestrator=self.orchestrator,
            subject=self.subject,
            carried=CarriedState(
                record=self.record,
                inbox=list(inbox),
                handler_requests=list(handler_requests),
                seen=inbox.seen,
                outcomes=inbox.outcomes,
                rejections=inbox.rejections,
                processed=self.processed,
                runs=self.runs + 1,
                cancel_reason=self.cancel_reason,
                deadline_ms=self.deadline_ms,
                dead_letters=self.dead_letters,
                dead_letter_count=self.dead_letter_count,
                open_requests=self.open_requests,
                paused=self.paused,
                held_arrivals=self.held_arrivals,
                redriven=self.redriven,
            ),
        )

    def redrive_details(
        self, inbox: ExecutionInbox, *, max_bytes: int = REDRIVE_POINT_BYTES
    ) -> dict[str, Any]:
        """What a failed run adds to its failure's details for ``ArvoTemporalClient.redrive``:
        ``redrive`` (the next run's input) and ``failing_event``, or ``redrive_omitted`` with
        the reason; nothing when the machine did not fail in a step."""
        carried = self.redrive_from(inbox)
        if carried is None:
            return {}
        start = WorkflowInput(orchestrator=self.orchestrator, subject=self.subject, carried=carried)
        point = start.model_dump(mode="json", by_alias=True)
        size = len(json.dumps(point, separators=(",", ":")))
        if size > max_bytes:
            return {"redrive_omitted": f"the redrive point is {size:,} bytes, over {max_bytes:,}"}
        failing = self.failed_from.event if self.failed_from else None
        return {"redrive": point, "failing_event": failing.id if failing else None}

    def redrive_from(self, inbox: ExecutionInbox) -> CarriedState | None:
        """What a redrive's new run starts with, once a step failed the machine: the record
        before that step, the failing event first in the inbox (then the events accepted but
        never applied), the de-dup window without the failing event. Not the stored answers
        (they are the bulk of what continue-as-new carries; a repeated ``execute`` of an
        older event gets an empty answer, as when its answer ages out). None when the
        execution did not fail in a step."""
        point = self.failed_from
        if point is None:
            return None
        failing = [point.event] if point.event is not None else []
        failing_id = point.event.id if point.event is not None else None
        return CarriedState(
            record=point.record,
            inbox=[*failing, *(event for event in inbox if event.id != failing_id)],
            seen=[event_id for event_id in inbox.seen if event_id != failing_id],
            rejections=inbox.rejections,
            processed=self.processed - len(failing),
            runs=self.runs + 1,
            dead_letters=self.dead_letters,
            dead_letter_count=self.dead_letter_count,
            open_requests=self.open_requests,
            redriven=self.redriven,
        )
