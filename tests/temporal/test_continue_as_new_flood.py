"""Continue-as-new under a flood of ``send``s: several cycles, every event applied once, and no
workflow task failure in any run's history (a signal racing the continue-as-new task would
fail it with UNHANDLED_COMMAND; the client sends to running executions as updates)."""

from __future__ import annotations

import asyncio

from temporalio.api.enums.v1 import EventType

from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoApp, ArvoTemporalClient, create_worker
from arvo_temporal.temporal._chain import fetch_chain
from tests.fixtures.timing import build_counter
from tests.temporal.test_adapter import counter_init, tick
from tests.temporal.waiting import eventually

SENDERS = 8
EACH = 40


async def test_no_task_fails_across_continue_as_new_cycles_under_a_send_flood(
    temporal_client, task_queue
):
    client = ArvoTemporalClient(temporal_client, task_queue=task_queue)
    app = ArvoApp(orchestrators=[build_counter()], default_sink=MemorySink(), task_queue=task_queue)
    async with create_worker(client, app=app):
        init = counter_init()
        await client.send(init)

        async def sender(lane: int) -> None:
            for n in range(EACH):
                await client.send(tick(init, lane * 1000 + n))

        await asyncio.gather(*(sender(lane) for lane in range(SENDERS)))

        async def all_applied() -> bool:
            return (await client.status(init.subject)).processed == 1 + SENDERS * EACH

        await eventually(all_applied, "every tick applied")
        context = (await client.snapshot(init.subject))["state"]["context"]
        chain = await fetch_chain(temporal_client, client.workflow_id(init.subject))
        await client.cancel(init.subject)

    assert context["count"] == SENDERS * EACH, "each event applied once"
    assert sorted(context["seen"]) == sorted(
        lane * 1000 + n for lane in range(SENDERS) for n in range(EACH)
    )
    assert len(chain) >= 4, f"only {len(chain)} runs: continue-as-new was not exercised"
    failed = [
        (index, event.workflow_task_failed_event_attributes.cause)
        for index, history in enumerate(chain)
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]
    assert failed == []
