"""ArvoMachineWorkflow: one long-lived workflow per Arvo subject.

Workflow history is the machine's memory and the workflow id is its lock (docs/temporal.md §8).
This class wires Temporal to the pure parts; the bookkeeping lives in ``ExecutionInbox`` and the
machine logic in the pure core's ``step``:

* Two front doors feed one inbox: the ``arvo_event`` signal (signal-with-start, fire and forget)
  and the ``execute`` update (update-with-start, update id = event id, returning the
  ``OrchestratorResult``). Handlers only offer events; ``run`` applies them one at a time, in
  arrival order.
* Emitted events are routed once, here: a handler of this app runs as the ``arvo_handle``
  activity (its replies come straight back into the inbox); events for other orchestrators and
  for sinks go, in emission order, through one ``arvo_dispatch`` local activity per step, which
  carries out the route chosen here.
* ``after`` transitions are durable timers: the loop sleeps until the earliest due timer
  (workflow time) and delivers every due one, earliest first.
* A refused event never fails the workflow task: it is recorded (``status`` query, logs) and an
  ``execute`` caller gets a typed ``ApplicationError`` (``arvo_temporal.temporal._errors``).
  Machine errors become ``sys.<source>.error`` events, as in Arvo.
* Cancellation (client or execution timeout) ends the machine as ``cancelled`` and tells the
  initiator. Continue-as-new happens when Temporal suggests it or before the per-run message
  limits, carrying the record, the pending events and the inbox's windows.

The machines come from the worker's ``ArvoPlugin``, bound to each run when it starts; with
``sandboxed_machines`` they are built inside this run's sandbox.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from arvo_temporal.errors import (
        ArvoError,
        ConfigViolation,
        ExecutionClosedError,
        ExecutionViolation,
        OperationRefusedError,
        UnknownStateError,
    )
    from arvo_temporal.events import ArvoEvent
    from arvo_temporal.orchestration.record import MachineMemoryRecord
    from arvo_temporal.orchestration.result import OrchestratorResult
    from arvo_temporal.orchestration.resumable_step import (
        ResumableSettings,
        cancel_resumable,
        step_resumable,
    )
    from arvo_temporal.orchestration.step import (
        OrchestratorSettings,
        SizeLimits,
        StepResult,
        check_subject,
        step,
        step_cancel,
        step_timer,
    )
    from arvo_temporal.subject import ArvoOrchestrationSubject, SubjectContent
    from arvo_temporal.temporal._app import HandlerSettings
    from arvo_temporal.temporal._binding import AppBinding
    from arvo_temporal.temporal._errors import (
        CONTINUING_AS_NEW,
        EXECUTION_FAILED,
        EXECUTION_REJECTED,
        OPERATION_UNCHANGED,
        VIOLATION_TYPES,
        failure_for,
        failure_type,
    )
    from arvo_temporal.temporal._execution import ExecutionState
    from arvo_temporal.temporal._inbox import ExecutionInbox
    from arvo_temporal.temporal._models import (
        CancelOwnRun,
        DispatchBatch,
        DispatchReport,
        ExecutionStatusView,
        ExecutionSummary,
        HandleRequest,
        HandleResponse,
        OperatorOutcome,
        OperatorRequest,
        Outgoing,
        PauseInfo,
        RedrivePoint,
        Rejection,
        StoredOutcome,
        WaitOutcome,
        WaitRequest,
        WorkflowInput,
    )
    from arvo_temporal.temporal._search_attributes import (
        ARVO_EXECUTION_UNITS,
        ARVO_ROOT,
        ARVO_STATE,
        ARVO_STATUS,
        ARVO_TASK_DOMAINS,
    )

__all__ = [
    "CANCEL_OWN_RUN_ACTIVITY",
    "CANCEL_SIGNAL",
    "DELIVER_UPDATE",
    "DISPATCH_ACTIVITY",
    "EVENT_SIGNAL",
    "EXECUTE_UPDATE",
    "HANDLE_ACTIVITY",
    "LEGACY_WORKFLOW_NAME",
    "PAUSE_UPDATE",
    "RESUME_UPDATE",
    "WAIT_UPDATE",
    "WORKFLOW_NAME",
    "WORKFLOW_NAMES",
    "ArvoMachineWorkflow",
    "WorkflowIdClock",
]

WORKFLOW_NAME = "ArvoExecution"
LEGACY_WORKFLOW_NAME = "ArvoMachineWorkflow"
"""The type of runs started before handlers ran as local activities: they replay as they were
recorded (regular activities) and become ``ArvoExecution`` runs at their next continue-as-new.
A new workflow type, rather than ``workflow.patched``, because a patch costs every run a marker
and a search attribute upsert, which is most of the gain for short executions."""
WORKFLOW_NAMES = (WORKFLOW_NAME, LEGACY_WORKFLOW_NAME)
HANDLE_ACTIVITY = "arvo_handle"
DISPATCH_ACTIVITY = "arvo_dispatch"
EXECUTE_UPDATE = "execute"
EVENT_SIGNAL = "arvo_event"
DELIVER_UPDATE = "arvo_deliver"
CANCEL_SIGNAL = "arvo_cancel"
CANCEL_OWN_RUN_ACTIVITY = "arvo_cancel_own_run"
WAIT_UPDATE = "arvo_wait"
PAUSE_UPDATE = "arvo_pause"
RESUME_UPDATE = "arvo_resume"
EXECUTION_TIMEOUT_REASON = "the execution timeout was reached"
_DEFER_HANDLERS_WHILE_DRAINING = "arvo-defer-handlers-while-draining"
"""Patch id: runs recorded before handlers emitted while draining were left to the next run."""
_CANCEL_THROUGH_TEMPORAL = "arvo-cancel-through-temporal"
"""Patch id: runs recorded before the execution timeout and the ``arvo_cancel`` signal ended
through a Temporal cancel request replay as they were (the run COMPLETED then)."""

LOCAL_HANDLERS_PER_TASK = 50
"""Local handler calls one workflow task may hold. Their results are recorded when the task
completes, so a machine that keeps calling handlers would otherwise grow one task's completion
without bound (and see continue-as-new suggested only when it ends); past this many the next
call runs as a regular activity, which ends the task."""

# Well before Temporal's hard per-run limits (10,000 signals, 2,000 updates; docs/temporal.md §3).
MESSAGES_BEFORE_CONTINUE_AS_NEW = 4000
UPDATES_BEFORE_CONTINUE_AS_NEW = 1500

HANDLER_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=list(VIOLATION_TYPES),
)
DISPATCH_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    maximum_interval=timedelta(seconds=30),
)


class WorkflowIdClock:
    """Ids and time from the workflow, so replays mint the same event ids, times and subjects."""

    def new_id(self) -> str:
        return str(workflow.uuid4())

    def now(self) -> Any:
        return workflow.now()


_CLOCK = WorkflowIdClock()


def _now_ms() -> float:
    return workflow.now().timestamp() * 1000


@workflow.defn(name=WORKFLOW_NAME)
class ArvoMachineWorkflow:
    """One Arvo execution (one subject). Started by the client or by another workflow's dispatch;
    never started directly with a payload of machine state.

    Versioning: workers that join a Worker Deployment serve it as AUTO_UPGRADE (their default
    versioning behaviour; Temporal refuses a behaviour on the class for unversioned workers). A
    run moves to the newest deployment version at its next task, so a fix reaches long-lived
    executions; what must not change under a running execution is guarded by Arvo's machine
    versions (a new version means new subjects) and by the replay gate
    (``arvo-temporal replay``)."""

    _local_handlers = True
    """Handlers may run as local activities (``HandlerSettings.local``); see
    ``LEGACY_WORKFLOW_NAME``."""

    @workflow.init
    def __init__(self, input: WorkflowInput) -> None:
        carried = input.carried
        self._state = ExecutionState(input)
        self._inbox = ExecutionInbox(
            pending=carried.inbox if carried else (),
            seen=carried.seen if carried else (),
            outcomes=carried.outcomes if carried else None,
            rejections=carried.rejections if carried else (),
        )
        self._binding: AppBinding | None = None
        self._settings: OrchestratorSettings | ResumableSettings | None = None
        self._subject: SubjectContent | None = None
        self._draining = False
        self._messages = 0
        self._updates = 0
        self._handler_tasks = 0
        self._dispatch_tail: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._deferred_handlers: list[HandleRequest] = []
        self._local_calls = (0, 0)  # (history length when counted, local calls in that task)
        self._local_in_flight = 0
        self._published_units = 0.0
        self._carried_handlers = list(carried.handler_requests) if carried else []
        self._releasing = self._state.paused is None and bool(self._state.held_arrivals)
        """Resumed, with held events and due timers still to release in order."""
        if input.init is not None:
            self.arvo_event(input.init)  # started with its init: as if signalled first

    def _bind(self, binding: AppBinding) -> None:
        """Called by ``ArvoPlugin``'s interceptor when the run starts."""
        self._binding = binding

    # ----------------------------------------------------------------------------- ingress

    @workflow.signal(name=EVENT_SIGNAL)
    def arvo_event(self, event: ArvoEvent) -> None:
        """Fire-and-forget delivery (the target of signal-with-start)."""
        self._messages += 1
        problem = self._refusal(event)
        if problem is not None:
            self._reject(event, problem)
            return
        self._offer(event)

    @workflow.update(name=DELIVER_UPDATE)
    def deliver(self, event: ArvoEvent) -> None:
        """Fire-and-forget delivery as an update, returned once accepted (durable): what the
        client's ``send`` uses for events to a running execution. Unlike a signal it never
        races continue-as-new: Temporal fails the task that continues as new when a signal
        arrived meanwhile, whereas an update it has not yet shown the run is handed to the next
        run. Accepted while the run drains; the event is then carried."""
        self._messages += 1
        self._updates += 1
        self._offer(event)

    @deliver.validator
    def _validate_deliver(self, event: ArvoEvent) -> None:
        problem = self._refusal(event)
        if problem is not None:
            raise failure_for(problem)
        if self._state.ended:
            raise failure_for(
                ExecutionClosedError(event.subject, workflow_id=workflow.info().workflow_id)
            )

    @workflow.update(name=EXECUTE_UPDATE)
    async def execute(self, event: ArvoEvent) -> OrchestratorResult:
        """Apply an event and answer with what it produced (Arvo's ``execute``)."""
        self._messages += 1
        self._updates += 1
        if self._inbox.outcome(event.id) is None:
            if self._inbox.was_applied(event.id):
                return OrchestratorResult.empty()  # applied long ago; its answer aged out
            self._offer(event)
            self._inbox.await_outcome(event.id)
            try:
                await workflow.wait_condition(lambda: self._inbox.outcome(event.id) is not None)
                outcome = self._inbox.outcome(event.id)
            finally:
                self._inbox.release(event.id)
        else:
            outcome = self._inbox.outcome(event.id)
        assert outcome is not None
        if outcome.error_type is not None:
            raise ApplicationError(
                outcome.error_message or outcome.error_type,
                outcome.error_fields or {},
                type=outcome.error_type,
                non_retryable=True,
            )
        return outcome.result or OrchestratorResult.empty()

    @execute.validator
    def _validate_execute(self, event: ArvoEvent) -> None:
        # Rejecting here costs no history event (docs/temporal.md §1).
        problem = self._refusal(event)
        if problem is not None:
            raise failure_for(problem)
        if self._draining:
            raise ApplicationError(
                "the execution is continuing as new; the client retries",
                type=CONTINUING_AS_NEW,
            )
        if self._state.ended:
            raise failure_for(
                ExecutionClosedError(event.subject, workflow_id=workflow.info().workflow_id)
            )

    @workflow.signal(name=CANCEL_SIGNAL)
    def arvo_cancel(self, reason: str) -> None:
        """Ask the execution to end as ``cancelled``; the initiator is told why. (Clients send
        a Temporal cancel request with a reason instead; this stays for recorded histories and
        senders that cannot cancel.)"""
        if self._state.cancel_reason is None:
            self._state.cancel_reason = reason or "cancelled by a client"

    @workflow.query(name="snapshot")
    def snapshot(self) -> dict[str, Any] | None:
        """The machine memory record (Arvo's names), or None before the first event."""
        record = self._state.record
        return record.to_json() if record else None

    @workflow.query(name="status")
    def status(self) -> ExecutionStatusView:
        """What the execution is doing now."""
        return self._state.view(self._inbox)

    # A cancelled run ends without waiting for handlers; a wait left unanswered then is no
    # loss (the client answers it from the closed execution's description), so no warning.
    @workflow.update(name=WAIT_UPDATE, unfinished_policy=workflow.HandlerUnfinishedPolicy.ABANDON)
    async def wait(self, request: WaitRequest) -> WaitOutcome:
        """Answer once the execution is in a state / has a tag / has ended (``WaitRequest``),
        with the status and record at that moment: the caller waits without polling.

        Bounded three ways, so a forgotten wait never holds the run: its own timeout (a
        workflow timer), the end of the execution (``ended``), and continue-as-new, which
        answers it with the retryable ``CONTINUING_AS_NEW`` failure; the client then asks the
        next run for the time that is left."""
        state = self._state

        def settled() -> bool:
            return (
                self._waited_for(request)
                or state.status not in ("pending", "active")
                or self._draining
            )

        if not settled():
            try:
                await workflow.wait_condition(
                    settled, timeout=timedelta(milliseconds=max(1.0, request.timeout_ms))
                )
            except TimeoutError:
                return self._wait_outcome("timeout")
        if self._waited_for(request):
            return self._wait_outcome("met")
        if self._draining and not state.ended:
            raise ApplicationError(
                "the execution is continuing as new; the client waits on the next run",
                type=CONTINUING_AS_NEW,
            )
        return self._wait_outcome("ended")

    @wait.validator
    def _validate_wait(self, request: WaitRequest) -> None:
        if self._draining:
            raise ApplicationError(
                "the execution is continuing as new; the client retries",
                type=CONTINUING_AS_NEW,
            )
        machine = self._state.machine
        if request.state is not None and machine is not None:
            try:
                machine.check_state(request.state)
            except UnknownStateError as error:
                raise failure_for(error) from None

    def _waited_for(self, request: WaitRequest) -> bool:
        return self._state.reached(state=request.state, tag=request.tag, done=request.done)

    def _wait_outcome(self, reason: str) -> WaitOutcome:
        return WaitOutcome.model_validate(
            {"reason": reason, "status": self.status(), "record": self.snapshot()}
        )

    def _refusal(self, event: ArvoEvent) -> ExecutionViolation | None:
        if event.subject != self._state.subject:
            return ExecutionViolation(
                f"event {event.id} has subject {event.subject[:40]}…, which is not this "
                "execution's subject"
            )
        return None

    def _offer(self, event: ArvoEvent) -> None:
        if not self._inbox.offer(event):
            workflow.logger.info("duplicate event %s ignored", event.id)
        elif self._state.paused is not None:
            self._state.hold(event.id, _now_ms())

    # ----------------------------------------------------------------------------- operators

    @workflow.update(name=PAUSE_UPDATE)
    def pause(self, request: OperatorRequest) -> OperatorOutcome:
        """Hold every event and timer until ``resume`` (handlers in flight finish; their
        replies are held too). Events stay in the inbox, carried on continue-as-new; the
        update in the history, with its identity and reason, is the audit trace."""
        self._messages += 1
        self._updates += 1
        info = PauseInfo(
            since_ms=_now_ms(),
            identity=request.identity,
            reason=request.reason or "paused by an operator",
        )
        changed = self._state.pause(info, [event.id for event in self._inbox])
        if changed:
            workflow.logger.info("paused by %s: %s", info.identity, info.reason)
            self._operator_changed()
        return OperatorOutcome(changed=changed, status=self.status())

    @pause.validator
    def _validate_pause(self, request: OperatorRequest) -> None:
        self._refuse_when_ended("pause")
        if self._state.paused is not None:
            self._unchanged("paused already")

    @workflow.update(name=RESUME_UPDATE)
    def resume(self, request: OperatorRequest) -> OperatorOutcome:
        """Release what the pause held, in the order it happened (``ExecutionState.next_held``),
        then carry on as before."""
        self._messages += 1
        self._updates += 1
        changed = self._state.resume()
        if changed:
            workflow.logger.info("resumed by %s: %s", request.identity, request.reason)
            self._releasing = True
            self._operator_changed()
        return OperatorOutcome(changed=changed, status=self.status())

    @resume.validator
    def _validate_resume(self, request: OperatorRequest) -> None:
        self._refuse_when_ended("resume")
        if self._state.paused is None:
            self._unchanged("not paused")

    def _unchanged(self, why: str) -> None:
        """A retried or repeated request: answered from the validator, no history event."""
        raise ApplicationError(why, self.status().model_dump(mode="json"), type=OPERATION_UNCHANGED)

    def _refuse_when_ended(self, action: str) -> None:
        state = self._state
        if state.ended or state.status == "rejected":
            raise failure_for(
                OperationRefusedError(
                    f"cannot {action} execution {workflow.info().workflow_id}: it has already "
                    f"ended ({state.status})"
                )
            )

    def _operator_changed(self) -> None:
        self._publish_status()
        workflow.set_current_details(self._state.details())

    async def _release_held(self) -> None:
        """After a resume: apply the held events and fire the timers that fell due during the
        pause, interleaved in the order they happened, until none is left."""
        state = self._state
        while state.paused is None:
            upcoming = self._inbox.peek()
            kind, timer = state.next_held(upcoming.id if upcoming else None, _now_ms())
            if kind == "none":
                break
            if kind == "timer":
                assert timer is not None
                if not await self._fire_timer(timer):
                    break
            elif (event := self._inbox.take()) is not None:
                state.held_arrivals.pop(event.id, None)
                await self._apply(event)
            if state.ended:
                break
        if state.paused is None:
            state.held_arrivals.clear()
            self._releasing = False

    def _reject(self, event: ArvoEvent, error: BaseException) -> None:
        kind = failure_type(error)
        workflow.logger.warning("event %s (%s) not applied: %s", event.id, event.type, error)
        self._inbox.reject(
            Rejection(event_id=event.id, event_type=event.type, error_type=kind, message=str(error))
        )

    # ----------------------------------------------------------------------------- main loop

    @workflow.run
    async def run(self, input: WorkflowInput) -> ExecutionSummary:
        """Apply events until the machine finishes, is cancelled or times out.

        The Temporal run status follows the execution's: done → COMPLETED; cancelled (by a
        client, the ``arvo_cancel`` signal or the execution timeout) → CANCELED; failed (a
        machine error, or a worker that cannot serve it) and rejected (no event started it) →
        FAILED with the reason.
        """
        try:
            timeout = self._resolve(input)
        except ApplicationError as failure:
            self._state.end("failed", failure.message)
            self._publish_status()
            raise
        if self._state.deadline_ms is None and timeout is not None:
            self._state.deadline_ms = _now_ms() + timeout.total_seconds() * 1000
        for request in self._carried_handlers:  # emitted while the previous run drained
            self._start_handler(request.event, request.handler)
        try:
            await self._loop()
            await self._drain_dispatches()
        except asyncio.CancelledError:
            # Temporal delivers a cancel request once, wherever run() is waiting. Finish the
            # machine's cancellation (unless it already ended) and every delivery in flight;
            # the run shows as cancelled only if the machine was.
            if not self._state.ended:
                reason = (
                    self._state.cancel_reason
                    or workflow.cancellation_reason()
                    or "cancelled by a Temporal cancel request"
                )
                await self._cancel(reason)
            await self._drain_dispatches()
            if self._state.status == "cancelled":
                raise
        await workflow.wait_condition(workflow.all_handlers_finished)
        for event in self._inbox:
            # Arvo ignores events for a finished execution; say so rather than drop them silently.
            workflow.logger.info(
                "event %s (%s) arrived after the execution ended (%s); ignored",
                event.id,
                event.type,
                self._state.status,
            )
        summary = self._state.summary()
        if summary.status in ("failed", "rejected"):
            details: dict[str, Any] = {"status": summary.status, "error": summary.error}
            # What ArvoTemporalClient.redrive starts again from.
            details.update(self._state.redrive_details(self._inbox))
            raise ApplicationError(
                summary.error or f"the execution {summary.status}",
                details,
                type=EXECUTION_FAILED if summary.status == "failed" else EXECUTION_REJECTED,
                non_retryable=True,
            )
        return summary

    def _resolve(self, input: WorkflowInput) -> timedelta | None:
        """Find this run's orchestrator in the bound app; a run that cannot fails visibly."""
        try:
            if self._binding is None:
                raise ConfigViolation(
                    "this worker has no ArvoPlugin for an app: build it with "
                    "Client.connect(..., plugins=[ArvoPlugin(app)]) or "
                    "create_worker(client, app=app)"
                )
            spec, self._settings = self._binding.orchestrator(input.orchestrator)
            self._subject = ArvoOrchestrationSubject.parse(input.subject)
            if isinstance(self._settings, OrchestratorSettings):  # a resumable has no states
                self._state.machine = self._settings.registry.resolve_subject(self._subject)
        except (ArvoError, ValueError) as error:
            raise failure_for(error) from None
        return spec.execution_timeout

    async def _loop(self) -> None:
        state = self._state
        while True:
            timed_out = False
            try:
                await workflow.wait_condition(self._has_work, timeout=self._wake_after())
            except TimeoutError:
                timed_out = True
            if self._releasing and self._takes_events():  # paused again: wait for the resume
                await self._release_held()
            await self._fire_due_timers()
            while self._takes_events() and (event := self._inbox.take()) is not None:
                await self._apply(event)
            if state.ended:
                return
            if state.cancel_reason is None and self._past_deadline():
                state.cancel_reason = EXECUTION_TIMEOUT_REASON
            if state.cancel_reason is not None:
                if workflow.patched(_CANCEL_THROUGH_TEMPORAL):
                    # Does not return: run() finishes the cancellation on CancelledError.
                    await self._cancel_own_run(state.cancel_reason)
                await self._cancel(state.cancel_reason)
                return
            if self._never_started(timed_out):
                rejections = self._inbox.rejections
                state.end(
                    "rejected",
                    rejections[-1].message if rejections else "no event started the execution",
                )
                self._publish_status()
                return
            if self._should_continue_as_new():
                await self._continue_as_new()

    def _past_deadline(self) -> bool:
        deadline = self._state.deadline_ms
        return deadline is not None and _now_ms() >= deadline

    async def _cancel_own_run(self, reason: str) -> None:
        """End as Temporal's CANCELED, as a client's cancel does, so the run status agrees with
        ``cancelled`` (Temporal refuses a workflow's cancel request for itself, so a local
        activity asks). Returns once the request arrived: ``run`` then finishes the
        cancellation on its ``CancelledError`` path."""
        info = workflow.info()
        await workflow.execute_local_activity(
            CANCEL_OWN_RUN_ACTIVITY,
            CancelOwnRun(workflow_id=info.workflow_id, run_id=info.run_id, reason=reason),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=DISPATCH_RETRY,
            summary=f"cancel this run: {reason}",
        )
        await workflow.wait_condition(lambda: False)

    def _never_started(self, timed_out: bool) -> bool:
        """The events so far (or none, after a while) created no execution: end the run."""
        idle = self._state.record is None and self._handler_tasks == 0 and not self._inbox
        return idle and (self._state.processed > 0 or bool(self._inbox.rejections) or timed_out)

    def _takes_events(self) -> bool:
        """Events are applied unless an operator paused the execution."""
        return self._state.paused is None

    def _has_work(self) -> bool:
        return (
            (bool(self._inbox) and self._takes_events())
            or (self._releasing and self._takes_events())
            or self._state.cancel_reason is not None
            or self._should_continue_as_new()
        )

    def _wake_after(self) -> timedelta | None:
        now = _now_ms()
        wake_at = self._state.wake_at_ms(now)
        return None if wake_at is None else timedelta(milliseconds=max(1.0, wake_at - now))

    # ----------------------------------------------------------------------------- steps

    async def _apply(self, event: ArvoEvent) -> None:
        settings, subject = self._require()
        before = self._state.record
        try:
            if check_subject(event, settings.source) is None:
                raise ConfigViolation(f"the subject does not belong to {settings.source}")
            if isinstance(settings, ResumableSettings):
                result = await self._step_resumable(settings, subject, event)
            else:
                result = step(
                    settings,
                    record=self._state.record,
                    event=event,
                    subject=subject,
                    id_clock=_CLOCK,
                    traceparent=event.traceparent,
                    tracestate=event.tracestate,
                    now_ms=_now_ms(),
                    limits=self._limits(),
                )
        except Exception as error:  # a poison event must never fail the workflow task
            failure = failure_for(error)
            self._inbox.settle(
                event.id,
                StoredOutcome(
                    error_type=failure.type,
                    error_message=failure.message,
                    error_fields=failure.details[0] if failure.details else None,
                ),
            )
            self._reject(event, error)
            return
        self._state.processed += 1
        self._inbox.settle(event.id, StoredOutcome(result=result.result))
        self._keep_redrive_point(result, before, event)
        await self._after_step(result)

    def _keep_redrive_point(
        self, result: StepResult, before: MachineMemoryRecord | None, event: ArvoEvent | None
    ) -> None:
        """A step that failed the machine: keep what it started from, for a redrive (plain
        data, no command: runs recorded before redrive replay unchanged)."""
        if result.record is not None and result.record.failed and not self._state.ended:
            self._state.failed_from = RedrivePoint(record=before, event=event)

    async def _step_resumable(
        self, settings: ResumableSettings, subject: SubjectContent, event: ArvoEvent
    ) -> StepResult:
        """A resumable's handler runs here, in the workflow, like a machine's actions (ids and
        time from the workflow). Its output is not in its record (a machine's is in its
        snapshot): it is kept from the completion event for ``result``."""
        result = await step_resumable(
            settings,
            record=self._state.record,
            event=event,
            subject=subject,
            id_clock=_CLOCK,
            traceparent=event.traceparent,
            tracestate=event.tracestate,
            limits=self._limits(),
        )
        record = result.record
        if record is not None and record.status == "done" and record.machine_version:
            complete = settings.contract.version(record.machine_version).complete_event_type
            for emitted in result.events:
                if emitted.type == complete:
                    self._state.output = dict(emitted.data)
        return result

    async def _fire_due_timers(self) -> None:
        settings, _ = self._require()
        if isinstance(settings, ResumableSettings):
            return  # a resumable has no delayed transitions
        while (timer := self._state.due_timer(_now_ms())) is not None:
            if not await self._fire_timer(timer):
                return

    async def _fire_timer(self, timer: dict[str, Any]) -> bool:
        """Deliver one due timer; False when the machine no longer had it (nothing changed)."""
        settings, subject = self._require()
        assert isinstance(settings, OrchestratorSettings), "a resumable has no timers"
        assert self._state.record is not None
        before = self._state.record
        result = step_timer(
            settings,
            record=self._state.record,
            timer_event=timer["event"],
            subject=subject,
            id_clock=_CLOCK,
            now_ms=_now_ms(),
            limits=self._limits(),
        )
        if result.record is None:
            return False
        self._keep_redrive_point(result, before, None)
        await self._after_step(result)
        return True

    async def _cancel(self, reason: str) -> None:
        settings, subject = self._require()
        record = self._state.record
        if isinstance(settings, ResumableSettings):
            result = cancel_resumable(
                settings, record=record, subject=subject, id_clock=_CLOCK, reason=reason
            )
        else:
            result = step_cancel(
                settings, record=record, subject=subject, id_clock=_CLOCK, reason=reason
            )
        await self._after_step(result)
        self._state.end("cancelled", reason)
        self._publish_status()
        # Temporal's cancel carries no details: keep the reason where result() can read it
        # without a worker (the memo, shown in the UI too).
        workflow.upsert_memo({"cancel_reason": reason})

    async def _after_step(self, result: StepResult) -> None:
        self._state.applied(result)
        self._observe(result)
        if not self._local_handlers:  # legacy runs: the command order they were recorded with
            self._publish_status()
            self._route(result.events)
            return
        self._route(result.events)
        # While a local handler runs, its reply comes back in this same workflow task: the
        # search attributes are published once, after it, instead of once per step.
        if self._local_in_flight == 0 or self._state.ended:
            self._publish_status()

    def _publish_status(self) -> None:
        # One history event per change, and only on change (docs/temporal.md §6); the state
        # and task-domain attributes that changed ride in the same upsert.
        status = self._state.status_to_publish()
        observing = self._observing()
        updates = self._observation_updates() if observing else []
        if status is not None:
            updates.append(ARVO_STATUS.value_set(status))
        if updates:
            if observing:  # the units ride along; alone they would cost an event per step
                updates.extend(self._units_update())
            workflow.upsert_search_attributes(updates)

    @staticmethod
    def _observing() -> bool:
        """Whether this execution publishes ``ArvoState``, ``ArvoTaskDomains`` and
        ``ArvoExecutionUnits``: only those started with ``ArvoRoot`` (every start by this
        version of the client and of the dispatch activity). Histories recorded before these
        attributes existed have no such upserts, and replay must issue the same commands; the
        start's search attributes are in the history, so the choice is deterministic and costs
        no marker event, unlike ``workflow.patched``."""
        return workflow.info().typed_search_attributes.get(ARVO_ROOT) is not None

    def _units_update(self) -> list[Any]:
        """``ArvoExecutionUnits`` when it changed since the last upsert."""
        record = self._state.record
        if record is None or record.execution_units == self._published_units:
            return []
        self._published_units = record.execution_units
        return [ARVO_EXECUTION_UNITS.value_set(record.execution_units)]

    def _observe(self, result: StepResult) -> None:
        """After a step that wrote a record (only then: no work when nothing changed): the
        requests awaiting a reply, and the UI's current details."""
        if result.record is None:
            return
        self._state.observed(result, now_ms=_now_ms())
        workflow.set_current_details(self._state.details())

    def _observation_updates(self) -> list[Any]:
        """``ArvoState`` and ``ArvoTaskDomains`` updates, for what changed since the last upsert
        (see ``_observing``)."""
        info = workflow.info()
        updates: list[Any] = []
        states = self._state.states_to_publish(info.typed_search_attributes.get(ARVO_STATE))
        if states is not None:
            updates.append(ARVO_STATE.value_set(states) if states else ARVO_STATE.value_unset())
        domains = self._state.domains_to_publish()
        if domains is not None:
            updates.append(
                ARVO_TASK_DOMAINS.value_set(domains) if domains else ARVO_TASK_DOMAINS.value_unset()
            )
        return updates

    # ----------------------------------------------------------------------------- egress

    def _route(self, events: list[ArvoEvent]) -> None:
        """Decide each emitted event's route, once: handler, this execution, or dispatch."""
        assert self._binding is not None, "run() binds the app before any step"
        assert self._settings is not None, "run() resolves the settings before any step"
        outgoing: list[Outgoing] = []
        for event in events:
            route, target = self._binding.app.route(event)
            if route == "handler":
                if self._draining and workflow.patched(_DEFER_HANDLERS_WHILE_DRAINING):
                    # A busy execution always has a handler in flight: starting more while
                    # draining would put continue-as-new off for ever. The next run starts it.
                    self._deferred_handlers.append(HandleRequest(handler=target, event=event))
                else:
                    self._start_handler(event, target)
            elif (
                route == "orchestrator"
                and event.subject == self._state.subject
                and target == self._settings.source
            ):
                self._offer(event)
            else:
                outgoing.append(Outgoing(event=event, route=route, target=target))
        if outgoing:
            previous = self._dispatch_tail
            self._dispatch_tail = asyncio.create_task(self._dispatch(previous, outgoing))

    def _local_call_allowed(self) -> bool:
        """Count local handler calls per workflow task (the history length only changes when
        a new task starts, and is the same on replay)."""
        length = workflow.info().get_current_history_length()
        task, calls = self._local_calls
        calls = calls + 1 if task == length else 1
        self._local_calls = (length, calls)
        return calls <= LOCAL_HANDLERS_PER_TASK

    def _start_handler(self, event: ArvoEvent, handler: str) -> None:
        assert self._binding is not None
        limits = self._binding.app.handler_limits(handler)
        local = bool(limits.local) and self._local_handlers and self._local_call_allowed()
        self._handler_tasks += 1
        self._local_in_flight += local
        task = asyncio.create_task(self._run_handler(event, handler, limits, local))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _local_handler_done(self) -> None:
        """The last local handler in flight returned; publish what waited for it, unless its
        reply will be applied (and published) next."""
        self._local_in_flight -= 1
        if self._local_in_flight == 0 and not self._inbox:
            self._publish_status()

    async def _run_handler(
        self, event: ArvoEvent, handler: str, limits: HandlerSettings, local: bool
    ) -> None:
        request = HandleRequest(handler=handler, event=event)
        summary = f"{event.type} → handler {handler}"
        try:
            if local:
                response = await workflow.execute_local_activity(
                    HANDLE_ACTIVITY,
                    request,
                    result_type=HandleResponse,
                    start_to_close_timeout=limits.timeout,
                    retry_policy=HANDLER_RETRY,
                    summary=summary,
                )
            else:
                response = await workflow.execute_activity(
                    HANDLE_ACTIVITY,
                    request,
                    result_type=HandleResponse,
                    task_queue=limits.task_queue,
                    start_to_close_timeout=limits.timeout,
                    heartbeat_timeout=limits.heartbeat,
                    retry_policy=HANDLER_RETRY,
                    summary=summary,
                )
        # A local activity's non-retryable failure arrives as a bare ApplicationError.
        except (ActivityError, ApplicationError) as error:
            cause = error.cause if isinstance(error, ActivityError) else error
            kind = cause.type if isinstance(cause, ApplicationError) and cause.type else None
            self._inbox.reject(
                Rejection(
                    event_id=event.id,
                    event_type=event.type,
                    error_type=kind or "HandlerError",
                    message=str(cause or error),
                )
            )
            if local:
                self._local_handler_done()
            return
        finally:
            self._handler_tasks -= 1
        self._route(response.events)
        if local:
            self._local_handler_done()

    async def _dispatch(self, previous: asyncio.Task[None] | None, items: list[Outgoing]) -> None:
        if previous is not None:
            # Keep outgoing events in emission order; shielded, so that cancelling this task
            # never cancels the delivery before it.
            await asyncio.shield(previous)
        targets = ", ".join(sorted({item.target for item in items}))
        try:
            report: DispatchReport = await workflow.execute_local_activity(
                DISPATCH_ACTIVITY,
                DispatchBatch(items=items),
                result_type=DispatchReport,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=DISPATCH_RETRY,
                summary=f"emit {len(items)} event(s) → {targets}",
            )
        # A local activity's non-retryable failure arrives as a bare ApplicationError.
        except (ActivityError, ApplicationError) as error:
            cause = error.cause if isinstance(error, ActivityError) else error
            for item in items:
                self._inbox.reject(
                    Rejection(
                        event_id=item.event.id,
                        event_type=item.event.type,
                        error_type="DeliveryFailed",
                        message=str(cause or error),
                    )
                )
            return
        if report.dead_letters:
            self._state.dead_lettered(report.dead_letters)

    async def _drain_dispatches(self) -> None:
        # Shielded: a cancel request arriving while run() waits here cancels run(), not the
        # deliveries in flight (else the initiator's sys.<source>.error could be lost).
        while self._dispatch_tail is not None and not self._dispatch_tail.done():
            await asyncio.shield(self._dispatch_tail)

    # ----------------------------------------------------------------------------- continue-as-new

    def _should_continue_as_new(self) -> bool:
        if self._state.ended or self._state.record is None:
            return False
        return (
            workflow.info().is_continue_as_new_suggested()
            or self._messages >= MESSAGES_BEFORE_CONTINUE_AS_NEW
            or self._updates >= UPDATES_BEFORE_CONTINUE_AS_NEW
        )

    async def _continue_as_new(self) -> None:
        self._draining = True
        while True:
            await workflow.wait_condition(
                lambda: self._handler_tasks == 0 or (bool(self._inbox) and self._takes_events())
            )
            while self._takes_events() and (event := self._inbox.take()) is not None:
                await self._apply(event)
            if self._handler_tasks == 0:
                break
        await self._drain_dispatches()
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._state.ended:
            return
        workflow.continue_as_new(
            self._state.carried(self._inbox, self._deferred_handlers),
            workflow=ArvoMachineWorkflow.run,
        )

    # ----------------------------------------------------------------------------- helpers

    def _limits(self) -> SizeLimits:
        assert self._binding is not None, "run() binds the app before any step"
        return self._binding.app.size_limits

    def _require(self) -> tuple[OrchestratorSettings | ResumableSettings, SubjectContent]:
        assert self._settings is not None, "run() resolves the settings before any step"
        assert self._subject is not None, "run() parses the subject before any step"
        return self._settings, self._subject


@workflow.defn(name=LEGACY_WORKFLOW_NAME)
class LegacyArvoMachineWorkflow(ArvoMachineWorkflow):
    """Runs recorded as ``ArvoMachineWorkflow``: every handler a regular activity, as then."""

    _local_handlers = False

    @workflow.run
    async def run(self, input: WorkflowInput) -> ExecutionSummary:
        """See ``ArvoMachineWorkflow.run``."""
        return await super().run(input)
