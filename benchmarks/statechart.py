"""Throughput of the statechart interpreter on a 3-state cycle.

Usage: ``python -m benchmarks.statechart [N] [--json]`` (default N = 100000 events); with
``--json`` only the JSON line is printed (``make bench``).

Two figures: *live* sends every event to the snapshot returned by the previous step; *roundtrip*
first takes the snapshot through ``to_json`` → ``json.dumps`` → ``json.loads`` → ``from_json``, as
Arvo does between events. Each event is one transition (with one named ``assign``). The last line
printed is a JSON object with both rates.
"""

from __future__ import annotations

import json
import platform
import sys
import time

from arvo_temporal.statechart import Machine, Snapshot, assign, send, start

CONFIG = {
    "id": "cycle",
    "initial": "a",
    "states": {
        "a": {"on": {"NEXT": {"target": "b", "actions": "count"}}},
        "b": {"on": {"NEXT": {"target": "c", "actions": "count"}}},
        "c": {"on": {"NEXT": {"target": "a", "actions": "count"}}},
    },
}


def build() -> Machine:
    return Machine(
        CONFIG,
        actions={"count": assign(lambda args, params: {"n": args.context["n"] + 1})},
        context={"n": 0},
    )


def run_live(machine: Machine, n: int) -> float:
    event = {"type": "NEXT"}
    snapshot, _ = start(machine)
    began = time.perf_counter()
    for _ in range(n):
        snapshot, _ = send(machine, snapshot, event)
    elapsed = time.perf_counter() - began
    assert snapshot.context["n"] == n
    return n / elapsed


def run_roundtrip(machine: Machine, n: int) -> float:
    event = {"type": "NEXT"}
    snapshot, _ = start(machine)
    began = time.perf_counter()
    for _ in range(n):
        stored = json.dumps(snapshot.to_json())
        snapshot, _ = send(machine, Snapshot.from_json(json.loads(stored)), event)
    elapsed = time.perf_counter() - began
    assert snapshot.context["n"] == n
    return n / elapsed


def main(argv: list[str]) -> None:
    only_json = "--json" in argv
    numbers = [arg for arg in argv[1:] if arg != "--json"]
    n = int(numbers[0]) if numbers else 100_000
    machine = build()
    run_live(machine, min(n, 2000))  # warm the caches
    live = run_live(machine, n)
    roundtrip = run_roundtrip(machine, n)
    if not only_json:
        print(f"statechart 3-state cycle, N={n}, Python {platform.python_version()}")
        print(f"  live:       {live:12,.0f} transitions/s")
        print(
            f"  roundtrip:  {roundtrip:12,.0f} transitions/s (JSON snapshot round trip per event)"
        )
    print(
        json.dumps(
            {
                "benchmark": "statechart",
                "n": n,
                "transitions_per_s_live": round(live),
                "transitions_per_s_roundtrip": round(roundtrip),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv)
