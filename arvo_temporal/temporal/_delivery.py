"""Getting an event into the workflow of its subject — shared by the client and the dispatch
activity, so both start and signal workflows the same way.

* An init event (its type is the subject's orchestrator) uses **signal-with-start**: it creates
  the workflow, or reaches the open one (id conflict policy USE_EXISTING). The id reuse policy is
  REJECT_DUPLICATE, so an event for a *finished* execution raises ``ExecutionClosedError`` instead
  of silently starting a new execution with empty memory (docs/temporal.md §9).
* Any other event is a plain signal to the existing workflow: a reply for an execution that
  does not exist raises ``ExecutionNotFoundError`` rather than starting a workflow that could only
  ignore it and would then block its subject.

Every start records where the execution sits in its orchestration tree: ``ArvoParent`` (the
workflow of the init's ``parentSubject$$``) and ``ArvoRoot`` (the parent's root, read from the
parent's search attributes: one lookup per child start), plus a link to the parent in the
static details the Temporal UI shows (arvo_temporal/temporal/_search_attributes.py says why
these and not Temporal's child workflows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

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
    ARVO_PARENT,
    ARVO_ROOT,
    ARVO_STATUS,
    ARVO_VERSION,
)
from arvo_temporal.temporal._workflow import EVENT_SIGNAL, WORKFLOW_NAME

__all__ = [
    "TreePlace",
    "deliver_event",
    "is_init_event",
    "parse_target",
    "place_in_tree",
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


@dataclass(frozen=True)
class TreePlace:
    """Where an execution sits in its orchestration tree (workflow ids)."""

    root: str
    parent: str | None = None
    namespace: str = "default"


def _parent_subject(event: ArvoEvent) -> str | None:
    parent = event.data.get("parentSubject$$") if isinstance(event.data, dict) else None
    if not isinstance(parent, str) or not ArvoOrchestrationSubject.is_valid(parent):
        return None
    return parent


async def place_in_tree(client: Client, event: ArvoEvent, content: SubjectContent) -> TreePlace:
    """The root and parent of the execution ``event`` (an init) starts: a root is its own root;
    a child's root is its parent's ``ArvoRoot`` (the parent itself when the parent has none, or
    cannot be described)."""
    own = workflow_id_for(event.subject, content)
    parent_subject = _parent_subject(event)
    if parent_subject is None:
        return TreePlace(root=own, namespace=client.namespace)
    parent = workflow_id_for(parent_subject)
    root = parent
    try:
        description = await client.get_workflow_handle(parent).describe()
        root = description.typed_search_attributes.get(ARVO_ROOT) or parent
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
    return TreePlace(root=root, parent=parent, namespace=client.namespace)


def _ui_link(place: TreePlace, workflow_id: str) -> str:
    """A link the Temporal UI's Markdown details open in place (a path on the UI's own origin)."""
    return f"[`{workflow_id}`](/namespaces/{quote(place.namespace, safe='')}/workflows/" + (
        f"{quote(workflow_id, safe='')})"
    )


def start_options(
    event: ArvoEvent, content: SubjectContent, *, task_queue: str, place: TreePlace | None = None
) -> dict[str, Any]:
    """Everything signal-with-start and update-with-start pass to start the execution of
    ``event``'s subject, built in this one place: the workflow, its input and id, the id
    policies, and the search attributes, memo and summary that make it findable in the UI.

    The id reuse policy REJECT_DUPLICATE makes an event for a *finished* execution fail instead
    of starting a new one with empty memory (docs/temporal.md §9).

    Args:
        place: the execution's root and parent (``place_in_tree``); without it, the init's
            ``parentSubject$$`` names the parent and the parent stands for the root.
    """
    workflow_id = workflow_id_for(event.subject, content)
    if place is None:
        parent_subject = _parent_subject(event)
        parent = workflow_id_for(parent_subject) if parent_subject else None
        place = TreePlace(root=parent or workflow_id, parent=parent)
    attributes = [
        SearchAttributePair(ARVO_ORCHESTRATOR, content.orchestrator.name),
        SearchAttributePair(ARVO_VERSION, content.orchestrator.version),
        SearchAttributePair(ARVO_INITIATOR, content.execution.initiator),
        SearchAttributePair(ARVO_STATUS, "active"),
        SearchAttributePair(ARVO_ROOT, place.root),
    ]
    memo: dict[str, Any] = {"subject": event.subject, "execution_id": content.execution.id}
    details = f"Arvo execution `{content.execution.id}`\n\nsubject: `{event.subject}`"
    if place.parent is not None:
        attributes.append(SearchAttributePair(ARVO_PARENT, place.parent))
        memo.update(parent_workflow_id=place.parent, root_workflow_id=place.root)
        details += f"\n\nchild of {_ui_link(place, place.parent)}"
        if place.root != place.parent:
            details += f" · root {_ui_link(place, place.root)}"
    return {
        "workflow": WORKFLOW_NAME,
        "arg": WorkflowInput(orchestrator=content.orchestrator.name, subject=event.subject),
        "id": workflow_id,
        "task_queue": task_queue,
        "id_conflict_policy": WorkflowIDConflictPolicy.USE_EXISTING,
        "id_reuse_policy": WorkflowIDReusePolicy.REJECT_DUPLICATE,
        "search_attributes": TypedSearchAttributes(attributes),
        "memo": memo,
        "static_summary": (
            f"{content.orchestrator.name} {content.orchestrator.version} "
            f"from {content.execution.initiator}"
        ),
        "static_details": details,
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
        place = await place_in_tree(client, event, content)
        try:
            await client.start_workflow(
                **start_options(event, content, task_queue=task_queue, place=place),
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
