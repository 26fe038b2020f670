"""The interpreter stays pure: no Temporal or OpenTelemetry imports, curated exports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import arvo_temporal.statechart as statechart

PACKAGE_DIR = Path(statechart.__file__).resolve().parent.parent


def _run(code: str) -> None:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_importing_the_interpreter_does_not_import_temporalio() -> None:
    _run("import arvo_temporal.statechart, sys; assert 'temporalio' not in sys.modules")


def test_the_interpreter_itself_imports_only_the_standard_library() -> None:
    # Import the statechart package under a bare parent package, so that only its own modules
    # (and arvo_temporal.errors) run, whatever arvo_temporal/__init__.py imports for other areas.
    code = f"""
import sys, types
parent = types.ModuleType("arvo_temporal")
parent.__path__ = [{str(PACKAGE_DIR)!r}]
sys.modules["arvo_temporal"] = parent
import arvo_temporal.statechart
third_party = {{"temporalio", "opentelemetry", "pydantic", "cloudevents"}}
bad = sorted(m for m in sys.modules if m.split(".")[0] in third_party)
assert not bad, bad
"""
    _run(code)


def test_all_is_sorted_and_complete() -> None:
    assert statechart.__all__ == sorted(statechart.__all__)
    assert all(hasattr(statechart, name) for name in statechart.__all__)
    public = {n for n in vars(statechart) if not n.startswith("_")} - {"annotations"}
    assert public == set(statechart.__all__)
