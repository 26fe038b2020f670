"""Pause and resume on the real dev server: while paused, events are kept in order and timers
that fall due wait; on resume both are applied in the order they happened."""

from __future__ import annotations

import time

import pytest

from arvo_temporal.errors import OperationRefusedError
from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoApp, ArvoTemporalClient, create_worker
from arvo_temporal.temporal._search_attributes import ARVO_STATUS
from tests.fixtures.operating import LAST_TICK, build_logbook, logbook_init, logbook_tick
from tests.temporal.waiting import eventually

DELAY_MS = 4000


@pytest.fixture
async def served(temporal_client, task_queue):
    client = ArvoTemporalClient(temporal_client, task_queue=task_queue)
    app = ArvoApp(
        orchestrators=[build_logbook(DELAY_MS)], default_sink=MemorySink(), task_queue=task_queue
    )
    async with create_worker(client, app=app):
        yield client


async def _arvo_status(client: ArvoTemporalClient, subject: str) -> str | None:
    description = await client.temporal.get_workflow_handle(client.workflow_id(subject)).describe()
    return description.typed_search_attributes.get(ARVO_STATUS)


async def test_events_and_a_timer_due_during_a_pause_apply_in_order_on_resume(served):
    client = served
    init = logbook_init()
    await client.execute(init)
    paused = await client.pause(init.subject, reason="incident 42", identity="alice")
    assert paused.changed and paused.status.status == "paused"
    assert paused.status.paused is not None and paused.status.paused.identity == "alice"
    assert paused.status.paused.reason == "incident 42"
    assert (await client.pause(init.subject, identity="alice")).changed is False  # one effect

    await client.send(logbook_tick(init, 1))
    await client.send(logbook_tick(init, 2))
    (timer,) = (await client.status(init.subject)).timers

    async def timer_due() -> bool:
        return time.time() * 1000 > timer.due_ms + 200

    await eventually(timer_due, "the timer's due time")
    await client.send(logbook_tick(init, 3))  # wakes the run after the timer fell due

    async def three_held():
        status = await client.status(init.subject)
        return status if status.inbox == 3 else None

    held = await eventually(three_held, "three events held")
    assert held.status == "paused" and held.value == "early" and held.timers == [timer]
    assert held.processed == 1
    assert await _arvo_status(client, init.subject) == "paused"

    resumed = await client.resume(init.subject, identity="bob", reason="incident over")
    assert resumed.changed
    assert (await client.resume(init.subject)).changed is False
    await client.send(logbook_tick(init, LAST_TICK))
    assert await client.result(init.subject) == {"seen": [1, 2, "timer", 3, LAST_TICK]}
    assert await _arvo_status(client, init.subject) == "done"


async def test_pausing_or_resuming_a_finished_execution_is_refused_with_a_reason(served):
    client = served
    init = logbook_init()
    await client.execute(init)
    await client.execute(logbook_tick(init, 5))
    await client.cancel(init.subject, reason="done with it")

    async def closed() -> bool:
        handle = client.temporal.get_workflow_handle(client.workflow_id(init.subject))
        return (await handle.describe()).close_time is not None

    await eventually(closed, "the cancelled execution to close")
    for verb in (client.pause, client.resume):
        with pytest.raises(OperationRefusedError, match=r"it has already ended \(canceled\)"):
            await verb(init.subject)
