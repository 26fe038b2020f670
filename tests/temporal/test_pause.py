"""Pause and resume on the real dev server: while paused, events are kept in order and timers
that fall due wait; on resume both are applied in the order they happened."""

from __future__ import annotations

import contextlib
import json
import time

import pytest

from arvo_temporal.errors import OperationRefusedError
from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoApp, ArvoTemporalClient, create_worker
from arvo_temporal.temporal._arvo_query import restrict_to_arvo
from arvo_temporal.temporal._search_attributes import ARVO_STATUS
from tests.fixtures.operating import LAST_TICK, build_logbook, logbook_init, logbook_tick
from tests.temporal.test_cli import cli
from tests.temporal.waiting import eventually

DELAY_MS = 4000


@contextlib.asynccontextmanager
async def serving(temporal_client, task_queue: str, delay_ms: int):
    client = ArvoTemporalClient(temporal_client, task_queue=task_queue)
    app = ArvoApp(
        orchestrators=[build_logbook(delay_ms)], default_sink=MemorySink(), task_queue=task_queue
    )
    async with create_worker(client, app=app):
        yield client


@pytest.fixture
async def served(temporal_client, task_queue):
    async with serving(temporal_client, task_queue, DELAY_MS) as client:
        yield client


async def _arvo_status(client: ArvoTemporalClient, subject: str) -> str | None:
    description = await client.temporal.get_workflow_handle(client.workflow_id(subject)).describe()
    return description.typed_search_attributes.get(ARVO_STATUS)


async def _history_length(client: ArvoTemporalClient, subject: str) -> int:
    handle = client.temporal.get_workflow_handle(client.workflow_id(subject))
    return len((await handle.fetch_history()).events)


async def _closed(client: ArvoTemporalClient, subject: str) -> None:
    handle = client.temporal.get_workflow_handle(client.workflow_id(subject))

    async def closed() -> bool:
        return (await handle.describe()).close_time is not None

    await eventually(closed, "the cancelled execution to close")


async def test_events_and_a_timer_due_during_a_pause_apply_in_order_on_resume(served):
    client = served
    init = logbook_init()
    await client.execute(init)
    paused = await client.pause(init.subject, reason="incident 42", identity="alice")
    assert paused.changed and paused.status.status == "paused"
    assert paused.status.paused is not None and paused.status.paused.identity == "alice"
    assert paused.status.paused.reason == "incident 42"
    before = await _history_length(client, init.subject)
    again = await client.pause(init.subject, identity="alice")
    assert again.changed is False and again.status.status == "paused"  # one effect
    assert await _history_length(client, init.subject) == before, "refused by the validator"

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
    await _closed(client, init.subject)
    for verb in (client.pause, client.resume):
        with pytest.raises(OperationRefusedError, match=r"it has already ended \(canceled\)"):
            await verb(init.subject)


async def test_the_cli_pauses_and_resumes_one_or_every_execution_a_query_selects(
    temporal_server, served, task_queue
):
    client = served
    opts = ["--address", temporal_server.target, "--task-queue", task_queue]
    inits = [logbook_init() for _ in range(3)]
    for init in inits:
        await client.execute(init)
    ended = inits[2]
    await client.cancel(ended.subject, reason="not this one")
    await _closed(client, ended.subject)
    query = f"TaskQueue = '{task_queue}'"

    async def all_listed() -> bool:
        count = await client.temporal.count_workflows(restrict_to_arvo(query))
        return count.count == 3

    await eventually(all_listed, "the three executions in visibility")
    ended_id = client.workflow_id(ended.subject)
    refused = {ended_id: f"cannot pause execution {ended_id}: it has already ended (canceled)"}
    first = await cli("pause", "--query", query, "--identity", "carol", *opts)
    assert first.code == 1, first.err
    summary = {"operation": "pause", "total": 3, "done": 2, "unchanged": 0, "failed": refused}
    assert json.loads(first.out) == summary
    assert first.err.splitlines()[-1] == "pause: 3/3 (1 failed)"
    again = await cli("pause", "--query", query, "--identity", "carol", *opts)
    assert json.loads(again.out) == summary | {"unchanged": 2}

    one = inits[0]
    status = await client.status(one.subject)
    assert status.status == "paused" and status.paused is not None
    assert status.paused.identity == "carol"
    resumed = await cli("resume", client.workflow_id(one.subject), "--reason", "ok", *opts)
    assert resumed.code == 0, resumed.err
    assert json.loads(resumed.out) == {
        "workflow_id": client.workflow_id(one.subject),
        "changed": True,
        "status": "active",
        "inbox": 0,
        "paused": None,
    }
    bulk = await cli("resume", "--query", query, *opts)
    assert json.loads(bulk.out)["done"] == 2 and json.loads(bulk.out)["unchanged"] == 1
    assert (await client.status(inits[1].subject)).status == "active"
    refused_one = await cli("resume", ended_id, *opts)
    assert refused_one.code == 1 and refused_one.out == ""
    assert refused_one.err.strip() == f"arvo-temporal: {refused[ended_id]}".replace(
        "pause", "resume"
    )


async def test_a_paused_execution_continues_as_new_still_paused_with_its_events(
    temporal_client, task_queue
):
    async with serving(temporal_client, task_queue, delay_ms=3_600_000) as client:
        await _held_across_continue_as_new(client)


async def _held_across_continue_as_new(client: ArvoTemporalClient) -> None:
    init = logbook_init()
    await client.execute(init)
    await client.pause(init.subject)
    held = list(range(1, 41))  # enough history for the test server to suggest continue-as-new
    for n in held:
        await client.send(logbook_tick(init, n))

    async def carried_over():
        status = await client.status(init.subject)
        return status if status.runs > 1 and status.inbox == len(held) else None

    status = await eventually(carried_over, "a continue-as-new that carried the held events")
    assert status.status == "paused" and status.processed == 1
    await client.resume(init.subject)

    async def applied():
        status = await client.status(init.subject)
        return status if status.processed == 1 + len(held) else None

    status = await eventually(applied, "the held events applied")
    assert status.status == "active" and json.loads(status.context or "{}") == {"seen": held}
    assert await _arvo_status(client, init.subject) == "active"
