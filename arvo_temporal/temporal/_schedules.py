"""ArvoSchedules: start a fresh Arvo execution on a timetable, with Temporal Schedules.

Each schedule is a Temporal Schedule named as the operator named it, whose action starts
``ArvoScheduledStart`` with the event template; at each fire that workflow mints a new subject
and event id and starts the execution (``arvo_temporal/temporal/_scheduled_start.py``). Workers
built with ``ArvoPlugin(app)`` serve it, on the task queue the schedule names.

Defaults, chosen for executions rather than for Temporal's general case:

* overlap ``SKIP``: the overlap policy governs the *starter* (one fire still starting its
  execution, e.g. while no worker polls the task queue), not the executions, which each have
  their own subject and may run side by side for weeks. While a start is pending, further fires
  are skipped rather than piling up behind a missing worker.
* catchup window one minute (Temporal's is a year): after the cluster was down, fires missed by
  more than that are dropped instead of starting a burst of stale executions.
* no jitter.

Only schedules whose action is ``ArvoScheduledStart`` are listed, and pause, unpause, trigger and
delete refuse any other, so an operator cannot disturb the namespace's other schedules by a typo.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionResult,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleDescription,
    ScheduleHandle,
    ScheduleIntervalSpec,
    ScheduleListActionStartWorkflow,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    WorkflowFailureError,
)
from temporalio.service import RPCError, RPCStatusCode

from arvo_temporal.errors import InvalidScheduleError, ScheduleExistsError, ScheduleNotFoundError
from arvo_temporal.temporal._app import ArvoApp
from arvo_temporal.temporal._event_template import EventTemplate
from arvo_temporal.temporal._scheduled_start import (
    SCHEDULED_START_WORKFLOW,
    ScheduledStart,
    ScheduledStartResult,
)

__all__ = [
    "DEFAULT_CATCHUP_WINDOW",
    "DEFAULT_OVERLAP",
    "ArvoSchedules",
    "ScheduleFire",
    "ScheduleView",
]

DEFAULT_OVERLAP = ScheduleOverlapPolicy.SKIP
DEFAULT_CATCHUP_WINDOW = timedelta(minutes=1)
_NEXT_FIRES_SHOWN = 3
_MIN_CATCHUP_WINDOW = timedelta(seconds=10)  # Temporal raises anything shorter to this


@dataclass(frozen=True)
class ScheduleFire:
    """One recent fire and, once its starter finished, the execution it started.

    Attributes:
        scheduled_at: when the schedule fired.
        starter_id: the workflow id of the fire's ``ArvoScheduledStart``.
        workflow_id / subject: the execution started (None while starting, or if it failed).
        error: why the start failed, if it did.
    """

    scheduled_at: datetime
    starter_id: str
    workflow_id: str | None = None
    subject: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class ScheduleView:
    """An Arvo schedule as ``list`` and ``describe`` show it: its next three fire times (none
    while paused), and with ``describe`` its recent fires."""

    name: str
    orchestrator: str | None
    version: str | None
    cron: tuple[str, ...]
    every: tuple[timedelta, ...]
    paused: bool
    note: str | None
    next_fires: tuple[datetime, ...]
    recent_fires: tuple[ScheduleFire, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (times as ISO 8601, intervals in seconds)."""
        return {
            "schedule": self.name,
            "orchestrator": self.orchestrator,
            "version": self.version,
            "cron": list(self.cron),
            "every_seconds": [every.total_seconds() for every in self.every],
            "paused": self.paused,
            "note": self.note,
            "next_fires": [moment.isoformat() for moment in self.next_fires],
            "recent_fires": [
                {
                    "scheduled_at": fire.scheduled_at.isoformat(),
                    "starter_id": fire.starter_id,
                    "workflow_id": fire.workflow_id,
                    "subject": fire.subject,
                    "error": fire.error,
                }
                for fire in self.recent_fires
            ],
        }


