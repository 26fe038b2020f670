"""``arvo-temporal``, end to end against the session dev server, and its one-line errors.

Commands run in-process through ``arvo_temporal.cli.run`` (same event loop as the worker the test
starts, own streams, an explicit environment); ``dev`` and ``worker``, which wait for a signal,
run as child processes that the test stops with SIGINT / SIGTERM by PID.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from temporalio.api.enums.v1 import VersioningBehavior
from temporalio.api.workflowservice.v1 import (
    DescribeWorkerDeploymentRequest,
    SetWorkerDeploymentCurrentVersionRequest,
)
from temporalio.converter import DataConverter
from temporalio.service import RPCError

from arvo_temporal import ArvoEvent
from arvo_temporal.cli import port_is_free, run
from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoPlugin, ArvoTemporalClient, create_worker
from examples.app import build_app
from examples.approval.starter import decision_event, expense_init
from examples.calculator.starter import adder_init
from examples.codec import ENCODING, KEY_ENV, EncryptionCodec, new_key
from tests.conftest import ROOT
from tests.temporal.waiting import eventually

# ------------------------------------------------------------------------------------ helpers


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)

    @property
    def error_line(self) -> str:
        """The one stderr line of a failed command (asserting there is exactly one)."""
        lines = self.err.splitlines()
        assert len(lines) == 1, f"expected one line on stderr, got: {self.err!r}"
        assert lines[0].startswith("arvo-temporal: ")
        return lines[0]


async def cli(*argv: str, stdin: str = "", env: dict[str, str] | None = None) -> Outcome:
    out, err = io.StringIO(), io.StringIO()
    code = await run(list(argv), env=env or {}, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return Outcome(code, out.getvalue(), err.getvalue())


@dataclass
class Running:
    client: ArvoTemporalClient
    target: str
    task_queue: str
    default: MemorySink
    external: MemorySink

    def opts(self) -> list[str]:
        return ["--address", self.target, "--task-queue", self.task_queue]


@contextlib.asynccontextmanager
async def examples_worker(temporal_server, temporal_client, task_queue) -> AsyncIterator[Running]:
    default, external = MemorySink(), MemorySink()
    app = build_app(task_queue=task_queue, sinks={"default": default, "external": external})
    client = ArvoTemporalClient(temporal_client, task_queue=task_queue)
    async with create_worker(client, app=app):
        yield Running(client, temporal_server.target, task_queue, default, external)


@pytest.fixture
async def running(temporal_server, temporal_client, task_queue):
    async with examples_worker(temporal_server, temporal_client, task_queue) as value:
        yield value


def write_event(path: Path, event: ArvoEvent | dict) -> Path:
    data = event.to_json() if isinstance(event, ArvoEvent) else event
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ------------------------------------------------------------------------ client commands


async def test_send_a_file_then_result_status_snapshot_and_list(running, tmp_path):
    init = adder_init(2, 3)
    sent = await cli("send", str(write_event(tmp_path / "init.json", init)), *running.opts())
    assert sent.code == 0, sent.err
    assert sent.json() == {
        "workflow_id": running.client.workflow_id(init.subject),
        "subject": init.subject,
        "event_id": init.id,
    }

    result = await cli("result", init.subject, *running.opts())
    assert result.code == 0, result.err
    assert result.json() == {"success": True, "sum": 5, "errors": []}

    status = await cli("status", init.subject, *running.opts())
    assert status.code == 0, status.err
    view = status.json()
    assert (view["status"], view["orchestrator"], view["value"]) == (
        "done",
        "arvo.orc.adder",
        "done",
    )
    assert view["subject"] == init.subject and view["processed"] == 2

    snapshot = await cli("snapshot", init.subject, *running.opts())
    assert snapshot.code == 0, snapshot.err
    record = snapshot.json()
    assert record["subject"] == init.subject and record["status"] == "done"

    (done,) = running.default.events
    assert done.type == "arvo.orc.adder.done" and done.subject == init.subject

    # Visibility is eventually consistent: the listing may lag the completion a little.
    for _ in range(100):
        listed = await cli(
            "list", "--orchestrator", "arvo.orc.adder", "--status", "done", *running.opts()
        )
        assert listed.code == 0, listed.err
        rows = [json.loads(line) for line in listed.out.splitlines()]
        mine = [row for row in rows if row["subject"] == init.subject]
        if mine:
            break
        await asyncio.sleep(0.1)
    assert mine == [
        {
            "workflow_id": running.client.workflow_id(init.subject),
            "orchestrator": "arvo.orc.adder",
            "status": "done",
            "temporal_status": "COMPLETED",
            "states": ["done"],
            "parent": None,
            "subject": init.subject,
        }
    ]
    assert all(row["orchestrator"] == "arvo.orc.adder" for row in rows)


async def test_execute_from_stdin_prints_the_orchestrator_result(running):
    init = adder_init(1, 1)
    executed = await cli("execute", "-", *running.opts(), stdin=json.dumps(init.to_json()))
    assert executed.code == 0, executed.err
    result = executed.json()
    (call,) = result["events"]
    assert call["type"] == "com.calculator.add" and call["data"] == {"a": 1, "b": 1}
    assert call["subject"] == init.subject and call["parentid"] == init.id
    assert result["all_event_domains"] == ["default"]
    assert [event["id"] for event in result["domained_events"]["default"]] == [call["id"]]
    assert [event["id"] for event in result["domained_events"]["all"]] == [call["id"]]
    assert (await running.client.result(init.subject))["sum"] == 2


async def test_a_person_answers_an_approval_with_send_from_stdin(running, tmp_path):
    init = expense_init(75, "books", timeout_seconds=600)
    assert (
        await cli("send", str(write_event(tmp_path / "x.json", init)), *running.opts())
    ).code == 0
    (request,) = await running.external.wait_for(1)
    assert request.type == "com.expense.approval" and request.domain == "external"
    answer = decision_event(
        request.subject, approved=False, approver="bob", comment="no", request_id=request.id
    )
    sent = await cli("send", "-", *running.opts(), stdin=json.dumps(answer.to_json()))
    assert sent.code == 0, sent.err
    result = await cli("result", init.subject, *running.opts())
    assert result.json() == {
        "status": "rejected",
        "approved": False,
        "approver": "bob",
        "comment": "no",
    }


async def test_cancel_ends_the_execution_and_result_says_so(running, tmp_path):
    init = expense_init(10, "pens", timeout_seconds=600)
    await running.client.send(init)
    await running.external.wait_for(1)  # the execution is waiting for a person now
    cancelled = await cli("cancel", init.subject, "--reason", "wrong amount", *running.opts())
    assert cancelled.code == 0, cancelled.err
    assert cancelled.json() == {
        "workflow_id": running.client.workflow_id(init.subject),
        "cancelled": True,
        "reason": "wrong amount",
    }
    result = await cli("result", init.subject, *running.opts())
    assert result.code == 1
    assert "was cancelled" in result.error_line and "wrong amount" in result.error_line
    status = await cli("status", init.subject, *running.opts())
    assert status.json()["status"] == "cancelled"
    # Whether the initiator's sys.arvo.orc.expense.error reaches the sink is the adapter's
    # business (tests/temporal/test_adapter.py); the CLI's part ends with the cancellation.

    again = await cli("cancel", init.subject, *running.opts())
    assert again.code == 1 and "has already finished" in again.error_line


async def test_long_waits_show_progress_on_stderr(running):
    init = expense_init(10, "a desk", timeout_seconds=600)
    await running.client.send(init)
    await running.external.wait_for(1)
    status = (await cli("status", init.subject, *running.opts())).json()
    assert status["value"] == "awaitingDecision"
    (timer,) = status["timers"]  # the 'after' timeout, a durable timer
    assert timer["id"]

    waited = await cli("result", init.subject, "--timeout", "2", *running.opts())
    assert waited.code == 1 and waited.out == ""
    progress, error = waited.err.splitlines()
    workflow_id = running.client.workflow_id(init.subject)
    assert progress == f"waiting for {workflow_id} to finish (Ctrl-C to stop waiting)"
    assert error == f"arvo-temporal: the end of {workflow_id} did not happen within 2s"
    await running.client.cancel(init.subject)


async def test_history_fetched_from_the_server_replays_and_a_changed_machine_does_not(
    temporal_server, temporal_client, task_queue, tmp_path
):
    init = adder_init(4, 5)
    history_file = tmp_path / "adder-history.json"
    async with examples_worker(temporal_server, temporal_client, task_queue) as running:
        await running.client.send(init)
        await running.client.result(init.subject)
        fetched = await cli("history", init.subject, "-o", str(history_file), *running.opts())
        assert fetched.code == 0, fetched.err
    history = json.loads(history_file.read_text(encoding="utf-8"))
    assert history["events"][0]["eventType"] in (
        "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED",
        "WorkflowExecutionStarted",
    )

    replayed = await cli("replay", str(history_file), "--app", "examples.app:app")
    assert replayed.code == 0, replayed.err
    assert replayed.json()["replayed"] is True

    changed = await cli(
        "replay", str(history_file), "--app", "tests.fixtures.changed:changed_adder_app"
    )
    assert changed.code == 1
    assert "nondeterminism" in changed.error_line.lower()


async def test_unknown_subjects_are_explained(running):
    never_sent = adder_init(1, 2)  # a valid subject no execution was ever started for
    for command in ("status", "snapshot", "result", "cancel", "history"):
        outcome = await cli(command, never_sent.subject, *running.opts())
        assert outcome.code == 1, command
        assert "no execution exists for this subject" in outcome.error_line, command

    answer = decision_event(never_sent.subject, approved=True, approver="x")
    sent = await cli("send", "-", *running.opts(), stdin=json.dumps(answer.to_json()))
    assert sent.code == 1 and "only an init event can start one" in sent.error_line


async def test_an_event_the_machine_refuses_is_one_line_and_exit_2(running):
    bad = adder_init(1, 2).to_json()
    bad["data"] = {"parentSubject$$": None, "a": "one", "b": 2}
    executed = await cli("execute", "-", *running.opts(), stdin=json.dumps(bad))
    assert executed.code == 2
    assert "the event was refused" in executed.error_line
    assert "ViolationError<Contract>" in executed.error_line


# ------------------------------------------------------------------------- input errors


@pytest.fixture
def valid_event() -> dict:
    return adder_init(1, 2).to_json()


@pytest.mark.parametrize("command", ["send", "execute"])
async def test_malformed_events_are_one_line_and_exit_2(command, tmp_path, valid_event):
    # No server is needed: input is checked before connecting (the address is unused).
    opts = ["--address", f"127.0.0.1:{free_port()}"]
    cases: list[tuple[str, str]] = []

    bad_json = tmp_path / "payment.json"
    bad_json.write_text('{"id": "x",', encoding="utf-8")
    cases.append((str(bad_json), f"arvo-temporal: {bad_json} is not valid JSON: "))

    not_object = write_event(tmp_path / "list.json", [valid_event])  # type: ignore[arg-type]
    cases.append((str(not_object), "must hold one JSON object (an Arvo event); got list"))

    bad_time = write_event(tmp_path / "time.json", {**valid_event, "time": "yesterday"})
    cases.append((str(bad_time), f"invalid event in {bad_time}: time: "))

    bad_subject = write_event(tmp_path / "subject.json", {**valid_event, "subject": "order-17"})
    cases.append((str(bad_subject), "subject that is not an Arvo orchestration subject"))

    cases.append((str(tmp_path / "missing.json"), "cannot read "))

    for argument, expected in cases:
        outcome = await cli(command, argument, *opts)
        assert outcome.code == 2, (argument, outcome)
        assert expected in outcome.error_line, (argument, outcome.error_line)
        assert outcome.out == ""


async def test_invalid_field_names_the_field_from_stdin(valid_event):
    valid_event["source"] = ""
    outcome = await cli("send", "-", stdin=json.dumps(valid_event))
    assert outcome.code == 2
    assert outcome.error_line.startswith("arvo-temporal: invalid event in <stdin>: source: ")


async def test_usage_errors_are_one_line_and_exit_2(tmp_path):
    for argv, expected in [
        ([], "the following arguments are required: COMMAND"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["send"], "the following arguments are required: FILE"),
        (["status", "not-a-subject"], "ID must be the execution's subject"),
        (["replay", str(tmp_path / "none.json"), "--app", "examples.app:app"], "cannot read"),
        (["replay", __file__, "--app", "examples.app:app"], "is not valid JSON"),
        (["worker", "--app", "examples.app"], "module:attribute"),
        (["worker", "--app", "no_such_module:app"], "no module named no_such_module"),
        (["worker", "--app", "examples.app:nothing"], "has no attribute nothing"),
        (["worker", "--app", "examples.app:TASK_QUEUE"], "is a str, not an ArvoApp"),
        (["worker", "--app", "examples.app:app", "--sink", "external"], "DOMAIN=URL"),
        (["worker", "--app", "examples.app:app", "--sink", "x=ftp://h/"], "unsupported sink"),
        (["result", adder_init(1, 1).subject, "--timeout", "-1"], "cannot be negative"),
        (["list", "--codec", "examples.codec"], "the codec must be given as module:attribute"),
        (["list", "--codec", "examples.codec:KEY_ENV"], "is a str, not a temporalio.converter"),
        (["worker", "--app", "examples.app:app", "--codec", "x"], "module:attribute"),
    ]:
        outcome = await cli(*argv)
        assert outcome.code == 2, (argv, outcome)
        assert expected in outcome.error_line, (argv, outcome.error_line)


async def test_bad_environment_is_one_line_and_exit_2(valid_event):
    outcome = await cli("send", "-", stdin=json.dumps(valid_event), env={"TEMPORAL_TLS": "perhaps"})
    assert outcome.code == 2
    assert "TEMPORAL_TLS must be true or false" in outcome.error_line


async def test_no_server_is_one_line_and_exit_1(valid_event):
    address = f"127.0.0.1:{free_port()}"
    outcome = await cli(
        "send", "-", stdin=json.dumps(valid_event), env={"TEMPORAL_ADDRESS": address}
    )
    assert outcome.code == 1
    assert f"cannot connect to Temporal at {address}" in outcome.error_line


async def test_help_exits_0():
    outcome = await cli("--help")
    assert outcome.code == 0 and "replay" in outcome.out and outcome.err == ""


def test_main_is_the_console_script_entry(capsys):
    from arvo_temporal.cli import main

    assert main(["status", "nope"]) == 2
    assert capsys.readouterr().err.startswith("arvo-temporal: ID must be")


# ---------------------------------------------------------------- long-running commands


@dataclass
class Served:
    """A long-running command started by ``serving``; ``stdout``/``stderr`` fill in at the end."""

    process: asyncio.subprocess.Process
    ready: list[str]
    stdout: str = ""
    stderr: str = ""


@contextlib.asynccontextmanager
async def serving(
    *argv: str, ready: str, stop: signal.Signals, env: dict[str, str] | None = None
) -> AsyncIterator[Served]:
    """Run ``python -m <argv>`` until its stderr shows ``ready``; on exit stop it with ``stop``
    (sent to its PID only) and collect its output. The timeouts guard against hangs; nothing
    here asserts how long anything takes."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", *argv,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    served = Served(process, [])
    assert process.stderr is not None
    try:
        async with asyncio.timeout(120):
            while not any(ready in line for line in served.ready):
                line = (await process.stderr.readline()).decode()
                assert line, f"the process ended before printing {ready!r}: {served.ready}"
                served.ready.append(line)
        yield served
    finally:
        if process.returncode is None:
            process.send_signal(stop)
        async with asyncio.timeout(60):
            out, err = await process.communicate()
        served.stdout, served.stderr = out.decode(), err.decode()


