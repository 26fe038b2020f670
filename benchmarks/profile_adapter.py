"""Profile the worker process, every thread, over N calculator executions with C in flight.

Usage: ``python -m benchmarks.profile_adapter N C sandboxed|unsandboxed OUT.pstats``, then
``python -m benchmarks.profile_report OUT.pstats N``. cProfile runs in every thread (the SDK
activates workflows in a thread pool), so absolute figures carry the profiler's overhead; the
shares by area are what to read.
"""

from __future__ import annotations

import asyncio
import cProfile
import pstats
import sys
import threading
import time
import uuid
from typing import Any

from arvo_temporal.cli import exit_now
from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoApp, ArvoTemporalClient, DevServer, create_worker
from tests.fixtures.machines import build_adder
from tests.fixtures.services import make_calculator_handler
from tests.temporal.test_adapter import adder_init

_PROFILES: list[cProfile.Profile] = []


def _profile_this_thread(frame: Any, event: str, arg: Any) -> None:
    profile = cProfile.Profile()
    _PROFILES.append(profile)
    profile.enable()  # replaces this hook in the thread


async def _run(count: int, concurrency: int, sandboxed: bool) -> float:
    async with DevServer.start() as server:
        temporal = await server.connect()
        queue = f"profile-{uuid.uuid4()}"
        client = ArvoTemporalClient(temporal, task_queue=queue)
        app = ArvoApp(
            orchestrators=[build_adder()],
            handlers=[make_calculator_handler()],
            default_sink=MemorySink(),
            task_queue=queue,
        )
        async with create_worker(client, app=app, sandboxed_machines=sandboxed):
            gate = asyncio.Semaphore(concurrency)

            async def one() -> None:
                async with gate:
                    init = adder_init()
                    await client.send(init)
                    await client.result(init.subject)

            await asyncio.gather(*(one() for _ in range(10)))  # warm-up
            main = cProfile.Profile()
            _PROFILES.append(main)
            main.enable()
            began = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(count)))
            wall = time.perf_counter() - began
            main.disable()
    return wall


def main() -> None:
    count, concurrency = int(sys.argv[1]), int(sys.argv[2])
    sandboxed, out = sys.argv[3] == "sandboxed", sys.argv[4]
    threading.setprofile(_profile_this_thread)
    wall = asyncio.run(_run(count, concurrency, sandboxed))
    threading.setprofile(None)  # type: ignore[arg-type]
    stats = pstats.Stats(_PROFILES[0])
    for profile in _PROFILES:
        profile.disable()
        stats.add(profile)
    stats.dump_stats(out)
    print(f"N={count} C={concurrency} sandboxed={sandboxed} wall={wall:.1f}s profile={out}")
    exit_now(0)


if __name__ == "__main__":
    main()
