"""The whole product in one command: ``python -m examples.demo``.

It starts an embedded Temporal dev server (SQLite under ``.arvo-temporal/demo/``, Web UI on
127.0.0.1:8233 when that port is free), a worker for ``examples.app`` whose sinks are kept in
memory, and runs every example end to end:

1. calculator: ``arvo.orc.adder`` calls the ``com.calculator.add`` service (an activity);
2. parent/child: ``arvo.orc.checkout`` runs the adder as a child orchestration;
3. approval: ``arvo.orc.expense`` asks a person through the ``external`` domain; one request is
   approved by an event sent with ``ArvoTemporalClient.send``, the other is left to time out.

For each it prints what reached the ``default`` and ``external`` sinks and the execution's output,
then stops everything it started. ``--keep-running`` leaves the server and worker up (until
Ctrl-C) to browse the executions in the UI; they also stay in the SQLite file, so
``arvo-temporal dev --data-dir .arvo-temporal/demo`` shows them later.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

from arvo_temporal import ArvoEvent
from arvo_temporal.cli import (
    EXIT_INTERRUPTED,
    EXIT_OUTPUT_CLOSED,
    exit_now,
    port_is_free,
    stop_on_signals,
)
from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoTemporalClient, DevServer, create_worker
from examples.app import build_app
from examples.approval.starter import decision_event, expense_init
from examples.calculator.starter import adder_init
from examples.parent_child.starter import checkout_init

DATA_DIR = Path(".arvo-temporal") / "demo"
UI_PORT = 8233
TASK_QUEUE = "arvo-demo"
WAIT = timedelta(seconds=30)
"""How long any one step may take before the demo gives up (it normally takes well under 1 s)."""


@dataclass
class _Sinks:
    default: MemorySink
    external: MemorySink

    def since(self, marks: tuple[int, int]) -> tuple[list[ArvoEvent], list[ArvoEvent]]:
        """What each sink received after ``marks`` (the counts taken by ``mark``)."""
        return self.default.events[marks[0] :], self.external.events[marks[1] :]

    def mark(self) -> tuple[int, int]:
        return len(self.default.events), len(self.external.events)


class _Printer:
    """Progress lines: ``▸`` for infrastructure, indented detail lines for each example."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def line(self, text: str = "") -> None:
        self.out.write(f"{text}\n")
        self.out.flush()

    def detail(self, label: str, text: str) -> None:
        self.line(f"   {label:<9} {text}")

    def events(self, label: str, events: Sequence[ArvoEvent]) -> None:
        if not events:
            self.detail(label, "(nothing)")
        for event in events:
            self.detail(label, f"{event.type} → {event.to}  {_compact(event.data)}")


def _compact(value: Any) -> str:
    """One-line JSON with whole numbers printed as JavaScript (and Arvo) print them: 5, not 5.0."""
    return json.dumps(_js_numbers(value), ensure_ascii=False, separators=(", ", ": "))


def _js_numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _js_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_js_numbers(item) for item in value]
    return value


async def _calculator(client: ArvoTemporalClient, sinks: _Sinks, say: _Printer) -> dict[str, Any]:
    say.line("1. calculator: arvo.orc.adder asks the com.calculator.add service for 2 + 3")
    marks = sinks.mark()
    init = adder_init(2, 3)
    # execute (update-with-start) answers with what the init produced, grouped by domain.
    result = await client.execute(init)
    say.detail("execute", f"domained events of the init: {_domained(result.domained_events)}")
    output = await client.result(init.subject, wait=WAIT)
    default, external = sinks.since(marks)
    say.events("default", default)
    say.events("external", external)
    say.detail("output", _compact(output))
    say.detail("workflow", client.workflow_id(init.subject))
    return output


def _domained(buckets: dict[str, list[ArvoEvent]]) -> str:
    shown = {name: [event.type for event in events] for name, events in buckets.items()}
    return _compact(shown)


