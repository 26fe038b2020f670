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
    Plugin,
    WithStartWorkflowOperation,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.exceptions import ApplicationError, CancelledError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from arvo_temporal.errors import (
    ExecutionCancelledError,
    ExecutionClosedError,
    ExecutionFailedError,
    ExecutionNotFoundError,
    ExecutionViolation,
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
from arvo_temporal.temporal._errors import RETRYABLE_TYPES, error_from_failure
from arvo_temporal.temporal._ids import workflow_id_for
from arvo_temporal.temporal._models import ExecutionStatusView, ExecutionSummary
from arvo_temporal.temporal._plugin import ArvoPlugin, arvo_data_converter, tracing_configured
from arvo_temporal.temporal._search_attributes import ARVO_ORCHESTRATOR, ARVO_STATUS
from arvo_temporal.temporal._workflow import (
    EXECUTE_UPDATE,
    WORKFLOW_NAME,
    ArvoMachineWorkflow,
)

__all__ = ["ArvoTemporalClient", "ExecutionListing", "with_arvo_converter"]

# Back off and retry when Temporal's in-flight update limit is reached (docs/temporal.md §1) or
# the execution is handing over to its next run.
_RETRIES = 10


class _RetryUpdate(Exception):
    """An update refused for a reason that passes by itself (continuing as new)."""


def with_arvo_converter(client: Client) -> Client:
    """``client`` itself if its data converter already carries Arvo's pydantic models, else the
    same connection with pydantic conversion added (keeping its codec and failure converter)."""
    config = client.config()
    converter = arvo_data_converter(config["data_converter"])
    if converter is config["data_converter"]:
        return client
    config["data_converter"] = converter
    return Client(**config)


@dataclass(frozen=True)
class ExecutionListing:
    """One execution as listed by ``ArvoTemporalClient.list``."""

    workflow_id: str
    subject: str | None
    orchestrator: str | None
    status: str | None
    temporal_status: str | None


class ArvoTemporalClient:
    """Arvo's verbs over a Temporal client: send, execute, status, snapshot, result, cancel, list.

    Args:
        client: a connected ``temporalio`` client, best built with ``plugins=[ArvoPlugin(...)]``;
            pydantic conversion is added if its converter lacks it (its codec is kept).
        task_queue: where new executions run (the workers' task queue).
    """

    def __init__(self, client: Client, *, task_queue: str = DEFAULT_TASK_QUEUE) -> None:
        self.temporal = with_arvo_converter(client)
        self.task_queue = task_queue

    @classmethod
    async def connect(
        cls,
        target: str = "localhost:7233",
        *,
        task_queue: str = DEFAULT_TASK_QUEUE,
        plugins: Sequence[Plugin] = (),
        **connect_options: Any,
    ) -> ArvoTemporalClient:
        """``Client.connect(target, **connect_options)`` with Arvo's data converter.

        ``connect_options`` are ``Client.connect``'s (``namespace``, ``tls``, ``api_key``,
        ``data_converter`` with your ``payload_codec``, ``interceptors``, ...); the converter
        gains pydantic conversion (the codec is kept) and, when OpenTelemetry tracing is set
        up, Temporal's tracing interceptor is added. Give ``plugins=[ArvoPlugin(app)]`` to let
        workers built on this client serve the app.
        """
        plugins = list(plugins)
        if not any(isinstance(plugin, ArvoPlugin) for plugin in plugins):
            # No plugin here: a worker built later with create_worker adds ArvoPlugin(app),
            # and the SDK warns when one plugin type is on both the client and the worker.
            connect_options["data_converter"] = arvo_data_converter(
                connect_options.get("data_converter")
            )
            if tracing_configured():
                interceptors = list(connect_options.get("interceptors", ()))
                connect_options["interceptors"] = [*interceptors, TracingInterceptor()]
        client = await Client.connect(target, plugins=plugins, **connect_options)
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
            ViolationError: the event was refused (Config/Contract/Execution/Transaction
                violation), rebuilt from the workflow's typed failure.
            ExecutionClosedError / ExecutionNotFoundError: as for ``send``.
        """
        content, workflow_id = parse_target(event)
        for attempt in range(_RETRIES):
            try:
                if is_init_event(event, content):
                    return await self._update_with_start(event, content, workflow_id)
                return await self._update(event, workflow_id)
            except _RetryUpdate as busy:
                if attempt == _RETRIES - 1:
                    raise ExecutionViolation(f"{workflow_id}: {busy}; try again") from None
            except RPCError as error:
                if error.status != RPCStatusCode.RESOURCE_EXHAUSTED or attempt == _RETRIES - 1:
                    raise
            await asyncio.sleep(min(0.05 * 2**attempt, 2.0))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _update_with_start(
        self, event: ArvoEvent, content: Any, workflow_id: str
    ) -> OrchestratorResult:
        operation: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
            **start_options(event, content, task_queue=self.task_queue),
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
            raise self._update_error(error) from None
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
            raise self._update_error(error) from None
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                await raise_for_missing(handle, event)
            raise

    @staticmethod
    def _update_error(error: WorkflowUpdateFailedError) -> Exception:
        """The Arvo error a failed update carries, rebuilt from its type and fields."""
        cause = error.cause
        if isinstance(cause, ApplicationError):
            if cause.type in RETRYABLE_TYPES:
                return _RetryUpdate(cause.message)
            return error_from_failure(cause)
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
        """End the execution as ``cancelled``; its initiator receives ``sys.<source>.error``.

        One Temporal cancel request carrying the reason (the workflow reads it with
        ``workflow.cancellation_reason()``): no signal beside it, so the cancellation is
        applied once, in one workflow task, and the run ends as Temporal's CANCELED.
        """
        handle = self._handle(subject)
        try:
            description = await handle.describe()
            if description.close_time is not None:
                raise ExecutionClosedError(subject, workflow_id=handle.id)
            await handle.cancel(reason=reason)
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                raise ExecutionNotFoundError(subject, workflow_id=handle.id) from None
            raise

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
