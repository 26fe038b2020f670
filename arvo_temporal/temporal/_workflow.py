"""ArvoMachineWorkflow: one long-lived workflow per Arvo subject.

Workflow history is the machine's memory and the workflow id is its lock (docs/temporal.md §8):

* Two front doors feed one inbox: the ``arvo_event`` signal (signal-with-start, fire and forget)
  and the ``execute`` update (update-with-start, update id = event id, returning the
  ``OrchestratorResult``). Handlers only enqueue; ``run`` applies events one at a time, in
  arrival order, through the same pure ``step`` the in-process orchestrator uses.
* Events are de-duplicated by id (a bounded window carried across continue-as-new), so a re-sent
  event is applied once; a repeated ``execute`` returns the first answer.
* Emitted events leave through activities: a handler of this deployment runs as the
  ``arvo_handle`` activity (its replies come straight back into the inbox, no signal needed);
  events for other orchestrators and for sinks go, in emission order, through one
  ``arvo_dispatch`` local activity per processed event.
* ``after`` transitions are durable timers: the loop waits with a timeout until the earliest
  due timer (workflow time, never the wall clock) and delivers it with ``step_timer``.
* Violations never fail the workflow task: they are recorded (``status`` query, logs), answered
  to an ``execute`` caller as a non-retryable ``ApplicationError``, and the workflow stays
  healthy. Machine errors become ``sys.<source>.error`` events, as in Arvo.
* Cancellation (client or execution timeout) ends the machine with status ``cancelled`` and tells
  the initiator with ``sys.<source>.error``. Continue-as-new happens when Temporal suggests it or
  before the per-run message limits, carrying the record, inbox, de-dup window and answers.
"""

from __future__ import annotations

import asyncio
from collections import deque
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from arvo_temporal.engine import pending_timers
    from arvo_temporal.errors import ConfigViolation, is_violation
    from arvo_temporal.events import ArvoEvent
    from arvo_temporal.orchestration.record import MachineMemoryRecord
    from arvo_temporal.orchestration.result import OrchestratorResult
    from arvo_temporal.orchestration.step import (
        OrchestratorSettings,
        StepResult,
        check_subject,
        step,
        step_cancel,
        step_timer,
    )
    from arvo_temporal.subject import ArvoOrchestrationSubject, SubjectContent
    from arvo_temporal.temporal._app import ArvoApp, registered_app
    from arvo_temporal.temporal._models import (
        CarriedState,
        DispatchBatch,
        DispatchReport,
        ExecutionStatus,
        ExecutionStatusView,
        ExecutionSummary,
        HandleRequest,
        HandleResponse,
        InboxItem,
        PendingTimer,
        Rejection,
        StoredOutcome,
        WorkflowInput,
    )
    from arvo_temporal.temporal._search_attributes import ARVO_STATUS

__all__ = [
    "CLOSED_EXECUTION",
    "DISPATCH_ACTIVITY",
    "EXECUTE_UPDATE",
    "HANDLE_ACTIVITY",
    "WORKFLOW_NAME",
    "ArvoMachineWorkflow",
    "WorkflowIdClock",
]

WORKFLOW_NAME = "ArvoMachineWorkflow"
HANDLE_ACTIVITY = "arvo_handle"
DISPATCH_ACTIVITY = "arvo_dispatch"
EXECUTE_UPDATE = "execute"
# The update validator's words for a finished execution; the client maps them to
# ExecutionClosedError, so both sides use this one constant.
CLOSED_EXECUTION = "it accepts no more events"

SEEN_WINDOW = 4096
OUTCOME_WINDOW = 256
REJECTION_WINDOW = 50
# Well before Temporal's hard per-run limits (10,000 signals, 2,000 updates; docs/temporal.md §3).
MESSAGES_BEFORE_CONTINUE_AS_NEW = 4000
UPDATES_BEFORE_CONTINUE_AS_NEW = 1500
# A run started by a message that never arrived (update-with-start is not atomic) ends itself.
ORPHAN_TIMEOUT = timedelta(minutes=1)
TERMINAL: frozenset[str] = frozenset({"done", "failed", "cancelled"})

HANDLER_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=[
        "ConfigViolation",
        "ContractViolation",
        "ExecutionViolation",
        "OrchestratorTransaction",
    ],
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


