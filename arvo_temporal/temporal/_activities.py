"""The activities: all I/O of an Arvo workflow happens here.

* ``arvo_handle`` runs a registered ``ArvoEventHandler`` on one event. Handler errors already
  become ``sys.<type>.error`` events inside the handler (Arvo's rule), so retries only cover
  infrastructure failures; violations are non-retryable ``ApplicationError``s typed with the
  violation's name.
* ``arvo_dispatch`` sends one processed event's outgoing events, in order: to other
  orchestrators' workflows (signal-with-start for inits, signals otherwise) and to the sinks of
  their domains. Delivery is at least once; receivers dedupe on the event id, which is minted in
  the workflow and therefore identical across retries and replays. An event for a finished or
  unknown execution is reported as dropped (Arvo ignores such events), never retried forever.
"""

from __future__ import annotations

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from arvo_temporal.errors import (
    ExecutionClosedError,
    ExecutionNotFoundError,
    ViolationError,
    is_violation,
)
from arvo_temporal.events import ArvoEvent
from arvo_temporal.sinks import SinkDeliveryError
from arvo_temporal.temporal._app import ArvoApp
from arvo_temporal.temporal._delivery import deliver_event
from arvo_temporal.temporal._models import (
    DeliveryOutcome,
    DispatchBatch,
    DispatchReport,
    HandleRequest,
    HandleResponse,
)
from arvo_temporal.temporal._workflow import DISPATCH_ACTIVITY, HANDLE_ACTIVITY

__all__ = ["ArvoActivities", "violation_type"]


def violation_type(error: BaseException) -> str:
    """The ``ApplicationError`` type for a violation: ``ContractViolation``, ``ConfigViolation``,
    ``ExecutionViolation`` or ``TransactionViolation`` (user-defined ones keep their class name)."""
    if isinstance(error, ViolationError):
        return (
            "TransactionViolation"
            if error.kind == "OrchestratorTransaction"
            else f"{error.kind}Violation"
        )
    return type(error).__name__


class ArvoActivities:
    """Activity implementations bound to one app and one client."""

    def __init__(self, app: ArvoApp, client: Client) -> None:
        self.app = app
        self.client = client

    @activity.defn(name=HANDLE_ACTIVITY)
    async def handle(self, request: HandleRequest) -> HandleResponse:
        """Run a service handler; its result events go back to the workflow."""
        handler = self.app.handlers.get(request.handler)
        if handler is None:
            raise ApplicationError(
                f"no handler {request.handler} in this worker",
                type="ConfigViolation",
                non_retryable=True,
            )
        try:
            result = await handler.execute(request.event)
        except Exception as error:
            if is_violation(error):
                raise ApplicationError(
                    str(error), type=violation_type(error), non_retryable=True
                ) from error
            raise
        return HandleResponse(events=result.all_events)

    @activity.defn(name=DISPATCH_ACTIVITY)
    async def dispatch(self, batch: DispatchBatch) -> DispatchReport:
        """Deliver outgoing events; see the module docstring for the guarantees."""
        deliveries: list[DeliveryOutcome] = []
        to_sinks: list[ArvoEvent] = []
        for event in batch.events:
            route, target = self.app.route(event)
            if route == "orchestrator":
                deliveries.append(await self._to_workflow(event, target, batch.task_queue))
            else:
                # The workflow runs handlers itself; a handler-bound event reaching this activity
                # (routed by a worker with another app) goes to a sink rather than being lost.
                to_sinks.append(event)
        if to_sinks:
            try:
                await self.app.sinks.deliver(to_sinks)
            except SinkDeliveryError as error:
                raise ApplicationError(
                    str(error),
                    type="SinkDeliveryError",
                    non_retryable=not error.retryable,
                ) from error
            for event in to_sinks:
                sink = self.app.sinks.sink_for(event.domain)
                deliveries.append(
                    DeliveryOutcome(
                        event_id=event.id,
                        route="sink",
                        target=sink.name if sink is not None else "?",
                        detail=event.domain or "default",
                    )
                )
        return DispatchReport(deliveries=deliveries)

    async def _to_workflow(self, event: ArvoEvent, target: str, task_queue: str) -> DeliveryOutcome:
        try:
            workflow_id = await deliver_event(self.client, event, task_queue=task_queue)
        except (ExecutionClosedError, ExecutionNotFoundError) as error:
            activity.logger.warning("event %s for %s dropped: %s", event.id, target, error)
            return DeliveryOutcome(
                event_id=event.id, route="dropped", target=target, detail=str(error)
            )
        except ViolationError as error:
            raise ApplicationError(
                str(error), type=violation_type(error), non_retryable=True
            ) from error
        return DeliveryOutcome(event_id=event.id, route="orchestrator", target=workflow_id)
