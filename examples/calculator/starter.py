"""Start an adder execution and wait for its sum.

Needs a running worker for ``examples.app:app`` (``arvo-temporal dev --app examples.app:app``)::

    python -m examples.calculator.starter 2 3

``main(client=...)`` takes a connected client so the demo and the tests can reuse it.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from arvo_temporal import ArvoEvent, ArvoOrchestratorEventFactory
from arvo_temporal.temporal import ArvoTemporalClient
from examples.calculator.contracts import CLIENT, adder_contract


def adder_init(a: float, b: float, *, parent_subject: str | None = None) -> ArvoEvent:
    """The ``arvo.orc.adder`` init event (a new execution, with a fresh subject)."""
    factory = ArvoOrchestratorEventFactory(adder_contract.version("1.0.0"))
    return factory.init(source=CLIENT, data={"parentSubject$$": parent_subject, "a": a, "b": b})


async def main(
    client: ArvoTemporalClient | None = None, *, a: float = 2, b: float = 3
) -> dict[str, Any]:
    """Send the init event and return the execution's output (``{"success", "sum", "errors"}``)."""
    client = client or await ArvoTemporalClient.connect("localhost:7233")
    init = adder_init(a, b)
    await client.send(init)
    return await client.result(init.subject)


if __name__ == "__main__":
    a, b = (float(value) for value in sys.argv[1:3]) if len(sys.argv) == 3 else (2.0, 3.0)
    print(json.dumps(asyncio.run(main(a=a, b=b))))
