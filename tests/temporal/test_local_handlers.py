"""Handlers as local activities by default, regular activities by choice (own task queue), and
runs of the legacy workflow type, which keep regular activities until they continue as new."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.api.enums.v1 import EventType

from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import (
    ArvoApp,
    ArvoTemporalClient,
    HandlerSettings,
    create_worker,
    workflow_id_for,
)
from arvo_temporal.temporal._chain import fetch_chain
from arvo_temporal.temporal._delivery import parse_target, start_options
from arvo_temporal.temporal._workflow import EVENT_SIGNAL, LEGACY_WORKFLOW_NAME, WORKFLOW_NAME
from tests.fixtures.machines import build_adder
from tests.fixtures.services import make_calculator_handler
from tests.fixtures.timing import build_counter
from tests.temporal.test_adapter import adder_init, counter_init, tick

KINDS = EventType.Name


@pytest.fixture
def client(temporal_client, task_queue) -> ArvoTemporalClient:
    return ArvoTemporalClient(temporal_client, task_queue=task_queue)


def adder_app(task_queue: str, **settings) -> ArvoApp:
    return ArvoApp(
        orchestrators=[build_adder()],
        handlers=[make_calculator_handler()],
        default_sink=MemorySink(),
        task_queue=task_queue,
        **settings,
    )


async def kinds_of(client: ArvoTemporalClient, subject: str) -> list[str]:
    history = await client.temporal.get_workflow_handle(workflow_id_for(subject)).fetch_history()
    return [KINDS(event.event_type).removeprefix("EVENT_TYPE_") for event in history.events]


async def test_a_handler_runs_as_a_local_activity_inside_the_workflow_task(client, task_queue):
    async with create_worker(client, app=adder_app(task_queue)):
        init = adder_init(2, 3)
        await client.send(init)
        assert (await client.result(init.subject))["sum"] == 5
    kinds = await kinds_of(client, init.subject)
    assert "ACTIVITY_TASK_SCHEDULED" not in kinds
    # Started with its init, init and reply consumed in one workflow task: 8 events, 4.0 per
    # consumed event (was 14).
    assert kinds == [
        "WORKFLOW_EXECUTION_STARTED",
        "WORKFLOW_TASK_SCHEDULED",
        "WORKFLOW_TASK_STARTED",
        "WORKFLOW_TASK_COMPLETED",
        "MARKER_RECORDED",  # the calculator (local activity)
        "UPSERT_WORKFLOW_SEARCH_ATTRIBUTES",  # ArvoStatus=done
        "MARKER_RECORDED",  # the completion's dispatch to the sink
        "WORKFLOW_EXECUTION_COMPLETED",
    ]


async def test_a_long_handler_runs_as_an_activity_on_its_own_task_queue(client, task_queue):
    services = f"{task_queue}-services"
    settings = HandlerSettings(local=False, task_queue=services, timeout=timedelta(seconds=30))
    app = adder_app(task_queue, handler_settings={"com.calculator.add": settings})
    async with create_worker(client, app=app), create_worker(client, app=app, task_queue=services):
        init = adder_init(4, 5)
        await client.send(init)
        assert (await client.result(init.subject))["sum"] == 9
    history = await client.temporal.get_workflow_handle(
        workflow_id_for(init.subject)
    ).fetch_history()
    (scheduled,) = [
        event.activity_task_scheduled_event_attributes
        for event in history.events
        if event.HasField("activity_task_scheduled_event_attributes")
    ]
    assert scheduled.task_queue.name == services
    assert scheduled.start_to_close_timeout.ToTimedelta() == timedelta(seconds=30)


async def test_a_legacy_run_keeps_regular_activities_until_it_continues_as_new(
    client, task_queue
):
    app = ArvoApp(
        orchestrators=[build_adder(), build_counter()],
        handlers=[make_calculator_handler()],
        default_sink=MemorySink(),
        task_queue=task_queue,
    )
    async with create_worker(client, app=app):
        # Started as a previous version of this library started it.
        adder = adder_init(1, 1)
        content, _ = parse_target(adder)
        options = start_options(adder, content, task_queue=task_queue)
        await client.temporal.start_workflow(
            **{**options, "workflow": LEGACY_WORKFLOW_NAME},
            start_signal=EVENT_SIGNAL,
            start_signal_args=[adder],
        )
        assert (await client.result(adder.subject))["sum"] == 2
        assert "ACTIVITY_TASK_SCHEDULED" in await kinds_of(client, adder.subject)

        counter = counter_init()
        content, _ = parse_target(counter)
        options = start_options(counter, content, task_queue=task_queue)
        await client.temporal.start_workflow(
            **{**options, "workflow": LEGACY_WORKFLOW_NAME},
            start_signal=EVENT_SIGNAL,
            start_signal_args=[counter],
        )
        for n in range(40):  # past the test server's continue-as-new suggestion
            await client.execute(tick(counter, n))
        chain = await fetch_chain(client.temporal, workflow_id_for(counter.subject))
        await client.cancel(counter.subject)
    types = [
        history.events[0].workflow_execution_started_event_attributes.workflow_type.name
        for history in chain
    ]
    assert len(types) >= 2 and types[0] == LEGACY_WORKFLOW_NAME
    assert set(types[1:]) == {WORKFLOW_NAME}
