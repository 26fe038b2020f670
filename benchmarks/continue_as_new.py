"""How long a busy execution pauses when it continues as new, under a flood of ``send``s.

Usage: ``python -m benchmarks.continue_as_new [SENDERS] [SECONDS] [SUGGEST_AFTER]`` (default
8 senders for 20 s, continue-as-new suggested after 400 history events, so that a run of a few
seconds crosses many cycles; Temporal's default is 4,096).

One counter execution (``benchmarks.workload.build_counter``) receives ticks from SENDERS
concurrent ``send`` loops. Afterwards every run's history is read (``fetch_chain``) and, from
the server's own timestamps of the accepted events, two gaps are measured:

* the **pause**: from the last event accepted by a run to the first accepted by its successor
  (the draining, the continue-as-new task, the new run's start and first task);
* the ordinary gap between consecutive accepted events inside a run, for comparison.

The last line printed is a JSON object: sends, runs, failed workflow tasks (must be 0), and the
pause and gap percentiles in milliseconds.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from itertools import pairwise
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

from arvo_temporal import ArvoEventFactory, ArvoOrchestratorEventFactory
from arvo_temporal.cli import exit_now
from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoApp, ArvoTemporalClient, DevServer, create_worker
from arvo_temporal.temporal._chain import fetch_chain
from benchmarks.stats import machine_description, percentile
from benchmarks.workload import CLIENT, build_counter, counter_contract, tick_contract

_ARRIVALS = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
}


def _arrival_times(history: WorkflowHistory) -> list[float]:
    return [
        event.event_time.ToDatetime().timestamp()
        for event in history.events
        if event.event_type in _ARRIVALS
    ]


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50_ms": round(percentile(ordered, 0.5) * 1000, 1),
        "p99_ms": round(percentile(ordered, 0.99) * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1) if ordered else 0.0,
    }


async def _until_applied(client: ArvoTemporalClient, subject: str, count: int) -> None:
    """Poll the status query until ``count`` events were applied (a benchmark driver, not a
    caller waiting on a condition: the workflow has no condition to wait for here)."""
    for _ in range(3000):
        if (await client.status(subject)).processed >= count:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"fewer than {count} events applied after 300 s")


async def run(senders: int, seconds: float, suggest_after: int) -> dict[str, Any]:
    config = {"limit.historyCount.suggestContinueAsNew": suggest_after}
    async with DevServer.start(dynamic_config=config) as server:
        temporal = await server.connect()
        client = ArvoTemporalClient(temporal, task_queue=f"bench-can-{uuid.uuid4()}")
        app = ArvoApp(
            orchestrators=[build_counter()], default_sink=MemorySink(), task_queue=client.task_queue
        )
        async with create_worker(client, app=app):
            init = ArvoOrchestratorEventFactory(counter_contract.version("1.0.0")).init(
                source=CLIENT, data={"parentSubject$$": None, "start": 0}
            )
            await client.send(init)
            replies = ArvoEventFactory(tick_contract.version("1.0.0"))
            stop = time.monotonic() + seconds
            sent = 0

            async def sender() -> None:
                nonlocal sent
                while time.monotonic() < stop:
                    await client.send(
                        replies.emits(
                            type="evt.bench.counter.tick.success",
                            source="com.bench.ticker",
                            subject=init.subject,
                            to=counter_contract.version("1.0.0").accepts_type,
                            data={"n": 1},
                        )
                    )
                    sent += 1

            await asyncio.gather(*(sender() for _ in range(senders)))
            await _until_applied(client, init.subject, sent + 1)
            chain = await fetch_chain(temporal, client.workflow_id(init.subject))
            await client.cancel(init.subject, reason="benchmark over")
    arrivals = [_arrival_times(history) for history in chain]
    pauses = [
        following[0] - previous[-1]
        for previous, following in pairwise(arrivals)
        if previous and following
    ]
    gaps = [b - a for times in arrivals for a, b in pairwise(times)]
    failed = sum(
        event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
        for history in chain
        for event in history.events
    )
    return {
        "senders": senders,
        "seconds": seconds,
        "suggest_continue_as_new_after": suggest_after,
        "sends": sent,
        "runs": len(chain),
        "failed_workflow_tasks": failed,
        "pause": _summary(pauses),
        "gap_within_a_run": _summary(gaps),
    }


def main() -> None:
    senders = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
    suggest_after = int(sys.argv[3]) if len(sys.argv) > 3 else 400
    figures = asyncio.run(run(senders, seconds, suggest_after))
    print(f"continue-as-new pause, {senders} senders for {seconds:g} s, {machine_description()}")
    print(json.dumps(figures))
    exit_now(0)


if __name__ == "__main__":
    main()
