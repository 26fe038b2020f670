"""``arvo-temporal cancel --query``: every selected execution cancelled, progress on stderr, one
summary line, exit 1 when one could not be cancelled, and the same answer when run again."""

from __future__ import annotations

import json

import pytest

from arvo_temporal.errors import ExecutionCancelledError
from arvo_temporal.temporal._arvo_query import restrict_to_arvo
from examples.approval.starter import expense_init
from examples.calculator.starter import adder_init
from tests.temporal.test_cli import cli, examples_worker
from tests.temporal.waiting import eventually


@pytest.fixture
async def worker(temporal_server, temporal_client, task_queue):
    """The examples' app served on this test's task queue (``tests/temporal/test_cli.py``)."""
    async with examples_worker(temporal_server, temporal_client, task_queue) as running:
        yield running


async def test_a_query_cancels_every_waiting_execution_and_reports_the_one_it_could_not(worker):
    approvals = [expense_init(10 + n, f"item {n}", timeout_seconds=600) for n in range(4)]
    for init in approvals:
        await worker.client.send(init)
    await worker.external.wait_for(4)  # every approval is waiting for a person now
    cancelled_before = approvals[3]
    await worker.client.cancel(cancelled_before.subject, reason="cancelled earlier")
    completed = adder_init(1, 2)  # the injected failure: it finished before the bulk run
    await worker.client.send(completed)
    await worker.client.result(completed.subject)
    with pytest.raises(ExecutionCancelledError):
        await worker.client.result(cancelled_before.subject)

    query = f"TaskQueue = '{worker.task_queue}'"

    async def all_listed() -> bool:
        count = await worker.client.temporal.count_workflows(restrict_to_arvo(query))
        return count.count == 5

    await eventually(all_listed, "the five executions in visibility")

    bulk = await cli("cancel", "--query", query, "--reason", "budget freeze", *worker.opts())
    assert bulk.code == 1, bulk.err
    completed_id = worker.client.workflow_id(completed.subject)
    summary_line, *rest = bulk.out.splitlines()
    assert rest == []
    assert json.loads(summary_line) == {
        "operation": "cancel",
        "total": 5,
        "done": 4,
        "unchanged": 1,
        "failed": {completed_id: "already finished (completed); not cancelled"},
    }
    progress = bulk.err.splitlines()
    assert len(progress) == 5 and progress[-1] == "cancel: 5/5 (1 failed)"

    for init in approvals[:3]:
        with pytest.raises(ExecutionCancelledError, match="budget freeze"):
            await worker.client.result(init.subject)
    with pytest.raises(ExecutionCancelledError, match="cancelled earlier"):
        await worker.client.result(cancelled_before.subject)  # not cancelled twice

    again = await cli("cancel", "--query", query, "--reason", "budget freeze", *worker.opts())
    assert again.code == 1
    assert json.loads(again.out) == {
        "operation": "cancel",
        "total": 5,
        "done": 4,
        "unchanged": 4,  # idempotent: what the first run did is counted, not redone
        "failed": {completed_id: "already finished (completed); not cancelled"},
    }


async def test_a_query_that_selects_nothing_succeeds_with_an_empty_summary(worker):
    nothing = f"TaskQueue = '{worker.task_queue}-nobody'"
    bulk = await cli("cancel", "--query", nothing, *worker.opts())
    assert bulk.code == 0, bulk.err
    assert json.loads(bulk.out) == {
        "operation": "cancel",
        "total": 0,
        "done": 0,
        "unchanged": 0,
        "failed": {},
    }
    assert bulk.err == "cancel: no Arvo execution matches the query\n"


async def test_a_query_temporal_refuses_is_one_line_and_exit_2(worker):
    for query in ("NoSuchAttribute = 'x'", "ExecutionStatus = = 'Running'"):
        bulk = await cli("cancel", "--query", query, *worker.opts())
        assert bulk.code == 2 and bulk.out == ""
        assert bulk.error_line.startswith("arvo-temporal: Temporal refused the query: ")
