"""The calculator service: an ``ArvoEventHandler`` that runs as a Temporal activity.

Activities are where I/O belongs; this one only adds, but a real service would call a database
or an API here, and Temporal would retry it on infrastructure failures.
"""

from __future__ import annotations

import math

from arvo_temporal import ArvoEventHandler, HandlerInput, HandlerOutput, create_arvo_event_handler
from examples.calculator.contracts import calculator_contract


def add(request: HandlerInput) -> HandlerOutput:
    """a + b. An infinite sum raises, and Arvo turns that into ``sys.com.calculator.add.error``
    for the caller instead of failing the activity (errors are events, not exceptions)."""
    total = request.event.data["a"] + request.event.data["b"]
    if not math.isfinite(total):
        raise ArithmeticError(f"the sum of {request.event.data} is not a finite number")
    return {"type": "evt.calculator.add.success", "data": {"result": total}}


def make_calculator_handler() -> ArvoEventHandler:
    """A fresh handler (handlers hold no state, but each app gets its own)."""
    return create_arvo_event_handler(
        contract=calculator_contract, handlers={"1.0.0": add}, execution_units=1
    )
