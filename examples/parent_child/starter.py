"""Start a checkout execution (which starts a child adder) and wait for its total.

Needs a running worker for ``examples.app:app``::

    python -m examples.parent_child.starter 40 4.5

The connection comes from ``TEMPORAL_ADDRESS`` & co. and ``TASK_QUEUE`` (``examples/starting.py``).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from arvo_temporal import ArvoEvent, ArvoOrchestratorEventFactory
from arvo_temporal.temporal import ArvoTemporalClient
from examples.calculator.contracts import CLIENT
from examples.parent_child.contracts import checkout_contract
from examples.starting import connect, leave


def checkout_init(price: float, shipping: float) -> ArvoEvent:
    """The ``arvo.orc.checkout`` init event."""
    factory = ArvoOrchestratorEventFactory(checkout_contract.version("1.0.0"))
    return factory.init(
        source=CLIENT, data={"parentSubject$$": None, "price": price, "shipping": shipping}
    )


async def main(
    client: ArvoTemporalClient | None = None, *, price: float = 40, shipping: float = 4.5
) -> dict[str, Any]:
    """Send the init event and return the checkout's output (``{"success", "total", "errors"}``)."""
    client = client or await connect()
    init = checkout_init(price, shipping)
    await client.send(init)
    return await client.result(init.subject)


async def _answer(argv: list[str]) -> str:
    price, shipping = (float(value) for value in argv) if len(argv) == 2 else (40.0, 4.5)
    return json.dumps(await main(price=price, shipping=shipping))


if __name__ == "__main__":
    leave(lambda: _answer(sys.argv[1:]))
