"""Fault injection against the real dev server: a worker killed mid-run (SIGKILL, by PID) and
restarted loses nothing — every execution completes and every completion is delivered."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from temporalio.api.enums.v1 import TimeoutType

from arvo_temporal import ArvoOrchestratorEventFactory
from arvo_temporal.temporal import ArvoTemporalClient
from tests.conftest import ROOT
from tests.fixtures import anchors
from tests.temporal.waiting import eventually

EXECUTIONS = 20


def start_worker(target: str, task_queue: str, sink: Path, log: Path) -> subprocess.Popen[str]:
    with log.open("a", encoding="utf-8") as errors:  # the child keeps its own copy of the fd
        process = _spawn(target, task_queue, sink, errors)
    line = process.stdout.readline() if process.stdout else ""
    if line.strip() != "ready":
        stop(process)
        raise AssertionError(f"worker did not start: {line!r} {log.read_text()[-2000:]}")
    return process


def _spawn(target: str, task_queue: str, sink: Path, errors) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.temporal.worker_process",
            "--target",
            target,
            "--task-queue",
            task_queue,
            "--sink",
            str(sink),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=errors,  # a file, not a pipe: a full pipe would block the worker
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> None:
    """End a worker this test started (by its PID), and release its pipe."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    if process.stdout is not None:
        process.stdout.close()


def completions(sink: Path) -> dict[str, dict]:
    if not sink.exists():
        return {}
    found: dict[str, dict] = {}
    for line in sink.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event["type"] == "arvo.orc.adder.done":
            found[event["subject"]] = event
    return found


async def _some(found: dict) -> bool:
    return bool(found)


async def test_a_worker_killed_mid_run_loses_nothing(temporal_server, task_queue, tmp_path):
    sink = tmp_path / "left.jsonl"
    log = tmp_path / "workers.log"
    first = start_worker(temporal_server.target, task_queue, sink, log)
    second = None
    try:
        client = await ArvoTemporalClient.connect(temporal_server.target, task_queue=task_queue)
        factory = ArvoOrchestratorEventFactory(anchors.adder.version("1.0.0"))
        inits = [
            factory.init(source=anchors.CLIENT, data={"parentSubject$$": None, "a": n, "b": 1})
            for n in range(EXECUTIONS)
        ]
        await asyncio.gather(*(client.send(event) for event in inits))
        await eventually(lambda: _some(completions(sink)), "the first completions")
        done_before_kill = len(completions(sink))
        assert done_before_kill < EXECUTIONS, "the kill must happen while work is in flight"
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        assert first.returncode == -signal.SIGKILL

        second = start_worker(temporal_server.target, task_queue, sink, log)
        for n, event in enumerate(inits):
            output = await client.result(event.subject, wait=timedelta(seconds=120))
            assert output == {"success": True, "sum": n + 1, "errors": []}
        delivered = completions(sink)
        assert set(delivered) == {event.subject for event in inits}, "every completion delivered"
        assert all(delivered[e.subject]["data"]["sum"] == n + 1 for n, e in enumerate(inits))
        # A handler attempt lost with the worker was noticed by its heartbeat, not by the
        # five-minute attempt timeout.
        for event in inits:
            history = await client.temporal.get_workflow_handle(
                client.workflow_id(event.subject)
            ).fetch_history()
            for item in history.events:
                if not item.HasField("activity_task_started_event_attributes"):
                    continue
                started = item.activity_task_started_event_attributes
                if started.attempt > 1 and started.last_failure.HasField("timeout_failure_info"):
                    kind = started.last_failure.timeout_failure_info.timeout_type
                    assert kind == TimeoutType.TIMEOUT_TYPE_HEARTBEAT, event.subject
    finally:
        stop(first)
        if second is not None:
            stop(second)
