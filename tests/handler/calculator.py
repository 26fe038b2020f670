"""The calculator service of the conformance fixtures (shared/vectors/README.md §3.2).

Shared by the handler transcripts and by any test that needs the calculator on a bus.
"""

from __future__ import annotations

from arvo_temporal.handler import (
    ArvoEventHandler,
    HandlerInput,
    HandlerOutput,
    create_arvo_event_handler,
)
from arvo_temporal.sources import SYSTEM_SOURCE, IdClockSource
from tests.fixtures.anchors import calculator

EXECUTION_UNITS = 0.01


class Error(Exception):
    """The fixtures raise plain JavaScript errors, whose ``errorName`` is ``"Error"``."""


def add(request: HandlerInput) -> HandlerOutput:
    """Version 1.0.0: a + b, refusing a negative ``a`` with an ordinary error."""
    data = request.event.data
    if data["a"] < 0:
        raise Error("Negative numbers are not supported")
    return {"type": "evt.calculator.add.success", "data": {"result": data["a"] + data["b"]}}


def make_calculator_handler(id_clock: IdClockSource = SYSTEM_SOURCE) -> ArvoEventHandler:
    """A fresh calculator handler with the fixtures' execution units."""
    return create_arvo_event_handler(
        contract=calculator,
        handlers={"1.0.0": add},
        execution_units=EXECUTION_UNITS,
        id_clock=id_clock,
    )
