"""The example systems, end to end on the session dev server; the demo and the deployable worker
as the processes users run."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest

from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoTemporalClient, create_worker
from examples import app as app_module
from examples.app import build_app
from examples.approval import starter as approval
from examples.calculator import starter as calculator
from examples.calculator.contracts import CLIENT
from examples.parent_child import starter as parent_child
from tests.conftest import ROOT
from tests.temporal.test_cli import serving
from tests.temporal.waiting import eventually

HUGE = 1e308  # twice this is not a finite number: the calculator refuses it


@pytest.fixture
async def system(temporal_client, task_queue):
    """A worker for the examples with memory sinks; yields (client, default sink, external sink)."""
    default, external = MemorySink(), MemorySink()
    app = build_app(task_queue=task_queue, sinks={"default": default, "external": external})
    client = ArvoTemporalClient(temporal_client, task_queue=task_queue)
    async with create_worker(client, app=app):
        yield client, default, external


def test_the_deployed_app_serves_all_examples():
    app = app_module.app
    assert app.task_queue == "arvo"
    assert set(app.orchestrators) == {"arvo.orc.adder", "arvo.orc.checkout", "arvo.orc.expense"}
    assert set(app.handlers) == {"com.calculator.add"}
    assert set(app.sinks.sinks) == {"default", "external"}


async def test_calculator(system):
    client, default, external = system
    assert await calculator.main(client, a=2, b=3) == {"success": True, "sum": 5, "errors": []}
    (done,) = default.events
    assert (done.type, done.to, done.source) == ("arvo.orc.adder.done", CLIENT, "arvo.orc.adder")
    assert done.dataschema == "#/examples/orchestrator/adder/1.0.0"
    assert external.events == []


async def test_calculator_service_error_becomes_a_failed_sum(system):
    client, _, _ = system
    output = await calculator.main(client, a=HUGE, b=HUGE)
    assert output["success"] is False and output["sum"] is None
    (error,) = output["errors"]
    assert error["errorName"] == "ArithmeticError"
    assert "not a finite number" in error["errorMessage"]


async def test_parent_runs_the_adder_as_a_child(system):
    client, default, external = system
    init = parent_child.checkout_init(40, 4.5)
    await client.send(init)
    assert await client.result(init.subject) == {"success": True, "total": 44.5, "errors": []}
    # Only the parent's completion leaves the system; the child's came back to the parent.
    (done,) = default.events
    assert (done.type, done.subject) == ("arvo.orc.checkout.done", init.subject)
    assert external.events == []
    snapshot = await client.snapshot(init.subject)
    consumed = snapshot["events"]["consumed"]
    assert consumed["type"] == "arvo.orc.adder.done" and consumed["subject"] == init.subject
    assert consumed["parentid"]  # the child's completion names the child's init event


async def test_a_failing_child_fails_the_parent(system):
    client, _, _ = system
    output = await parent_child.main(client, price=HUGE, shipping=HUGE)
    assert output["success"] is False and output["total"] is None
    assert output["errors"][0]["errorName"] == "ArithmeticError"


async def test_approval_approved_by_a_person(system):
    client, default, external = system
    subject = await approval.main(client, amount=120, description="team lunch")
    (request,) = await external.wait_for(1)
    assert request.type == "com.expense.approval" and request.domain == "external"
    assert request.subject == subject
    assert request.data == {"amount": 120, "description": "team lunch", "requester": "sam"}
    assert default.events == []  # a person-bound request never goes to the default sink

    answer = approval.decision_event(
        subject, approved=True, approver="alice", comment="ok", request_id=request.id
    )
    await client.send(answer)
    assert await client.result(subject) == {
        "status": "approved",
        "approved": True,
        "approver": "alice",
        "comment": "ok",
    }
    (done,) = default.events
    assert done.type == "arvo.orc.expense.done" and done.to == CLIENT


async def test_approval_times_out_through_after(system):
    client, default, external = system
    subject = await approval.main(client, amount=900, description="ticket", timeout_seconds=1)
    await external.wait_for(1)
    assert await client.result(subject) == {
        "status": "timed_out",
        "approved": False,
        "approver": None,
        "comment": "no decision before the timeout",
    }
    (done,) = default.events
    assert done.data["status"] == "timed_out"
    # The machine finished: a late answer is refused rather than reopening it.
    late = approval.decision_event(subject, approved=True, approver="late")
    with pytest.raises(Exception, match="has already finished"):
        await client.send(late)


def test_the_approval_starter_prints_an_answer_to_pipe_into_send():
    init = approval.expense_init(3, "tea")
    printed = approval._cli(["decide", init.subject, "--reject", "--approver", "kim"])
    event = json.loads(printed)
    assert (event["type"], event["subject"], event["to"]) == (
        "evt.expense.approval.decided",
        init.subject,
        "arvo.orc.expense",
    )
    assert event["data"] == {"approved": False, "approver": "kim", "comment": None}
    assert event["dataschema"] == "#/examples/approval/decision/1.0.0"


# ------------------------------------------------------------------------ as processes


def _first_line(path: Path) -> str | None:
    """The file's first line once it is complete (ends with a newline), else None."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    line, newline, _ = text.partition("\n")
    return line if newline else None


