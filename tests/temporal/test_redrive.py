"""Redrive on the real dev server: a machine bug fails an execution; the fixed build is deployed
(a second worker with the same machine source and version) and the failed execution is redriven
from its last good record to done, in the same subject and de-dup window."""

from __future__ import annotations

import contextlib
import json

import pytest

from arvo_temporal.errors import (
    ExecutionCancelledError,
    ExecutionFailedError,
    OperationRefusedError,
)
from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoApp, ArvoTemporalClient, create_worker
from arvo_temporal.temporal._arvo_query import restrict_to_arvo
from arvo_temporal.temporal._search_attributes import ARVO_STATUS
from tests.fixtures.operating import LAST_TICK, build_logbook, logbook_init, logbook_tick
from tests.temporal.test_cli import cli
from tests.temporal.waiting import eventually

BROKEN = 13
HOUR_MS = 3_600_000


@contextlib.asynccontextmanager
async def build(temporal_client, task_queue: str, *, fixed: bool):
    """One deployment of the logbook app: the broken build, or the fixed one."""
    client = ArvoTemporalClient(temporal_client, task_queue=task_queue)
    machine = build_logbook(HOUR_MS, broken_tick=None if fixed else BROKEN)
    app = ArvoApp(orchestrators=[machine], default_sink=MemorySink(), task_queue=task_queue)
    async with create_worker(client, app=app):
        yield client


async def failed_execution(temporal_client, task_queue: str):
    """An execution that applied tick 1, then failed on the broken tick (the client, the
    init, tick 1 and the broken tick)."""
    async with build(temporal_client, task_queue, fixed=False) as client:
        init = logbook_init()
        await client.execute(init)
        first = logbook_tick(init, 1)
        await client.execute(first)
        broken = logbook_tick(init, BROKEN)
        await client.execute(broken)
        with pytest.raises(ExecutionFailedError, match=f"tick {BROKEN} breaks this build"):
            await client.result(init.subject)
    return client, init, first, broken


async def test_a_failed_execution_is_redriven_to_done_on_the_fixed_build(
    temporal_client, task_queue
):
    client, init, first, _ = await failed_execution(temporal_client, task_queue)
    handle = client.temporal.get_workflow_handle(client.workflow_id(init.subject))
    failed_run = (await handle.describe()).run_id
    async with build(temporal_client, task_queue, fixed=True):
        outcome = await client.redrive(init.subject, identity="dave", reason="fix #7 deployed")
        assert outcome.changed and outcome.failed_run_id == failed_run
        again = await client.redrive(init.subject, identity="dave")
        assert not again.changed and again.run_id == outcome.run_id  # one effect

        status = await client.status(init.subject)
        assert status.status == "active" and status.value == "early"
        assert status.redriven is not None and status.redriven.identity == "dave"
        assert status.redriven.from_run_id == failed_run
        description = await handle.describe()
        assert description.typed_search_attributes.get(ARVO_STATUS) == "active"
        assert (await description.memo())["redriven"]["reason"] == "fix #7 deployed"

        await client.send(first)  # applied before the failure: still in the de-dup window
        await client.send(logbook_tick(init, LAST_TICK))
        assert await client.result(init.subject) == {"seen": [1, BROKEN, LAST_TICK]}
        assert (await handle.describe()).typed_search_attributes.get(ARVO_STATUS) == "done"
        with pytest.raises(OperationRefusedError, match="it ended done, not failed"):
            await client.redrive(init.subject)


async def test_the_cli_redrives_skipping_the_failing_event(
    temporal_server, temporal_client, task_queue
):
    opts = ["--address", temporal_server.target, "--task-queue", task_queue]
    client, init, _, broken = await failed_execution(temporal_client, task_queue)
    workflow_id = client.workflow_id(init.subject)
    wrong = await cli("redrive", workflow_id, "--skip-event", "not-it", *opts)
    assert wrong.code == 1 and wrong.out == ""
    assert wrong.error_line == (
        f"arvo-temporal: cannot redrive execution {workflow_id}: not-it is not its failing "
        f"event (the event that failed it is {broken.id})"
    )
    async with build(temporal_client, task_queue, fixed=False):  # still the broken build
        skipped = await cli("redrive", workflow_id, "--skip-event", broken.id, *opts)
        assert skipped.code == 0, skipped.err
        assert skipped.json()["changed"] is True
        assert skipped.json()["skipped_event"] == broken.id
        await client.send(broken)  # skipped, and still in the de-dup window
        await client.send(logbook_tick(init, LAST_TICK))
        assert await client.result(init.subject) == {"seen": [1, LAST_TICK]}


async def test_redriving_an_execution_that_did_not_fail_is_refused(temporal_client, task_queue):
    async with build(temporal_client, task_queue, fixed=True) as client:
        init = logbook_init()
        await client.execute(init)
        with pytest.raises(OperationRefusedError, match="it is running, not failed"):
            await client.redrive(init.subject)
        await client.cancel(init.subject)
        with pytest.raises(ExecutionCancelledError):  # waits for the run to close
            await client.result(init.subject)
        with pytest.raises(OperationRefusedError, match="it ended cancelled, not failed"):
            await client.redrive(init.subject)


async def test_a_query_redrives_every_failed_execution_and_reports_the_rest(
    temporal_server, temporal_client, task_queue
):
    opts = ["--address", temporal_server.target, "--task-queue", task_queue]
    failed = [await failed_execution(temporal_client, task_queue) for _ in range(2)]
    async with build(temporal_client, task_queue, fixed=True) as client:
        running = logbook_init()
        await client.execute(running)
        query = f"TaskQueue = '{task_queue}'"

        async def all_listed() -> bool:
            count = await client.temporal.count_workflows(restrict_to_arvo(query))
            return count.count == 3

        await eventually(all_listed, "the three executions in visibility")
        bulk = await cli("redrive", "--query", query, "--identity", "erin", *opts)
        running_id = client.workflow_id(running.subject)
        summary = {
            "operation": "redrive",
            "total": 3,
            "done": 2,
            "unchanged": 0,
            "failed": {running_id: f"cannot redrive execution {running_id}: it is running, not "
                "failed"},
        }
        assert bulk.code == 1 and json.loads(bulk.out) == summary
        again = await cli("redrive", "--query", query, "--identity", "erin", *opts)
        assert json.loads(again.out) == summary | {"unchanged": 2}
        for _, init, _, _ in failed:
            await client.send(logbook_tick(init, LAST_TICK))
            assert await client.result(init.subject) == {"seen": [1, BROKEN, LAST_TICK]}
