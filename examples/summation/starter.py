"""Sum a list in process: the resumable, the calculator and a broker, no server needed::

python -m examples.summation.starter 1 2 3 4 5
{"success": true, "total": 15.0, "rounds": 3, "errors": []}
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from arvo_temporal import ArvoEvent, ArvoOrchestratorEventFactory, SimpleEventBroker
from examples.calculator.handlers import make_calculator_handler
from examples.summation.contracts import CLIENT, summation_contract
from examples.summation.resumable import make_summation


def summation_init(numbers: list[float], *, parent_subject: str | None = None) -> ArvoEvent:
    """The ``arvo.orc.numbers.sum`` init event (a new execution, with a fresh subject)."""
    factory = ArvoOrchestratorEventFactory(summation_contract.version("1.0.0"))
    return factory.init(source=CLIENT, data={"parentSubject$$": parent_subject, "numbers": numbers})


async def main(numbers: list[float]) -> dict[str, Any]:
    """Run one summation to the end and return its output."""
    broker = SimpleEventBroker([make_summation(), make_calculator_handler()])
    (done,) = await broker.send(summation_init(numbers))
    return dict(done.data)


if __name__ == "__main__":
    values = [float(value) for value in sys.argv[1:]] or [1.0, 2.0, 3.0, 4.0, 5.0]
    print(json.dumps(asyncio.run(main(values))))