class ArvoSchedules:
    """Create, list, describe, pause, unpause, trigger and delete Arvo schedules.

    Args:
        client: a ``temporalio`` client with Arvo's data converter (``ArvoTemporalClient``'s
            ``temporal`` attribute, or one built with ``plugins=[ArvoPlugin()]``).
        task_queue: where fires run unless ``create`` names another (the workers' queue).
    """

    def __init__(self, client: Client, *, task_queue: str) -> None:
        self.client = client
        self.task_queue = task_queue

    async def create(
        self,
        name: str,
        template: EventTemplate,
        *,
        cron: Sequence[str] = (),
        every: Sequence[timedelta] = (),
        app: ArvoApp | None = None,
        task_queue: str | None = None,
        overlap: ScheduleOverlapPolicy = DEFAULT_OVERLAP,
        catchup_window: timedelta = DEFAULT_CATCHUP_WINDOW,
        jitter: timedelta | None = None,
        paused: bool = False,
        note: str | None = None,
    ) -> ScheduleView:
        """Create the schedule ``name``: at each ``cron`` time and ``every`` interval, a new
        execution from ``template`` (checked against ``app``'s contract when given).

        Raises:
            InvalidEventTemplate: the template has no version and no ``app`` gives one, or it
                breaks the app's contract.
            InvalidScheduleError: no timetable, a catchup window under 10 s, or one Temporal
                refuses (a malformed cron expression, a zero interval).
            ScheduleExistsError: a schedule with this name exists.
        """
        if not name.strip():
            raise InvalidScheduleError("a schedule needs a name")
        if not cron and not every:
            raise InvalidScheduleError(f"schedule {name!r} needs a cron expression or an interval")
        if catchup_window < _MIN_CATCHUP_WINDOW:
            raise InvalidScheduleError(
                f"the catchup window must be at least {_MIN_CATCHUP_WINDOW.total_seconds():g}s"
            )
        checked = (template.for_app(app) if app is not None else template).ready()
        version = checked.version
        queue = task_queue or self.task_queue
        action = ScheduleActionStartWorkflow(
            SCHEDULED_START_WORKFLOW,
            ScheduledStart(schedule=name, template=dict(checked.fields)),
            id=f"arvo-schedule/{name}",
            task_queue=queue,
            static_summary=f"start {checked.orchestrator} {version} (schedule {name})",
        )
        schedule = Schedule(
            action=action,
            spec=ScheduleSpec(
                cron_expressions=list(cron),
                intervals=[ScheduleIntervalSpec(every=interval) for interval in every],
                jitter=jitter,
            ),
            policy=SchedulePolicy(overlap=overlap, catchup_window=catchup_window),
            state=ScheduleState(paused=paused, note=note),
        )
        memo = {
            "orchestrator": checked.orchestrator,
            "version": version,
            "cron": list(cron),
            "every_seconds": [interval.total_seconds() for interval in every],
            "task_queue": queue,
        }
        try:
            await self.client.create_schedule(name, schedule, memo=memo)
        except ScheduleAlreadyRunningError:
            raise ScheduleExistsError(name) from None
        except RPCError as error:
            if error.status == RPCStatusCode.INVALID_ARGUMENT:
                raise InvalidScheduleError(
                    f"Temporal refused schedule {name!r}: {error.message}"
                ) from None
            raise
        return await self.describe(name)

    async def list(self) -> list[ScheduleView]:
        """Every Arvo schedule of the namespace (Temporal's list is eventually consistent: a
        schedule created a moment ago may not be listed yet)."""
        views: list[ScheduleView] = []
        async for entry in await self.client.list_schedules():
            action = entry.schedule.action if entry.schedule else None
            if not (
                isinstance(action, ScheduleListActionStartWorkflow)
                and action.workflow == SCHEDULED_START_WORKFLOW
            ):
                continue
            state = entry.schedule.state if entry.schedule else None
            views.append(
                _view(
                    entry.id,
                    await entry.memo(),
                    paused=bool(state and state.paused),
                    note=state.note if state else None,
                    next_fires=entry.info.next_action_times if entry.info else (),
                )
            )
        return views

    async def describe(self, name: str) -> ScheduleView:
        """One schedule with its recent fires and the executions they started.

        Raises:
            ScheduleNotFoundError: no Arvo schedule has this name.
        """
        description = await self._describe(name)
        fires = [await self._fire(result) for result in description.info.recent_actions]
        state = description.schedule.state
        return _view(
            name,
            await description.memo(),
            paused=state.paused,
            note=state.note,
            next_fires=description.info.next_action_times,
            recent_fires=fires,
        )

    async def pause(self, name: str, *, note: str | None = None) -> None:
        """Stop firing until ``unpause`` (executions already started keep running)."""
        await (await self._handle(name)).pause(note=note or "paused with arvo-temporal")

    async def unpause(self, name: str, *, note: str | None = None) -> None:
        """Fire again from the next scheduled time (missed fires are not made up)."""
        await (await self._handle(name)).unpause(note=note or "unpaused with arvo-temporal")

    async def trigger(self, name: str) -> None:
        """Fire once now, even while paused or while another fire is still starting.

        Temporal names a fire's workflow after the second it fired, so a second fire within the
        same second (two triggers, or a trigger as the timetable fires) is dropped by Temporal.
        """
        await (await self._handle(name)).trigger(overlap=ScheduleOverlapPolicy.ALLOW_ALL)

    async def delete(self, name: str) -> None:
        """Delete the schedule; executions it started keep running."""
        await (await self._handle(name)).delete()

    async def _describe(self, name: str) -> ScheduleDescription:
        try:
            description = await self.client.get_schedule_handle(name).describe()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                raise ScheduleNotFoundError(name) from None
            raise
        action = description.schedule.action
        workflow = action.workflow if isinstance(action, ScheduleActionStartWorkflow) else None
        if workflow != SCHEDULED_START_WORKFLOW:
            raise ScheduleNotFoundError(name, hint="it exists but does not start Arvo executions")
        return description

    async def _handle(self, name: str) -> ScheduleHandle:
        await self._describe(name)
        return self.client.get_schedule_handle(name)

    async def _fire(self, result: ScheduleActionResult) -> ScheduleFire:
        action = result.action
        assert isinstance(action, ScheduleActionExecutionStartWorkflow)
        fire = ScheduleFire(scheduled_at=result.scheduled_at, starter_id=action.workflow_id)
        handle = self.client.get_workflow_handle(
            action.workflow_id,
            run_id=action.first_execution_run_id,
            result_type=ScheduledStartResult,
        )
        try:
            if (await handle.describe()).close_time is None:
                return fire
            started: ScheduledStartResult = await handle.result()
        except WorkflowFailureError as error:
            return dataclasses.replace(fire, error=str(error.cause or error))
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:  # its history is past retention
                return fire
            raise
        return dataclasses.replace(fire, workflow_id=started.workflow_id, subject=started.subject)


def _view(
    name: str,
    memo: Mapping[str, Any],
    *,
    paused: bool,
    note: str | None,
    next_fires: Sequence[datetime],
    recent_fires: Sequence[ScheduleFire] = (),
) -> ScheduleView:
    return ScheduleView(
        name=name,
        orchestrator=memo.get("orchestrator"),
        version=memo.get("version"),
        cron=tuple(memo.get("cron") or ()),
        every=tuple(timedelta(seconds=float(s)) for s in memo.get("every_seconds") or ()),
        paused=paused,
        note=note or None,
        next_fires=() if paused else tuple(next_fires[:_NEXT_FIRES_SHOWN]),
        recent_fires=tuple(recent_fires),
    )
