"""ExecutionState: what one Arvo execution knows about itself between events.

The machine memory record, the execution's status, its counters, why it ended, and what it
carries into the next run on continue-as-new. Kept apart from the workflow (no Temporal in it),
so the rules (when a status is published, when to wake for a timer, what a summary says) are
plain code with plain tests; ``ArvoMachineWorkflow`` feeds it workflow time and step results.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arvo_temporal.engine import pending_timers
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
    PendingTimer,
    WorkflowInput,
)

__all__ = ["DEAD_LETTER_WINDOW", "ORPHAN_TIMEOUT_MS", "TERMINAL", "ExecutionState"]

TERMINAL: frozenset[str] = frozenset({"done", "failed", "cancelled"})
DEAD_LETTER_WINDOW = 50
"""Dead-lettered events an execution keeps a record of (the most recent; the count is total)."""
ORPHAN_TIMEOUT_MS = 60_000.0
"""A run started by a message that never arrived (update-with-start is not atomic) ends itself."""


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
        # The client sets ArvoStatus=active at start; search attributes survive continue-as-new.
        self._published: ExecutionStatus = self.status if carried.record else "active"

    @property
    def ended(self) -> bool:
        """True once the machine is done, failed or cancelled."""
        return self.status in TERMINAL

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
        if self.status in ("pending", self._published):
            return None
        self._published = self.status
        return self.status

    def due_timer(self, now_ms: float) -> dict[str, Any] | None:
        """The earliest pending timer that is due, whatever order the record lists them in."""
        if self.record is None or self.status != "active":
            return None
        due = [timer for timer in pending_timers(self.record.state) if timer["due_ms"] <= now_ms]
        return min(due, key=lambda timer: float(timer["due_ms"])) if due else None

    def wake_at_ms(self, now_ms: float) -> float | None:
        """When the run must wake without a message: the earliest timer or the deadline."""
        if self.record is None:
            return now_ms + ORPHAN_TIMEOUT_MS
        candidates: list[float] = []
        timers = pending_timers(self.record.state)
        if timers and self.status == "active":
            candidates.append(min(float(timer["due_ms"]) for timer in timers))
        if self.deadline_ms is not None:
            candidates.append(self.deadline_ms)
        return min(candidates) if candidates else None

    def details(self) -> str:
        """The Temporal UI's current details line (Markdown)."""
        value = self.record.value if self.record else None
        return f"**{self.status}** · state `{value}` · {self.processed} events"

    def view(self, inbox: ExecutionInbox) -> ExecutionStatusView:
        """The ``status`` query's answer."""
        state = self.record.state if self.record else None
        return ExecutionStatusView(
            subject=self.subject,
            orchestrator=self.orchestrator,
            status=self.status,
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
            ),
        )
