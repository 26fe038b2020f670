"""The Temporal adapter against raw Temporal, on one dev server started for the run.

Usage: ``python -m benchmarks.temporal_adapter [N] [-c C] [--execute-events M] …`` (default
N = 200, C = 16, M = 100). The last line printed is a JSON object with the figures.

Why each figure, and how it is measured:

* **adapter_per_s** — N calculator executions (``build_adder`` → ``com.calculator.add`` handler
  activity → reply → completion into a ``MemorySink``), each started with ``client.send(init)``
  (signal-with-start). C executions are *in flight*: a driver slot sends an init, waits until
  that execution's completion reaches the sink, then takes the next one — the definition of
  docs/temporal.md §10 phase A, so the figures compare with its concurrency sweep.
* **raw_per_s** — the same shape written directly against ``temporalio``
  (``benchmarks.raw_baseline``): signal-with-start, one add activity, one emission local
  activity, complete; same server, concurrency, pydantic data converter and sandbox settings.
  ``ratio = adapter_per_s / raw_per_s`` is the adapter's own overhead (target ≥ 0.8).
* **execute p50/p95** — M events sent serially with ``client.execute`` (update, update id = event
  id) to one running execution of a small counter machine that stays active; the raw twin
  (a workflow whose update handler waits for its run loop) is measured the same way for context.
* **history events per consumed event** — events in a few adapter executions' histories divided
  by the Arvo events each consumed (init + reply = 2); each history event is server work and
  counts against the 51,200-event limit (target ≤ 8).

Both workers run in this process, next to the driver. Each side first runs a few uncounted
warm-up executions (first-run imports, connection set-up), then the N executions of each side
run in interleaved blocks (adapter-raw, raw-adapter, …): on a shared two-core machine the speed
drifts by ±10 % over seconds, and alternating makes the drift hit both sides alike. CPU time of
the server, of this process and of everything else is sampled per block, because the throughput
phases are CPU-bound (docs/temporal.md §10): CPU per execution says where a gap comes from, and CPU
used by other processes flags a run that something else disturbed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from arvo_temporal import (
    ArvoEventFactory,
    ArvoOrchestratorEventFactory,
)
from arvo_temporal.cli import exit_now
from arvo_temporal.errors import ArvoError
from arvo_temporal.events import ArvoEvent
from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import (
    ArvoApp,
    ArvoTemporalClient,
    DevServer,
    create_worker,
    workflow_id_for,
)
from benchmarks.raw_baseline import COUNTER_WORKFLOW_NAME as RAW_COUNTER_WORKFLOW
from benchmarks.raw_baseline import (
    EXECUTE_UPDATE,
    Completions,
    EmitMode,
    RawEvent,
    RawInput,
    create_raw_worker,
    send_raw,
)
from benchmarks.stats import machine_description, percentile
from benchmarks.workload import (
    CLIENT,
    adder_contract,
    build_adder,
    build_calculator,
    build_counter,
    counter_contract,
    tick_contract,
)

T = TypeVar("T")

ADDER_DONE = "arvo.orc.bench.adder.done"
COUNTER_SERVICE = "com.bench.counter.tick"
# Cores other processes may use during the throughput blocks before the run is flagged: both
# sides are CPU-bound on two cores, so a competing build or test run distorts the ratio.
OTHER_LOAD_WARNING = 0.2


class BenchmarkFailure(Exception):
    """An execution failed, answered wrongly or did not finish in time: the run is invalid."""


# ------------------------------------------------------------------------------ measuring


class CompletionSink(MemorySink):
    """The adapter phase's ``MemorySink``, which also wakes the driver slot waiting for the
    execution (by subject) whose completion it just kept."""

    def __init__(self, completions: Completions[ArvoEvent]) -> None:
        super().__init__()
        self.completions = completions

    async def deliver(self, events: Sequence[ArvoEvent]) -> None:
        await super().deliver(events)
        for event in events:
            self.completions.resolve(event.subject, event)


@dataclass
class CpuSample:
    """CPU seconds used so far by the dev server, by this process (worker + driver) and by the
    whole machine; the difference says whether something else was competing for the cores."""

    server: float
    local: float
    machine: float

    @classmethod
    def take(cls, server_pid: int) -> CpuSample:
        return cls(
            server=_process_cpu(server_pid), local=time.process_time(), machine=_machine_cpu()
        )


def _machine_cpu() -> float:
    """Busy CPU seconds of all cores since boot, from /proc/stat (0 where unavailable)."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int) -> float:
    """utime + stime of a process from /proc (0 where /proc is unavailable)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class PhaseFigures:
    """One side's throughput: rate, per-execution latencies and CPU per execution."""

    per_s: float
    e2e_p50_ms: float
    e2e_p95_ms: float
    send_p50_ms: float
    server_cpu_ms: float
    local_cpu_ms: float
    other_cores: float


