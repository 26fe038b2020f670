"""What an execution's record says about it: its status and its execution units.

Pure helpers shared by the in-process drivers (``ArvoOrchestrator.status``, the memory cleanup
rule) and the step functions that keep the execution-units total in the record.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from arvo_temporal.events import ArvoEvent
from arvo_temporal.orchestration.record import MachineMemoryRecord

__all__ = [
    "TERMINAL_STATUSES",
    "ExecutionStatusName",
    "InProcessStatus",
    "is_terminal",
    "status_name",
    "total_execution_units",
]

ExecutionStatusName = Literal["pending", "active", "done", "failed", "cancelled"]

TERMINAL_STATUSES: frozenset[str] = frozenset({"done", "error", "stopped", "cancelled"})
"""Record statuses after which an execution takes no more events (besides a failure record)."""


def is_terminal(record: MachineMemoryRecord) -> bool:
    """True for a failure record or a finished one (done, error, stopped, cancelled)."""
    return record.failed or record.status in TERMINAL_STATUSES


def status_name(record: MachineMemoryRecord | None) -> ExecutionStatusName:
    """The status vocabulary of ``ArvoTemporalClient.status``, read from a record."""
    if record is None:
        return "pending"
    if record.failed or record.status in ("error", "stopped"):
        return "failed"
    if record.status == "done":
        return "done"
    if record.status == "cancelled":
        return "cancelled"
    return "active"


def total_execution_units(
    previous: MachineMemoryRecord | None,
    consumed: ArvoEvent | None,
    emitted: Iterable[ArvoEvent],
) -> float:
    """The running total kept in the record: what the execution had, plus the consumed event's
    ``executionunits`` and those of every event this step emitted (missing counts as 0)."""
    total = previous.execution_units if previous is not None else 0.0
    if consumed is not None and consumed.executionunits is not None:
        total += consumed.executionunits
    return total + sum(event.executionunits or 0 for event in emitted)


class InProcessStatus(BaseModel):
    """``status(subject)`` of an in-process driver: what the memory says about one execution."""

    model_config = ConfigDict(frozen=True)

    subject: str
    orchestrator: str
    status: ExecutionStatusName
    value: Any = None
    execution_units: float = 0.0

    @classmethod
    def of(
        cls, record: MachineMemoryRecord | None, *, subject: str, orchestrator: str
    ) -> InProcessStatus:
        """Build the status from the stored record (None: the execution is unknown)."""
        return cls(
            subject=subject,
            orchestrator=orchestrator,
            status=status_name(record),
            value=record.value if record is not None else None,
            execution_units=record.execution_units if record is not None else 0.0,
        )
