"""Memory over many executions: does SimpleMachineMemory stay flat with cleanup and retention?

Runs N executions of the calculator workload (init → service → reply → completion) one after
another through ``SimpleMachineMemory`` and ``SimpleEventBroker``, and prints the process's max
RSS and the number of stored records after every tenth of N. Events are built as they are sent,
so the only thing that can grow is the memory's records.

Usage: ``python -m benchmarks.memory_retention N RETENTION`` (RETENTION ``none`` keeps every
record, as before protocol 3.0.28). The last line is JSON.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys

from arvo_temporal import ArvoOrchestratorEventFactory
from arvo_temporal.broker import SimpleEventBroker
from arvo_temporal.memory import SimpleMachineMemory
from arvo_temporal.orchestration.record import MachineMemoryRecord
from arvo_temporal.orchestrator import create_arvo_orchestrator
from benchmarks.stats import machine_description
from benchmarks.workload import CLIENT, adder_contract, build_adder, build_calculator


def max_rss_mb() -> float:
    """The process's peak resident set size so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(count: int, retention: int | None) -> dict[str, object]:
    memory = SimpleMachineMemory[MachineMemoryRecord](finished_retention=retention)
    orchestrator = create_arvo_orchestrator(memory=memory, machines=[build_adder()])
    broker = SimpleEventBroker([orchestrator, build_calculator()])
    factory = ArvoOrchestratorEventFactory(adder_contract.version("1.0.0"))
    checkpoints: list[dict[str, float]] = []
    step = max(count // 10, 1)
    for index in range(1, count + 1):
        init = factory.init(source=CLIENT, data={"parentSubject$$": None, "a": index, "b": 1})
        await broker.send(init)
        if index % step == 0:
            checkpoints.append(
                {"executions": index, "max_rss_mb": round(max_rss_mb(), 1), "records": len(memory)}
            )
            print(checkpoints[-1], flush=True)
    return {
        "executions": count,
        "retention": retention,
        "checkpoints": checkpoints,
        "machine": machine_description(),
    }


if __name__ == "__main__":
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    kept = (
        None
        if len(sys.argv) > 2 and sys.argv[2] == "none"
        else int(sys.argv[2] if len(sys.argv) > 2 else 1000)
    )
    print(json.dumps(asyncio.run(run(total, kept))))
