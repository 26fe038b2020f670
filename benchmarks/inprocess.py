"""In-process throughput: N executions of init → calculator handler → reply → completion.

Everything runs in one process through ``SimpleMachineMemory`` and ``SimpleEventBroker``.
Usage: ``python -m benchmarks.inprocess [N] [--json]`` (default 10,000). The last line is JSON;
with ``--json`` it is the only line (``make bench``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time

from arvo_temporal import ArvoOrchestratorEventFactory
from arvo_temporal.broker import SimpleEventBroker
from arvo_temporal.memory import SimpleMachineMemory
from arvo_temporal.orchestrator import ArvoOrchestrator, create_arvo_orchestrator
from benchmarks.stats import machine_description, percentile
from benchmarks.workload import CLIENT, adder_contract, build_adder, build_calculator


class TimedOrchestrator:
    """Wraps the orchestrator to time every ``execute`` call (the latency we report)."""

    def __init__(self, inner: ArvoOrchestrator, samples: list[float]) -> None:
        self.inner = inner
        self.samples = samples

    @property
    def source(self) -> str:
        return self.inner.source

    async def execute(self, event):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return await self.inner.execute(event)
        finally:
            self.samples.append(time.perf_counter() - started)


async def run(count: int) -> dict[str, float]:
    samples: list[float] = []
    orchestrator = create_arvo_orchestrator(
        memory=SimpleMachineMemory(), machines=[build_adder()], execution_units=0.1
    )
    timed = TimedOrchestrator(orchestrator, samples)
    broker = SimpleEventBroker([timed, build_calculator()])
    factory = ArvoOrchestratorEventFactory(adder_contract.version("1.0.0"))
    inits = [
        factory.init(source=CLIENT, data={"parentSubject$$": None, "a": index, "b": 1})
        for index in range(count)
    ]
    completed = 0
    events = 0
    started = time.perf_counter()
    for init in inits:
        left = await broker.send(init)
        completed += sum(1 for event in left if event.type == "arvo.orc.bench.adder.done")
        events += 4  # init, service call, reply, completion
    elapsed = time.perf_counter() - started
    if completed != count:
        raise SystemExit(f"only {completed} of {count} executions completed")
    samples.sort()
    return {
        "executions_per_s": round(count / elapsed, 1),
        "events_per_s": round(events / elapsed, 1),
        "execute_p50_us": round(percentile(samples, 0.50) * 1e6, 1),
        "execute_p90_us": round(percentile(samples, 0.90) * 1e6, 1),
        "execute_p99_us": round(percentile(samples, 0.99) * 1e6, 1),
    }


def main(argv: list[str]) -> None:
    only_json = "--json" in argv
    numbers = [arg for arg in argv[1:] if arg != "--json"]
    count = int(numbers[0]) if numbers else 10_000
    if only_json:
        # The completions leave the system (nobody subscribes to the client): the broker's
        # one warning about that would be the only other line.
        logging.getLogger("arvo_temporal.broker").setLevel(logging.ERROR)
    figures = asyncio.run(run(count))
    if not only_json:
        print(f"in-process calculator workload, N={count}, on {machine_description()}")
        print(
            f"  {figures['executions_per_s']} executions/s, {figures['events_per_s']} events/s; "
            f"execute p50 {figures['execute_p50_us']} µs, p90 {figures['execute_p90_us']} µs, "
            f"p99 {figures['execute_p99_us']} µs"
        )
    print(json.dumps({"benchmark": "inprocess", "n": count, **figures}))


if __name__ == "__main__":
    main(sys.argv)
