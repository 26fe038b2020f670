"""What an orchestrator persists per subject (docs/arvo.md §5.5): the machine memory record.

One record per subject. A *normal* record holds the statechart snapshot and the events consumed
and produced by the last call; a *failure* record marks an execution that raised an ordinary
error, after which every later event for the subject is ignored. The JSON keys follow Arvo's
names (camelCase) so records read the same as the TypeScript library's; the snapshot inside
``state`` is our interpreter's, not XState's (a port needs an equivalent, not the same bytes).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

__all__ = ["ErrorRecord", "MachineMemoryRecord", "RecordEvents"]

ExecutionStatus = Literal["normal", "failure"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    def to_json(self) -> dict[str, Any]:
        """The record as Arvo spells it (camelCase keys)."""
        return self.model_dump(mode="json", by_alias=True)


class RecordEvents(_Record):
    """The event consumed by the last call and the events it produced (as JSON)."""

    consumed: dict[str, Any]
    produced: list[dict[str, Any]]
    expected: dict[str, list[dict[str, Any]]] | None = None
    """Resumables only: for each event the last call emitted (by id), the responses collected
    so far (Arvo's ``events.expected``). None for machines."""

    @model_serializer(mode="wrap")
    def _without_absent_expected(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A machine record has no ``expected`` in Arvo; keep its JSON exactly Arvo's shape.
        data: dict[str, Any] = handler(self)
        if data.get("expected") is None:
            data.pop("expected", None)
        return data


class ErrorRecord(_Record):
    """An error as stored in a failure record: its name, message and stack."""

    name: str
    message: str
    stack: str | None = None


class MachineMemoryRecord(_Record):
    """The persisted state of one orchestration execution."""

    execution_status: ExecutionStatus = Field(alias="executionStatus")
    subject: str
    init_event_id: str | None = Field(default=None, alias="initEventId")
    parent_subject: str | None = Field(default=None, alias="parentSubject")
    status: str | None = None
    value: Any = None
    state: dict[str, Any] | None = None
    events: RecordEvents | None = None
    machine_version: str | None = Field(default=None, alias="machineVersion")
    error: ErrorRecord | None = None
    execution_units: float = Field(default=0.0, alias="executionUnits")
    """The execution's running total of ``executionunits``: every consumed and emitted event."""

    @property
    def failed(self) -> bool:
        """True for a failure record: later events for the subject are ignored."""
        return self.execution_status == "failure"
