"""The README's Temporal quick start runs against the real dev server and prints the sum."""

from __future__ import annotations

import contextlib
import io

from tests.test_readme import BLOCKS


async def test_the_temporal_quick_start_runs(temporal_server, task_queue):
    namespace: dict[str, object] = {"__name__": "readme"}
    quick_start = BLOCKS[0].replace("asyncio.run(main())", "")
    on_temporal = (
        BLOCKS[1]
        .replace('"localhost:7233"', repr(temporal_server.target))
        .replace('task_queue="arvo"', f"task_queue={task_queue!r}")
        .replace("ArvoApp(orchestrators", f"ArvoApp(task_queue={task_queue!r}, orchestrators")
    )
    exec(compile(quick_start + on_temporal, "README", "exec"), namespace)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        await namespace["on_temporal"]()
    lines = output.getvalue().strip().splitlines()
    assert lines[-1] == "{'sum': 5.0}", lines
    assert any("arvo.orc.adder.done" in line for line in lines), "the completion left via stdout"
