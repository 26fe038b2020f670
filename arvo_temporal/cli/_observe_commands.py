"""Seeing inside executions: ``graph``, ``inspect``, ``export`` and ``event``.

``inspect``, ``export`` and ``graph ID`` read the execution's history (every run) and replay it
with the app's code (arvo_temporal/cli/_timeline.py): no worker and no query are needed, so they
work for running, done, failed and cancelled executions alike. ``graph ORCHESTRATOR`` and
``event`` need only the app. An execution is named by its subject or by the workflow id the
Temporal UI shows (arvo_temporal/cli/_executions.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from arvo_temporal.cli._client_commands import connect
from arvo_temporal.cli._errors import EXIT_USAGE, CommandError, SettingsError, one_line
from arvo_temporal.cli._executions import fetch_runs, parse_execution_ref, resolve_subject
from arvo_temporal.cli._io import Io
from arvo_temporal.cli._loading import load_app, load_codec
from arvo_temporal.cli._replay_commands import read_history_file
from arvo_temporal.cli._runtime import data_converter, env_text
from arvo_temporal.cli._timeline import Timeline, replay_timeline
from arvo_temporal.cli._timeline_text import timeline_lines
from arvo_temporal.contracts import compare_semantic_versions
from arvo_temporal.errors import DataValidationError, InvalidSubjectError
from arvo_temporal.factories import ArvoEventFactory, ArvoOrchestratorEventFactory
from arvo_temporal.machine import ArvoMachine
from arvo_temporal.statechart._mermaid import active_states
from arvo_temporal.subject import ArvoOrchestrationSubject
from arvo_temporal.temporal._app import ArvoApp

__all__ = [
    "DEFAULT_EVENT_SOURCE",
    "add_observe_commands",
    "app_from_args",
    "parse_data",
    "served_machine",
]

DEFAULT_EVENT_SOURCE = "com.arvotemporal.cli"
"""The ``source`` of events built by ``arvo-temporal event`` unless ``--source`` says otherwise."""

_Command = Callable[..., argparse.ArgumentParser]


def add_observe_commands(
    command: _Command, add_connection_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    """Add ``graph``, ``inspect``, ``export`` and ``event`` to the parser being built."""

    def app_option(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--app",
            metavar="MODULE:ATTR",
            help="the ArvoApp whose machines ran it, e.g. examples.app:app [ARVO_APP]",
        )

    def history_source(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "id",
            metavar="ID",
            nargs="?",
            help="the execution: its subject or its workflow id (as the Temporal UI shows it)",
        )
        parser.add_argument(
            "--history",
            metavar="FILE",
            help="read a history saved with 'arvo-temporal history' instead of the cluster's",
        )
        app_option(parser)
        add_connection_options(parser)

    graph = command(
        "graph",
        "print a machine as a Mermaid state diagram (or its XState JSON config); given an "
        "execution, its active states are marked",
        cmd_graph,
    )
    graph.add_argument(
        "target",
        metavar="ORCHESTRATOR[@VERSION] | ID",
        help="an orchestrator of the app (arvo.orc.adder, arvo.orc.adder@1.0.0), or an "
        "execution's subject or workflow id",
    )
    graph.add_argument("--format", choices=["mermaid", "json"], default="mermaid")
    app_option(graph)
    add_connection_options(graph)

    inspect = command(
        "inspect",
        "replay an execution's history and print what each event did (time travel)",
        cmd_inspect,
    )
    history_source(inspect)
    inspect.add_argument(
        "--at", type=int, metavar="N", help="print the full record after step N (JSON)"
    )
    inspect.add_argument("--json", action="store_true", help="one JSON object per step")

    export = command(
        "export",
        "write every event an execution consumed and emitted, in order, as CloudEvents JSON lines",
        cmd_export,
    )
    history_source(export)
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default stdout)")

    event = command(
        "event",
        "build a valid event from the app's contracts and print it (pipe it into send or "
        "execute): an init event, or with --subject a reply to an execution",
        cmd_event,
    )
    event.add_argument("--type", required=True, help="the event type, e.g. arvo.orc.expense")
    event.add_argument("--data", required=True, metavar="JSON", help="the event's data")
    event.add_argument(
        "--subject",
        metavar="ID",
        help="the execution a reply goes to (its subject or workflow id)",
    )
    event.add_argument(
        "--source", help=f"the event's source (default {DEFAULT_EVENT_SOURCE}; for a reply, the "
        "service's type)"
    )  # fmt: skip
    event.add_argument("--version", help="the orchestrator version of an init (default newest)")
    app_option(event)
    add_connection_options(event)


# ------------------------------------------------------------------------------------ helpers


def app_from_args(args: argparse.Namespace, io: Io) -> ArvoApp:
    spec = args.app or env_text(io.env, "ARVO_APP")
    if not spec:
        raise SettingsError(
            f"'{args.command}' needs the app's code: give --app MODULE:ATTR or ARVO_APP"
        )
    return load_app(spec)


async def _timeline(args: argparse.Namespace, io: Io, app: ArvoApp) -> Timeline:
    """The execution named by ``args.id`` (or ``--history``), replayed with ``app``."""
    codec = load_codec(args.codec) if args.codec else None
    if (args.history is None) == (args.id is None):
        raise SettingsError(f"'{args.command}' takes an execution ID or --history FILE (one)")
    if args.history is not None:
        histories = [await read_history_file(Path(args.history))]
    else:
        ref = parse_execution_ref(args.id)  # an input error, found before connecting
        client = await connect(args, io)
        histories = await fetch_runs(client.temporal, ref)
    return await replay_timeline(histories, app=app, data_converter=data_converter(codec))


def _newest(machines: tuple[ArvoMachine, ...]) -> ArvoMachine:
    newest = machines[0]
    for machine in machines[1:]:
        if compare_semantic_versions(machine.version, newest.version) > 0:
            newest = machine
    return newest


def served_machine(app: ArvoApp, name: str, version: str | None) -> ArvoMachine:
    """The app's machine for an orchestrator (``version`` or the newest).

    Raises:
        CommandError (exit 2): an orchestrator or a version the app does not serve.
    """
    spec = app.orchestrators.get(name)
    if spec is None:
        served = ", ".join(sorted(app.orchestrators)) or "nothing"
        raise CommandError(f"the app does not serve {name} (it serves {served})", code=EXIT_USAGE)
    if version is None:
        return _newest(spec.machines)
    for machine in spec.machines:
        if machine.version == version:
            return machine
    versions = ", ".join(machine.version for machine in spec.machines)
    raise CommandError(
        f"the app serves {name} in version(s) {versions}, not {version}", code=EXIT_USAGE
    )


def _write_text(path: str | None, text: str, io: Io) -> None:
    if path is None or path == "-":
        io.stdout.write(text)
        io.stdout.flush()
        return
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error.strerror or error}") from None


# ----------------------------------------------------------------------------------- commands


async def cmd_graph(args: argparse.Namespace, io: Io) -> int:
    app = app_from_args(args, io)
    name, _, version = args.target.strip().partition("@")
    if name in app.orchestrators:
        machine = served_machine(app, name, version or None)
        if args.format == "json":
            io.emit(machine.to_json_config())
        else:
            _write_text(None, machine.to_mermaid(), io)
        return 0
    if "/" not in name and name.startswith("arvo.orc."):
        served_machine(app, name, None)  # says the app does not serve it
    args.id, args.history = args.target, None
    timeline = await _timeline(args, io, app)
    record = timeline.record or {}
    machine = served_machine(
        app, timeline.orchestrator, record.get("machineVersion") or _subject_version(timeline)
    )
    value = record.get("value")
    if args.format == "json":
        io.emit(
            {
                "workflow_id": timeline.workflow_id,
                "orchestrator": machine.source,
                "version": machine.version,
                "value": value,
                "active": [machine.logic.nodes[i].id for i in active_states(machine.logic, value)],
                "config": machine.to_json_config(),
            }
        )
    else:
        _write_text(None, machine.to_mermaid(active=value), io)
    return 0


def _subject_version(timeline: Timeline) -> str | None:
    try:
        return ArvoOrchestrationSubject.parse(timeline.subject).orchestrator.version
    except InvalidSubjectError:
        return None


async def cmd_inspect(args: argparse.Namespace, io: Io) -> int:
    app = app_from_args(args, io)
    timeline = await _timeline(args, io, app)
    if args.at is not None:
        if not 1 <= args.at <= len(timeline.steps):
            raise CommandError(
                f"--at {args.at}: the execution has steps 1 to {len(timeline.steps)}",
                code=EXIT_USAGE,
            )
        io.emit(timeline.steps[args.at - 1].to_json(full=True))
        return 0
    if args.json:
        lines = [json.dumps(step.to_json(), ensure_ascii=False) for step in timeline.steps]
    else:
        lines = timeline_lines(timeline)
    _write_text(None, "".join(f"{line}\n" for line in lines), io)
    return 0


async def cmd_export(args: argparse.Namespace, io: Io) -> int:
    app = app_from_args(args, io)
    timeline = await _timeline(args, io, app)
    events = timeline.events()
    text = "".join(json.dumps(event, ensure_ascii=False) + "\n" for event in events)
    await asyncio.to_thread(_write_text, args.output, text, io)
    if args.output and args.output != "-":
        io.progress(f"wrote {len(events)} events of {timeline.workflow_id} to {args.output}")
    return 0


def parse_data(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(f"--data is not valid JSON: {error}", code=EXIT_USAGE) from None
    if not isinstance(data, dict):
        raise CommandError(
            f"--data must be a JSON object; got {type(data).__name__}", code=EXIT_USAGE
        )
    return data


async def cmd_event(args: argparse.Namespace, io: Io) -> int:
    app = app_from_args(args, io)
    data = parse_data(args.data)
    try:
        if args.type in app.orchestrators:
            if args.subject is not None:
                raise CommandError(
                    f"{args.type} is an init event: it starts a new execution and takes no "
                    "--subject",
                    code=EXIT_USAGE,
                )
            machine = served_machine(app, args.type, args.version)
            data.setdefault("parentSubject$$", None)
            event = ArvoOrchestratorEventFactory(machine.self_contract).init(
                source=args.source or DEFAULT_EVENT_SOURCE, data=data
            )
        else:
            event = await _reply(args, io, app, data)
    except DataValidationError as error:
        raise CommandError(
            f"the contract refuses the data of {args.type}: {one_line(error)}", code=EXIT_USAGE
        ) from None
    io.emit(event.to_json())
    return 0


async def _reply(args: argparse.Namespace, io: Io, app: ArvoApp, data: dict[str, Any]) -> Any:
    """A service's reply (an event type a service contract of the machine emits)."""
    if args.subject is None:
        served = ", ".join(sorted(app.orchestrators)) or "none"
        raise CommandError(
            f"{args.type} is not an orchestrator of the app (init types: {served}); a reply "
            "needs --subject, the execution it answers",
            code=EXIT_USAGE,
        )
    ref = parse_execution_ref(args.subject)
    subject = ref.subject
    if subject is None:
        client = await connect(args, io)
        subject = await resolve_subject(client.temporal, ref)
    content = ArvoOrchestrationSubject.parse(subject)
    machine = served_machine(app, content.orchestrator.name, content.orchestrator.version)
    for contract in machine.service_contracts.values():
        if args.type in contract.emits:
            return ArvoEventFactory(contract).emits(
                type=args.type,
                source=args.source or contract.accepts_type,
                subject=subject,
                to=machine.source,
                data=data,
            )
    accepted = sorted(
        {kind for contract in machine.service_contracts.values() for kind in contract.emits}
    )
    raise CommandError(
        f"{machine.source} {machine.version} accepts no reply of type {args.type} (it accepts: "
        f"{', '.join(accepted) or 'none'})",
        code=EXIT_USAGE,
    )
