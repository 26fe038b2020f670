"""The activities: all I/O of an Arvo workflow happens here.

* ``arvo_handle`` runs a registered ``ArvoEventHandler`` on one event. Handler errors already
  become ``sys.<type>.error`` events inside the handler (Arvo's rule), so retries only cover
  infrastructure failures; violations are non-retryable ``ApplicationError``s typed with the
  violation's name.
* ``arvo_dispatch`` sends one processed event's outgoing events, in order, along the route the
  workflow chose for each: to other orchestrators' workflows (signal-with-start for inits,
  signals otherwise) or to the sink of their domain. Delivery is at least once; receivers
  dedupe on the event id, which is minted in the workflow and therefore identical across
  retries and replays. An event for a finished or
  unknown execution is reported as dropped (Arvo ignores such events), never retried forever;
  an event its sink refuses for good is dead-lettered and reported, never a failure
  (``arvo_temporal/temporal/_sink_dispatch.py``).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from arvo_temporal.errors import ExecutionClosedError, ExecutionNotFoundError, is_violation
from arvo_temporal.events import ArvoEvent
from arvo_temporal.temporal._app import ArvoApp
from arvo_temporal.temporal._cascade import cancel_descendants
from arvo_temporal.temporal._delivery import deliver_event
from arvo_temporal.temporal._errors import failure_for
from arvo_temporal.temporal._models import (
    CancelOwnRun,
    DeliveryOutcome,
    DispatchBatch,
    DispatchReport,
    HandleRequest,
    HandleResponse,
)
from arvo_temporal.temporal._sink_dispatch import deliver_to_sinks
from arvo_temporal.temporal._workflow import (
    CANCEL_OWN_RUN_ACTIVITY,
    DISPATCH_ACTIVITY,
    HANDLE_ACTIVITY,
)

__all__ = ["ArvoActivities"]


async def _heartbeat_every(interval: timedelta) -> None:
    """Tell Temporal this worker is alive while a handler runs (a lost worker is then noticed
    after the heartbeat timeout, not after the whole start-to-close timeout)."""
    while True:
        activity.heartbeat()
        await asyncio.sleep(interval.total_seconds())


class ArvoActivities:
    """Activity implementations bound to one app and one client (the worker's own)."""

    def __init__(self, app: ArvoApp, client: Client) -> None:
        self.app = app
        self.client = client

    @activity.defn(name=CANCEL_OWN_RUN_ACTIVITY)
    async def cancel_own_run(self, request: CancelOwnRun) -> None:
        """Ask Temporal to cancel the calling run, which a workflow cannot do itself (its
        execution timeout, the ``arvo_cancel`` signal). With ``cascade``, the executions it
        started are cancelled first (arvo_temporal/temporal/_cascade.py): the run's own cancel
        request cancels this activity, so it must come last. Done here, not with workflow
        commands, so runs recorded before cascading replay unchanged."""
        if request.cascade:
            await cancel_descendants(self.client, request.workflow_id, request.reason)
        handle = self.client.get_workflow_handle(request.workflow_id, run_id=request.run_id)
        await handle.cancel(reason=request.reason)

    @activity.defn(name=HANDLE_ACTIVITY)
    async def handle(self, request: HandleRequest) -> HandleResponse:
        """Run a service handler; its result events go back to the workflow."""
        handler = self.app.handlers.get(request.handler)
        if handler is None:
            raise ApplicationError(
                f"no handler {request.handler} in this worker",
                {"message": f"no handler {request.handler} in this worker"},
                type="ConfigViolation",
                non_retryable=True,
            )
        heartbeat = activity.info().heartbeat_timeout
        beating = asyncio.create_task(_heartbeat_every(heartbeat / 3)) if heartbeat else None
        try:
            result = await handler.execute(request.event)
        except Exception as error:
            if is_violation(error):
                raise failure_for(error) from error
            raise
        finally:
            if beating is not None:
                beating.cancel()
        return HandleResponse(events=result.all_events)

    @activity.defn(name=DISPATCH_ACTIVITY)
    async def dispatch(self, batch: DispatchBatch) -> DispatchReport:
        """Deliver outgoing events along their routes; see the module docstring."""
        deliveries: list[DeliveryOutcome] = []
        to_sinks: list[ArvoEvent] = []
        for item in batch.items:
            if item.route == "orchestrator":
                deliveries.append(await self._to_workflow(item.event, item.target))
            else:
                to_sinks.append(item.event)
        if not to_sinks:
            return DispatchReport(deliveries=deliveries)
        outcomes, dead_letters = await deliver_to_sinks(
            self.app, to_sinks, attempt=activity.info().attempt
        )
        return DispatchReport(deliveries=[*deliveries, *outcomes], dead_letters=dead_letters)

    async def _to_workflow(self, event: ArvoEvent, target: str) -> DeliveryOutcome:
        try:
            workflow_id = await deliver_event(
                self.client, event, task_queue=activity.info().task_queue
            )
        except (ExecutionClosedError, ExecutionNotFoundError) as error:
            activity.logger.warning("event %s for %s dropped: %s", event.id, target, error)
            return DeliveryOutcome(
                event_id=event.id, route="dropped", target=target, detail=str(error)
            )
        except Exception as error:
            if is_violation(error):
                raise failure_for(error) from error
            raise
        return DeliveryOutcome(event_id=event.id, route="orchestrator", target=workflow_id)