async def test_dev_runs_a_server_and_worker_until_ctrl_c(tmp_path):
    port, ui_port = free_port(), free_port()
    async with serving(
        "arvo_temporal.cli", "dev",
        "--port", str(port), "--ui-port", str(ui_port), "--data-dir", str(tmp_path / "data"),
        "--app", "examples.app:app", "--task-queue", "dev-test",
        ready="worker for examples.app:app", stop=signal.SIGINT,
    ) as served:  # fmt: skip
        assert f"127.0.0.1:{port}" in "".join(served.ready)
        assert f"http://127.0.0.1:{ui_port}" in "".join(served.ready)
        assert (tmp_path / "data" / "temporal.db").is_file()
        client = await ArvoTemporalClient.connect(f"127.0.0.1:{port}", task_queue="dev-test")
        init = adder_init(20, 22)
        await client.send(init)
        assert (await client.result(init.subject))["sum"] == 42
    assert served.process.returncode == 0, served.stderr
    assert served.stderr.splitlines()[-1] == "stopped"
    # The default sink is stdout in examples.app: the completion was printed there.
    assert "arvo.orc.adder.done → com.example.client" in served.stdout
    assert port_is_free(port), "the dev server must be gone"


async def test_dev_refuses_a_port_in_use():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        outcome = await cli("dev", "--port", str(port), "--headless", "--in-memory")
    assert outcome.code == 1
    assert f"port {port} on 127.0.0.1 (gRPC) is already in use" in outcome.error_line