@dataclass
class Tally:
    """What the timed blocks of one side added up to."""

    executions: int = 0
    elapsed: float = 0.0
    server_cpu: float = 0.0
    local_cpu: float = 0.0
    other_cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)
    sends: list[float] = field(default_factory=list)
    block_rates: list[float] = field(default_factory=list)

    def figures(self) -> PhaseFigures:
        latencies, sends = sorted(self.latencies), sorted(self.sends)
        return PhaseFigures(
            per_s=self.executions / self.elapsed,
            e2e_p50_ms=percentile(latencies, 0.50) * 1e3,
            e2e_p95_ms=percentile(latencies, 0.95) * 1e3,
            send_p50_ms=percentile(sends, 0.50) * 1e3,
            server_cpu_ms=self.server_cpu / self.executions * 1e3,
            local_cpu_ms=self.local_cpu / self.executions * 1e3,
            other_cores=max(0.0, self.other_cpu / self.elapsed),
        )


@dataclass
class Block(Generic[T]):
    """Executions ready to send: ``start(i)`` sends the i-th, which runs as workflow
    ``workflow_ids[i]``; its completion resolves ``keys[i]``; ``check(i, completion)`` raises
    ``BenchmarkFailure`` on a wrong answer."""

    keys: list[str]
    workflow_ids: list[str]
    start: Callable[[int], Awaitable[None]]
    check: Callable[[int, T], None]


@dataclass
class Side(Generic[T]):
    """One side of the comparison: how to build a block, and where its completions land."""

    name: str
    completions: Completions[T]
    make_block: Callable[[int, int], Block[T]]
    tally: Tally = field(default_factory=Tally)
    workflow_ids: list[str] = field(default_factory=list)


async def drive(
    side: Side[T],
    count: int,
    offset: int,
    *,
    concurrency: int,
    deadline: float,
    server_pid: int,
    timed: bool = True,
) -> None:
    """Run ``count`` executions of ``side`` with ``concurrency`` in flight (a slot sends one,
    waits for its completion, then takes the next) and add them to its tally if ``timed``."""
    block = side.make_block(count, offset)
    pending = iter(range(count))
    sends: list[float] = []
    latencies: list[float] = []

    async def slot() -> None:
        for index in pending:
            done = side.completions.expect(block.keys[index])
            began = time.perf_counter()
            await block.start(index)
            sent = time.perf_counter()
            value = await done
            latencies.append(time.perf_counter() - began)
            sends.append(sent - began)
            block.check(index, value)

    cpu_before = CpuSample.take(server_pid)
    began = time.perf_counter()
    try:
        async with asyncio.timeout(deadline):
            await asyncio.gather(*(slot() for _ in range(min(concurrency, count))))
    except TimeoutError:
        raise BenchmarkFailure(
            f"{side.name}: only {len(latencies)} of {count} executions completed within "
            f"{deadline:g}s"
        ) from None
    elapsed = time.perf_counter() - began
    cpu_after = CpuSample.take(server_pid)
    if not timed:
        return
    tally = side.tally
    tally.executions += count
    tally.elapsed += elapsed
    tally.server_cpu += cpu_after.server - cpu_before.server
    tally.local_cpu += cpu_after.local - cpu_before.local
    tally.other_cpu += (cpu_after.machine - cpu_before.machine) - (
        (cpu_after.server - cpu_before.server) + (cpu_after.local - cpu_before.local)
    )
    tally.latencies += latencies
    tally.sends += sends
    tally.block_rates.append(count / elapsed)
    side.workflow_ids += block.workflow_ids


def make_inits(count: int, offset: int) -> list[ArvoEvent]:
    """Calculator init events (a = offset + i, b = 1), built before timing starts."""
    factory = ArvoOrchestratorEventFactory(adder_contract.version("1.0.0"))
    return [
        factory.init(source=CLIENT, data={"parentSubject$$": None, "a": offset + index, "b": 1})
        for index in range(count)
    ]


