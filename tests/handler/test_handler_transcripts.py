"""Replay every case of handler-transcripts.json against the Python calculator handler.

Returned events are compared with the normalised vectors modulo token renaming (Matcher); thrown
violations by name, type, marker and opening text of the message (tests/vectors/README.md §2.2).
"""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.trace import NoOpTracerProvider

from arvo_temporal.errors import ViolationError, is_violation
from arvo_temporal.events import ArvoEvent
from arvo_temporal.orchestration.result import DEFAULT_BUCKET
from arvo_temporal.telemetry import use_tracer_provider
from tests.conftest import load_vector
from tests.fixtures.anchors import FIXED_TIME
from tests.fixtures.services import EXECUTION_UNITS, make_calculator_handler
from tests.vector_match import Matcher

TRANSCRIPTS = load_vector("arvo-ts-v3/handler-transcripts.json")
CASES = TRANSCRIPTS["cases"]


def input_event(raw: dict[str, Any]) -> ArvoEvent:
    """The case's input with the normalised time put back (every hand-made input uses it)."""
    return ArvoEvent.from_json(
        {**raw, "time": FIXED_TIME if raw["time"] == "<TIME>" else raw["time"]}
    )


def opening_text(message: str) -> str:
    """The part of a message that is not library-specific validation text (zod's issue list)."""
    return message.split("[\n", 1)[0]


def test_the_file_covers_every_documented_case() -> None:
    assert TRANSCRIPTS["executionunits"] == EXECUTION_UNITS
    assert [case["input"]["id"] for case in CASES] == [f"h-{n}" for n in range(1, 15)]


@pytest.mark.parametrize("case", CASES, ids=[case["input"]["id"] for case in CASES])
async def test_handler_transcript(case: dict[str, Any]) -> None:
    handler = make_calculator_handler()
    event = input_event(case["input"])
    # No SDK, as when the vectors were recorded; scoped, so a global provider cannot interfere.
    with use_tracer_provider(NoOpTracerProvider()):
        if "thrown" in case:
            with pytest.raises(ViolationError) as caught:
                await handler.execute(event)
            thrown, error = case["thrown"], caught.value
            assert is_violation(error)
            assert error.name == thrown["name"]
            assert error.kind == thrown["type"]
            assert error.is_arvo_violation_error is thrown["isArvoViolationError"]
            assert str(error).startswith(opening_text(thrown["message"]))
            if "[\n" not in thrown["message"]:
                assert str(error) == thrown["message"]
            return
        result = await handler.execute(event)

    assert case["returned_shape"] == ["events"]
    Matcher(subjects=TRANSCRIPTS["subjects"]).match(
        case["events"], [produced.to_json() for produced in result.all_events]
    )
    # The structured view (docs/arvo.md §8) groups the same events by their domain.
    for produced in result.all_events:
        bucket = produced.domain if produced.domain is not None else DEFAULT_BUCKET
        assert produced in result.domained_events[bucket]
    assert result.events == [e for e in result.all_events if e.domain is None]
