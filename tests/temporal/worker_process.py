"""A worker in its own process, for fault tests that kill it (SIGKILL) and start another.

``python -m tests.temporal.worker_process --target HOST:PORT --task-queue Q --sink FILE``
serves the conformance app with a slow calculator (so executions are in flight when the worker
dies) and writes events that leave the system to a JSON-lines file the test reads. It prints
``ready`` once polling, and stops cleanly on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from datetime import timedelta

from arvo_temporal.handler import HandlerInput, create_arvo_event_handler
from arvo_temporal.sinks import JsonLinesSink
from arvo_temporal.temporal import ArvoApp, ArvoTemporalClient, OrchestratorSpec, create_worker
from tests.fixtures import anchors
from tests.fixtures.machines import build_adder


def slow_calculator(delay: float):
    async def add(request: HandlerInput) -> dict[str, object]:
        await asyncio.sleep(delay)
        data = request.event.data
        return {"type": "evt.calculator.add.success", "data": {"result": data["a"] + data["b"]}}

    return create_arvo_event_handler(
        contract=anchors.calculator, handlers={"1.0.0": add}, execution_units=0.01
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--sink", required=True)
    parser.add_argument("--delay", type=float, default=0.3)
    args = parser.parse_args()
    client = await ArvoTemporalClient.connect(args.target, task_queue=args.task_queue)
    app = ArvoApp(
        orchestrators=[OrchestratorSpec(machines=(build_adder(),), execution_units=0.1)],
        handlers=[slow_calculator(args.delay)],
        default_sink=JsonLinesSink(args.sink),
        task_queue=args.task_queue,
        # A dead worker's in-flight handler is noticed by its missing heartbeats (the attempt's
        # own timeout stays the default five minutes).
        handler_heartbeat=timedelta(seconds=2),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    async with create_worker(client, app=app, max_concurrent_activities=4):
        print("ready", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
