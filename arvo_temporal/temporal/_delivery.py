"""Getting an event into the workflow of its subject — shared by the client and the dispatch
activity, so both start and signal workflows the same way.

* An init event (its type is the subject's orchestrator) uses **signal-with-start**: it creates
  the workflow, or reaches the open one (id conflict policy USE_EXISTING). The id reuse policy is
  REJECT_DUPLICATE, so an event for a *finished* execution raises ``ExecutionClosedError`` instead
  of silently starting a new execution with empty memory (docs/temporal.md §9).
* Any other event is a plain signal to the existing workflow: a reply for an execution that
  does not exist raises ``ExecutionNotFoundError`` rather than starting a workflow that could only
  ignore it and would then block its subject.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from arvo_temporal.errors import (
    ExecutionClosedError,
    ExecutionNotFoundError,
    ExecutionViolation,
    InvalidSubjectError,
)
from arvo_temporal.events import ArvoEvent
from arvo_temporal.subject import ArvoOrchestrationSubject, SubjectContent
from arvo_temporal.temporal._ids import workflow_id_for
from arvo_temporal.temporal._models import WorkflowInput
from arvo_temporal.temporal._search_attributes import (
    ARVO_INITIATOR,
    ARVO_ORCHESTRATOR,
    ARVO_STATUS,
    ARVO_VERSION,
)
from arvo_temporal.temporal._workflow import EVENT_SIGNAL, WORKFLOW_NAME

__all__ = [
    "deliver_event",
    "is_init_event",
    "parse_target",
    "raise_for_missing",
    "start_options",
]


def parse_target(event: ArvoEvent) -> tuple[SubjectContent, str]:
    """The event's parsed subject and its workflow id.

    Raises:
        ExecutionViolation: the subject is not an orchestration subject (as Arvo raises it).
    """
    try:
        content = ArvoOrchestrationSubject.parse(event.subject)
    except InvalidSubjectError:
        raise ExecutionViolation(
            f"Invalid event (id={event.id}) subject format. Expected an "
            "ArvoOrchestrationSubject; only orchestration events can be sent to Temporal"
        ) from None
    return content, workflow_id_for(event.subject, content)


def is_init_event(event: ArvoEvent, content: SubjectContent) -> bool:
    """True when the event starts an execution (its type is the subject's orchestrator)."""
    return event.type == content.orchestrator.name


def start_options(event: ArvoEvent, content: SubjectContent, *, task_queue: str) -> dict[str, Any]:
    """Everything signal-with-start and update-with-start pass to start the execution of
    ``event``'s subject, built in this one place: the workflow, its input and id, the id
    policies, and the search attributes, memo and summary that make it findable in the UI.

    The id reuse policy REJECT_DUPLICATE makes an event for a *finished* execution fail instead
    of starting a new one with empty memory (docs/temporal.md §9).
    """
    return {
        "workflow": WORKFLOW_NAME,
        "arg": WorkflowInput(orchestrator=content.orchestrator.name, subject=event.subject),
        "id": workflow_id_for(event.subject, content),
        "task_queue": task_queue,
        "id_conflict_policy": WorkflowIDConflictPolicy.USE_EXISTING,
        "id_reuse_policy": WorkflowIDReusePolicy.REJECT_DUPLICATE,
        "search_attributes": TypedSearchAttributes(
            [
                SearchAttributePair(ARVO_ORCHESTRATOR, content.orchestrator.name),
                SearchAttributePair(ARVO_VERSION, content.orchestrator.version),
                SearchAttributePair(ARVO_INITIATOR, content.execution.initiator),
                SearchAttributePair(ARVO_STATUS, "active"),
            ]
        ),
        "memo": {"subject": event.subject, "execution_id": content.execution.id},
        "static_summary": (
            f"{content.orchestrator.name} {content.orchestrator.version} "
            f"from {content.execution.initiator}"
        ),
        "static_details": (
            f"Arvo execution `{content.execution.id}`\n\nsubject: `{event.subject}`"
        ),
        "task_timeout": timedelta(seconds=10),
    }


_ONLY_INIT = "only an init event can start one"


async def raise_for_missing(handle: WorkflowHandle[Any, Any], event: ArvoEvent) -> None:
    """Explain a NOT_FOUND: the execution finished, or never existed."""
    try:
        description = await handle.describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise ExecutionNotFoundError(
                event.subject, workflow_id=handle.id, hint=_ONLY_INIT
            ) from None
        raise
    if description.status is not None and description.close_time is not None:
        raise ExecutionClosedError(event.subject, workflow_id=handle.id)
    raise ExecutionNotFoundError(event.subject, workflow_id=handle.id, hint=_ONLY_INIT)


async def deliver_event(client: Client, event: ArvoEvent, *, task_queue: str) -> str:
    """Deliver one event to its subject's workflow; returns the workflow id.

    Raises:
        ExecutionViolation: the subject is not an orchestration subject.
        ExecutionClosedError: the execution already finished.
        ExecutionNotFoundError: a non-init event for an execution that does not exist.
    """
    content, workflow_id = parse_target(event)
    if is_init_event(event, content):
        try:
            await client.start_workflow(
                **start_options(event, content, task_queue=task_queue),
                start_signal=EVENT_SIGNAL,
                start_signal_args=[event],
            )
        except WorkflowAlreadyStartedError:
            raise ExecutionClosedError(event.subject, workflow_id=workflow_id) from None
        return workflow_id
    handle = client.get_workflow_handle(workflow_id)
    try:
        await handle.signal(EVENT_SIGNAL, event)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            await raise_for_missing(handle, event)
        raise
    return workflow_id
