"""Entry points leave with their documented status and never abort at interpreter exit: the real
console script, the example starters and the deployable worker, run as processes against the
dev server. A closed output ends a command quietly (status 141), and the port check agrees with
what a server that sets ``SO_REUSEADDR`` (as the Temporal server does) can bind.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from arvo_temporal.cli import EXIT_OUTPUT_CLOSED, port_is_free
from arvo_temporal.sinks import MemorySink, read_dead_letters
from arvo_temporal.temporal import ArvoTemporalClient, create_worker
from examples.app import build_app
from examples.calculator.starter import adder_init
from tests.conftest import ROOT
from tests.http_receiver import Receiver, running_receiver
from tests.temporal.waiting import eventually

CONSOLE_SCRIPT = str(Path(sys.executable).parent / "arvo-temporal")
RUNS = 50
LANES = 2  # two processes at a time: the machine is shared


@dataclass
class Finished:
    code: int
    stdout: str
    stderr: str


async def run(*argv: str, env: dict[str, str] | None = None, stdout: int | None = None) -> Finished:
    """Run a process to its end (a guard against hangs, not a timed assertion)."""
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE if stdout is None else stdout,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(120):
        out, err = await process.communicate()
    assert process.returncode is not None
    return Finished(process.returncode, (out or b"").decode(), err.decode())


async def run_many(argv: Sequence[str], count: int, env: dict[str, str] | None = None) -> list:
    lanes = asyncio.Semaphore(LANES)

    async def one() -> Finished:
        async with lanes:
            return await run(*argv, env=env)

    return await asyncio.gather(*(one() for _ in range(count)))


def closed_pipe() -> int:
    """The write end of a pipe whose reader is already gone (as after ``| head -1`` read)."""
    read, write = os.pipe()
    os.close(read)
    return write


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
async def started(temporal_server, temporal_client, task_queue) -> AsyncIterator[str]:
    """One execution the visibility store already lists (no worker: it stays running)."""
    client = ArvoTemporalClient(temporal_client, task_queue=task_queue)
    init = adder_init(1, 2)
    workflow_id = await client.send(init)

    async def listed() -> bool:
        query = f"WorkflowId = '{workflow_id}'"
        return bool([item async for item in temporal_client.list_workflows(query)])

    await eventually(listed, "the execution in the visibility store")
    yield workflow_id
    await temporal_client.get_workflow_handle(workflow_id).terminate("test over")


def env_for(temporal_server, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "TEMPORAL_ADDRESS": temporal_server.target,
        "TEMPORAL_NAMESPACE": temporal_server.namespace,
        **extra,
    }


# ---------------------------------------------------------------------------- console script


async def test_the_console_script_never_aborts_in_fifty_runs(temporal_server, started):
    argv = [CONSOLE_SCRIPT, "list", "--address", temporal_server.target, "--limit", "3"]
    runs = await run_many(argv, RUNS)

    codes = [finished.code for finished in runs]
    assert codes == [0] * RUNS, [(f.code, f.stderr[-300:]) for f in runs if f.code]
    assert not [f for f in runs if "Fatal Python error" in f.stderr]
    assert all(json.loads(f.stdout.splitlines()[0])["workflow_id"] for f in runs)


async def test_list_into_a_closed_pipe_ends_quietly(temporal_server, started):
    pipe = closed_pipe()
    try:
        finished = await run(
            CONSOLE_SCRIPT, "list", "--address", temporal_server.target, stdout=pipe
        )
    finally:
        os.close(pipe)

    assert finished.code == EXIT_OUTPUT_CLOSED
    assert finished.stderr == ""


async def test_list_piped_into_head_prints_one_line_and_no_traceback(temporal_server, started):
    # Whether the reader is already gone when list writes depends on timing: either status is
    # right, and neither may print anything on stderr.
    finished = await run(
        "bash",
        "-o",
        "pipefail",
        "-c",
        f"{CONSOLE_SCRIPT} list --address {temporal_server.target} | head -1",
    )
    assert finished.code in (0, EXIT_OUTPUT_CLOSED)
    assert finished.stderr == ""
    assert len(finished.stdout.splitlines()) == 1


# -------------------------------------------------------------------------------- starters


@asynccontextmanager
async def examples_worker(temporal_client, task_queue) -> AsyncIterator[None]:
    app = build_app(
        task_queue=task_queue, sinks={"default": MemorySink(), "external": MemorySink()}
    )
    client = ArvoTemporalClient(temporal_client, task_queue=task_queue)
    async with create_worker(client, app=app):
        yield


async def test_the_example_starters_print_the_answer_and_exit_0(
    temporal_server, temporal_client, task_queue
):
    env = env_for(temporal_server, TASK_QUEUE=task_queue)
    async with examples_worker(temporal_client, task_queue):
        sums = await run_many(
            [sys.executable, "-m", "examples.calculator.starter", "2", "3"], 10, env
        )
        checkout = await run(sys.executable, "-m", "examples.parent_child.starter", env=env)
        request = await run(
            sys.executable, "-m", "examples.approval.starter", "request", "7", "tea", env=env
        )
        pipe = closed_pipe()
        try:
            unread = await run(
                sys.executable, "-m", "examples.calculator.starter", env=env, stdout=pipe
            )
        finally:
            os.close(pipe)

    assert [(f.code, json.loads(f.stdout)["sum"]) for f in sums] == [(0, 5.0)] * 10
    assert [f.stderr for f in sums] == [""] * 10
    assert (checkout.code, json.loads(checkout.stdout)["total"]) == (0, 44.5)
    assert request.code == 0 and request.stdout.strip()  # the new execution's subject
    assert (unread.code, unread.stderr) == (EXIT_OUTPUT_CLOSED, "")


async def test_a_starter_that_cannot_connect_says_so_in_one_line(tmp_path):
    env = {**os.environ, "TEMPORAL_ADDRESS": "127.0.0.1:9"}  # discard port: nothing listens
    finished = await run(sys.executable, "-m", "examples.calculator.starter", env=env)
    assert finished.code == 1
    assert finished.stderr.count("\n") == 1 and "connect" in finished.stderr


# ------------------------------------------------------------------------- deployable worker


async def test_the_worker_dead_letters_under_its_data_dir_logs_no_secret_and_exits_0(
    temporal_server, task_queue, receiver, tmp_path
):
    receiver.answer(422, body=b"rejected by schema")
    port = receiver.url.rsplit(":", 1)[1]
    password, token = "pa55word-81f0", "T0KEN-c3d9a2"
    data_dir = tmp_path / "data"
    log = tmp_path / "worker.log"
    env = env_for(
        temporal_server,
        ARVO_APP="examples.app:app",
        TASK_QUEUE=task_queue,
        ARVO_SINK_DEFAULT=f"http://ops:{password}@127.0.0.1:{port}/in?token={token}",
        ARVO_SINK_EXTERNAL="memory:",
        ARVO_DATA_DIR=str(data_dir),
        ARVO_SHUTDOWN_GRACE="5",
        LOG_LEVEL="DEBUG",
    )
    with log.open("w", encoding="utf-8") as errors:  # a file: a full pipe would block it
        worker = await asyncio.to_thread(
            subprocess.Popen,
            [sys.executable, "-m", "workers.main"],
            cwd=ROOT,
            env=env,
            stderr=errors,
        )
    try:
        await eventually(
            lambda: asyncio.to_thread(lambda: "worker for examples.app:app" in log.read_text()),
            "the worker to start",
        )
        client = await ArvoTemporalClient.connect(temporal_server.target, task_queue=task_queue)
        init = adder_init(20, 22)
        await client.send(init)
        assert (await client.result(init.subject))["sum"] == 42
        assert (await client.status(init.subject)).status == "done"
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)  # by its PID only
        code = await asyncio.to_thread(worker.wait, 60)

    logged = log.read_text(encoding="utf-8")
    assert code == 0, logged[-2000:]
    assert "worker stopped" in logged
    (letter,) = read_dead_letters(data_dir / "dead-letter.jsonl")
    assert (letter.event.type, letter.status) == ("arvo.orc.adder.done", 422)
    assert letter.reason == "HTTP 422 Unprocessable Entity: rejected by schema"
    assert f"dead letters: dead-letter jsonl:{data_dir.resolve()}" in logged
    assert f"POST http://127.0.0.1:{port}/in?token=***" in logged  # httpx's line, at INFO
    assert "httpcore" in logged  # DEBUG records were written too
    assert password not in logged and token not in logged
    assert password not in letter.reason and token not in letter.reason


# ------------------------------------------------------------------------------ port checks


def reusing_socket() -> socket.socket:
    """A socket as the Temporal server makes its listeners (Go sets SO_REUSEADDR on them)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return sock


def test_the_port_check_agrees_with_a_server_that_reuses_addresses():
    """Right after a server stopped, its port holds the connections it closed in TIME_WAIT. A
    server that sets SO_REUSEADDR binds it again anyway (Linux allows it when the old and the new
    socket both set it), and so must the check; a port something listens on is busy either way."""
    with reusing_socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert not port_is_free(port), "a listening port is busy"
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = server.accept()
            accepted.close()  # the server closes first: its side of the connection is TIME_WAIT
            client.recv(1)
    with socket.socket() as plain, pytest.raises(OSError):
        plain.bind(("127.0.0.1", port))  # the TIME_WAIT is real: a bind without the option fails
    assert port_is_free(port)
    with reusing_socket() as restarted:
        restarted.bind(("127.0.0.1", port))
        restarted.listen()
