"""What an execution accepts now, search by state, wait for a state, the orchestration tree and
the human-task inbox, end to end on the session dev server with the examples (approval for
tasks and wait, parent/child for the tree), through the CLI and the client."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from temporalio.api.enums.v1 import EventType

from arvo_temporal.errors import ExecutionTimeoutError, UnknownStateError
from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoTemporalClient, create_worker, workflow_id_for
from arvo_temporal.temporal._search_attributes import ARVO_PARENT, ARVO_ROOT, ARVO_STATE
from arvo_temporal.temporal._workflow import WAIT_UPDATE
from examples.approval.starter import expense_init
from examples.parent_child.starter import checkout_init
from tests.fixtures.timing import build_counter
from tests.temporal.test_adapter import app, counter_init, tick
from tests.temporal.test_cli import cli, examples_worker
from tests.temporal.waiting import eventually

APP = ("--app", "examples.app:app")
DECIDED = "evt.expense.approval.decided"


def _lines(outcome) -> list[dict]:
    assert outcome.code == 0, outcome.err
    return [json.loads(line) for line in outcome.out.splitlines()]


async def test_a_person_answers_what_tasks_lists_while_wait_waits(
    temporal_server, temporal_client, task_queue
):
    init = expense_init(120, "team lunch", timeout_seconds=600)
    async with examples_worker(temporal_server, temporal_client, task_queue) as running:
        opts = running.opts()
        workflow_id = running.client.workflow_id(init.subject)
        await running.client.send(init)

        reached = await cli("wait", workflow_id, "--state", "awaitingDecision", *APP, *opts)
        assert reached.code == 0, reached.err
        assert reached.json()["reason"] == "met"
        assert reached.json()["record"]["value"] == "awaitingDecision"
        (request,) = running.external.events

        # What it accepts now, in the status query and the CLI.
        status = (await cli("status", workflow_id, *opts)).json()
        assert status["states"] == ["awaitingDecision"]
        assert status["accepts"] == [DECIDED]
        assert status["context"].startswith('{"amount":120.0,"description":"team lunch"')
        (opened,) = status["open_requests"]
        assert (opened["event_id"], opened["domain"]) == (request.id, "external")
        assert opened["reply_types"] == [DECIDED]

        # Search by state (visibility catches up with the upsert shortly).
        async def listed(*argv: str) -> list[str]:
            return [row["workflow_id"] for row in _lines(await cli("list", *argv, *opts))]

        async def in_state() -> bool:
            return workflow_id in await listed("--state", "awaitingDecision", *APP)

        await eventually(in_state, "list --state")
        assert workflow_id not in await listed("--state", "approved")
        found = await running.client.find_in_state("awaitingDecision", orchestrator=init.type)
        assert workflow_id in [listing.workflow_id for listing in found]

        # The inbox.
        async def tasks(*argv: str) -> list[dict]:
            rows = _lines(await cli("tasks", *argv, *opts))
            return [row for row in rows if row["workflow_id"] == workflow_id]

        (task,) = await eventually(lambda: tasks("--domain", "external"), "tasks")
        assert (task["event_id"], task["type"], task["reply_types"]) == (
            request.id,
            "com.expense.approval",
            [DECIDED],
        )
        assert task["emitted"].endswith("Z") and task["age_seconds"] >= 0
        assert await tasks("--domain", "elsewhere") == []

        # Bad answers: one line, exit 2, nothing sent.
        answer = ("answer", workflow_id, request.id, *APP, *opts)
        data = '{"approved": true, "approver": "alice", "comment": "ok"}'
        unknown = await cli("answer", workflow_id, "not-a-request", "--type", DECIDED, "--data",
                            data, *APP, *opts)  # fmt: skip
        assert unknown.code == 2 and "no request not-a-request awaits a reply" in unknown.error_line
        wrong = await cli(*answer, "--type", "evt.nope.nope", "--data", data)
        assert wrong.code == 2 and f"is answered by {DECIDED}" in wrong.error_line
        refused = await cli(*answer, "--type", DECIDED, "--data", '{"approved": "maybe"}')
        assert refused.code == 2 and "the contract refuses the data" in refused.error_line
        assert (await cli("status", workflow_id, *opts)).json()["open_requests"] != []

        # wait --done returns as soon as the answer ends the execution.
        waiting = asyncio.create_task(cli("wait", workflow_id, "--done", *opts))
        answered = await cli(*answer, "--type", DECIDED, "--data", data)
        assert answered.code == 0, answered.err
        assert answered.json()["answered"] == request.id
        done = await waiting
        assert done.code == 0, done.err
        assert done.json()["status"]["status"] == "done"
        assert done.json()["status"]["states"] == ["approved"]
        assert done.json()["record"]["state"]["context"]["comment"] == "ok"
        assert (await cli("result", workflow_id, *opts)).json()["approver"] == "alice"

        # The reply carried the request's id, and closed it.
        (completion,) = running.default.events
        assert completion.type == "arvo.orc.expense.done"
        final = (await cli("status", workflow_id, *APP, *opts)).json()  # replayed: closed
        assert final["open_requests"] == [] and final["accepts"] == []

    # Closed executions answer wait from their description, without a worker.
    closed = await cli("wait", workflow_id, "--done", *opts)
    assert closed.code == 0 and closed.json()["status"]["states"] == ["approved"]
    missed = await cli("wait", workflow_id, "--state", "rejected", *opts)
    assert missed.code == 1
    assert "ended (done, in approved) without reaching state rejected" in missed.error_line


async def test_bad_states_and_conditions_are_one_line(temporal_server, temporal_client, task_queue):
    init = expense_init(5, "tea", timeout_seconds=600)
    async with examples_worker(temporal_server, temporal_client, task_queue) as running:
        opts = running.opts()
        workflow_id = running.client.workflow_id(init.subject)
        await running.client.send(init)
        await running.external.wait_for(1)

        checked = await cli("wait", workflow_id, "--state", "approve", *APP, *opts)
        assert checked.code == 2
        assert "arvo.orc.expense 1.0.0 has no state 'approve'" in checked.error_line
        # Without the app, the workflow refuses the path itself (its update validator).
        refused = await cli("wait", workflow_id, "--state", "approve", *opts)
        assert refused.code == 2 and "has no state 'approve'" in refused.error_line
        with pytest.raises(UnknownStateError) as error:
            await running.client.wait_for(init.subject, state="nowhere")
        assert "awaitingDecision, approved, rejected, timedOut" in str(error.value)
        nothing = await cli("wait", workflow_id, *opts)
        assert nothing.code == 2 and "--state PATH, --tag TAG or --done" in nothing.error_line
        late = await cli("wait", workflow_id, "--state", "approved", "--timeout", "1", *opts)
        assert late.code == 1
        assert "did not reach the condition within 1s" in late.err.splitlines()[-1]
        with pytest.raises(ExecutionTimeoutError):
            await running.client.wait_for(
                init.subject, tag="urgent", timeout=timedelta(milliseconds=300)
            )

        state = await cli("list", "--state", "nope", "--orchestrator", init.type, *APP, *opts)
        assert state.code == 2 and "has no state 'nope'" in state.error_line
        anywhere = await cli("list", "--state", "nope", *APP, *opts)
        assert anywhere.code == 2 and "no machine of the app has a state 'nope'" in (
            anywhere.error_line
        )
        quoted = await cli("list", "--state", "a' OR 'b", *opts)
        assert quoted.code == 2 and "state cannot contain quotes" in quoted.error_line
        tree = await cli("list", "--tree", workflow_id, "--status", "done", *opts)
        assert tree.code == 2 and "--tree takes no" in tree.error_line
        missing = await cli("list", "--tree", "arvo.orc.adder/none/0123456789abcdef", *opts)
        assert missing.code == 1 and "no execution exists" in missing.error_line


async def test_list_tree_shows_a_parent_and_its_child(temporal_server, temporal_client, task_queue):
    init = checkout_init(40, 4.5)
    async with examples_worker(temporal_server, temporal_client, task_queue) as running:
        opts = running.opts()
        await running.client.send(init)
        assert (await running.client.result(init.subject))["total"] == 44.5
        root = running.client.workflow_id(init.subject)

        async def tree() -> list[str]:
            outcome = await cli("list", "--tree", root, *opts)
            assert outcome.code == 0, outcome.err
            lines = outcome.out.splitlines()
            return lines if len(lines) == 2 else []

        first, second = await eventually(tree, "both executions in the tree")
    assert first == f"{root}  done  (completed)  [done]"
    assert second.startswith("└─ arvo.orc.adder/") and second.endswith(
        "  done  (completed)  [done]"
    )
    child = second.removeprefix("└─ ").split()[0]
    # Named by the child, the same tree, the child marked.
    from_child = await cli("list", "--tree", child, *opts)
    assert from_child.out.splitlines() == [first, f"{second}  ◀"]
    described = await temporal_client.get_workflow_handle(child).describe()
    attributes = described.typed_search_attributes
    assert (attributes.get(ARVO_ROOT), attributes.get(ARVO_PARENT)) == (root, root)
    assert list(attributes.get(ARVO_STATE) or []) == ["done"]
    memo = await described.memo()
    assert memo["parent_workflow_id"] == root
    assert f"child of [`{root}`](/namespaces/default/workflows/" in (
        await described.static_details() or ""
    )
    root_attributes = (
        await temporal_client.get_workflow_handle(root).describe()
    ).typed_search_attributes
    assert root_attributes.get(ARVO_ROOT) == root and root_attributes.get(ARVO_PARENT) is None


async def test_a_wait_in_flight_is_handed_to_the_next_run(temporal_client, task_queue):
    """Continue-as-new answers a wait in flight with the retryable failure; the client asks the
    next run, which answers when the execution ends, and the handover is never held up."""
    client = ArvoTemporalClient(temporal_client, task_queue=task_queue)
    async with create_worker(client, app=app(task_queue, MemorySink(), build_counter())):
        init = counter_init()
        await client.execute(init)
        waiting = asyncio.create_task(
            client.wait_for(init.subject, done=True, timeout=timedelta(seconds=120))
        )
        for n in range(40):
            await client.execute(tick(init, n))
        status = await client.status(init.subject)
        assert status.runs > 1, "the test server suggests continue-as-new after 60 events"
        assert not waiting.done()

        async def waited_on_by_the_latest_run() -> bool:
            history = await temporal_client.get_workflow_handle(
                workflow_id_for(init.subject)
            ).fetch_history()
            return any(
                event.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
                == WAIT_UPDATE
                for event in history.events
                if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
            )

        await eventually(waited_on_by_the_latest_run, "the wait handed to the latest run")
        await client.cancel(init.subject, reason="enough")
        outcome = await waiting
    assert outcome.met and outcome.status.status == "cancelled"


async def test_a_query_without_a_worker_names_the_idle_task_queue(
    temporal_server, temporal_client, task_queue
):
    """Started on a task queue no worker polls: status says which queue has no poller."""
    init = expense_init(7, "ink", timeout_seconds=600)
    client = ArvoTemporalClient(temporal_client, task_queue=task_queue)
    await client.send(init)  # signal-with-start: durable without a worker
    opts = ["--address", temporal_server.target]
    outcome = await cli("status", init.subject, "--timeout", "5", *opts)
    assert outcome.code == 1
    last = outcome.err.splitlines()[-1]
    assert "did not happen within 5s" in last
    assert f"(no worker polls task queue {task_queue})" in last
    assert f"no worker polls task queue {task_queue} (Temporal lists no poller seen" in outcome.err
    await temporal_client.get_workflow_handle(workflow_id_for(init.subject)).terminate()
