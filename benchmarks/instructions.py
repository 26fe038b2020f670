"""Load-independent cost of the in-process and statechart workloads: instructions per unit.

On a shared machine wall-clock rates swing with other processes; the number of machine
instructions executed does not (with ``PYTHONHASHSEED`` fixed it repeats to within ±0.5 %).
Usage, from a checkout: ``python -m benchmarks.instructions [DIR ...]`` runs each workload under
``valgrind --tool=cachegrind`` twice per tree (N and 3N units after a warm-up, so start-up cost
cancels out) and prints one JSON line per tree: instructions per in-process execution (init →
handler → reply → completion) and per statechart transition, live and with the JSON round trip.
Without DIR it measures this checkout; give the previous tree first to compare.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

_WORKLOADS = {"inprocess": 200, "statechart_live": 1000, "statechart_roundtrip": 1000}


def run_workload(name: str, units: int) -> None:
    """Run ``units`` of a workload (after a warm-up), untimed: what valgrind counts."""
    if name == "inprocess":
        from benchmarks import inprocess

        asyncio.run(inprocess.run(50))
        asyncio.run(inprocess.run(units))
        return
    from benchmarks import statechart

    machine = statechart.build()
    statechart.run_live(machine, 200)
    run = statechart.run_live if name == "statechart_live" else statechart.run_roundtrip
    run(machine, units)


def _instructions(tree: Path, name: str, units: int) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "cachegrind.out"
        done = subprocess.run(
            [
                "valgrind",
                "--tool=cachegrind",
                "--cache-sim=no",
                f"--cachegrind-out-file={out}",
                sys.executable,
                # This file runs the workload, with the measured tree's code on the path (its
                # benchmarks package included), so an older tree needs no copy of this script.
                __file__,
                "--run",
                name,
                str(units),
            ],
            cwd=tree,
            env={**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(tree)},
            capture_output=True,
            text=True,
            check=True,
        )
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if found is None:
        raise SystemExit(f"no instruction count from valgrind for {name} in {tree}")
    return int(found.group(1).replace(",", ""))


def measure(tree: Path) -> dict[str, object]:
    """Instructions per unit of each workload in ``tree`` (difference of 3N and N runs)."""
    figures: dict[str, object] = {"tree": str(tree)}
    for name, units in _WORKLOADS.items():
        low = _instructions(tree, name, units)
        high = _instructions(tree, name, 3 * units)
        figures[f"{name}_instructions"] = round((high - low) / (2 * units))
    return figures


def main(argv: list[str]) -> None:
    if argv[1:2] == ["--run"]:
        run_workload(argv[2], int(argv[3]))
        return
    trees = [Path(arg).resolve() for arg in argv[1:]] or [Path.cwd()]
    for tree in trees:
        print(json.dumps(measure(tree)), flush=True)


if __name__ == "__main__":
    main(sys.argv)
