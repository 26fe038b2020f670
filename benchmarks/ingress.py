"""Accepted events per second and latency: through the HTTP ingress vs ``client.send`` directly.

Usage: ``python -m benchmarks.ingress [N] [C] [RUNS]`` (default 500 events, 16 concurrent, 3 runs
per side). One dev server; the two sides run interleaved (direct, ingress, direct, …) so a
change in the machine's load hits both. Each event is a fresh adder init (a new execution);
"accepted" means answered 202 / ``send`` returned, i.e. Temporal holds it durably. No worker
runs: only acceptance is measured, not execution.

The ingress side POSTs structured-mode CloudEvents with ``httpx.AsyncClient`` over loopback to an
``IngressServer`` in this same process (one event loop serves the HTTP client, the ingress and
its Temporal client, so the figures include the HTTP client's own cost). The last line printed
is a JSON object with every run and min/median/max per side.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from arvo_temporal.ingress import IngressServer
from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoTemporalClient, DevServer
from benchmarks.stats import machine_description, percentile
from examples.app import build_app
from examples.calculator.starter import adder_init


async def _measure(count: int, concurrency: int, deliver: Callable[[Any], Awaitable[None]]) -> dict:
    events = [adder_init(1, n) for n in range(count)]
    latencies: list[float] = []
    queue: asyncio.Queue[Any] = asyncio.Queue()
    for event in events:
        queue.put_nowait(event)

    async def lane() -> None:
        while not queue.empty():
            event = queue.get_nowait()
            began = time.perf_counter()
            await deliver(event)
            latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    wall = time.perf_counter() - began
    latencies.sort()
    return {
        "events_per_s": round(count / wall, 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
    }


def _spread(runs: list[dict], key: str) -> list[float]:
    values = [run[key] for run in runs]
    return [min(values), statistics.median(values), max(values)]


async def run(count: int, concurrency: int, rounds: int) -> dict[str, Any]:
    async with DevServer.start() as server:
        task_queue = f"bench-ingress-{uuid.uuid4()}"
        client = ArvoTemporalClient(await server.connect(), task_queue=task_queue)
        app = build_app(task_queue=task_queue, sinks={"default": MemorySink()})
        async with (
            IngressServer(app, client, port=0) as ingress,
            httpx.AsyncClient(
                base_url=ingress.url,
                timeout=60,
                limits=httpx.Limits(max_connections=concurrency),
            ) as http,
        ):

            async def direct(event: Any) -> None:
                await client.send(event)

            async def through_ingress(event: Any) -> None:
                response = await http.post(
                    "/",
                    content=json.dumps(event.to_json()).encode(),
                    headers={"content-type": "application/cloudevents+json"},
                )
                if response.status_code != 202:
                    raise RuntimeError(f"{response.status_code}: {response.text}")

            await _measure(min(count, 50), concurrency, direct)  # warm both paths up
            await _measure(min(count, 50), concurrency, through_ingress)
            sides: dict[str, list[dict]] = {"direct": [], "ingress": []}
            for _ in range(rounds):
                sides["direct"].append(await _measure(count, concurrency, direct))
                sides["ingress"].append(await _measure(count, concurrency, through_ingress))
    return {
        "n": count,
        "concurrency": concurrency,
        "runs": rounds,
        "machine": machine_description(),
        "sides": sides,
        "min_median_max": {
            side: {key: _spread(runs, key) for key in ("events_per_s", "p50_ms", "p99_ms")}
            for side, runs in sides.items()
        },
    }


def main(argv: list[str]) -> None:
    count = int(argv[0]) if argv else 500
    concurrency = int(argv[1]) if len(argv) > 1 else 16
    rounds = int(argv[2]) if len(argv) > 2 else 3
    result = asyncio.run(run(count, concurrency, rounds))
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