def adapter_side(client: ArvoTemporalClient, completions: Completions[ArvoEvent]) -> Side[Any]:
    """Executions through the adapter: ``client.send(init)``, completion in the sink."""

    def make_block(count: int, offset: int) -> Block[ArvoEvent]:
        inits = make_inits(count, offset)

        async def start(index: int) -> None:
            await client.send(inits[index])

        def check(index: int, event: ArvoEvent) -> None:
            expected = inits[index].data["a"] + inits[index].data["b"]
            if event.type != ADDER_DONE or event.data.get("sum") != expected:
                raise BenchmarkFailure(
                    f"execution {workflow_id_for(inits[index].subject)} ended with {event.type} "
                    f"{json.dumps(event.data)[:200]} instead of {ADDER_DONE} sum={expected}"
                )

        return Block(
            [init.subject for init in inits],
            [workflow_id_for(init.subject) for init in inits],
            start,
            check,
        )

    return Side("adapter", completions, make_block)


def raw_side(temporal: Client, task_queue: str, emit_mode: EmitMode) -> Side[Any]:
    """Executions of the raw baseline, with payloads of exactly the adapter's size."""

    def make_block(count: int, offset: int) -> Block[RawEvent]:
        # The Arvo init's own JSON, so the raw payload has exactly the adapter's size.
        events = [RawEvent.model_validate(init.to_json()) for init in make_inits(count, offset)]
        ids = [f"bench-raw/{uuid.uuid4()}" for _ in events]

        async def start(index: int) -> None:
            await send_raw(temporal, events[index], ids[index], task_queue, emit_mode)

        def check(index: int, event: RawEvent) -> None:
            expected = events[index].data["a"] + events[index].data["b"]
            if event.data.get("sum") != expected:
                raise BenchmarkFailure(f"raw execution {ids[index]} answered {event.data}")

        return Block([event.subject for event in events], ids, start, check)

    return Side(f"raw ({emit_mode} emit)", Completions(), make_block)


# ------------------------------------------------------------------------------ phases


@dataclass
class Options:
    count: int
    concurrency: int
    rounds: int
    execute_events: int
    histories: int
    warmup: int
    raw_emit: EmitMode
    deadline: float
    sandboxed_machines: bool = True


async def throughput_phase(
    adapter: Side[Any], raw: Side[Any], options: Options, server_pid: int
) -> list[float]:
    """Warm both sides up, then run N executions of each in ``rounds`` interleaved blocks,
    ordered adapter-raw, raw-adapter, … so drift in the machine's speed hits both sides alike.
    Returns each round's adapter/raw rate ratio (the spread says how noisy the run was)."""

    async def block(side: Side[Any], count: int, offset: int, timed: bool = True) -> None:
        await drive(
            side,
            count,
            offset,
            concurrency=options.concurrency,
            deadline=options.deadline,
            server_pid=server_pid,
            timed=timed,
        )

    for side in (adapter, raw):
        if options.warmup:
            await block(side, options.warmup, 1_000_000, timed=False)
    sizes = [
        options.count // options.rounds + (index < options.count % options.rounds)
        for index in range(options.rounds)
    ]
    offset = 0
    for number, size in enumerate(sizes):
        for side in (adapter, raw) if number % 2 == 0 else (raw, adapter):
            await block(side, size, offset)
        offset += size
    return [a / r for a, r in zip(adapter.tally.block_rates, raw.tally.block_rates, strict=True)]


async def execute_phase(client: ArvoTemporalClient, count: int) -> list[float]:
    """Latencies (s, ascending) of ``count`` serial ``execute`` calls on one running counter."""
    init = ArvoOrchestratorEventFactory(counter_contract.version("1.0.0")).init(
        source=CLIENT, data={"parentSubject$$": None, "start": 0}
    )
    await client.execute(init)  # update-with-start: the execution exists and is warm
    replies = ArvoEventFactory(tick_contract.version("1.0.0"))
    samples: list[float] = []
    for _ in range(count):
        tick = replies.emits(
            type="evt.bench.counter.tick.success",
            source=COUNTER_SERVICE,
            subject=init.subject,
            to=counter_contract.version("1.0.0").accepts_type,
            data={"n": 1},
        )
        began = time.perf_counter()
        result = await client.execute(tick)
        samples.append(time.perf_counter() - began)
        if result.all_events:
            raise BenchmarkFailure(f"a tick produced events: {[e.type for e in result.all_events]}")
    status = await client.status(init.subject)
    if status.status != "active" or status.processed != count + 1:
        raise BenchmarkFailure(
            f"the counter is {status.status} after {status.processed} events, "
            f"expected active after {count + 1} (rejections: {status.rejections[-1:]})"
        )
    samples.sort()
    return samples


