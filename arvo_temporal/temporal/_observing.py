"""Finding executions by what they are doing: visibility queries on Arvo's search attributes,
the human-task inbox, and what a finished execution says without a worker.

``ArvoTemporalClient.list`` / ``tasks`` / ``wait_for`` are thin over these. Listing reads search
attributes only (no worker needed); the task inbox finds the executions with a request awaiting a
reply through ``ArvoTaskDomains`` and asks each one's ``status`` query for the requests (a few at
a time, so a long inbox never floods the workers).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.service import RPCError

from arvo_temporal.errors import ConfigViolation
from arvo_temporal.subject import ArvoOrchestrationSubject
from arvo_temporal.temporal._models import (
    ExecutionStatus,
    ExecutionStatusView,
    ExecutionSummary,
    OpenRequest,
    WaitOutcome,
    WaitRequest,
)
from arvo_temporal.temporal._search_attributes import (
    ARVO_ORCHESTRATOR,
    ARVO_PARENT,
    ARVO_ROOT,
    ARVO_STATE,
    ARVO_STATUS,
    ARVO_TASK_DOMAINS,
)
from arvo_temporal.temporal._workflow import WORKFLOW_NAMES, ArvoMachineWorkflow

__all__ = [
    "STATUS_QUERIES_IN_FLIGHT",
    "ExecutionListing",
    "HumanTask",
    "closed_wait_outcome",
    "listing_of",
    "open_tasks",
    "visibility_query",
]

STATUS_QUERIES_IN_FLIGHT = 8
"""``status`` queries ``tasks`` keeps in flight at once."""

_TEMPORAL_TO_ARVO: dict[WorkflowExecutionStatus, ExecutionStatus] = {
    WorkflowExecutionStatus.COMPLETED: "done",
    WorkflowExecutionStatus.CANCELED: "cancelled",
    WorkflowExecutionStatus.TERMINATED: "cancelled",
    WorkflowExecutionStatus.TIMED_OUT: "cancelled",
    WorkflowExecutionStatus.FAILED: "failed",
}


@dataclass(frozen=True)
class ExecutionListing:
    """One execution as listed by ``ArvoTemporalClient.list``.

    Attributes:
        root / parent: the workflow ids of its orchestration tree's root and of its parent
            (None for executions started before these were recorded, and parent for a root).
        states: its active states (dotted paths) as last published (``ArvoState``).
    """

    workflow_id: str
    subject: str | None
    orchestrator: str | None
    status: str | None
    temporal_status: str | None
    root: str | None = None
    parent: str | None = None
    states: tuple[str, ...] = ()


@dataclass(frozen=True)
class HumanTask:
    """A request awaiting a reply (``arvo-temporal tasks``): the execution and the request."""

    workflow_id: str
    subject: str
    orchestrator: str
    request: OpenRequest


def _literal(field: str, value: str) -> str:
    """``value`` as a visibility-query string literal; quotes and backslashes are refused (they
    would change the query)."""
    if "'" in value or "\\" in value or "\n" in value:
        raise ConfigViolation(f"{field} cannot contain quotes, backslashes or newlines: {value!r}")
    return f"'{value}'"


def visibility_query(
    *,
    orchestrator: str | None = None,
    status: str | None = None,
    state: str | None = None,
    root: str | None = None,
    task_domain: str | None = None,
    with_tasks: bool = False,
    running: bool = False,
    parent: str | None = None,
) -> str:
    """The visibility query of Arvo executions matching every filter that is given.

    Raises:
        ConfigViolation: a value with a quote, backslash or newline (named).
    """
    types = ", ".join(f"'{name}'" for name in WORKFLOW_NAMES)
    clauses = [f"WorkflowType IN ({types})"]
    for key, field, value in (
        (ARVO_ORCHESTRATOR.name, "orchestrator", orchestrator),
        (ARVO_STATUS.name, "status", status),
        (ARVO_STATE.name, "state", state),
        (ARVO_ROOT.name, "root", root),
        (ARVO_TASK_DOMAINS.name, "domain", task_domain),
        (ARVO_PARENT.name, "parent", parent),
    ):
        if value:
            clauses.append(f"{key} = {_literal(field, value)}")
    if with_tasks and not task_domain:
        clauses.append(f"{ARVO_TASK_DOMAINS.name} IS NOT NULL")
    if running:
        clauses.append("ExecutionStatus = 'Running'")
    return " AND ".join(clauses)


async def listing_of(execution: WorkflowExecution) -> ExecutionListing:
    """An execution of a visibility listing (or a description) as ``ExecutionListing``."""
    try:
        memo = await execution.memo()
    except (KeyError, ValueError, RuntimeError):
        memo = {}  # written with a codec this client lacks: listed without its subject
    attributes = execution.typed_search_attributes
    return ExecutionListing(
        workflow_id=execution.id,
        subject=memo.get("subject"),
        orchestrator=attributes.get(ARVO_ORCHESTRATOR),
        status=attributes.get(ARVO_STATUS),
        temporal_status=execution.status.name if execution.status else None,
        root=attributes.get(ARVO_ROOT),
        parent=attributes.get(ARVO_PARENT),
        states=tuple(attributes.get(ARVO_STATE) or ()),
    )


async def open_tasks(
    client: Client,
    *,
    domain: str | None = None,
    limit: int = 100,
    rpc_timeout: timedelta | None = None,
    task_queue: str | None = None,
    unanswered: list[tuple[str, str]] | None = None,
) -> list[HumanTask]:
    """Requests awaiting a reply in running executions (into ``domain``, or any non-default
    one; on ``task_queue`` when given), oldest first.

    ``limit`` bounds the executions asked; each one's ``status`` query needs a worker, and
    ``rpc_timeout`` bounds the wait for one. An execution that does not answer (no worker for
    its task queue) is left out and, when ``unanswered`` is given, appended to it with the
    reason: one stopped worker must not hide every other execution's requests.
    """
    query = visibility_query(task_domain=domain, with_tasks=True, running=True)
    if task_queue:
        query += f" AND TaskQueue = '{task_queue}'"
    executions = [execution async for execution in client.list_workflows(query, limit=limit)]
    gate = asyncio.Semaphore(STATUS_QUERIES_IN_FLIGHT)

    async def ask(execution: WorkflowExecution) -> list[HumanTask]:
        async with gate:
            handle = client.get_workflow_handle_for(ArvoMachineWorkflow.run, execution.id)
            try:
                view = await handle.query(ArvoMachineWorkflow.status, rpc_timeout=rpc_timeout)
            except (RPCError, WorkflowQueryFailedError) as error:
                if unanswered is not None:
                    unanswered.append((execution.id, str(error)))
                return []
        return [
            HumanTask(
                workflow_id=execution.id,
                subject=view.subject,
                orchestrator=view.orchestrator,
                request=request,
            )
            for request in view.open_requests
            if domain is None or request.domain == domain
        ]

    found = [task for tasks in await asyncio.gather(*map(ask, executions)) for task in tasks]
    return sorted(found, key=lambda task: task.request.emitted_ms)


async def closed_wait_outcome(
    handle: WorkflowHandle[ArvoMachineWorkflow, ExecutionSummary],
    subject: str,
    request: WaitRequest,
) -> WaitOutcome:
    """``wait_for`` on an execution that had already closed: answered from its description
    (status, ``ArvoState``) and, when it completed, its result; no worker is needed.

    Raises:
        temporalio.service.RPCError: the execution does not exist (NOT_FOUND).
    """
    description = await handle.describe()
    states: Sequence[str] = description.typed_search_attributes.get(ARVO_STATE) or ()
    status: ExecutionStatus = "failed"
    if description.status is not None:
        status = _TEMPORAL_TO_ARVO.get(description.status, "failed")
    view = ExecutionStatusView(
        subject=subject,
        orchestrator=ArvoOrchestrationSubject.parse(subject).orchestrator.name,
        status=status,
        states=list(states),
    )
    if description.status == WorkflowExecutionStatus.COMPLETED:
        summary = await handle.result()
        view = view.model_copy(
            update={
                "status": summary.status,
                "value": summary.value,
                "processed": summary.processed,
            }
        )
    state_holds = request.state is None or request.state in states
    met = state_holds and request.tag is None
    return WaitOutcome(reason="met" if met else "ended", status=view)
