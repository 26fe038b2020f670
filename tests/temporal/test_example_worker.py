"""``examples/worker.py``: a plain Temporal worker with ``ArvoPlugin(app)`` serves the examples."""

from __future__ import annotations

import asyncio

from temporalio.client import Client

from arvo_temporal import ArvoOrchestratorEventFactory
from arvo_temporal.temporal import ArvoPlugin, ArvoTemporalClient
from examples import worker
from examples.app import app
from examples.calculator.contracts import adder_contract


async def test_the_example_worker_serves_the_app(temporal_server):
    temporal = await Client.connect(
        temporal_server.target, namespace=temporal_server.namespace, plugins=[ArvoPlugin(app)]
    )
    stop = asyncio.Event()
    serving = asyncio.create_task(worker.main(temporal, stop=stop))
    try:
        client = ArvoTemporalClient(temporal, task_queue=app.task_queue)
        init = ArvoOrchestratorEventFactory(adder_contract.version("1.0.0")).init(
            source="com.example.client", data={"parentSubject$$": None, "a": 20, "b": 22}
        )
        await client.send(init)
        assert (await client.result(init.subject))["sum"] == 42
    finally:
        stop.set()
        await serving
