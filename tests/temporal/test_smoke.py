"""A first end-to-end run of the adapter on the real dev server."""

from __future__ import annotations

from arvo_temporal import ArvoOrchestratorEventFactory
from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoApp, ArvoTemporalClient, create_worker
from tests.fixtures import anchors
from tests.fixtures.machines import build_adder
from tests.fixtures.services import make_calculator_handler


async def test_adder_runs_end_to_end(temporal_client, task_queue):
    sink = MemorySink()
    app = ArvoApp(
        orchestrators=[build_adder()],
        handlers=[make_calculator_handler()],
        sinks={"default": sink},
        task_queue=task_queue,
    )
    client = ArvoTemporalClient(temporal_client, task_queue=task_queue)
    init = ArvoOrchestratorEventFactory(anchors.adder.version("1.0.0")).init(
        source=anchors.CLIENT, data={"parentSubject$$": None, "a": 2, "b": 3}
    )
    async with create_worker(client, app=app):
        await client.send(init)
        output = await client.result(init.subject)
        assert output == {"success": True, "sum": 5, "errors": []}
        (done,) = await sink.wait_for(1)
        assert done.type == "arvo.orc.adder.done" and done.to == anchors.CLIENT
        second = ArvoOrchestratorEventFactory(anchors.adder.version("1.0.0")).init(
            source=anchors.CLIENT, data={"parentSubject$$": None, "a": 1, "b": 1}
        )
        result = await client.execute(second)
        (call,) = result.events
        assert call.type == "com.calculator.add"
        assert (await client.result(second.subject))["sum"] == 2
