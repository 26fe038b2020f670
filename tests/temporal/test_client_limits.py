"""What the client refuses before Temporal sees it, how long it waits, and many callers at once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from arvo_temporal.errors import (
    ArvoEventValidationError,
    EventTooLargeError,
    ExecutionTimeoutError,
)
from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoApp, ArvoTemporalClient, create_worker
from tests.fixtures.timing import build_counter
from tests.temporal.test_adapter import adder_init, counter_init, tick


@pytest.fixture
def client(temporal_client, task_queue) -> ArvoTemporalClient:
    return ArvoTemporalClient(temporal_client, task_queue=task_queue)


async def test_text_that_cannot_be_encoded_is_refused_at_once_naming_the_field(client):
    init = adder_init()
    broken = init.model_copy(update={"data": {**init.data, "note": "half a pair \ud800"}})
    for call in (client.send, client.execute):
        with pytest.raises(ArvoEventValidationError) as refused:
            await asyncio.wait_for(call(broken), 10)  # bounded: it must not hang
        assert set(refused.value.errors) == {"data"}
        assert "not valid Unicode" in refused.value.errors["data"]


async def test_an_event_over_the_payload_limit_is_refused_naming_its_largest_field(client):
    init = adder_init()
    huge = init.model_copy(update={"data": {**init.data, "blob": "x" * 2_200_000}})
    for call in (client.send, client.execute):
        with pytest.raises(EventTooLargeError) as refused:
            await call(huge)
        error = refused.value
        assert error.field == "data" and error.size > error.limit == client.max_event_bytes
        assert huge.id in str(error) and "data" in str(error)


async def test_execute_without_a_worker_ends_within_its_wait(temporal_client):
    lonely = ArvoTemporalClient(temporal_client, task_queue=f"nobody-{uuid.uuid4()}")
    with pytest.raises(ExecutionTimeoutError) as waited:
        await lonely.execute(adder_init(), wait=timedelta(seconds=2))
    assert waited.value.workflow_id.startswith("arvo.orc.adder/")


async def test_fifty_callers_on_one_subject_are_all_answered_once(client, task_queue):
    """Five times Temporal's ten in-flight updates per execution: every call is answered,
    every event applied exactly once."""
    app = ArvoApp(orchestrators=[build_counter()], default_sink=MemorySink(), task_queue=task_queue)
    async with create_worker(client, app=app):
        init = counter_init()
        await client.execute(init)

        async def caller(lane: int) -> int:
            for n in range(4):
                await client.execute(tick(init, lane * 100 + n))
            return lane

        lanes = await asyncio.gather(*(caller(lane) for lane in range(50)))
        assert sorted(lanes) == list(range(50))
        context = (await client.snapshot(init.subject))["state"]["context"]
        assert context["count"] == 200
        assert sorted(context["seen"]) == sorted(
            lane * 100 + n for lane in range(50) for n in range(4)
        )