def _status_of(record: MachineMemoryRecord | None) -> ExecutionStatus:
    if record is None:
        return "pending"
    if record.failed:
        return "failed"
    if record.status == "done":
        return "done"
    if record.status == "cancelled":
        return "cancelled"
    return "active"


@workflow.defn(name=WORKFLOW_NAME)
class ArvoMachineWorkflow:
    """One Arvo execution (one subject). Started by the client or by another workflow's dispatch;
    never started directly with a payload of machine state."""

    @workflow.init
    def __init__(self, input: WorkflowInput) -> None:
        carried = input.carried or CarriedState()
        self._input = input
        self._record: MachineMemoryRecord | None = carried.record
        self._inbox: deque[InboxItem] = deque(carried.inbox)
        self._queued: set[str] = {item.event.id for item in carried.inbox}
        self._seen: dict[str, None] = dict.fromkeys(carried.seen)
        self._outcomes: dict[str, StoredOutcome] = dict(carried.outcomes)
        self._rejections: list[Rejection] = list(carried.rejections)
        self._processed = carried.processed
        self._runs = carried.runs
        self._cancel_reason = carried.cancel_reason
        self._deadline_ms = carried.deadline_ms
        self._status: ExecutionStatus = _status_of(carried.record)
        # The client sets ArvoStatus=active at start; search attributes survive continue-as-new.
        self._published_status: ExecutionStatus = self._status if carried.record else "active"
        self._ended_with: str | None = None
        self._draining = False
        self._messages = 0
        self._updates = 0
        self._handler_tasks = 0
        self._dispatch_tail: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._subject: SubjectContent | None = None
        self._settings: OrchestratorSettings | None = None
        self._app: ArvoApp | None = None

    # ----------------------------------------------------------------------------- ingress

    @workflow.signal(name="arvo_event")
    def arvo_event(self, event: ArvoEvent) -> None:
        """Fire-and-forget delivery (the target of signal-with-start)."""
        self._messages += 1
        problem = self._refusal(event)
        if problem:
            self._reject(event, "ExecutionViolation", problem)
            return
        self._enqueue(event, "signal")

    @workflow.update(name=EXECUTE_UPDATE)
    async def execute(self, event: ArvoEvent) -> OrchestratorResult:
        """Apply an event and answer with what it produced (Arvo's ``execute``)."""
        self._messages += 1
        self._updates += 1
        if event.id not in self._outcomes:
            if event.id in self._seen:
                return OrchestratorResult.empty()  # applied long ago; its answer aged out
            self._enqueue(event, "update")
            await workflow.wait_condition(lambda: event.id in self._outcomes)
        outcome = self._outcomes[event.id]
        if outcome.error_type is not None:
            raise ApplicationError(
                outcome.error_message or outcome.error_type,
                type=outcome.error_type,
                non_retryable=True,
            )
        return outcome.result or OrchestratorResult.empty()

    @execute.validator
    def _validate_execute(self, event: ArvoEvent) -> None:
        # Rejecting here costs no history event (docs/temporal.md §1).
        problem = self._refusal(event)
        if problem:
            raise ValueError(problem)
        if self._draining:
            raise ValueError("the execution is continuing as new; retry the update")
        if self._status in TERMINAL:
            raise ValueError(f"the execution is {self._status}; {CLOSED_EXECUTION}")

    @workflow.signal(name="arvo_cancel")
    def arvo_cancel(self, reason: str) -> None:
        """Ask the execution to end as ``cancelled``; the initiator is told why."""
        if self._cancel_reason is None:
            self._cancel_reason = reason or "cancelled by a client"

    @workflow.query(name="snapshot")
    def snapshot(self) -> dict[str, Any] | None:
        """The machine memory record (Arvo's names), or None before the first event."""
        return self._record.to_json() if self._record else None

    @workflow.query(name="status")
    def status(self) -> ExecutionStatusView:
        """What the execution is doing now."""
        state = self._record.state if self._record else None
        return ExecutionStatusView(
            subject=self._input.subject,
            orchestrator=self._input.orchestrator,
            status=self._status,
            value=self._record.value if self._record else None,
            processed=self._processed,
            inbox=len(self._inbox),
            runs=self._runs,
            timers=[
                PendingTimer(id=str(timer["id"]), due_ms=float(timer["due_ms"]))
                for timer in pending_timers(state)
            ],
            rejections=list(self._rejections[-20:]),
        )

    def _refusal(self, event: ArvoEvent) -> str | None:
        if event.subject != self._input.subject:
            return (
                f"event {event.id} has subject {event.subject[:40]}…, which is not this "
                "execution's subject"
            )
        return None

    def _enqueue(self, event: ArvoEvent, via: Any) -> None:
        if event.id in self._seen or event.id in self._queued:
            workflow.logger.info("duplicate event %s ignored", event.id)
            return
        self._queued.add(event.id)
        self._inbox.append(InboxItem(event=event, via=via))

    def _reject(self, event: ArvoEvent, error_type: str, message: str) -> None:
        workflow.logger.warning("event %s (%s) not applied: %s", event.id, event.type, message)
        self._rejections.append(
            Rejection(
                event_id=event.id, event_type=event.type, error_type=error_type, message=message
            )
        )
        del self._rejections[:-REJECTION_WINDOW]

    # ----------------------------------------------------------------------------- main loop

    @workflow.run
    async def run(self, input: WorkflowInput) -> ExecutionSummary:
        """Apply events until the machine finishes, is cancelled or times out."""
        try:
            self._app = registered_app(
                input.task_queue or workflow.info().task_queue, input.orchestrator
            )
            self._settings = self._app.settings_for(input.orchestrator)
            self._subject = ArvoOrchestrationSubject.parse(input.subject)
        except (ConfigViolation, ValueError) as error:
            raise ApplicationError(
                str(error), type=type(error).__name__, non_retryable=True
            ) from None
        spec = self._app.orchestrators[input.orchestrator]
        if self._deadline_ms is None and spec.execution_timeout is not None:
            self._deadline_ms = _now_ms() + spec.execution_timeout.total_seconds() * 1000
        try:
            await self._loop()
            await self._drain_dispatches()
        except asyncio.CancelledError:
            # Temporal delivers a cancel request once, wherever run() is waiting. Finish the
            # machine's cancellation (unless it already ended) and every delivery in flight;
            # the run shows as cancelled only if the machine was.
            if self._status not in TERMINAL:
                await self._cancel(self._cancel_reason or "cancelled by a Temporal cancel request")
            await self._drain_dispatches()
            if self._status == "cancelled":
                raise
        await workflow.wait_condition(workflow.all_handlers_finished)
        for item in self._inbox:
            # Arvo ignores events for a finished execution; say so rather than drop them silently.
            workflow.logger.info(
                "event %s (%s) arrived after the execution ended (%s); ignored",
                item.event.id,
                item.event.type,
                self._status,
            )
        return self._summary()

    async def _loop(self) -> None:
        while True:
            timed_out = False
            try:
                await workflow.wait_condition(self._has_work, timeout=self._wake_after())
            except TimeoutError:
                timed_out = True
            await self._fire_due_timers()
            while self._inbox:
                await self._apply(self._inbox.popleft())
            if self._status in TERMINAL:
                return
            if self._cancel_reason is not None:
                await self._cancel(self._cancel_reason)
                return
            if self._deadline_ms is not None and _now_ms() >= self._deadline_ms:
                await self._cancel("the execution timeout was reached")
                return
            if self._never_started(timed_out):
                self._status = "rejected"
                self._ended_with = (
                    self._rejections[-1].message
                    if self._rejections
                    else "no event started the execution"
                )
                self._publish_status()
                return
            if self._should_continue_as_new():
                await self._continue_as_new()

    def _never_started(self, timed_out: bool) -> bool:
        """The events so far (or none, after a while) created no execution: end the run."""
        idle = self._record is None and self._handler_tasks == 0 and not self._inbox
        return idle and (self._processed > 0 or bool(self._rejections) or timed_out)

    def _has_work(self) -> bool:
        return (
            bool(self._inbox) or self._cancel_reason is not None or self._should_continue_as_new()
        )

    def _wake_after(self) -> timedelta | None:
        candidates: list[float] = []
        timers = pending_timers(self._record.state if self._record else None)
        if timers and self._status == "active":
            candidates.append(float(timers[0]["due_ms"]))
        if self._deadline_ms is not None:
            candidates.append(self._deadline_ms)
        if self._record is None:
            return ORPHAN_TIMEOUT
        if not candidates:
            return None
        return timedelta(milliseconds=max(1.0, min(candidates) - _now_ms()))

    # ----------------------------------------------------------------------------- steps

    async def _apply(self, item: InboxItem) -> None:
        event = item.event
        self._queued.discard(event.id)
        if event.id in self._seen:
            return
        settings, subject = self._require()
        try:
            owner = check_subject(event, settings.source)
            if owner is None:
                raise ConfigViolation(f"the subject does not belong to {settings.source}")
            result = step(
                settings,
                record=self._record,
                event=event,
                subject=subject,
                id_clock=_CLOCK,
                traceparent=event.traceparent,
                tracestate=event.tracestate,
                now_ms=_now_ms(),
            )
        except Exception as error:  # a poison event must never fail the workflow task
            error_type = getattr(error, "kind", None) if is_violation(error) else None
            kind = f"{error_type}Violation" if error_type else type(error).__name__
            if error_type == "OrchestratorTransaction":
                kind = "TransactionViolation"
            self._mark_seen(event.id)
            self._remember(event.id, StoredOutcome(error_type=kind, error_message=str(error)))
            self._reject(event, kind, str(error))
            return
        self._mark_seen(event.id)
        self._processed += 1
        self._remember(event.id, StoredOutcome(result=result.result))
        await self._after_step(result)

    async def _fire_due_timers(self) -> None:
        settings, subject = self._require()
        while self._record is not None and self._status == "active":
            timers = pending_timers(self._record.state)
            now = _now_ms()
            if not timers or float(timers[0]["due_ms"]) > now:
                return
            result = step_timer(
                settings,
                record=self._record,
                timer_event=timers[0]["event"],
                subject=subject,
                id_clock=_CLOCK,
                now_ms=now,
            )
            if result.record is None:
                return
            await self._after_step(result)

    async def _cancel(self, reason: str) -> None:
        settings, subject = self._require()
        result = step_cancel(
            settings, record=self._record, subject=subject, id_clock=_CLOCK, reason=reason
        )
        self._ended_with = reason
        await self._after_step(result)
        self._status = "cancelled"
        self._publish_status()
        # Temporal's cancel carries no details: keep the reason where result() can read it
        # without a worker (the memo, shown in the UI too).
        workflow.upsert_memo({"cancel_reason": reason})

    async def _after_step(self, result: StepResult) -> None:
        if result.record is not None:
            self._record = result.record
            self._status = _status_of(result.record)
        self._publish_status()
        workflow.set_current_details(
            f"**{self._status}** · state `{self._record.value if self._record else None}` · "
            f"{self._processed} events"
        )
        self._route(result.events)

    def _publish_status(self) -> None:
        # One history event per change, and only on change (docs/temporal.md §6).
        if self._status not in ("pending", self._published_status):
            workflow.upsert_search_attributes([ARVO_STATUS.value_set(self._status)])
            self._published_status = self._status

    # ----------------------------------------------------------------------------- egress

    def _route(self, events: list[ArvoEvent]) -> None:
        settings, _ = self._require()
        assert self._app is not None, "run() resolves the app before any step"
        outgoing: list[ArvoEvent] = []
        for event in events:
            route, target = self._app.route(event)
            if route == "handler":
                self._handler_tasks += 1
                task = asyncio.create_task(self._run_handler(event, target))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            elif (
                route == "orchestrator"
                and event.subject == self._input.subject
                and target == settings.source
            ):
                self._enqueue(event, "handler")
            else:
                outgoing.append(event)
        if outgoing:
            previous = self._dispatch_tail
            self._dispatch_tail = asyncio.create_task(self._dispatch(previous, outgoing))

    async def _run_handler(self, event: ArvoEvent, handler: str) -> None:
        try:
            response = await workflow.execute_activity(
                HANDLE_ACTIVITY,
                HandleRequest(handler=handler, event=event),
                result_type=HandleResponse,
                start_to_close_timeout=self._app.handler_timeout
                if self._app
                else timedelta(minutes=5),
                retry_policy=HANDLER_RETRY,
                summary=f"{event.type} → handler {handler}",
            )
        except ActivityError as error:
            cause = error.cause
            kind = (
                cause.type if isinstance(cause, ApplicationError) and cause.type else "HandlerError"
            )
            self._reject(event, kind or "HandlerError", str(cause or error))
            return
        finally:
            self._handler_tasks -= 1
        self._route(response.events)

    async def _dispatch(self, previous: asyncio.Task[None] | None, events: list[ArvoEvent]) -> None:
        if previous is not None:
            # Keep outgoing events in emission order; shielded, so that cancelling this task
            # never cancels the delivery before it.
            await asyncio.shield(previous)
        settings, _ = self._require()
        targets = ", ".join(sorted({event.to or "?" for event in events}))
        try:
            await workflow.execute_local_activity(
                DISPATCH_ACTIVITY,
                DispatchBatch(
                    source=settings.source,
                    events=events,
                    task_queue=self._input.task_queue or workflow.info().task_queue,
                ),
                result_type=DispatchReport,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=DISPATCH_RETRY,
                summary=f"emit {len(events)} event(s) → {targets}",
            )
        except ActivityError as error:
            for event in events:
                self._reject(event, "DeliveryFailed", str(error.cause or error))

    async def _drain_dispatches(self) -> None:
        # Shielded: a cancel request arriving while run() waits here cancels run(), not the
        # deliveries in flight (else the initiator's sys.<source>.error could be lost).
        while self._dispatch_tail is not None and not self._dispatch_tail.done():
            await asyncio.shield(self._dispatch_tail)

    # ----------------------------------------------------------------------------- continue-as-new

    def _should_continue_as_new(self) -> bool:
        if self._status in TERMINAL or self._record is None:
            return False
        return (
            workflow.info().is_continue_as_new_suggested()
            or self._messages >= MESSAGES_BEFORE_CONTINUE_AS_NEW
            or self._updates >= UPDATES_BEFORE_CONTINUE_AS_NEW
        )

    async def _continue_as_new(self) -> None:
        self._draining = True
        while True:
            await workflow.wait_condition(lambda: self._handler_tasks == 0 or bool(self._inbox))
            while self._inbox:
                await self._apply(self._inbox.popleft())
            if self._handler_tasks == 0:
                break
        await self._drain_dispatches()
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._status in TERMINAL:
            return
        workflow.continue_as_new(
            WorkflowInput(
                orchestrator=self._input.orchestrator,
                subject=self._input.subject,
                task_queue=self._input.task_queue,
                carried=CarriedState(
                    record=self._record,
                    inbox=list(self._inbox),
                    seen=list(self._seen),
                    outcomes=self._outcomes,
                    rejections=self._rejections,
                    processed=self._processed,
                    runs=self._runs + 1,
                    cancel_reason=self._cancel_reason,
                    deadline_ms=self._deadline_ms,
                ),
            )
        )

    # ----------------------------------------------------------------------------- helpers

    def _require(self) -> tuple[OrchestratorSettings, SubjectContent]:
        assert self._settings is not None, "run() sets the settings before any step"
        assert self._subject is not None, "run() parses the subject before any step"
        return self._settings, self._subject

    def _mark_seen(self, event_id: str) -> None:
        self._seen[event_id] = None
        while len(self._seen) > SEEN_WINDOW:
            del self._seen[next(iter(self._seen))]

    def _remember(self, event_id: str, outcome: StoredOutcome) -> None:
        self._outcomes[event_id] = outcome
        while len(self._outcomes) > OUTCOME_WINDOW:
            del self._outcomes[next(iter(self._outcomes))]

    def _summary(self) -> ExecutionSummary:
        record = self._record
        output = None
        if record is not None and record.state is not None and self._status == "done":
            value = record.state.get("output")
            output = value if isinstance(value, dict) else None
        error = self._ended_with
        if record is not None and record.failed and record.error is not None:
            error = f"{record.error.name}: {record.error.message}"
        return ExecutionSummary(
            subject=self._input.subject,
            orchestrator=self._input.orchestrator,
            status=self._status,
            output=output,
            error=error,
            value=record.value if record else None,
            processed=self._processed,
        )
