"""``status`` and ``snapshot`` of an execution that has finished, answered without a worker.

A query of a closed workflow is answered by a worker replaying it, so without one it waits (and
the CLI gave up after 30 s). The history already holds the answer: with the app's code
(``--app`` / ``ARVO_APP``) it is replayed here (arvo_temporal/cli/_timeline.py) and gives
exactly what the query would; without it, ``status`` says what the workflow's result and memo
say (status, state, output or error), and ``snapshot`` gives a worker a moment to answer, then
asks for the app.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from typing import Any

from temporalio.client import WorkflowExecutionDescription, WorkflowExecutionStatus
from temporalio.service import RPCError

from arvo_temporal.cli._errors import EXIT_USAGE, CommandError
from arvo_temporal.cli._executions import ExecutionRef, fetch_runs
from arvo_temporal.cli._io import Io
from arvo_temporal.cli._loading import load_app, load_codec
from arvo_temporal.cli._runtime import data_converter, env_text
from arvo_temporal.cli._timeline import Timeline, iso_time, replay_timeline
from arvo_temporal.errors import ExecutionCancelledError, ExecutionFailedError
from arvo_temporal.subject import ArvoOrchestrationSubject
from arvo_temporal.temporal._client import ArvoTemporalClient
from arvo_temporal.temporal._workflow import ArvoMachineWorkflow

__all__ = ["WORKER_GRACE", "closed_record", "closed_status", "for_people"]

WORKER_GRACE = 3.0
"""Seconds ``snapshot`` of a finished execution gives a worker to answer when no app is given."""


def _app_spec(args: argparse.Namespace, io: Io) -> str | None:
    return getattr(args, "app", None) or env_text(io.env, "ARVO_APP")


async def _replayed(
    args: argparse.Namespace, client: ArvoTemporalClient, subject: str, spec: str
) -> Timeline:
    app = load_app(spec)
    codec = load_codec(args.codec) if args.codec else None
    ref = ExecutionRef(workflow_id=client.workflow_id(subject), subject=subject)
    histories = await fetch_runs(client.temporal, ref)
    return await replay_timeline(histories, app=app, data_converter=data_converter(codec))


async def closed_status(
    args: argparse.Namespace,
    io: Io,
    client: ArvoTemporalClient,
    subject: str,
    description: WorkflowExecutionDescription,
) -> dict[str, Any]:
    """The ``status`` of a closed execution: the replayed query answer with the app, else the
    workflow's result and memo."""
    spec = _app_spec(args, io)
    closed_at = description.close_time.isoformat() if description.close_time else None
    if spec:
        timeline = await _replayed(args, client, subject, spec)
        if timeline.status is not None:
            return {**timeline.status, "closed_at": closed_at}
    view: dict[str, Any] = {
        "subject": subject,
        "orchestrator": ArvoOrchestrationSubject.parse(subject).orchestrator.name,
        "closed_at": closed_at,
    }
    if description.status == WorkflowExecutionStatus.COMPLETED:
        handle = client.temporal.get_workflow_handle_for(ArvoMachineWorkflow.run, description.id)
        summary = await handle.result()
        return {**summary.model_dump(mode="json"), "closed_at": closed_at}
    try:
        view.update(status="done", output=await client.result(subject))
    except ExecutionCancelledError as error:
        view.update(status="cancelled", error=str(error))
    except ExecutionFailedError as error:
        view.update(status=error.status, error=str(error))
    return view


async def closed_record(
    args: argparse.Namespace,
    io: Io,
    client: ArvoTemporalClient,
    subject: str,
    description: WorkflowExecutionDescription,
) -> dict[str, Any] | None:
    """The machine memory record of a closed execution, rebuilt from its history.

    Raises:
        CommandError (exit 2): no app to replay it with.
    """
    spec = _app_spec(args, io)
    if not spec:
        with contextlib.suppress(TimeoutError, RPCError):
            # A worker may be up to answer; without one, this would wait for ever.
            async with asyncio.timeout(WORKER_GRACE):
                return await client.snapshot(subject)
        status = description.status.name.lower() if description.status else "closed"
        raise CommandError(
            f"{description.id} has finished ({status}); its record is rebuilt from its history "
            "with the app's code: give --app MODULE:ATTR (or ARVO_APP)",
            code=EXIT_USAGE,
        )
    return (await _replayed(args, client, subject, spec)).record


def for_people(view: dict[str, Any], *, now_ms: float | None = None) -> dict[str, Any]:
    """``view`` with each pending timer's due time in ISO-8601 and the delay still to run."""
    now = time.time() * 1000 if now_ms is None else now_ms
    timers = []
    for timer in view.get("timers") or []:
        due_ms = timer.get("due_ms")
        if isinstance(due_ms, int | float):
            timer = {
                **timer,
                "due": iso_time(due_ms),
                "remaining_seconds": round(max(0.0, due_ms - now) / 1000, 3),
            }
        timers.append(timer)
    return {**view, "timers": timers} if "timers" in view else view