async def raw_execute_phase(temporal: Client, task_queue: str, count: int) -> list[float]:
    """The raw twin of ``execute_phase``: serial updates to one warm raw counter workflow."""
    samples: list[float] = []
    handle = await temporal.start_workflow(
        RAW_COUNTER_WORKFLOW,
        RawInput(subject="raw-counter"),
        id=f"bench-raw-counter/{uuid.uuid4()}",
        task_queue=task_queue,
    )
    for index in range(count + 1):
        event = RawEvent(
            id=str(uuid.uuid4()),
            source=COUNTER_SERVICE,
            type="evt.bench.counter.tick.success",
            subject="raw-counter",
            data={"n": 1},
            time="2026-01-01T00:00:00.000+00:00",
        )
        began = time.perf_counter()
        answer = await handle.execute_update(EXECUTE_UPDATE, event, id=event.id, result_type=int)
        if index:  # the first update warms the workflow, as the adapter's init does
            samples.append(time.perf_counter() - began)
        if answer != index + 1:
            raise BenchmarkFailure(f"the raw counter answered {answer}, not {index + 1}")
    await handle.terminate("benchmark over")
    samples.sort()
    return samples


async def history_phase(
    temporal: Client, workflow_ids: Sequence[str], samples: int
) -> tuple[float, list[int], Counter[str]]:
    """History events per consumed Arvo event (2 per calculator execution) for ``samples``
    executions spread over the run, their lengths, and the event types of the first one."""
    step = max(1, len(workflow_ids) // max(1, samples))
    chosen = list(workflow_ids[::step])[:samples]
    lengths: list[int] = []
    kinds: Counter[str] = Counter()
    for index, workflow_id in enumerate(chosen):
        history = await temporal.get_workflow_handle(workflow_id).fetch_history()
        lengths.append(len(history.events))
        if index == 0:
            kinds.update(EventType.Name(event.event_type) for event in history.events)
    consumed_per_execution = 2  # the init and the calculator's reply
    return sum(lengths) / len(lengths) / consumed_per_execution, lengths, kinds


# ------------------------------------------------------------------------------ run


async def run(options: Options) -> dict[str, Any]:
    async with DevServer.start() as server:
        temporal = await server.connect(data_converter=pydantic_data_converter)
        client = ArvoTemporalClient(temporal, task_queue=f"bench-arvo-{uuid.uuid4()}")
        completions: Completions[ArvoEvent] = Completions()
        app = ArvoApp(
            orchestrators=[build_adder(), build_counter()],
            handlers=[build_calculator()],
            sinks={"default": CompletionSink(completions)},
            task_queue=client.task_queue,
        )
        adapter = adapter_side(client, completions)
        raw_queue = f"bench-raw-{uuid.uuid4()}"
        raw = raw_side(temporal, raw_queue, options.raw_emit)
        # Both workers poll throughout (idle long polls cost next to nothing), so the blocks
        # can alternate without restarting workers.
        async with (
            create_worker(client, app=app, sandboxed_machines=options.sandboxed_machines),
            create_raw_worker(temporal, raw_queue, raw.completions),
        ):
            round_ratios = await throughput_phase(adapter, raw, options, server.pid)
            per_event, lengths, kinds = await history_phase(
                temporal, adapter.workflow_ids, options.histories
            )
            _, raw_lengths, _ = await history_phase(temporal, raw.workflow_ids, 1)
            execute = await execute_phase(client, options.execute_events)
            raw_execute = await raw_execute_phase(temporal, raw_queue, options.execute_events)
    return {
        "adapter": adapter.tally.figures(),
        "raw": raw.tally.figures(),
        "round_ratios": round_ratios,
        "execute": execute,
        "raw_execute": raw_execute,
        "per_event": per_event,
        "lengths": lengths,
        "raw_length": raw_lengths[0],
        "kinds": kinds,
    }


def _ms(samples: list[float], fraction: float) -> float:
    return round(percentile(samples, fraction) * 1e3, 1)


def report(options: Options, results: dict[str, Any]) -> dict[str, Any]:
    adapter: PhaseFigures = results["adapter"]
    raw: PhaseFigures = results["raw"]
    execute: list[float] = results["execute"]
    raw_execute: list[float] = results["raw_execute"]
    ratio = adapter.per_s / raw.per_s
    figures = {
        "sandboxed_machines": options.sandboxed_machines,
        "adapter_per_s": round(adapter.per_s, 1),
        "raw_per_s": round(raw.per_s, 1),
        "ratio": round(ratio, 3),
        "execute_p50_ms": _ms(execute, 0.50),
        "execute_p95_ms": _ms(execute, 0.95),
        "history_events_per_consumed_event": round(results["per_event"], 2),
    }
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"Temporal adapter vs raw Temporal, N={options.count}, C={options.concurrency}, "
        f"{options.rounds} interleaved rounds, M={options.execute_events}, on "
        f"{machine_description()} (load avg {load:.2f} at the end)"
    )
    for name, phase in (("adapter", adapter), (f"raw ({options.raw_emit} emit)", raw)):
        print(
            f"  {name:<20} {phase.per_s:6.1f} executions/s; end-to-end p50 "
            f"{phase.e2e_p50_ms:.0f} ms, p95 {phase.e2e_p95_ms:.0f} ms; send p50 "
            f"{phase.send_p50_ms:.1f} ms; CPU per execution: server {phase.server_cpu_ms:.1f} ms, "
            f"worker+driver {phase.local_cpu_ms:.1f} ms; other processes "
            f"{phase.other_cores:.2f} cores"
        )
    busy = max(adapter.other_cores, raw.other_cores)
    if busy > OTHER_LOAD_WARNING:
        print(
            f"  warning: other processes used up to {busy:.2f} cores during the throughput "
            "blocks; the rates and the ratio are unreliable, run again on a quiet machine"
        )
    spread = ", ".join(f"{value:.2f}" for value in results["round_ratios"])
    print(f"  ratio {ratio:.3f} (target ≥ 0.8); per round: {spread}")
    print(
        f"  execute on a warm execution, serial: p50 {figures['execute_p50_ms']} ms, "
        f"p95 {figures['execute_p95_ms']} ms, p99 {_ms(execute, 0.99)} ms "
        f"(raw update with the same inbox pattern: p50 {_ms(raw_execute, 0.50)} ms, "
        f"p95 {_ms(raw_execute, 0.95)} ms)"
    )
    kinds = ", ".join(
        f"{kind.removeprefix('EVENT_TYPE_')} {n}" for kind, n in results["kinds"].items()
    )
    print(
        f"  history: {results['per_event']:.2f} events per consumed event (target ≤ 8); "
        f"lengths {results['lengths']} (raw baseline: {results['raw_length']}); first: {kinds}"
    )
    return figures


