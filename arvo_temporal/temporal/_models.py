"""The payloads that cross Temporal's boundary: one frozen pydantic model per entry point
(docs/style.md rule 7), carried by ``pydantic_data_converter`` so they can grow without breaking."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_serializer,
    field_validator,
)

from arvo_temporal.events import ArvoEvent
from arvo_temporal.orchestration.record import MachineMemoryRecord
from arvo_temporal.orchestration.result import OrchestratorResult

__all__ = [
    "MAX_IDENTITY_CHARS",
    "MAX_REASON_CHARS",
    "CancelOwnRun",
    "CarriedState",
    "DeadLettered",
    "DeliveryOutcome",
    "DispatchBatch",
    "DispatchReport",
    "ExecutionStatus",
    "ExecutionStatusView",
    "ExecutionSummary",
    "HandleRequest",
    "HandleResponse",
    "OpenRequest",
    "OperatorOutcome",
    "OperatorRequest",
    "Outgoing",
    "PauseInfo",
    "PendingTimer",
    "RedriveInfo",
    "RedrivePoint",
    "Rejection",
    "StoredOutcome",
    "WaitOutcome",
    "WaitRequest",
    "WorkflowInput",
]

ExecutionStatus = Literal["pending", "active", "paused", "done", "failed", "cancelled", "rejected"]
"""``paused`` is an active execution an operator paused: shown (status query, ``ArvoStatus``)
but never the workflow's own status, which stays ``active`` underneath."""


MAX_IDENTITY_CHARS = 200
MAX_REASON_CHARS = 1000


def _cut_to(limit: int) -> BeforeValidator:
    return BeforeValidator(lambda value: value[:limit] if isinstance(value, str) else value)


OperatorName = Annotated[str, _cut_to(MAX_IDENTITY_CHARS)]
OperatorReason = Annotated[str, _cut_to(MAX_REASON_CHARS)]
"""Operator identities and reasons, cut to a bounded length: they ride in the execution's state
(carried on continue-as-new), its memo and its summary, none of which may grow without bound."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Rejection(_Frozen):
    """An event that was not applied (a violation), kept for the ``status`` query and logs."""

    event_id: str
    event_type: str
    error_type: str
    message: str


class StoredOutcome(_Frozen):
    """The outcome of one applied event, kept so a repeated ``execute`` gets the same answer.

    A refused event keeps the error's type, message and fields (``arvo_temporal.temporal._errors``
    rebuilds the exception from them on the client). The result is stored as its events, each
    once, in emission order (an ``OrchestratorResult`` lists an event in two or three buckets),
    and regrouped when read: the stored answers ride along on every continue-as-new.
    """

    result: OrchestratorResult | None = None
    error_type: str | None = None
    error_message: str | None = None
    error_fields: dict[str, Any] | None = None

    @field_serializer("result")
    def _events_once(self, result: OrchestratorResult | None) -> list[dict[str, Any]] | None:
        return None if result is None else [event.to_json() for event in result.all_events]

    @field_validator("result", mode="before")
    @classmethod
    def _regroup(cls, value: Any) -> Any:
        # A list is the stored form; a dict is an OrchestratorResult carried by an older run.
        if isinstance(value, list):
            return OrchestratorResult.from_events(ArvoEvent.from_json(item) for item in value)
        return value


class HandleRequest(_Frozen):
    """Run one registered handler on one event (an activity)."""

    handler: str
    event: ArvoEvent


class OpenRequest(_Frozen):
    """An event the execution sent into a non-default domain (a person, a partner system) that
    still waits for a reply (arvo_temporal/orchestration/observation.py)."""

    event_id: str
    event_type: str
    domain: str
    to: str | None = None
    emitted_ms: float
    """Workflow time it was emitted, epoch milliseconds."""
    reply_types: list[str] = Field(default_factory=list)
    """The event types its contract says answer it."""


class PauseInfo(_Frozen):
    """Who paused an execution, when (workflow time, epoch ms) and why."""

    since_ms: float
    identity: OperatorName
    reason: OperatorReason


class RedriveInfo(_Frozen):
    """When (epoch ms), by whom and why a failed execution was redriven, from which failed run,
    and the failing event it skipped, if any."""

    at_ms: float
    identity: OperatorName
    reason: OperatorReason = ""
    from_run_id: str
    skipped_event: str | None = None


class CarriedState(_Frozen):
    """Everything a run hands to the next one on continue-as-new (``handler_requests``: events
    for handlers emitted while the run drained, started by the next run)."""

    record: MachineMemoryRecord | None = None
    inbox: list[ArvoEvent] = Field(default_factory=list)
    handler_requests: list[HandleRequest] = Field(default_factory=list)
    seen: list[str] = Field(default_factory=list)
    outcomes: dict[str, StoredOutcome] = Field(default_factory=dict)
    rejections: list[Rejection] = Field(default_factory=list)
    processed: int = 0
    runs: int = 1
    cancel_reason: str | None = None
    deadline_ms: float | None = None
    dead_letters: list[DeadLettered] = Field(default_factory=list)
    dead_letter_count: int = 0
    open_requests: list[OpenRequest] = Field(default_factory=list)
    paused: PauseInfo | None = None
    held_arrivals: dict[str, float] = Field(default_factory=dict)
    """Workflow time (epoch ms) each event held by a pause arrived, so that on resume the held
    events and the timers that fell due meanwhile are applied in the order they happened."""
    redriven: RedriveInfo | None = None


class RedrivePoint(_Frozen):
    """Where a failed execution can come back from: the record before the step that failed the
    machine and the event that step applied (None for a timer: the record still has it)."""

    record: MachineMemoryRecord | None = None
    event: ArvoEvent | None = None


class WorkflowInput(_Frozen):
    """The start argument of ``ArvoMachineWorkflow``: whose execution it is. The machines come
    from the worker's ``ArvoPlugin``, bound to each run (never from the payload)."""

    orchestrator: str
    subject: str
    carried: CarriedState | None = None
    init: ArvoEvent | None = None
    """The init event, when the client started the execution with it (one history event
    fewer than signal-with-start); applied like a signalled one."""


