"""The README's Temporal quick start runs against the real dev server and prints the sum.

Its two files are written as the README tells a reader to: ``quickstart.py`` (the in-process
quick start, whose machine each workflow run imports again inside the sandbox) and the Temporal
part next to it.
"""

from __future__ import annotations

import contextlib
import io
import sys

from tests.test_readme import BLOCKS


async def test_the_temporal_quick_start_runs(temporal_server, task_queue, tmp_path):
    (tmp_path / "quickstart.py").write_text(BLOCKS[0], encoding="utf-8")
    (quick_start,) = [block for block in BLOCKS if "async def on_temporal" in block]
    on_temporal = (
        quick_start
        .replace('"localhost:7233"', repr(temporal_server.target))
        .replace("ArvoApp(orchestrators", f"ArvoApp(task_queue={task_queue!r}, orchestrators")
    )
    namespace: dict[str, object] = {"__name__": "run_on_temporal"}
    sys.path.insert(0, str(tmp_path))
    try:
        exec(compile(on_temporal, "README", "exec"), namespace)
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            await namespace["on_temporal"]()
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("quickstart", None)
    lines = output.getvalue().strip().splitlines()
    assert lines[-1] == "{'sum': 5.0}", lines
    assert any("arvo.orc.adder.done" in line for line in lines), "the completion left via stdout"