def parse_options(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.temporal_adapter", description=__doc__.split("\n")[0]
    )
    parser.add_argument("count", nargs="?", type=int, default=200, help="executions (N)")
    parser.add_argument("-c", "--concurrency", type=int, default=16, help="in flight (C)")
    parser.add_argument("--execute-events", type=int, default=100, help="serial executes (M)")
    parser.add_argument("--histories", type=int, default=5, help="histories to count")
    parser.add_argument("--warmup", type=int, default=10, help="uncounted executions per phase")
    parser.add_argument(
        "--raw-emit",
        choices=["local", "activity"],
        default="local",
        help="the raw emission as a local activity (the adapter's shape) or a normal one",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="interleaved blocks per side (default max(2, N // 100))",
    )
    parser.add_argument(
        "--deadline", type=float, default=None, help="seconds per block (default 120 + N/2)"
    )
    parser.add_argument(
        "--unsandboxed-machines",
        action="store_true",
        help="pass the machines in unguarded (ArvoPlugin(sandboxed_machines=False))",
    )
    args = parser.parse_args(argv)
    if args.count < 1 or args.concurrency < 1 or args.execute_events < 1 or args.histories < 1:
        parser.error("N, C, M and --histories must be at least 1")
    return Options(
        count=args.count,
        concurrency=args.concurrency,
        execute_events=args.execute_events,
        histories=args.histories,
        warmup=max(0, args.warmup),
        raw_emit=args.raw_emit,
        rounds=max(1, min(args.count, args.rounds or max(2, args.count // 100))),
        deadline=args.deadline if args.deadline is not None else 120 + args.count / 2,
        sandboxed_machines=not args.unsandboxed_machines,
    )


def main() -> None:
    options = parse_options(sys.argv[1:])
    try:
        results = asyncio.run(run(options))
    except (BenchmarkFailure, ArvoError) as error:
        raise SystemExit(f"temporal_adapter benchmark failed: {error}") from None
    figures = report(options, results)
    print(json.dumps(figures))
    exit_now(0)  # no abort in the SDK runtime's shutdown (arvo_temporal/cli/_exit.py)


if __name__ == "__main__":
    main()
