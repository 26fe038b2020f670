"""``ArvoScheduledStart``: what a Temporal Schedule runs at each fire to start a *new* execution.

A schedule's start action has fixed arguments, but every Arvo execution needs its own subject
(the workflow id comes from it) and every event its own id. So a schedule does not start the
Arvo execution directly; it starts this small workflow with the event template, and the workflow

1. mints the fire's execution id, event id and time from ``workflow.uuid4()`` and
   ``workflow.now()`` (recorded in history, so a replay or a retried task mints the same ones),
2. builds the init event from the template (``arvo_temporal/temporal/_event_template.py``),
3. delivers it with one activity that reuses ``deliver_event``, the client's own path.

Why an activity and not a child workflow: the Arvo execution stays a top-level workflow with the
normal id, search attributes, memo and id policies (``_delivery.start_options``), exactly as if a
client had sent the init event, and it outlives this workflow without parent-close policies.
Retrying the activity is harmless: the subject and event id are fixed before it runs, so a
second attempt reaches the same execution (signal-with-start, USE_EXISTING) and the event is
de-duplicated by id; if that execution already finished, it was this fire's, so the attempt
counts as done.

The workflow returns where the execution went (``ScheduledStartResult``), so a schedule's recent
actions lead to the executions they started (``arvo-temporal schedule describe``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

from arvo_temporal.errors import ExecutionClosedError, InvalidEventTemplate, is_violation
from arvo_temporal.events import ArvoEvent
from arvo_temporal.temporal._delivery import deliver_event, parse_target
from arvo_temporal.temporal._errors import failure_for
from arvo_temporal.temporal._event_template import EventTemplate

__all__ = [
    "SCHEDULED_START_ACTIVITY",
    "SCHEDULED_START_WORKFLOW",
    "ArvoScheduledStart",
    "ScheduledStart",
    "ScheduledStartActivities",
    "ScheduledStartResult",
]

SCHEDULED_START_WORKFLOW = "ArvoScheduledStart"
SCHEDULED_START_ACTIVITY = "arvo_scheduled_start"

START_DEADLINE = timedelta(hours=1)
"""How long one fire keeps trying to start its execution (e.g. while Temporal refuses the start)
before it fails visibly in the schedule's recent actions."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ScheduledStart(_Frozen):
    """The fixed argument of a schedule's action: which schedule, and its event template."""

    schedule: str
    template: dict[str, Any]


class ScheduledStartResult(_Frozen):
    """The execution one fire started."""

    workflow_id: str
    subject: str
    event_id: str


@workflow.defn(name=SCHEDULED_START_WORKFLOW)
class ArvoScheduledStart:
    """Mint a fresh init event from the template and start its execution (module docstring)."""

    @workflow.run
    async def run(self, request: ScheduledStart) -> ScheduledStartResult:
        try:
            event = EventTemplate.parse(request.template).mint(
                execution_id=str(workflow.uuid4()),
                event_id=str(workflow.uuid4()),
                time=workflow.now(),
            )
        except InvalidEventTemplate as error:
            # Checked when the schedule was created; a template edited since fails this fire
            # (visible in the schedule's recent actions), never retried as a stuck task.
            raise ApplicationError(
                str(error), type=InvalidEventTemplate.__name__, non_retryable=True
            ) from None
        workflow_id: str = await workflow.execute_activity(
            SCHEDULED_START_ACTIVITY,
            event,
            result_type=str,
            start_to_close_timeout=timedelta(seconds=30),
            schedule_to_close_timeout=START_DEADLINE,
            retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
        )
        return ScheduledStartResult(
            workflow_id=workflow_id, subject=event.subject, event_id=event.id
        )


class ScheduledStartActivities:
    """The activity that delivers a fire's init event, bound to the worker's client."""

    def __init__(self, client: Client) -> None:
        self.client = client

    @activity.defn(name=SCHEDULED_START_ACTIVITY)
    async def start(self, event: ArvoEvent) -> str:
        """Deliver the init event on the worker's task queue; returns the workflow id."""
        try:
            return await deliver_event(self.client, event, task_queue=activity.info().task_queue)
        except ExecutionClosedError:
            # The subject is this fire's own: an earlier attempt started it and it has finished.
            return parse_target(event)[1]
        except Exception as error:
            if is_violation(error):
                raise failure_for(error) from error
            raise
