"""``inspect``, ``export``, ``graph``, ``event`` and naming executions by workflow id, end to end on
the session dev server with the examples; the commands that read history run after the worker
has stopped, so they prove that no worker is needed.
"""

from __future__ import annotations

import json

from arvo_temporal import ArvoEvent
from examples.approval.starter import expense_init
from tests.statechart.test_mermaid import parse
from tests.temporal.test_cli import cli, examples_worker, write_event

APP = ("--app", "examples.app:app")
TIMER = "xstate.after.decisionTimeout.expense.awaitingDecision"


def _rows(outcome) -> list[dict]:
    assert outcome.code == 0, outcome.err
    return [json.loads(line) for line in outcome.out.splitlines()]


async def test_an_after_timer_step_by_step_without_a_worker(
    temporal_server, temporal_client, task_queue, tmp_path
):
    init = expense_init(10, "pens", timeout_seconds=1)
    async with examples_worker(temporal_server, temporal_client, task_queue) as running:
        opts = running.opts()
        workflow_id = running.client.workflow_id(init.subject)
        await running.client.send(init)
        assert (await running.client.result(init.subject))["status"] == "timed_out"
        (request,) = running.external.events
        (completion,) = running.default.events
    # From here on no worker runs: everything is read from the history.

    rows = _rows(await cli("inspect", workflow_id, *APP, "--json", *opts))
    assert [row["kind"] for row in rows] == ["event", "timer"]
    first, fired = rows
    assert first["event"] == {"type": "arvo.orc.expense", "id": init.id, "source": init.source}
    assert (first["state_before"], first["state_after"], first["status"]) == (
        None,
        "awaitingDecision",
        "active",
    )
    assert first["emitted"] == [
        {"type": "com.expense.approval", "id": request.id, "to": request.to, "domain": "external"}
    ]
    assert [timer["id"] for timer in first["timers_scheduled"]] == [TIMER]
    assert fired["timer"] == TIMER and fired["event"] is None
    assert (fired["state_before"], fired["state_after"], fired["status"]) == (
        "awaitingDecision",
        "timedOut",
        "done",
    )
    assert {"op": "replace", "path": "/status", "value": "timed_out"} in fired["context_patch"]
    assert [event["id"] for event in fired["emitted"]] == [completion.id]
    # Workflow time, in order, as ISO-8601.
    assert first["time"] < fired["time"] and fired["time"].endswith("Z")

    text = await cli("inspect", init.subject, *APP, *opts)
    assert text.code == 0, text.err
    assert f"#2  {fired['time']}  timer {TIMER}" in text.out
    assert "state    awaitingDecision → timedOut  [done]" in text.out

    at = await cli("inspect", workflow_id, *APP, "--at", "2", *opts)
    assert at.code == 0, at.err
    assert at.json()["record"]["value"] == "timedOut"
    assert at.json()["record"]["state"]["context"]["status"] == "timed_out"

    exported = tmp_path / "events.jsonl"
    wrote = await cli("export", workflow_id, *APP, "-o", str(exported), *opts)
    assert wrote.code == 0, wrote.err
    events = [ArvoEvent.from_json(json.loads(line)) for line in exported.read_text().splitlines()]
    assert events == [init, request, completion]  # the very events, ids and times included

    graph = await cli("graph", workflow_id, *APP, *opts)
    assert graph.code == 0, graph.err
    assert parse(graph.out).active == ["timedOut"]

    # status and result answer from the history; snapshot rebuilds the record with the app.
    status = await cli("status", workflow_id, *opts)
    assert status.code == 0, status.err
    assert (status.json()["status"], status.json()["output"]["status"]) == ("done", "timed_out")
    replayed = await cli("status", workflow_id, *APP, *opts)
    assert (replayed.json()["value"], replayed.json()["processed"]) == ("timedOut", 1)
    snapshot = await cli("snapshot", workflow_id, *APP, *opts)
    assert snapshot.json()["value"] == "timedOut"
    needs_app = await cli("snapshot", workflow_id, *opts)
    assert needs_app.code == 2 and "give --app" in needs_app.error_line
    result = await cli("result", workflow_id, *opts)
    assert result.json()["status"] == "timed_out"


async def test_a_cancelled_execution_shows_its_cancel_step(
    temporal_server, temporal_client, task_queue
):
    init = expense_init(20, "chairs", timeout_seconds=600)
    async with examples_worker(temporal_server, temporal_client, task_queue) as running:
        opts = running.opts()
        workflow_id = running.client.workflow_id(init.subject)
        await running.client.send(init)
        await running.external.wait_for(1)
        running_graph = await cli("graph", workflow_id, *APP, *opts)
        assert parse(running_graph.out).active == ["awaitingDecision"]
        cancelled = await cli("cancel", workflow_id, "--reason", "wrong amount", *opts)
        assert cancelled.code == 0, cancelled.err
        outcome = await cli("result", workflow_id, *opts)
        assert outcome.code == 1 and "wrong amount" in outcome.error_line

    rows = _rows(await cli("inspect", workflow_id, *APP, "--json", *opts))
    assert [row["kind"] for row in rows] == ["event", "cancel"]
    cancel = rows[1]
    assert cancel["status"] == "cancelled"
    assert [event["type"] for event in cancel["emitted"]] == ["sys.arvo.orc.expense.error"]
    assert cancel["timers_cancelled"] == [TIMER]
    exported = await cli("export", workflow_id, *APP, *opts)
    types = [json.loads(line)["type"] for line in exported.out.splitlines()]
    assert types == ["arvo.orc.expense", "com.expense.approval", "sys.arvo.orc.expense.error"]
    status = await cli("status", workflow_id, *opts)
    assert status.json()["status"] == "cancelled" and "wrong amount" in status.json()["error"]


