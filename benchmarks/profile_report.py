"""Sum a ``benchmarks.profile_adapter`` profile by area, per execution, leaving out idle waits
(thread-pool queue gets, epoll, lock acquires): ``python -m benchmarks.profile_report FILE N``.
"""

from __future__ import annotations

import collections
import pstats
import sys
from typing import Any

_WAITS = (
    "'get' of '_queue.SimpleQueue'",
    "'poll' of 'select.epoll'",
    "'acquire' of '_thread.lock'",
    "select.select",
    "time.sleep",
)
_IMPORTS = ("posix.stat", "compile", "builtins.exec", "open_code", "_imp.", "BufferedReader")
_AREAS = (
    ("workflow_sandbox", "temporalio sandbox (importer, restrictions, runner)"),
    ("temporalio/worker/_workflow_instance", "temporalio workflow instance (activation)"),
    ("temporalio/converter", "temporalio payload conversion"),
    ("temporalio/contrib/pydantic", "temporalio payload conversion"),
    ("temporalio", "temporalio other (worker, client, bridge)"),
    ("pydantic", "pydantic"),
    ("arvo_temporal/statechart", "arvo statechart"),
    ("arvo_temporal/temporal", "arvo temporal adapter"),
    ("arvo_temporal", "arvo pure core"),
    ("asyncio", "asyncio"),
    ("protobuf", "protobuf"),
    ("json", "json"),
)


def _area(function: tuple[str, int, str]) -> str:
    path, _, name = function
    if path == "~":
        if any(key in name for key in _IMPORTS):
            return "imports (compile, exec, stat: modules imported per run)"
        if "socket" in name:
            return "sockets (gRPC)"
        return "zlib" if "zlib" in name else "other C built-ins"
    return next((area for key, area in _AREAS if key in path), "other")


def main() -> None:
    stats: Any = pstats.Stats(sys.argv[1])
    count = int(sys.argv[2])
    for function in list(stats.stats):
        if function[0] == "~" and any(wait in function[2] for wait in _WAITS):
            del stats.stats[function]
    total = sum(row[2] for row in stats.stats.values())
    areas: collections.Counter[str] = collections.Counter()
    for function, row in stats.stats.items():
        areas[_area(function)] += row[2]
    print(f"profiled CPU {total:.2f} s, {total / count * 1000:.1f} ms per execution")
    for area, seconds in areas.most_common():
        print(f"  {seconds / total * 100:5.1f} %  {seconds / count * 1000:6.2f} ms  {area}")


if __name__ == "__main__":
    main()
