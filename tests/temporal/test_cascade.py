"""Cascade on the real dev server, over the parent/child fixture (tests/fixtures/machines.py):
cancelling a parent, or its execution timeout, cancels the child it started, and the child tells
its initiator (the parent) as Arvo does; ``cascade=False`` leaves the child running."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from temporalio.client import WorkflowExecutionStatus

from arvo_temporal import ArvoOrchestratorEventFactory
from arvo_temporal.errors import ExecutionCancelledError
from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoApp, ArvoTemporalClient, OrchestratorSpec, create_worker
from arvo_temporal.temporal._observing import visibility_query
from tests.fixtures import anchors
from tests.fixtures.machines import build_adder, build_parent
from tests.temporal.test_cli import cli
from tests.temporal.waiting import eventually


@contextlib.asynccontextmanager
async def serving(temporal_client, task_queue: str, execution_timeout: timedelta | None = None):
    """Parent and adder, no calculator handler: the adder child waits for ever."""
    client = ArvoTemporalClient(temporal_client, task_queue=task_queue)
    parent = OrchestratorSpec(machines=(build_parent(),), execution_timeout=execution_timeout)
    app = ArvoApp(
        orchestrators=[parent, build_adder()], default_sink=MemorySink(), task_queue=task_queue
    )
    async with create_worker(client, app=app):
        yield client


def parent_init():
    return ArvoOrchestratorEventFactory(anchors.parent.version("1.0.0")).init(
        source="com.test.client", data={"parentSubject$$": None, "a": 1, "b": 2, "c": 3}
    )


async def started_child(client: ArvoTemporalClient, parent_id: str) -> str:
    query = visibility_query(parent=parent_id)

    async def listed():
        return [execution.id async for execution in client.temporal.list_workflows(query)]

    (child,) = await eventually(listed, "the child execution in visibility")
    return child


async def closed(client: ArvoTemporalClient, workflow_id: str):
    handle = client.temporal.get_workflow_handle(workflow_id)

    async def description():
        described = await handle.describe()
        return described if described.close_time is not None else None

    return await eventually(description, f"{workflow_id} to close")


async def told_its_parent(client: ArvoTemporalClient, child_id: str, parent_id: str) -> bool:
    """The child dispatched an event to its parent (its ``sys.arvo.orc.adder.error``: the only
    event it sends there): delivered (the target is the parent's workflow id) when the parent
    had not closed yet, else dropped (the target is the parent's source)."""
    history = await client.temporal.get_workflow_handle(child_id).fetch_history()
    targets = (b'"target":"arvo.orc.parent"', f'"target":"{parent_id}"'.encode())
    return any(
        target in payload.data
        for target in targets
        for event in history.events
        for payloads in event.marker_recorded_event_attributes.details.values()
        for payload in payloads.payloads
    )


async def test_cancelling_a_parent_cancels_its_child_which_tells_its_parent(
    temporal_client, task_queue
):
    async with serving(temporal_client, task_queue) as client:
        init = parent_init()
        await client.execute(init)
        parent_id = client.workflow_id(init.subject)
        child = await started_child(client, parent_id)
        assert await client.cancel(init.subject, reason="budget freeze") == [child]
        description = await closed(client, child)
        assert description.status == WorkflowExecutionStatus.CANCELED
        assert (await description.memo())["cancel_reason"] == (
            f"budget freeze (cascaded from {parent_id})"
        )
        assert await told_its_parent(client, child, parent_id)


async def test_no_cascade_leaves_the_child_running(temporal_client, task_queue):
    async with serving(temporal_client, task_queue) as client:
        init = parent_init()
        await client.execute(init)
        child = await started_child(client, client.workflow_id(init.subject))
        assert await client.cancel(init.subject, cascade=False) == []
        with pytest.raises(ExecutionCancelledError):
            await client.result(init.subject)
        description = await client.temporal.get_workflow_handle(child).describe()
        assert description.status == WorkflowExecutionStatus.RUNNING


async def test_a_parents_execution_timeout_cancels_its_child(temporal_client, task_queue):
    async with serving(temporal_client, task_queue, timedelta(seconds=2)) as client:
        init = parent_init()
        await client.execute(init)
        child = await started_child(client, client.workflow_id(init.subject))
        with pytest.raises(ExecutionCancelledError, match="execution timeout"):
            await client.result(init.subject)
        description = await closed(client, child)
        assert description.status == WorkflowExecutionStatus.CANCELED
        assert "the execution timeout was reached (cascaded from" in (
            (await description.memo())["cancel_reason"]
        )


async def test_the_cli_cascades_unless_told_not_to(temporal_server, temporal_client, task_queue):
    opts = ["--address", temporal_server.target, "--task-queue", task_queue]
    async with serving(temporal_client, task_queue) as client:
        kept, cascaded = parent_init(), parent_init()
        for init in (kept, cascaded):
            await client.execute(init)
        kept_child = await started_child(client, client.workflow_id(kept.subject))
        child = await started_child(client, client.workflow_id(cascaded.subject))
        alone = await cli("cancel", kept.subject, "--no-cascade", *opts)
        assert alone.code == 0 and alone.json()["children_cancelled"] == []
        together = await cli("cancel", cascaded.subject, "--reason", "stop", *opts)
        assert together.code == 0 and together.json()["children_cancelled"] == [child]
        assert (await closed(client, child)).status == WorkflowExecutionStatus.CANCELED
        running = await client.temporal.get_workflow_handle(kept_child).describe()
        assert running.status == WorkflowExecutionStatus.RUNNING
