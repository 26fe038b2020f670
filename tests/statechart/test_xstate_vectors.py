"""Conformance with the shared XState 5.33.3 transcripts (tests/vectors/README.md §4).

Every step (value, context, status, output, emitted) of every scenario is compared. Untimed
scenarios are replayed like the truth was recorded (a JSON round trip of the snapshot before every
event); timed ones on one live snapshot with a simulated clock. Each scenario also runs the other
way round, since a round trip must never change behaviour.
"""

from __future__ import annotations

import pytest

from tests.conftest import load_vector
from tests.statechart.harness import run_scenario

SCENARIOS = load_vector("xstate/scenarios.json")
TRUTH = load_vector("xstate/xstate_truth.json")


def test_every_scenario_has_a_truth() -> None:
    assert sorted(s["name"] for s in SCENARIOS) == sorted(TRUTH)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_recording_pattern(scenario) -> None:
    steps = run_scenario(scenario)
    expected = TRUTH[scenario["name"]]
    assert len(steps) == len(scenario["events"]) + 1
    for index, (got, want) in enumerate(zip(steps, expected, strict=True)):
        assert got == want, f"step {index} of {scenario['name']}"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_other_persistence_mode_gives_same_steps(scenario) -> None:
    persist = bool(scenario.get("timed", False))
    assert run_scenario(scenario, persist=persist) == TRUTH[scenario["name"]]
