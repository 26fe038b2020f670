"""The replay gate against the dev server: histories recorded by the example app replay with
the same code and fail, naming the execution, with a machine changed incompatibly."""

from __future__ import annotations

import json

from temporalio.worker import Worker

from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoPlugin, ArvoTemporalClient
from arvo_temporal.temporal._replay_gate import gate_query, replay_recent
from examples.app import build_app
from examples.approval.starter import expense_init
from examples.calculator.starter import adder_init
from tests.fixtures.changed import changed_adder_app
from tests.temporal.test_cli import cli
from tests.temporal.waiting import eventually


def test_the_gate_looks_at_arvo_executions_only():
    both = "WorkflowType IN ('ArvoExecution', 'ArvoMachineWorkflow')"
    assert gate_query() == both
    assert gate_query("ExecutionStatus='Running'") == f"{both} AND (ExecutionStatus='Running')"
    assert gate_query("  ") == gate_query()


async def test_unchanged_code_passes_and_a_changed_machine_is_named(
    temporal_server, temporal_client, task_queue
):
    app = build_app(
        task_queue=task_queue, sinks={"default": MemorySink(), "external": MemorySink()}
    )
    plugged = await temporal_server.connect(plugins=[ArvoPlugin(app)])
    client = ArvoTemporalClient(plugged, task_queue=task_queue)
    async with Worker(plugged, task_queue=task_queue):
        finished = adder_init(4, 5)
        await client.send(finished)
        assert (await client.result(finished.subject))["sum"] == 9
        waiting = expense_init(30, "a chair", timeout_seconds=600)  # stays open, waiting
        await client.send(waiting)
        await eventually(
            lambda: _status_is(client, waiting.subject, "awaitingDecision"), "the open expense"
        )
    mine = f"TaskQueue = '{task_queue}'"

    async def listed() -> bool:  # visibility is eventually consistent
        count = await temporal_client.count_workflows(gate_query(mine))
        return count.count == 2

    await eventually(listed, "both executions in visibility")
    target = ["--address", temporal_server.target]

    passed = await cli("replay", "--app", "examples.app:app", "--query", mine, *target)
    assert passed.code == 0, passed.err
    assert passed.json() == {"query": gate_query(mine), "replayed": 2, "passed": True}

    adders = f"{mine} AND ArvoOrchestrator = 'arvo.orc.adder'"
    changed = await cli(
        "replay", "--app", "tests.fixtures.changed:changed_adder_app", "--query", adders, *target
    )
    assert changed.code == 1
    workflow_id = client.workflow_id(finished.subject)
    # A slow replay may say first on stderr what it is doing; the error is the last line.
    error = changed.err.splitlines()[-1]
    assert error.startswith(f"arvo-temporal: {workflow_id} (run ")
    assert "does not replay: nondeterminism: " in error, error
    assert error.endswith("(0 replayed before it)")
    assert changed.out == ""

    # The same through the function the command wraps.
    report = await replay_recent(temporal_client, app=changed_adder_app(), query=adders)
    assert report.failure is not None and not report.passed
    assert report.failure.workflow_id == workflow_id
    # With handlers as local activities the changed adder's first local activity (its
    # completion's dispatch) meets the recorded handler result, which no longer decodes.
    assert report.failure.kind == "nondeterminism"
    assert "recorded local activity result does not decode as DispatchReport" in (
        report.failure.message
    )
    assert report.replayed == 1


async def _status_is(client: ArvoTemporalClient, subject: str, value: str) -> bool:
    return (await client.status(subject)).value == value


async def test_nothing_matched_is_said_and_bad_input_is_one_line(temporal_server):
    target = ["--address", temporal_server.target]
    nothing = await cli(
        "replay", "--app", "examples.app:app", "--query", "TaskQueue = 'no-such-queue'", *target
    )
    assert nothing.code == 0, nothing.err
    assert json.loads(nothing.out)["replayed"] == 0
    assert "no execution matched: nothing was checked" in nothing.err

    for argv, code, message in [
        (["h.json", "--app", "examples.app:app", "--limit", "3"], 2, "not both"),
        (["--app", "examples.app:app", "--limit", "0"], 2, "--limit must be at least 1"),
        (
            ["--app", "examples.app:app", "--query", "NoSuchField = 'x'"],
            2,
            "is not a valid visibility query",
        ),
    ]:
        outcome = await cli("replay", *argv, *target)
        assert outcome.code == code, (argv, outcome)
        error = outcome.err.splitlines()[-1]
        assert error.startswith("arvo-temporal: ") and message in error, (argv, error)
