"""Saying why a query waits: no worker polls the execution's task queue.

A query (``status``, ``snapshot``, ``tasks``, ``answer``) of a running execution is answered by a
worker; with none, Temporal keeps it waiting until the time limit. After a few seconds without an
answer, the execution's task queue is described (``DescribeTaskQueue``): when it lists no poller
that polled recently, the command says which task queue has no worker, on stderr while it waits
and in its error if it gives up.

Temporal lists a poller for minutes after its worker stopped, with the time of its last poll; a
live worker polls again at least every minute (a long poll expires after 60 s), so only pollers
seen within ``LIVE_POLLER_WINDOW`` count: a worker that stopped moments ago is not caught, one
that never ran or stopped a while ago is.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError

from arvo_temporal.cli._io import Io

__all__ = [
    "LIVE_POLLER_WINDOW",
    "NO_POLLER_AFTER",
    "PollerWatch",
    "idle_task_queue",
    "watch_pollers",
]

NO_POLLER_AFTER = 3.0
"""Seconds a query waits before the command looks for a worker on the execution's task queue."""
LIVE_POLLER_WINDOW = timedelta(seconds=70)
"""A poller last seen longer ago than this has gone (live ones poll at least every minute)."""


async def idle_task_queue(client: Client, workflow_id: str) -> str | None:
    """The task queue of ``workflow_id`` when no worker polls it for workflow tasks, else None
    (also None when Temporal cannot say)."""
    try:
        description = await client.get_workflow_handle(workflow_id).describe()
        queue = description.task_queue
        response = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
    except RPCError:
        return None
    now = datetime.now(UTC)
    live = [
        poller
        for poller in response.pollers
        if now - poller.last_access_time.ToDatetime(tzinfo=UTC) <= LIVE_POLLER_WINDOW
    ]
    return None if live else queue


@dataclass
class PollerWatch:
    """What the watch found: the task queue without a poller, if it found one."""

    idle_queue: str | None = None

    def reason(self) -> str:
        """`` (no worker polls task queue X)`` for an error message, or empty."""
        if self.idle_queue is None:
            return ""
        return f" (no worker polls task queue {self.idle_queue})"


@contextlib.asynccontextmanager
async def watch_pollers(
    io: Io, client: Client, workflow_id: str, *, after: float = NO_POLLER_AFTER
) -> AsyncIterator[PollerWatch]:
    """While the block waits for a worker's answer: after ``after`` seconds, say on stderr which
    task queue has no poller, if none has."""
    found = PollerWatch()

    async def look() -> None:
        await asyncio.sleep(after)
        found.idle_queue = await idle_task_queue(client, workflow_id)
        if found.idle_queue is not None:
            io.progress(
                f"no worker polls task queue {found.idle_queue} (Temporal lists no poller seen "
                f"in the last {LIVE_POLLER_WINDOW.total_seconds():g}s): "
                f"start one, e.g. arvo-temporal worker --app MODULE:ATTR --task-queue "
                f"{found.idle_queue}"
            )

    looking = asyncio.create_task(look())
    try:
        yield found
    finally:
        looking.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await looking
