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
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from temporalio.client import (
    Client,
    Plugin,
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.exceptions import ApplicationError, CancelledError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from arvo_temporal.errors import (
    ConfigViolation,
    ExecutionCancelledError,
    ExecutionClosedError,
    ExecutionFailedError,
    ExecutionNotFoundError,
    ExecutionTimeoutError,
    TemporalUnavailableError,
)
from arvo_temporal.events import ArvoEvent
from arvo_temporal.orchestration.result import OrchestratorResult
from arvo_temporal.temporal._app import DEFAULT_TASK_QUEUE
from arvo_temporal.temporal._cascade import cancel_descendants
from arvo_temporal.temporal._delivery import (
    deliver_event,
    is_init_event,
    parse_target,
    place_in_tree,
    raise_for_missing,
    start_options,
)
from arvo_temporal.temporal._errors import ENDING_FAILURES, RETRYABLE_TYPES, error_from_failure
from arvo_temporal.temporal._ids import workflow_id_for
from arvo_temporal.temporal._limits import DEFAULT_MAX_EVENT_BYTES, check_event
from arvo_temporal.temporal._models import (
    ExecutionStatusView,
    ExecutionSummary,
    OperatorOutcome,
    OperatorRequest,
    WaitOutcome,
    WaitRequest,
)
from arvo_temporal.temporal._observing import (
    ExecutionListing,
    HumanTask,
    closed_wait_outcome,
    listing_of,
    open_tasks,
    visibility_query,
)
from arvo_temporal.temporal._operator_updates import send_operator_update
from arvo_temporal.temporal._plugin import ArvoPlugin, arvo_data_converter, tracing_configured
from arvo_temporal.temporal._redrive import RedriveOutcome, redrive_execution
from arvo_temporal.temporal._workflow import (
    DELIVER_UPDATE,
    EXECUTE_UPDATE,
    PAUSE_UPDATE,
    RESUME_UPDATE,
    WAIT_UPDATE,
    ArvoMachineWorkflow,
)

__all__ = [
    "ACCEPT_WAIT",
    "DEFAULT_WAIT",
    "ArvoTemporalClient",
    "with_arvo_converter",
]

_T = TypeVar("_T")

DEFAULT_WAIT = timedelta(seconds=60)
# Retried until the deadline: the in-flight update limit (docs/temporal.md §1), an update
# aborted because its run closed (it continued as new), a server that is briefly unavailable.
_PASSING = frozenset(
    {
        RPCStatusCode.RESOURCE_EXHAUSTED,
        RPCStatusCode.ABORTED,
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
    }
)
_FIRST_RETRY_DELAY = 0.02
ACCEPT_WAIT = timedelta(seconds=3)
"""How long ``send`` waits for a worker to accept an event for a running execution before it
signals it instead (durable without a worker)."""
_MAX_RETRY_DELAY = 1.0
_WAIT_ANSWER_SLACK = 5.0
"""Seconds ``wait_for`` gives the workflow's own timeout answer to arrive after the timeout."""


UPDATES_IN_FLIGHT_PER_EXECUTION = 8
"""Updates one client keeps in flight per execution (Temporal refuses more than ten)."""


class _SubjectLanes:
    """A semaphore per workflow id, dropped when nobody holds or waits for it."""

    def __init__(self, width: int) -> None:
        self._width = width
        self._lanes: dict[str, tuple[asyncio.Semaphore, int]] = {}

    @contextlib.asynccontextmanager
    async def lane(self, key: str) -> AsyncIterator[None]:
        semaphore, users = self._lanes.get(key, (asyncio.Semaphore(self._width), 0))
        self._lanes[key] = (semaphore, users + 1)
        try:
            async with semaphore:
                yield
        finally:
            semaphore, users = self._lanes[key]
            if users == 1:
                del self._lanes[key]
            else:
                self._lanes[key] = (semaphore, users - 1)


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _rpc_error(error: RPCError) -> Exception:
    """An RPC failure as an Arvo error (the caller never sees the SDK's ``RPCError``)."""
    return TemporalUnavailableError(
        f"Temporal refused the request ({error.status.name}): {error.message}"
    )


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


class ArvoTemporalClient:
    """Arvo's verbs over a Temporal client: send, execute, status, snapshot, result, cancel, list.

    Args:
        client: a connected ``temporalio`` client, best built with ``plugins=[ArvoPlugin(...)]``;
            pydantic conversion is added if its converter lacks it (its codec is kept).
        task_queue: where new executions run (the workers' task queue).
        wait: how long ``send`` and ``execute`` wait at most (retries included) before
            raising ``ExecutionTimeoutError``; 60 s by default.
        max_event_bytes: the largest event (JSON) accepted; Temporal's payload limit is 2 MiB.
    """

    def __init__(
        self,
        client: Client,
        *,
        task_queue: str = DEFAULT_TASK_QUEUE,
        wait: timedelta = DEFAULT_WAIT,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        self.temporal = with_arvo_converter(client)
        self.task_queue = task_queue
        self.wait = wait
        self.max_event_bytes = max_event_bytes
        self._lanes = _SubjectLanes(UPDATES_IN_FLIGHT_PER_EXECUTION)

    @classmethod
    async def connect(
        cls,
        target: str = "localhost:7233",
        *,
        task_queue: str = DEFAULT_TASK_QUEUE,
        wait: timedelta = DEFAULT_WAIT,
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
        return cls(client, task_queue=task_queue, wait=wait)

    def workflow_id(self, subject: str) -> str:
        """The workflow id of a subject's execution (no lookup)."""
        return workflow_id_for(subject)

    def _handle(self, subject: str) -> WorkflowHandle[Any, Any]:
        return self.temporal.get_workflow_handle(workflow_id_for(subject))

    async def send(self, event: ArvoEvent, *, wait: timedelta | None = None) -> str:
        """Deliver an event (fire and forget). Durable when it returns; returns the workflow id.

        Raises:
            ExecutionViolation: the subject is not an orchestration subject.
            ArvoEventValidationError / EventTooLargeError: the event cannot travel (named field).
            ExecutionClosedError: the execution already finished.
            ExecutionNotFoundError: a non-init event for an execution that does not exist.
            ExecutionTimeoutError: Temporal did not take it within ``wait``.
            TemporalUnavailableError: Temporal could not be reached or refused the request.
        """
        check_event(event, max_bytes=self.max_event_bytes)
        content, workflow_id = parse_target(event)
        if is_init_event(event, content):
            # Started with the init in its input: durable at once, with or without a worker.
            return await self._bounded(
                lambda: self._start_with(event, content, workflow_id),
                workflow_id=workflow_id,
                wait=wait,
            )

        async def attempt() -> str:
            async with self._lanes.lane(workflow_id):
                await self._deliver(event, workflow_id)
            return workflow_id

        return await self._bounded(attempt, workflow_id=workflow_id, wait=wait)

    async def _start_with(self, event: ArvoEvent, content: Any, workflow_id: str) -> str:
        """Start the execution with its init in the start input (no signal event beside the
        start); an execution that exists already gets the event as any other send (a running
        one applies it once, a finished one raises ``ExecutionClosedError``)."""
        options = start_options(event, content, task_queue=self.task_queue)
        options["arg"] = options["arg"].model_copy(update={"init": event})
        options["id_conflict_policy"] = WorkflowIDConflictPolicy.FAIL
        try:
            await self.temporal.start_workflow(**options)
        except WorkflowAlreadyStartedError:
            async with self._lanes.lane(workflow_id):
                await self._deliver(event, workflow_id)
        return workflow_id

    async def _deliver(self, event: ArvoEvent, workflow_id: str) -> None:
        """Deliver to a running execution as an update accepted by its worker (it never races
        continue-as-new, which a signal does: ``ArvoMachineWorkflow.deliver``); when no worker
        accepts it within ``ACCEPT_WAIT``, as a signal, which is durable without one. Both carry
        the event id, so an update accepted later as well is applied once."""
        handle = self.temporal.get_workflow_handle(workflow_id)
        try:
            async with asyncio.timeout(ACCEPT_WAIT.total_seconds()):
                await handle.start_update(
                    DELIVER_UPDATE,
                    event,
                    id=f"send/{event.id}",
                    wait_for_stage=WorkflowUpdateStage.ACCEPTED,
                )
            return
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            if _being_cancelled():
                raise asyncio.CancelledError from None
        except WorkflowUpdateFailedError as error:
            raise self._update_error(error) from None
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                await raise_for_missing(handle, event)
            raise
        await deliver_event(self.temporal, event, task_queue=self.task_queue)

    async def execute(
        self, event: ArvoEvent, *, wait: timedelta | None = None
    ) -> OrchestratorResult:
        """Apply an event and return what it produced (Arvo's ``execute``).

        Retries, unseen, while Temporal's in-flight update limit is reached, an update was
        aborted, or the run hands over to its continue-as-new successor; the update id is the
        event id, so a retry never applies the event twice.

        Raises:
            ViolationError: the event was refused (Config/Contract/Execution/Transaction
                violation), rebuilt from the workflow's typed failure.
            ArvoEventValidationError / EventTooLargeError: the event cannot travel.
            ExecutionClosedError / ExecutionNotFoundError: as for ``send``.
            ExecutionTimeoutError: no answer within ``wait`` (the client's by default).
            TemporalUnavailableError: Temporal could not be reached or refused the request.
        """
        check_event(event, max_bytes=self.max_event_bytes)
        content, workflow_id = parse_target(event)

        async def attempt() -> OrchestratorResult:
            # At most a few updates per execution in flight from this client: beyond Temporal's
            # limit of ten the server refuses them, and a storm of refusals and retries slows
            # every caller; waiting here costs nothing.
            async with self._lanes.lane(workflow_id):
                if is_init_event(event, content):
                    return await self._update_with_start(event, content, workflow_id)
                return await self._update(event, workflow_id)

        return await self._bounded(attempt, workflow_id=workflow_id, wait=wait)

    async def _bounded(
        self,
        attempt: Callable[[], Awaitable[_T]],
        *,
        workflow_id: str,
        wait: timedelta | None,
    ) -> _T:
        """Run ``attempt`` until it answers, retrying what passes by itself, within a deadline."""
        limit = (wait or self.wait).total_seconds()
        delay = _FIRST_RETRY_DELAY
        last = "no answer"
        try:
            async with asyncio.timeout(limit):
                while True:
                    try:
                        return await attempt()
                    except _RetryUpdate as busy:
                        last = str(busy)
                    except WorkflowUpdateRPCTimeoutOrCancelledError:
                        # The SDK turns a cancelled update call into this error: when the
                        # cancellation was ours (the deadline) or the caller's, stop here.
                        if _being_cancelled():
                            raise asyncio.CancelledError from None
                        last = "the update's long poll timed out"
                    except RPCError as error:
                        if _being_cancelled():
                            raise asyncio.CancelledError from None
                        if error.status not in _PASSING:
                            raise _rpc_error(error) from None
                        last = f"{error.status.name}: {error.message}"
                    # Jittered, so callers that collided do not collide again in step.
                    await asyncio.sleep(delay * (0.5 + random.random()))
                    delay = min(delay * 2, _MAX_RETRY_DELAY)
        except TimeoutError:
            raise ExecutionTimeoutError(
                f"no answer from execution {workflow_id} within {limit:g}s (last: {last}); "
                "the same event may be sent again, it is applied once",
                workflow_id=workflow_id,
            ) from None

    async def _update_with_start(
        self, event: ArvoEvent, content: Any, workflow_id: str
    ) -> OrchestratorResult:
        place = await place_in_tree(self.temporal, event, content)
        operation: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
            **start_options(event, content, task_queue=self.task_queue, place=place),
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
            # the update's own error is what the caller sees. Never wait for it: a request that
            # was never sent leaves it pending for ever.
            started = operation._workflow_handle
            if started.done() and not started.cancelled():
                started.exception()

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

    async def cancel(
        self, subject: str, *, reason: str = "cancelled by a client", cascade: bool = True
    ) -> list[str]:
        """End the execution as ``cancelled``; its initiator receives ``sys.<source>.error``.

        One Temporal cancel request carrying the reason (the workflow reads it with
        ``workflow.cancellation_reason()``): no signal beside it, so the cancellation is
        applied once, in one workflow task, and the run ends as Temporal's CANCELED.

        With ``cascade`` (the default), the executions it started (found by ``ArvoParent``),
        theirs, and so on, are cancelled too, each telling its parent as Arvo does
        (arvo_temporal/temporal/_cascade.py); returns their workflow ids. The parent goes
        first, so it does not react to its children's errors. Cancelling again an execution
        that was cancelled still cascades (a retry finishes what a failed call began), then
        raises ``ExecutionClosedError``.
        """
        handle = self._handle(subject)
        try:
            description = await handle.describe()
            closed = description.close_time is not None
            if not closed:
                await handle.cancel(reason=reason)
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                raise ExecutionNotFoundError(subject, workflow_id=handle.id) from None
            raise
        # A parent that ended otherwise (done, failed) leaves its children alone.
        cancelled = description.status == WorkflowExecutionStatus.CANCELED
        cascading = cascade and (not closed or cancelled)
        children = await cancel_descendants(self.temporal, handle.id, reason) if cascading else []
        if closed:
            raise ExecutionClosedError(subject, workflow_id=handle.id)
        return children

    async def pause(
        self, subject: str, *, reason: str = "", identity: str = "arvo-temporal"
    ) -> OperatorOutcome:
        """Hold the execution's events and timers until ``resume`` (status ``paused``); events
        sent meanwhile are kept, in order, and applied on resume. Pausing a paused execution
        changes nothing (``outcome.changed`` is False).

        Raises:
            OperationRefusedError: the execution has ended.
            ExecutionNotFoundError: no execution for the subject.
        """
        return await self._operator_update(PAUSE_UPDATE, subject, reason, identity)

    async def resume(
        self, subject: str, *, reason: str = "", identity: str = "arvo-temporal"
    ) -> OperatorOutcome:
        """Apply what a pause held, in the order it happened (events that arrived, timers that
        fell due), and carry on. Resuming an execution that is not paused changes nothing.

        Raises:
            OperationRefusedError: the execution has ended.
            ExecutionNotFoundError: no execution for the subject.
        """
        return await self._operator_update(RESUME_UPDATE, subject, reason, identity)

    async def redrive(
        self,
        subject: str,
        *,
        skip_event: str | None = None,
        identity: str = "arvo-temporal",
        reason: str = "",
    ) -> RedriveOutcome:
        """Bring a failed execution (a machine error) back from its last good record, in the
        same subject with its de-dup window, applying the event that failed again (or skipping
        ``skip_event``) on the machine code the workers run now
        (arvo_temporal/temporal/_redrive.py). The status query, the memo and the run's summary
        say who redrove it, when and from which failed run. Redriving again changes nothing.

        Raises:
            OperationRefusedError: it did not fail (running, done, cancelled, rejected …), or
                ``skip_event`` is not the event that failed it.
            ExecutionNotFoundError: no execution for the subject.
        """
        return await redrive_execution(
            self.temporal,
            workflow_id_for(subject),
            skip_event=skip_event,
            identity=identity,
            reason=reason,
        )

    async def _operator_update(
        self, name: str, subject: str, reason: str, identity: str
    ) -> OperatorOutcome:
        workflow_id = workflow_id_for(subject)
        request = OperatorRequest(identity=identity, reason=reason)

        async def attempt() -> OperatorOutcome:
            return await send_operator_update(
                self.temporal, workflow_id, name, request, subject=subject
            )

        return await self._bounded(attempt, workflow_id=workflow_id, wait=None)

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
            cause = error.cause
            if isinstance(cause, CancelledError):
                memo = await (await handle.describe()).memo()
                reason = memo.get("cancel_reason") or str(cause)
                raise ExecutionCancelledError(str(reason), workflow_id=handle.id) from None
            status = "failed"
            message = str(cause or error)
            if isinstance(cause, ApplicationError) and cause.type in ENDING_FAILURES:
                # The workflow ended the run FAILED on purpose; its details say how.
                fields = cause.details[0] if cause.details else {}
                status = str(fields.get("status", status)) if isinstance(fields, dict) else status
                message = cause.message
            raise ExecutionFailedError(message, workflow_id=handle.id, status=status) from None
        if summary.status == "cancelled":
            raise ExecutionCancelledError(summary.error or "cancelled", workflow_id=handle.id)
        if summary.status != "done":
            raise ExecutionFailedError(
                summary.error or summary.status, workflow_id=handle.id, status=summary.status
            )
        return summary.output or {}

    async def find_in_state(
        self, state: str, *, orchestrator: str | None = None, limit: int = 100
    ) -> list[ExecutionListing]:
        """Running executions in ``state`` (a dotted path; see ``list``)."""
        return await self.list(orchestrator=orchestrator, state=state, running=True, limit=limit)

    async def tasks(
        self,
        *,
        domain: str | None = None,
        limit: int = 100,
        rpc_timeout: timedelta | None = None,
        unanswered: list[tuple[str, str]] | None = None,
    ) -> list[HumanTask]:
        """Requests sent to a person or another system (events into a non-default domain,
        ``domain`` when given) that still wait for a reply, in executions on this client's task
        queue, oldest first. Answered by each execution's ``status`` query, so a worker must be
        running (``rpc_timeout`` bounds the wait for one); executions that do not answer are
        left out and listed in ``unanswered`` (id, reason) when given."""
        return await open_tasks(
            self.temporal,
            domain=domain,
            limit=limit,
            rpc_timeout=rpc_timeout,
            task_queue=self.task_queue,
            unanswered=unanswered,
        )

    async def wait_for(
        self,
        subject: str,
        *,
        state: str | None = None,
        tag: str | None = None,
        done: bool = False,
        # The workflow enforces this timeout (a durable timer), not an asyncio scope here.
        timeout: timedelta | None = None,  # noqa: ASYNC109
    ) -> WaitOutcome:
        """Wait until the execution is in ``state`` (a dotted path; a compound state counts
        while any child is active) and has ``tag`` (each when given), or, with ``done``, has
        ended; returns the status and record at that moment.

        No polling: the workflow's ``arvo_wait`` update answers as soon as the condition holds
        (or the execution ends without it: ``outcome.reason == "ended"``). An execution that
        continues as new meanwhile hands the wait to its next run; one that had already closed
        is answered from its description (``record`` is then None).

        Raises:
            ConfigViolation: no condition given.
            UnknownStateError: the machine has no such state.
            ExecutionNotFoundError: no execution for the subject.
            ExecutionTimeoutError: the condition did not hold within ``timeout`` (the client's
                ``wait`` by default).
        """
        if state is None and tag is None and not done:
            raise ConfigViolation("wait_for needs a condition: state=, tag= or done=True")
        workflow_id = workflow_id_for(subject)
        handle = self.temporal.get_workflow_handle(workflow_id)
        limit = (timeout or self.wait).total_seconds()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit

        async def attempt() -> WaitOutcome:
            request = WaitRequest(
                state=state,
                tag=tag,
                done=done,
                timeout_ms=max(1.0, (deadline - loop.time()) * 1000),
            )
            try:
                outcome: WaitOutcome = await handle.execute_update(
                    WAIT_UPDATE, request, id=f"wait/{uuid.uuid4()}", result_type=WaitOutcome
                )
                return outcome
            except WorkflowUpdateFailedError as error:
                raise self._update_error(error) from None
            except RPCError as error:
                if error.status != RPCStatusCode.NOT_FOUND:
                    raise
            try:
                return await closed_wait_outcome(
                    self.temporal.get_workflow_handle_for(ArvoMachineWorkflow.run, workflow_id),
                    subject,
                    request,
                )
            except RPCError as error:
                if error.status == RPCStatusCode.NOT_FOUND:
                    raise ExecutionNotFoundError(subject, workflow_id=workflow_id) from None
                raise

        outcome = await self._bounded(
            attempt,
            workflow_id=workflow_id,
            wait=timedelta(seconds=limit + _WAIT_ANSWER_SLACK),
        )
        if outcome.reason == "timeout":
            raise ExecutionTimeoutError(
                f"execution {workflow_id} did not reach the condition within {limit:g}s "
                f"(it is {outcome.status.status}, in {outcome.status.states or 'no state'})",
                workflow_id=workflow_id,
            )
        return outcome

    async def list(
        self,
        *,
        orchestrator: str | None = None,
        status: str | None = None,
        state: str | None = None,
        root: str | None = None,
        running: bool = False,
        limit: int = 100,
    ) -> list[ExecutionListing]:
        """Executions by search attributes, newest first; no worker needed.

        Args:
            orchestrator: ``ArvoOrchestrator`` (e.g. ``arvo.orc.adder``).
            status: ``ArvoStatus`` (``active``, ``done``, ``failed``, ``cancelled``…).
            state: a state path (``ArvoState``): executions in that state or inside it (a
                compound state matches while any of its children is active).
            root: the root workflow id of an orchestration tree (``ArvoRoot``): the root and
                every execution under it.
            running: only executions whose workflow is still running.
            limit: at most this many.

        Raises:
            ConfigViolation: a value that would change the query (a quote, backslash, newline).
        """
        query = visibility_query(
            orchestrator=orchestrator, status=status, state=state, root=root, running=running
        )
        return [
            await listing_of(execution)
            async for execution in self.temporal.list_workflows(query, limit=limit)
        ]
