"""Many ``execute`` callers on one subject: every call answered, every event applied once.

Usage: ``python -m benchmarks.execute_load [CALLERS] [EVENTS]`` (default 50 × 40). Temporal lets
ten updates be in flight per execution (docs/temporal.md §1); beyond that the server refuses
updates, and the client backs off and retries within its wait (``ArvoTemporalClient.execute``).
One long-lived counter execution (``benchmarks.workload.build_counter``) receives CALLERS ×
EVENTS ticks, each caller sending its own in sequence. The last line printed is a JSON object:
answers, the counter's final count (must equal answers: each event applied once), errors by
class, wall time, answers per second and the per-call latency percentiles.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from collections import Counter
from typing import Any

from arvo_temporal import ArvoEventFactory, ArvoOrchestratorEventFactory
from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoApp, ArvoTemporalClient, DevServer, create_worker
from benchmarks.stats import machine_description, percentile
from benchmarks.workload import CLIENT, build_counter, counter_contract, tick_contract


async def run(callers: int, events: int) -> dict[str, Any]:
    async with DevServer.start() as server:
        temporal = await server.connect()
        client = ArvoTemporalClient(temporal, task_queue=f"bench-load-{uuid.uuid4()}")
        app = ArvoApp(
            orchestrators=[build_counter()],
            default_sink=MemorySink(),
            task_queue=client.task_queue,
        )
        async with create_worker(client, app=app):
            init = ArvoOrchestratorEventFactory(counter_contract.version("1.0.0")).init(
                source=CLIENT, data={"parentSubject$$": None, "start": 0}
            )
            await client.execute(init)
            replies = ArvoEventFactory(tick_contract.version("1.0.0"))
            latencies: list[float] = []
            errors: Counter[str] = Counter()

            async def caller(lane: int) -> None:
                for _ in range(events):
                    tick = replies.emits(
                        type="evt.bench.counter.tick.success",
                        source="com.bench.ticker",
                        subject=init.subject,
                        to=counter_contract.version("1.0.0").accepts_type,
                        data={"n": 1},
                    )
                    began = time.perf_counter()
                    try:
                        await client.execute(tick)
                    except Exception as error:
                        errors[type(error).__name__] += 1
                        continue
                    latencies.append(time.perf_counter() - began)

            began = time.perf_counter()
            await asyncio.gather(*(caller(lane) for lane in range(callers)))
            wall = time.perf_counter() - began
            record = await client.snapshot(init.subject) or {}
            status = await client.status(init.subject)
    latencies.sort()
    return {
        "callers": callers,
        "events_per_caller": events,
        "answers": len(latencies),
        "applied": record.get("state", {}).get("context", {}).get("count"),
        "errors": dict(errors),
        "runs": status.runs,
        "wall_s": round(wall, 2),
        "answers_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
    }


def main() -> None:
    callers = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    events = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    figures = asyncio.run(run(callers, events))
    print(
        f"execute load, {callers} callers × {events} events on one subject, {machine_description()}"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
