"""Start an adder execution and wait for its sum.

Needs a running worker for ``examples.app:app`` (``arvo-temporal dev --app examples.app:app``)::

    python -m examples.calculator.starter 2 3

The connection comes from ``TEMPORAL_ADDRESS`` & co. and ``TASK_QUEUE`` (``examples/starting.py``);
``main(client=...)`` takes a connected client so the demo and the tests can reuse it.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from arvo_temporal import ArvoEvent, ArvoOrchestratorEventFactory
from arvo_temporal.temporal import ArvoTemporalClient
from examples.calculator.contracts import CLIENT, adder_contract
from examples.starting import connect, leave


def adder_init(a: float, b: float, *, parent_subject: str | None = None) -> ArvoEvent:
    """The ``arvo.orc.adder`` init event (a new execution, with a fresh subject)."""
    factory = ArvoOrchestratorEventFactory(adder_contract.version("1.0.0"))
    return factory.init(source=CLIENT, data={"parentSubject$$": parent_subject, "a": a, "b": b})


async def main(
    client: ArvoTemporalClient | None = None, *, a: float = 2, b: float = 3
) -> dict[str, Any]:
    """Send the init event and return the execution's output (``{"success", "sum", "errors"}``)."""
    client = client or await connect()
    init = adder_init(a, b)
    await client.send(init)
    return await client.result(init.subject)


async def _answer(argv: list[str]) -> str:
    a, b = (float(value) for value in argv) if len(argv) == 2 else (2.0, 3.0)
    return json.dumps(await main(a=a, b=b))


if __name__ == "__main__":
    leave(lambda: _answer(sys.argv[1:]))