async def _parent_child(client: ArvoTemporalClient, sinks: _Sinks, say: _Printer) -> dict[str, Any]:
    say.line("2. parent/child: arvo.orc.checkout runs arvo.orc.adder as a child for 40 + 4.5")
    marks = sinks.mark()
    init = checkout_init(40, 4.5)
    await client.send(init)
    output = await client.result(init.subject, wait=WAIT)
    default, external = sinks.since(marks)
    say.detail("child", "arvo.orc.adder.done came back on the parent's subject (not a sink)")
    say.events("default", default)
    say.events("external", external)
    say.detail("output", _compact(output))
    say.detail("workflow", client.workflow_id(init.subject))
    return output


async def _request_for(sinks: _Sinks, subject: str) -> ArvoEvent:
    """The approval request of one execution, once it reached the external sink."""
    async with asyncio.timeout(WAIT.total_seconds()):
        while True:
            for event in sinks.external.events:
                if event.subject == subject and event.type == "com.expense.approval":
                    return event
            await sinks.external.wait_for(len(sinks.external.events) + 1, WAIT.total_seconds())


async def _approval(
    client: ArvoTemporalClient, sinks: _Sinks, say: _Printer, *, timeout_seconds: float
) -> tuple[dict[str, Any], dict[str, Any]]:
    # Both start now, so the unanswered one's timer runs while the other is being approved.
    answered = expense_init(120, "team lunch", timeout_seconds=300)
    ignored = expense_init(900, "conference ticket", timeout_seconds=timeout_seconds)
    marks = sinks.mark()
    await client.send(answered)
    await client.send(ignored)

    say.line("3a. approval: arvo.orc.expense asks a person (domain external); alice approves")
    request = await _request_for(sinks, answered.subject)
    say.events("external", [request])
    decision = decision_event(
        answered.subject,
        approved=True,
        approver="alice",
        comment="enjoy",
        request_id=request.id,
    )
    await client.send(decision)
    say.detail(
        "person", "sent evt.expense.approval.decided (approved) with ArvoTemporalClient.send"
    )
    approved = await client.result(answered.subject, wait=WAIT)
    default = [event for event in sinks.since(marks)[0] if event.subject == answered.subject]
    say.events("default", default)
    say.detail("output", _compact(approved))
    say.detail("workflow", client.workflow_id(answered.subject))

    say.line()
    say.line(f"3b. approval: nobody answers; the 'after' timer ends it in {timeout_seconds:g}s")
    say.events("external", [await _request_for(sinks, ignored.subject)])
    timed_out = await client.result(ignored.subject, wait=WAIT)
    default = [event for event in sinks.since(marks)[0] if event.subject == ignored.subject]
    say.events("default", default)
    say.detail("output", _compact(timed_out))
    say.detail("workflow", client.workflow_id(ignored.subject))
    return approved, timed_out


def _check(outputs: dict[str, dict[str, Any]]) -> None:
    """Fail loudly when an example did not end as it should (the demo doubles as a check)."""
    expected = {
        "calculator": ("sum", 5),
        "parent/child": ("total", 44.5),
        "approval (approved)": ("status", "approved"),
        "approval (timed out)": ("status", "timed_out"),
    }
    for name, (key, value) in expected.items():
        if outputs[name].get(key) != value:
            raise RuntimeError(f"{name} ended with {outputs[name]}, expected {key} = {value!r}")