async def test_event_builds_an_init_and_a_reply_that_run(
    temporal_server, temporal_client, task_queue, tmp_path
):
    async with examples_worker(temporal_server, temporal_client, task_queue) as running:
        opts = running.opts()
        built = await cli("event", *APP, "--type", "arvo.orc.adder", "--data", '{"a": 2, "b": 3}')
        assert built.code == 0, built.err
        init = ArvoEvent.from_json(built.json())
        assert (init.type, init.to, init.data["a"]) == ("arvo.orc.adder", "arvo.orc.adder", 2)
        sent = await cli("send", "-", *opts, stdin=built.out)
        assert sent.code == 0, sent.err
        assert (await cli("result", sent.json()["workflow_id"], *opts)).json()["sum"] == 5

        expense = await cli(
            "event", *APP, "--type", "arvo.orc.expense",
            "--data", '{"amount": 9, "description": "tea", "requester": "kim"}',
        )  # fmt: skip
        started = await cli("send", "-", *opts, stdin=expense.out)
        workflow_id = started.json()["workflow_id"]
        await running.external.wait_for(1)
        reply = await cli(
            "event", *APP, "--type", "evt.expense.approval.decided", "--subject", workflow_id,
            "--data", '{"approved": true, "approver": "alice"}', *opts,
        )  # fmt: skip
        assert reply.code == 0, reply.err
        answer = ArvoEvent.from_json(reply.json())
        assert (answer.subject, answer.to) == (started.json()["subject"], "arvo.orc.expense")
        assert (await cli("send", "-", *opts, stdin=reply.out)).code == 0
        assert (await cli("result", workflow_id, *opts)).json()["status"] == "approved"

        refused = await cli(
            "event", *APP, "--type", "evt.expense.approval.decided", "--subject", workflow_id,
            "--data", '{"approved": "maybe"}', *opts,
        )  # fmt: skip
        assert refused.code == 2
        assert "the contract refuses the data" in refused.error_line
        assert "approver: Field required" in refused.error_line
        unknown = await cli(
            "event", *APP, "--type", "evt.nope", "--subject", workflow_id, "--data", "{}", *opts
        )
        assert unknown.code == 2
        assert "accepts: evt.expense.approval.decided" in unknown.error_line
        no_subject = await cli("event", *APP, "--type", "evt.nope", "--data", "{}")
        assert no_subject.code == 2 and "needs --subject" in no_subject.error_line

        history_file = tmp_path / "expense.json"
        saved = await cli("history", workflow_id, "-o", str(history_file), *opts)
        assert saved.code == 0, saved.err

    # A saved history is inspected the same way, and bad input is one line.
    from_file = _rows(await cli("inspect", "--history", str(history_file), *APP, "--json"))
    assert [row["event"]["type"] for row in from_file] == [
        "arvo.orc.expense",
        "evt.expense.approval.decided",
    ]
    not_served = await cli(
        "inspect",
        "--history",
        str(history_file),
        "--app",
        "tests.fixtures.changed:changed_adder_app",
    )
    assert not_served.code == 2
    assert "runs arvo.orc.expense, which the app does not serve" in not_served.error_line
    history = json.loads(history_file.read_text())
    history["events"][0]["workflowExecutionStartedEventAttributes"]["workflowType"]["name"] = "X"
    foreign = write_event(tmp_path / "foreign.json", history)
    not_arvo = await cli("inspect", "--history", str(foreign), *APP)
    assert not_arvo.code == 2 and "is not an Arvo execution" in not_arvo.error_line
    beyond = await cli("inspect", "--history", str(history_file), *APP, "--at", "3")
    assert beyond.code == 2 and "has steps 1 to 2" in beyond.error_line


async def test_unknown_ids_and_machines_are_one_line(temporal_server, temporal_client, task_queue):
    async with examples_worker(temporal_server, temporal_client, task_queue) as running:
        await _unknown_ids_and_machines_are_one_line(running.opts())


async def _unknown_ids_and_machines_are_one_line(opts: list[str]) -> None:
    bad = await cli("inspect", "not-an-id", *APP, *opts)
    assert bad.code == 2 and "its workflow id" in bad.error_line
    missing = await cli("inspect", "arvo.orc.adder/none/0123456789abcdef", *APP, *opts)
    assert missing.code == 1 and "no execution exists" in missing.error_line
    for command in ("status", "result", "cancel", "history"):
        outcome = await cli(command, "arvo.orc.adder/none/0123456789abcdef", *opts)
        assert outcome.code == 1 and "no execution exists" in outcome.error_line, command
    machine = await cli("graph", "arvo.orc.nope", *APP)
    assert machine.code == 2 and "does not serve arvo.orc.nope" in machine.error_line
    version = await cli("graph", "arvo.orc.adder@9.0.0", *APP)
    assert version.code == 2 and "not 9.0.0" in version.error_line
    no_app = await cli("inspect", "arvo.orc.adder/none/0123456789abcdef", *opts)
    assert no_app.code == 2 and "--app" in no_app.error_line
    mermaid = await cli("graph", "arvo.orc.adder@1.0.0", *APP)
    assert parse(mermaid.out).labels("calculating", "done")
    config = await cli("graph", "arvo.orc.adder", "--format", "json", *APP)
    assert config.json()["id"] == "adder"