async def _run(*argv: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(180):  # a guard against a hang, not a timed assertion
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_demo_runs_every_example_and_stops_what_it_started(tmp_path):
    code, out, err = await _run(
        sys.executable, "-m", "examples.demo",
        "--data-dir", str(tmp_path / "demo"), "--ui-port", "0", "--approval-timeout", "1",
    )  # fmt: skip
    assert code == 0, err
    assert err == ""
    for expected in [
        "1. calculator",
        'default   arvo.orc.adder.done → com.example.client  {"success": true, "sum": 5, "errors": []}',
        "2. parent/child",
        '"total": 44.5',
        "3a. approval",
        "external  com.expense.approval → com.expense.approval",
        '"status": "approved"',
        "3b. approval",
        '"status": "timed_out"',
        "▸ Web UI: http://127.0.0.1:",
        "▸ done in ",
    ]:
        assert expected in out, expected
    assert (tmp_path / "demo" / "temporal.db").is_file()


async def test_the_demo_fails_with_one_line(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    code, _, err = await _run(
        sys.executable, "-m", "examples.demo", "--data-dir", str(not_a_folder), "--headless"
    )
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("demo failed: ")


async def test_the_deployable_worker_serves_the_examples_until_sigterm(
    temporal_server, task_queue, tmp_path
):
    default_file, external_file = tmp_path / "default.jsonl", tmp_path / "external.jsonl"
    env = {
        **os.environ,
        "ARVO_APP": "examples.app:app",
        "TEMPORAL_ADDRESS": temporal_server.target,
        "TEMPORAL_NAMESPACE": temporal_server.namespace,
        "TASK_QUEUE": task_queue,
        "ARVO_SINK_DEFAULT": f"file://{default_file}",
        "ARVO_SINK_EXTERNAL": f"file://{external_file}",
        "ARVO_SHUTDOWN_GRACE": "5",
    }
    async with serving(
        "workers.main", ready="worker for examples.app:app", stop=signal.SIGTERM, env=env
    ) as served:
        client = await ArvoTemporalClient.connect(temporal_server.target, task_queue=task_queue)
        subject = await approval.main(client, amount=42, description="cables")
        # The file exists from the moment the sink opens it, before the line is written: wait
        # for a whole line, not for the file.
        line = await eventually(lambda: asyncio.to_thread(_first_line, external_file), "a line")
        request = json.loads(line)
        assert request["type"] == "com.expense.approval" and request["subject"] == subject
        await client.send(approval.decision_event(subject, approved=True, approver="ops"))
        assert (await client.result(subject))["status"] == "approved"
        (done,) = default_file.read_text(encoding="utf-8").splitlines()
        assert json.loads(done)["type"] == "arvo.orc.expense.done"
    assert served.process.returncode == 0, served.stderr
    assert "worker stopped" in served.stderr


async def test_the_deployable_worker_gives_up_on_an_unreachable_server_in_one_line():
    env = {
        **os.environ,
        "ARVO_APP": "examples.app:app",
        "TEMPORAL_ADDRESS": "127.0.0.1:9",  # discard port: nothing listens
        "TEMPORAL_CONNECT_TIMEOUT": "1",
    }
    code, _, err = await _run(sys.executable, "-m", "workers.main", env=env)
    assert code == 1
    last = err.splitlines()[-1]
    assert last.startswith("workers.main: cannot connect to Temporal at 127.0.0.1:9")
    # Whether it retried first depends on how long the refused attempt took (a retry starts
    # only if it fits the 1 s budget), so that is tested with a fake server and a deadline
    # nobody reaches in tests/test_workers_main.py.
