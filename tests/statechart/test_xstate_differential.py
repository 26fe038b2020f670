"""Differential test against real XState 5.33.3 (npm, pinned in tests/xstate/package.json).

``node tests/xstate/run.mjs`` runs our scenarios (tests/xstate/scenarios/*.json) through XState with
the same named implementations as :mod:`tests.statechart.harness` and the recording pattern of the
shared vectors; every step must match the interpreter's. The same script re-records the shared
truth (checking the harness itself), and ``export.mjs`` must still produce the committed export
fixtures. Missing node or node_modules fails these tests (``make node-deps`` installs them).
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import VECTORS, load_vector, require_tool
from tests.statechart.harness import run_scenario

XSTATE_DIR = Path(__file__).resolve().parent.parent / "xstate"
SCENARIO_DIR = XSTATE_DIR / "scenarios"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _load_scenarios() -> list[dict[str, Any]]:
    scenarios: list[dict[str, Any]] = []
    for path in sorted(SCENARIO_DIR.glob("*.json")):
        scenarios.extend(json.loads(path.read_text(encoding="utf-8")))
    return scenarios


SCENARIOS = _load_scenarios()


def _node(*args: str) -> Any:
    node = shutil.which("node")
    require_tool("node", node is not None, "install Node.js 20 to run the XState differential test")
    require_tool(
        "tests/xstate/node_modules/xstate",
        (XSTATE_DIR / "node_modules" / "xstate").is_dir(),
        "run `make node-deps` (npm ci in tests/xstate)",
    )
    done = subprocess.run(
        [str(node), *args], cwd=XSTATE_DIR, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"node {' '.join(args)} failed:\n{done.stderr}"
    return json.loads(done.stdout)


@functools.cache
def _xstate_truth() -> dict[str, Any]:
    # Called from the tests (not a fixture) so that a missing tool fails each test, not its setup.
    return _node("run.mjs", str(SCENARIO_DIR))


def test_scenarios_cover_enough_ground() -> None:
    names = [s["name"] for s in SCENARIOS]
    assert len(names) >= 25
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_matches_xstate(scenario) -> None:
    expected = _xstate_truth()[scenario["name"]]
    assert all(step["status"] != "error" for step in expected), "XState itself failed"
    for persist in (None, not scenario.get("timed", False)):
        steps = run_scenario(scenario, persist=persist)
        for index, (got, want) in enumerate(zip(steps, expected, strict=True)):
            assert got == want, f"step {index} of {scenario['name']} (persist={persist})"


def test_harness_rerecords_shared_truth() -> None:
    recorded = _node("run.mjs", str(VECTORS / "xstate" / "scenarios.json"))
    assert recorded == load_vector("xstate/xstate_truth.json")


def test_export_fixtures_are_current() -> None:
    exported = _node("export.mjs")
    committed = json.loads((FIXTURES / "exported.json").read_text(encoding="utf-8"))
    assert exported == committed