async def test_worker_command_serves_until_sigterm(temporal_server, task_queue, tmp_path):
    external = tmp_path / "external.jsonl"
    async with serving(
        "arvo_temporal.cli", "worker",
        "--address", temporal_server.target, "--task-queue", task_queue,
        "--app", "examples.app:app", "--sink", f"external=file://{external}",
        ready="worker for examples.app:app", stop=signal.SIGTERM,
    ) as served:  # fmt: skip
        assert f"on task queue {task_queue}" in served.ready[-1]
        assert f"external → jsonl:{external}" in served.ready[-1]
        client = await ArvoTemporalClient.connect(temporal_server.target, task_queue=task_queue)
        init = expense_init(5, "coffee", timeout_seconds=1)
        await client.send(init)
        assert (await client.result(init.subject))["status"] == "timed_out"
    assert served.process.returncode == 0, served.stderr
    assert served.stderr.splitlines()[-1] == "worker stopped"
    (line,) = external.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["type"] == "com.expense.approval"


async def test_an_unknown_namespace_is_named(running):
    subject = adder_init(1, 2).subject
    outcome = await cli("status", subject, *running.opts(), "--namespace", "no-such-namespace")
    assert outcome.code == 1
    assert "no-such-namespace" in outcome.error_line


async def test_worker_serves_a_worker_deployment_version(temporal_server, task_queue):
    deployment = f"arvo-test-{task_queue[-8:]}"
    namespace = temporal_server.namespace
    async with serving(
        "arvo_temporal.cli", "worker",
        "--address", temporal_server.target, "--task-queue", task_queue,
        "--app", "examples.app:app", "--deployment-name", deployment, "--build-id", "build-1",
        ready="worker for examples.app:app", stop=signal.SIGTERM,
    ) as served:  # fmt: skip
        assert f"deployment {deployment} build build-1" in served.ready[-1]
        client = await ArvoTemporalClient.connect(temporal_server.target, task_queue=task_queue)
        service = client.temporal.workflow_service

        async def version_registered():
            try:
                described = await service.describe_worker_deployment(
                    DescribeWorkerDeploymentRequest(namespace=namespace, deployment_name=deployment)
                )
            except RPCError:
                return None  # not known until the worker's first poll arrives
            builds = [
                summary.deployment_version.build_id
                for summary in described.worker_deployment_info.version_summaries
            ]
            return "build-1" in builds

        assert await eventually(version_registered, "the worker's deployment version")
        # What a deploy does once the replay gate passed: make the new version current.
        await service.set_worker_deployment_current_version(
            SetWorkerDeploymentCurrentVersionRequest(
                namespace=namespace, deployment_name=deployment, build_id="build-1"
            )
        )
        init = adder_init(6, 7)
        await client.send(init)
        assert (await client.result(init.subject))["sum"] == 13
        description = await client.temporal.get_workflow_handle(
            client.workflow_id(init.subject)
        ).describe()
    versioning = description.raw_description.workflow_execution_info.versioning_info
    assert versioning.deployment_version.deployment_name == deployment
    assert versioning.deployment_version.build_id == "build-1"
    assert versioning.behavior == VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE
    assert served.process.returncode == 0, served.stderr