async def run_demo(
    *,
    data_dir: Path = DATA_DIR,
    ui_port: int | None = UI_PORT,
    task_queue: str = TASK_QUEUE,
    approval_timeout: float = 3.0,
    keep_running: bool = False,
    out: TextIO | None = None,
) -> dict[str, dict[str, Any]]:
    """Run the demo; returns each example's output.

    Args:
        data_dir: where the dev server keeps its SQLite database.
        ui_port: the Web UI port (a free one if taken; 0 = any free one; None = no UI).
        task_queue: the worker's task queue.
        approval_timeout: seconds the unanswered approval waits before it times out.
        keep_running: wait for Ctrl-C before stopping (to look at the UI).
        out: where progress goes (stdout by default).
    """
    say = _Printer(out or sys.stdout)
    began = time.monotonic()
    if ui_port not in (None, 0) and not port_is_free(ui_port):
        say.line(f"▸ port {ui_port} is taken; the Web UI gets a free port instead")
        ui_port = 0
    say.line(f"▸ starting a Temporal dev server (SQLite in {data_dir}/)…")
    starting = time.monotonic()
    async with DevServer.start(data_dir=data_dir, ui_port=ui_port) as server:
        say.line(
            f"▸ Temporal on {server.target}, Web UI {server.ui_url or 'off'} "
            f"(ready in {time.monotonic() - starting:.1f}s)"
        )
        client = ArvoTemporalClient(await server.connect(), task_queue=task_queue)
        sinks = _Sinks(default=MemorySink(), external=MemorySink())
        app = build_app(
            task_queue=task_queue, sinks={"default": sinks.default, "external": sinks.external}
        )
        outputs: dict[str, dict[str, Any]] = {}
        async with create_worker(client, app=app):
            say.line(
                f"▸ worker on task queue {task_queue}: {', '.join(app.orchestrators)} "
                f"and the {', '.join(app.handlers)} service"
            )
            say.line()
            outputs["calculator"] = await _calculator(client, sinks, say)
            say.line()
            outputs["parent/child"] = await _parent_child(client, sinks, say)
            say.line()
            approved, timed_out = await _approval(
                client, sinks, say, timeout_seconds=approval_timeout
            )
            outputs["approval (approved)"] = approved
            outputs["approval (timed out)"] = timed_out
            _check(outputs)
            say.line()
            if server.ui_url:
                say.line(f"▸ Web UI: {server.ui_url}/namespaces/{server.namespace}/workflows")
            if keep_running:
                say.line("▸ still running; press Ctrl-C to stop")
                stop = asyncio.Event()
                with stop_on_signals(stop):
                    await stop.wait()
        say.line("▸ stopping the worker and the dev server…")
    say.line(
        f"▸ done in {time.monotonic() - began:.1f}s; the executions stay in "
        f"{data_dir}/ (browse them with: arvo-temporal dev --data-dir {data_dir})"
    )
    return outputs


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m examples.demo``; exit status 1 with one line on stderr when anything fails,
    130 after Ctrl-C, 141 (quietly) when the reader of its output went away."""
    parser = argparse.ArgumentParser(prog="python -m examples.demo", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--ui-port", type=int, default=UI_PORT, help="0 = any free port")
    parser.add_argument("--headless", action="store_true", help="no Web UI")
    parser.add_argument("--task-queue", default=TASK_QUEUE)
    parser.add_argument("--approval-timeout", type=float, default=3.0, metavar="SECONDS")
    parser.add_argument("--keep-running", action="store_true", help="stop on Ctrl-C only")
    args = parser.parse_args(argv)
    try:
        asyncio.run(
            run_demo(
                data_dir=args.data_dir,
                ui_port=None if args.headless else args.ui_port,
                task_queue=args.task_queue,
                approval_timeout=args.approval_timeout,
                keep_running=args.keep_running,
            )
        )
    except KeyboardInterrupt:
        sys.stderr.write("demo interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader of the progress went away (`| head`): end quietly
        return EXIT_OUTPUT_CLOSED
    except Exception as error:
        message = " ".join(str(error).split()) or type(error).__name__
        sys.stderr.write(f"demo failed: {type(error).__name__}: {message}\n")
        return 1
    return 0


if __name__ == "__main__":
    exit_now(main())  # no abort at interpreter exit (arvo_temporal/cli/_exit.py)
