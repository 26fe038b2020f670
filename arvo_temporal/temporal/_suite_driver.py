"""A test-suite driver for executions on Temporal (``arvo_temporal.testing``).

The suites' steps send events and check what each emitted; on Temporal that is Arvo's
``execute`` through the client (an update, answered with the step's events), so the same suite
that runs against an orchestrator or resumable in process runs against the deployed machine
code on a worker. Handlers run inside executions there, so suites for a lone handler stay in
process.
"""

from __future__ import annotations

from datetime import timedelta

from arvo_temporal.events import ArvoEvent
from arvo_temporal.temporal._client import ArvoTemporalClient

__all__ = ["TemporalDriver"]


class TemporalDriver:
    """Runs suite steps against executions on Temporal (a worker must serve the app).

    Args:
        client: the client of the app's task queue.
        wait: how long one step may wait for its answer (the client's default when None).
    """

    def __init__(self, client: ArvoTemporalClient, *, wait: timedelta | None = None) -> None:
        self.client = client
        self.wait = wait

    async def execute(self, event: ArvoEvent) -> list[ArvoEvent]:
        """Every event the step emitted, in order; violations are raised as the client
        rebuilds them (the same classes as in process)."""
        result = await self.client.execute(event, wait=self.wait)
        return list(result.all_events)