async def test_worker_deployment_options_come_in_pairs():
    for argv, message in [
        (["--deployment-name", "arvo"], "needs both --deployment-name and --build-id"),
        (["--build-id", "1"], "needs both --deployment-name and --build-id"),
    ]:
        outcome = await cli("worker", "--app", "examples.app:app", *argv)
        assert outcome.code == 2 and message in outcome.error_line
    from_env = await cli(
        "worker", "--app", "examples.app:app", env={"ARVO_DEPLOYMENT_NAME": "arvo"}
    )
    assert from_env.code == 2 and "needs both" in from_env.error_line


async def test_connection_comes_from_an_envconfig_profile(temporal_server, tmp_path):
    config = tmp_path / "temporal.toml"
    config.write_text(
        f'[profile.local]\naddress = "{temporal_server.target}"\nnamespace = "default"\n'
        '[profile.nowhere]\naddress = "127.0.0.1:9"\n',
        encoding="utf-8",
    )
    by_option = await cli(
        "list", "--limit", "1", "--config-file", str(config), "--profile", "local"
    )
    assert by_option.code == 0, by_option.err
    by_env = await cli(
        "list",
        "--limit",
        "1",
        env={"TEMPORAL_CONFIG_FILE": str(config), "TEMPORAL_PROFILE": "local"},
    )
    assert by_env.code == 0, by_env.err
    # The options win over the profile, and the profile over nothing.
    overridden = await cli(
        "list", "--config-file", str(config), "--profile", "nowhere",
        "--address", temporal_server.target,
    )  # fmt: skip
    assert overridden.code == 0, overridden.err
    unreachable = await cli("list", "--config-file", str(config), "--profile", "nowhere")
    assert unreachable.code == 1
    assert "cannot connect to Temporal at 127.0.0.1:9" in unreachable.error_line
    unknown = await cli("list", "--config-file", str(config), "--profile", "staging")
    assert unknown.code == 2
    assert "Profile 'staging' not found" in unknown.error_line


