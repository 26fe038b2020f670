"""ArvoTemporalClient: send events to Arvo executions on Temporal and look at them.

``send`` is fire and forget (signal-with-start; durable when it returns); ``execute`` waits for
the event to be applied and returns its ``OrchestratorResult`` (update-with-start, update id =
event id, so a caller that timed out re-sends and gets the same answer). Sending the same init
event twice creates one execution: the workflow id comes from the subject and events are
de-duplicated by id (the FlowMonkey seed's idempotency key, done with Temporal's own guarantees).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.client import (
    Client,
    Interceptor,
    WithStartWorkflowOperation,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError, CancelledError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from arvo_temporal.errors import (
    ConfigViolation,
    ContractViolation,
    ExecutionCancelledError,
    ExecutionClosedError,
    ExecutionFailedError,
    ExecutionViolation,
    TransactionCause,
    TransactionViolation,
    ViolationError,
)
from arvo_temporal.events import ArvoEvent
from arvo_temporal.orchestration.result import OrchestratorResult
from arvo_temporal.temporal._app import DEFAULT_TASK_QUEUE
from arvo_temporal.temporal._delivery import (
    deliver_event,
    is_init_event,
    parse_target,
    raise_for_missing,
    start_options,
)
from arvo_temporal.temporal._ids import workflow_id_for
from arvo_temporal.temporal._models import ExecutionStatusView, ExecutionSummary, WorkflowInput
from arvo_temporal.temporal._search_attributes import ARVO_ORCHESTRATOR, ARVO_STATUS
from arvo_temporal.temporal._workflow import (
    CLOSED_EXECUTION,
    EXECUTE_UPDATE,
    WORKFLOW_NAME,
    ArvoMachineWorkflow,
)

__all__ = ["ArvoTemporalClient", "ExecutionListing", "with_arvo_converter"]

_VIOLATIONS: dict[str, type[ViolationError]] = {
    "ConfigViolation": ConfigViolation,
    "ContractViolation": ContractViolation,
    "ExecutionViolation": ExecutionViolation,
}
# At most 10 updates may be in flight per execution (docs/temporal.md §1); back off and retry.
_BUSY_RETRIES = 8


def with_arvo_converter(client: Client) -> Client:
    """The same connection with the pydantic data converter and the OpenTelemetry interceptor,
    which every Arvo client and worker must share (events and results are pydantic models)."""
    config = client.config()
    interceptors: list[Interceptor] = list(config["interceptors"])
    if not any(isinstance(item, TracingInterceptor) for item in interceptors):
        interceptors.append(TracingInterceptor())
    if config["data_converter"] is pydantic_data_converter and len(interceptors) == len(
        config["interceptors"]
    ):
        return client
    config["data_converter"] = pydantic_data_converter
    config["interceptors"] = interceptors
    return Client(**config)


def _violation(error: ApplicationError) -> ViolationError | None:
    """Rebuild the violation an update handler reported, so callers can catch our classes."""
    message = error.message
    if error.type == "TransactionViolation":
        cause_text = message.partition("[")[2].partition("]")[0]
        try:
            cause = TransactionCause(cause_text)
        except ValueError:
            cause = TransactionCause.LOCK_UNACQUIRED
        return TransactionViolation(message.partition("] ")[2] or message, cause=cause)
    kind = _VIOLATIONS.get(error.type or "")
    if kind is None:
        return None
    prefix = f"ViolationError<{kind.kind}> "
    return kind(message.removeprefix(prefix))


@dataclass(frozen=True)
class ExecutionListing:
    """One execution as listed by ``ArvoTemporalClient.list``."""

    workflow_id: str
    subject: str | None
    orchestrator: str | None
    status: str | None
    temporal_status: str | None


class ArvoTemporalClient:
    """A client for Arvo executions on Temporal.

    Args:
        client: a connected ``temporalio`` client; the pydantic converter and the tracing
            interceptor are added if missing.
        task_queue: where new executions run (the worker's task queue).
    """

    def __init__(self, client: Client, *, task_queue: str = DEFAULT_TASK_QUEUE) -> None:
        self.temporal = with_arvo_converter(client)
        self.task_queue = task_queue

    @classmethod
    async def connect(
        cls,
        target: str = "localhost:7233",
        *,
        namespace: str = "default",
        task_queue: str = DEFAULT_TASK_QUEUE,
        tls: bool | TLSConfig | None = None,
        api_key: str | None = None,
        interceptors: Sequence[Interceptor] = (),
    ) -> ArvoTemporalClient:
        """Connect to a Temporal frontend (``host:port``); TLS and API keys for Temporal Cloud.

        ``tls=None`` turns TLS on exactly when an API key is given (Temporal Cloud needs both).
        """
        client = await Client.connect(
            target,
            namespace=namespace,
            tls=tls if tls is not None else api_key is not None,
            api_key=api_key,
            data_converter=pydantic_data_converter,
            interceptors=[*interceptors, TracingInterceptor()],
        )
        return cls(client, task_queue=task_queue)

    def workflow_id(self, subject: str) -> str:
        """The workflow id of a subject's execution (no lookup)."""
        return workflow_id_for(subject)

    def _handle(self, subject: str) -> WorkflowHandle[Any, Any]:
        return self.temporal.get_workflow_handle(workflow_id_for(subject))

    async def send(self, event: ArvoEvent) -> str:
        """Deliver an event (fire and forget). Durable when it returns; returns the workflow id.

        Raises:
            ExecutionViolation: the subject is not an orchestration subject.
            ExecutionClosedError: the execution already finished.
            ExecutionNotFoundError: a non-init event for an execution that does not exist.
        """
        return await deliver_event(self.temporal, event, task_queue=self.task_queue)

    async def execute(self, event: ArvoEvent) -> OrchestratorResult:
        """Apply an event and return what it produced (Arvo's ``execute``).

        Raises:
            ViolationError: the event was refused (Config/Contract/Execution violation).
            ExecutionClosedError / ExecutionNotFoundError: as for ``send``.
        """
        content, workflow_id = parse_target(event)
        for attempt in range(_BUSY_RETRIES):
            try:
                if is_init_event(event, content):
                    return await self._update_with_start(event, content, workflow_id)
                return await self._update(event, workflow_id)
            except RPCError as error:
                if error.status != RPCStatusCode.RESOURCE_EXHAUSTED or attempt == _BUSY_RETRIES - 1:
                    raise
                await asyncio.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _update_with_start(
        self, event: ArvoEvent, content: Any, workflow_id: str
    ) -> OrchestratorResult:
        options = start_options(event, content, workflow_id, self.task_queue)
        operation: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
            WORKFLOW_NAME,
            WorkflowInput(
                orchestrator=content.orchestrator.name,
                subject=event.subject,
                task_queue=self.task_queue,
            ),
            id=options.id,
            task_queue=options.task_queue,
            id_conflict_policy=options.id_conflict_policy,
            id_reuse_policy=options.id_reuse_policy,
            search_attributes=options.search_attributes,
            memo=options.memo,
            static_summary=options.static_summary,
            static_details=options.static_details,
            task_timeout=options.task_timeout,
            result_type=ExecutionSummary,
        )
        try:
            result: OrchestratorResult = await self.temporal.execute_update_with_start_workflow(
                EXECUTE_UPDATE,
                event,
                start_workflow_operation=operation,
                id=event.id,
                result_type=OrchestratorResult,
            )
            return result
        except WorkflowAlreadyStartedError:
            raise ExecutionClosedError(event.subject, workflow_id=workflow_id) from None
        except WorkflowUpdateFailedError as error:
            raise self._update_error(error, event, workflow_id) from None
        finally:
            # Retrieve the start outcome so a failed start never logs an unretrieved exception;
            # the update's own error is what the caller sees.
            with contextlib.suppress(Exception):
                await operation.workflow_handle()

    async def _update(self, event: ArvoEvent, workflow_id: str) -> OrchestratorResult:
        handle = self.temporal.get_workflow_handle(workflow_id)
        try:
            result: OrchestratorResult = await handle.execute_update(
                EXECUTE_UPDATE, event, id=event.id, result_type=OrchestratorResult
            )
            return result
        except WorkflowUpdateFailedError as error:
            raise self._update_error(error, event, workflow_id) from None
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                await raise_for_missing(handle, event)
            raise

    def _update_error(
        self, error: WorkflowUpdateFailedError, event: ArvoEvent, workflow_id: str
    ) -> Exception:
        cause = error.cause
        if isinstance(cause, ApplicationError):
            violation = _violation(cause)
            if violation is not None:
                return violation
            if CLOSED_EXECUTION in cause.message:
                return ExecutionClosedError(event.subject, workflow_id=workflow_id)
            return ExecutionViolation(cause.message)
        return error

    async def snapshot(
        self, subject: str, *, rpc_timeout: timedelta | None = None
    ) -> dict[str, Any] | None:
        """The execution's machine memory record (also works after it finished; a query needs
        a running worker, so pass ``rpc_timeout`` to bound the wait when none may be up)."""
        result: dict[str, Any] | None = await self._handle(subject).query(
            "snapshot", rpc_timeout=rpc_timeout
        )
        return result

    async def status(
        self, subject: str, *, rpc_timeout: timedelta | None = None
    ) -> ExecutionStatusView:
        """What the execution is doing now (a query; see ``snapshot`` on ``rpc_timeout``)."""
        handle = self.temporal.get_workflow_handle_for(
            ArvoMachineWorkflow.run, workflow_id_for(subject)
        )
        return await handle.query(ArvoMachineWorkflow.status, rpc_timeout=rpc_timeout)

    async def cancel(self, subject: str, *, reason: str = "cancelled by a client") -> None:
        """End the execution as ``cancelled``; its initiator receives ``sys.<source>.error``."""
        handle = self._handle(subject)
        await handle.signal("arvo_cancel", reason)
        await handle.cancel()

    async def result(self, subject: str, *, wait: timedelta | None = None) -> dict[str, Any]:
        """Wait for the execution to finish and return the machine's output.

        Raises:
            ExecutionFailedError: it failed (a machine error) or was rejected (a bad init).
            ExecutionCancelledError: it was cancelled or timed out.
        """
        handle = self.temporal.get_workflow_handle_for(
            ArvoMachineWorkflow.run, workflow_id_for(subject)
        )
        try:
            waiting = handle.result()
            summary: ExecutionSummary = (
                await asyncio.wait_for(waiting, wait.total_seconds()) if wait else await waiting
            )
        except WorkflowFailureError as error:
            if isinstance(error.cause, CancelledError):
                memo = await (await handle.describe()).memo()
                reason = memo.get("cancel_reason") or str(error.cause)
                raise ExecutionCancelledError(str(reason), workflow_id=handle.id) from None
            raise ExecutionFailedError(
                str(error.cause or error), workflow_id=handle.id, status="failed"
            ) from None
        if summary.status == "cancelled":
            raise ExecutionCancelledError(summary.error or "cancelled", workflow_id=handle.id)
        if summary.status != "done":
            raise ExecutionFailedError(
                summary.error or summary.status, workflow_id=handle.id, status=summary.status
            )
        return summary.output or {}

    async def list(
        self, *, orchestrator: str | None = None, status: str | None = None, limit: int = 100
    ) -> list[ExecutionListing]:
        """Executions by search attributes (``ArvoOrchestrator``, ``ArvoStatus``)."""
        clauses = [f"WorkflowType = '{WORKFLOW_NAME}'"]
        if orchestrator:
            clauses.append(f"{ARVO_ORCHESTRATOR.name} = '{orchestrator}'")
        if status:
            clauses.append(f"{ARVO_STATUS.name} = '{status}'")
        listings: list[ExecutionListing] = []
        async for execution in self.temporal.list_workflows(" AND ".join(clauses), limit=limit):
            memo = await execution.memo()
            attributes = execution.typed_search_attributes
            listings.append(
                ExecutionListing(
                    workflow_id=execution.id,
                    subject=memo.get("subject"),
                    orchestrator=attributes.get(ARVO_ORCHESTRATOR),
                    status=attributes.get(ARVO_STATUS),
                    temporal_status=execution.status.name if execution.status else None,
                )
            )
        return listings
