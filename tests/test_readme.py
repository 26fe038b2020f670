"""The README's code runs: every Python block compiles, and the in-process quick start runs and
prints what the README says it prints."""

from __future__ import annotations

import contextlib
import io
import re

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.DOTALL)


def test_every_python_block_compiles():
    assert len(BLOCKS) >= 2
    for number, block in enumerate(BLOCKS):
        compile(block, f"README block {number}", "exec")


def test_the_in_process_quick_start_runs():
    namespace: dict[str, object] = {"__name__": "__main__"}
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(BLOCKS[0], "README quick start", "exec"), namespace)
    assert output.getvalue().strip() == "arvo.orc.adder.done {'sum': 5.0}"