async def test_dev_with_a_codec_points_its_ui_at_a_codec_server():
    port, ui_port = free_port(), free_port()
    env = {"PATH": "/usr/bin:/bin", KEY_ENV: new_key()}
    async with serving(
        "arvo_temporal.cli", "dev", "--in-memory", "--port", str(port), "--ui-port", str(ui_port),
        "--codec", "examples.codec:codec",
        ready="press Ctrl-C", stop=signal.SIGINT, env=env,
    ) as served:  # fmt: skip
        (line,) = [line for line in served.ready if line.startswith("codec server")]
        codec_url = line.split()[2]
        assert codec_url.startswith("http://127.0.0.1:")
        ui = f"http://127.0.0.1:{ui_port}"
        async with httpx.AsyncClient(timeout=30) as http:
            settings = (await http.get(f"{ui}/api/v1/settings")).json()
            assert settings["Codec"]["Endpoint"] == codec_url
            preflight = await http.options(
                f"{codec_url}/decode",
                headers={"Origin": ui, "Access-Control-Request-Method": "POST"},
            )
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == ui
    assert served.process.returncode == 0, served.stderr


async def test_worker_command_encodes_with_the_codec(temporal_server, task_queue):
    key = new_key()
    env = {"PATH": "/usr/bin:/bin", KEY_ENV: key, "ARVO_CODEC": "examples.codec:codec"}
    async with serving(
        "arvo_temporal.cli", "worker",
        "--address", temporal_server.target, "--task-queue", task_queue,
        "--app", "examples.app:app", "--sink", "default=memory:",
        ready="worker for examples.app:app", stop=signal.SIGTERM, env=env,
    ) as served:  # fmt: skip
        assert "codec examples.codec:codec" in served.ready[-1]
        encrypted = DataConverter(payload_codec=EncryptionCodec(base64.b64decode(key)))
        client = ArvoTemporalClient(
            await temporal_server.connect(data_converter=encrypted, plugins=[ArvoPlugin()]),
            task_queue=task_queue,
        )
        # Not an adder: tests/temporal/test_histories.py replays adders it lists namespace-wide.
        init = expense_init(5, "coffee", timeout_seconds=1)
        await client.send(init)
        assert (await client.result(init.subject))["status"] == "timed_out"
    assert served.process.returncode == 0, served.stderr
    raw = await temporal_server.connect()
    history = await raw.get_workflow_handle(client.workflow_id(init.subject)).fetch_history()
    (completed,) = [
        event.workflow_execution_completed_event_attributes
        for event in history.events
        if event.HasField("workflow_execution_completed_event_attributes")
    ]
    (result,) = completed.result.payloads
    assert result.metadata["encoding"] == ENCODING  # the worker's own output, encrypted