class ExecutionSummary(_Frozen):
    """What a finished workflow returns (and ``client.result`` reads)."""

    subject: str
    orchestrator: str
    status: ExecutionStatus
    output: dict[str, Any] | None = None
    error: str | None = None
    value: Any = None
    processed: int = 0
    execution_units: float = 0.0
    """Arvo's cost figure summed over the execution (in the run's result, which the UI shows,
    rather than the memo: a memo upsert would cost a history event per execution)."""


class CancelOwnRun(_Frozen):
    """Ask Temporal to cancel this run (an activity: a workflow cannot cancel itself)."""

    workflow_id: str
    run_id: str
    reason: str
    cascade: bool = True
    """Cancel the executions it started first (``ArvoParent``)."""


class HandleResponse(_Frozen):
    """The handler's result events."""

    events: list[ArvoEvent]


class Outgoing(_Frozen):
    """One event leaving the workflow and the route the workflow chose for it (the activity
    carries the decision out and never routes again)."""

    event: ArvoEvent
    route: Literal["orchestrator", "sink"]
    target: str


class DispatchBatch(_Frozen):
    """The events one processed event sends out of the workflow, in emission order."""

    items: list[Outgoing]


class DeliveryOutcome(_Frozen):
    """Where one event went (``dead_letter``: its sink refused it for good; ``target`` is the
    dead-letter sink and ``detail`` the reason)."""

    event_id: str
    route: Literal["orchestrator", "sink", "dropped", "dead_letter"]
    target: str
    detail: str = ""


class DeadLettered(_Frozen):
    """An event a sink refused for good, kept in the dead-letter sink instead of delivered
    (``arvo_temporal/sinks/_dead_letters.py``); it is never retried."""

    event_id: str
    event_type: str
    sink: str
    """The sink that refused it (no credentials in the name)."""
    reason: str
    status: int | None = None
    """The HTTP status of the refusal, when there was one."""
    dead_letter: str
    """The dead-letter sink it was kept in."""


class DispatchReport(_Frozen):
    """The outcome of a dispatch batch, one entry per event, and the events dead-lettered."""

    deliveries: list[DeliveryOutcome]
    dead_letters: list[DeadLettered] = Field(default_factory=list)


class PendingTimer(_Frozen):
    """A delayed transition waiting on a durable timer."""

    id: str
    due_ms: float


class ExecutionStatusView(_Frozen):
    """The ``status`` query: what the execution is doing now."""

    subject: str
    orchestrator: str
    status: ExecutionStatus
    value: Any = None
    processed: int = 0
    inbox: int = 0
    runs: int = 1
    timers: list[PendingTimer] = Field(default_factory=list)
    rejections: list[Rejection] = Field(default_factory=list)
    dead_letters: list[DeadLettered] = Field(default_factory=list)
    """The most recent events a sink refused for good (kept in the dead-letter sink)."""
    dead_letter_count: int = 0
    states: list[str] = Field(default_factory=list)
    """The active states as dotted paths, ancestors included (``work``, ``work.a``)."""
    accepts: list[str] = Field(default_factory=list)
    """The event types the active states have transitions for: what can be sent now."""
    tags: list[str] = Field(default_factory=list)
    """The tags of the active states."""
    context: str | None = None
    """The machine context as compact JSON, cut to a few hundred characters."""
    open_requests: list[OpenRequest] = Field(default_factory=list)
    """Events sent to a person or another system that still wait for a reply (oldest first)."""
    paused: PauseInfo | None = None
    """Who paused the execution, when and why, while it is paused (``status`` is ``paused``)."""
    redriven: RedriveInfo | None = None
    """The last redrive of this execution, if it was redriven after a failure."""
    execution_units: float = 0.0
    """Arvo's cost figure summed over the events the execution consumed and emitted."""


class WaitRequest(_Frozen):
    """The ``arvo_wait`` update: answer once the execution is in ``state`` and has ``tag`` (each
    when given), or has ended when ``done``; give up after ``timeout_ms`` of workflow time."""

    state: str | None = None
    tag: str | None = None
    done: bool = False
    timeout_ms: float


class WaitOutcome(_Frozen):
    """What ``arvo_wait`` (and ``ArvoTemporalClient.wait_for``) answers.

    ``reason`` is ``met`` (the condition holds), ``ended`` (the execution ended first, without
    it) or ``timeout``; ``status`` and ``record`` are the execution at that moment (``record``
    is None for an execution that had already closed when asked: see ``snapshot``).
    """

    reason: Literal["met", "ended", "timeout"]
    status: ExecutionStatusView
    record: dict[str, Any] | None = None

    @property
    def met(self) -> bool:
        """True when the condition holds."""
        return self.reason == "met"


class OperatorRequest(_Frozen):
    """An operator's ``arvo_pause`` / ``arvo_resume`` update: who asks and why (the update in
    the history, with these fields, is the audit trace)."""

    identity: OperatorName = "arvo-temporal"
    reason: OperatorReason = ""


class OperatorOutcome(_Frozen):
    """What an operator update did: ``changed`` is False when the effect was already in place
    (pausing a paused execution), so a retried request has one effect."""

    changed: bool
    status: ExecutionStatusView
