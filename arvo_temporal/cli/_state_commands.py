"""Executions by what they are doing: ``wait``, ``tasks``, ``answer``, and ``list --state`` /
``list --tree``.

``wait`` returns as soon as an execution reaches a state, a tag or its end (the workflow's
``arvo_wait`` update answers; nothing polls). ``tasks`` is the human-task inbox: the requests
executions sent into a non-default domain that still wait for a reply, and ``answer`` builds the
reply from the request's contract (with the app's code), validates it and sends it. ``list
--state`` searches ``ArvoState`` and ``list --tree`` prints an orchestration tree from
``ArvoRoot`` / ``ArvoParent`` (arvo_temporal/temporal/_search_attributes.py).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from arvo_temporal.cli._client_commands import (
    QUERY_TIMEOUT,
    answer,
    cmd_list,
    connect,
    execution,
)
from arvo_temporal.cli._closed_executions import for_people
from arvo_temporal.cli._errors import EXIT_USAGE, CommandError, one_line
from arvo_temporal.cli._executions import describe_execution, parse_execution_ref
from arvo_temporal.cli._io import Io, waiting, within
from arvo_temporal.cli._observe_commands import app_from_args, parse_data, served_machine
from arvo_temporal.cli._pollers import idle_task_queue
from arvo_temporal.cli._runtime import env_text
from arvo_temporal.cli._timeline import iso_time
from arvo_temporal.errors import DataValidationError, UnknownStateError
from arvo_temporal.factories import ArvoEventFactory
from arvo_temporal.machine import ArvoMachine
from arvo_temporal.subject import ArvoOrchestrationSubject
from arvo_temporal.temporal._app import ArvoApp
from arvo_temporal.temporal._client import ArvoTemporalClient
from arvo_temporal.temporal._observing import ExecutionListing, listing_of, visibility_query
from arvo_temporal.temporal._search_attributes import ARVO_ROOT

__all__ = [
    "DEFAULT_WAIT_TIMEOUT",
    "MAX_TREE",
    "add_state_commands",
    "check_state_path",
    "cmd_answer",
    "cmd_list_executions",
    "cmd_tasks",
    "cmd_wait",
    "print_tree",
]

DEFAULT_WAIT_TIMEOUT = 60.0
"""Seconds ``wait`` waits for its condition unless ``--timeout`` says otherwise."""
MAX_TREE = 1000
"""Executions ``list --tree`` reads at most (a guard against runaway fan-out)."""

_Command = Callable[..., argparse.ArgumentParser]
_ID_HELP = "the execution: its subject, or its workflow id as the Temporal UI shows it"


def add_state_commands(
    command: _Command, add_connection_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    """Add ``wait``, ``tasks`` and ``answer`` to the parser being built."""

    def app_option(parser: argparse.ArgumentParser, what: str) -> None:
        parser.add_argument("--app", metavar="MODULE:ATTR", help=f"{what} [ARVO_APP]")

    wait = command(
        "wait",
        "wait until an execution is in a state (or has a tag, or has ended) and print its status "
        "and record at that moment",
        cmd_wait,
    )
    wait.add_argument("subject", metavar="ID", help=_ID_HELP)
    wait.add_argument("--state", metavar="PATH", help="a state path, e.g. awaitingDecision or a.b")
    wait.add_argument("--tag", help="a tag of the active states")
    wait.add_argument("--done", action="store_true", help="wait for the execution to end")
    wait.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_WAIT_TIMEOUT,
        metavar="SECONDS",
        help=f"give up after this long (default {DEFAULT_WAIT_TIMEOUT:g})",
    )
    app_option(wait, "check --state against the execution's machine before waiting")
    add_connection_options(wait)

    tasks = command(
        "tasks",
        "list requests sent to a person or another system (events into a non-default domain) "
        "that still wait for a reply, one JSON object per line, oldest first",
        cmd_tasks,
    )
    tasks.add_argument("--domain", help="only requests into this domain, e.g. external")
    tasks.add_argument("--limit", type=int, default=100, help="executions to look at (100)")
    tasks.add_argument(
        "--timeout",
        type=float,
        default=QUERY_TIMEOUT,
        metavar="SECONDS",
        help=f"wait this long for workers to answer (default {QUERY_TIMEOUT:g})",
    )
    add_connection_options(tasks)

    reply = command(
        "answer",
        "answer a request awaiting a reply (see tasks): build the reply from its contract, "
        "validate it and send it",
        cmd_answer,
    )
    reply.add_argument("subject", metavar="ID", help=_ID_HELP)
    reply.add_argument("event_id", metavar="EVENT_ID", help="the request's event id (tasks)")
    reply.add_argument("--type", required=True, help="the reply's event type")
    reply.add_argument("--data", required=True, metavar="JSON", help="the reply's data")
    reply.add_argument("--source", help="the reply's source (default the request's type)")
    reply.add_argument(
        "--timeout",
        type=float,
        default=QUERY_TIMEOUT,
        metavar="SECONDS",
        help=f"wait this long for a worker to answer (default {QUERY_TIMEOUT:g})",
    )
    app_option(reply, "the ArvoApp whose contracts build the reply")
    add_connection_options(reply)


# ------------------------------------------------------------------------------------ states


def _optional_app(args: argparse.Namespace, io: Io) -> ArvoApp | None:
    return app_from_args(args, io) if (args.app or env_text(io.env, "ARVO_APP")) else None


def check_state_path(app: ArvoApp, state: str, orchestrator: str | None) -> None:
    """Refuse a state path no machine of ``orchestrator`` (any, when None) has.

    Raises:
        CommandError (exit 2): naming the states of the machine(s) asked about.
    """
    if orchestrator is not None:
        served_machine(app, orchestrator, None)  # says the app does not serve it
        machines = app.orchestrators[orchestrator].machines
    else:
        machines = tuple(m for spec in app.orchestrators.values() for m in spec.machines)
    if any(state in machine.state_paths for machine in machines):
        return
    if len(machines) == 1 or orchestrator is not None:
        try:
            machines[0].check_state(state)
        except UnknownStateError as error:
            raise CommandError(str(error), code=EXIT_USAGE) from None
    raise CommandError(
        f"no machine of the app has a state {state!r} (give --orchestrator to see one's states)",
        code=EXIT_USAGE,
    )


def _machine_of(app: ArvoApp, subject: str) -> ArvoMachine:
    content = ArvoOrchestrationSubject.parse(subject)
    return served_machine(app, content.orchestrator.name, content.orchestrator.version)


async def cmd_wait(args: argparse.Namespace, io: Io) -> int:
    if args.state is None and args.tag is None and not args.done:
        raise CommandError("wait needs --state PATH, --tag TAG or --done", code=EXIT_USAGE)
    app = _optional_app(args, io)
    async with execution(args, io) as (client, subject):
        if app is not None and args.state is not None:
            try:
                _machine_of(app, subject).check_state(args.state)
            except UnknownStateError as error:
                raise CommandError(str(error), code=EXIT_USAGE) from None
        workflow_id = client.workflow_id(subject)
        wanted = " and ".join(
            part
            for part in (
                f"state {args.state}" if args.state else "",
                f"tag {args.tag}" if args.tag else "",
                "the end" if args.done else "",
            )
            if part
        )
        async with waiting(io, f"waiting for {workflow_id} to reach {wanted}"):
            outcome = await client.wait_for(
                subject,
                state=args.state,
                tag=args.tag,
                done=args.done,
                timeout=timedelta(seconds=args.timeout),
            )
    if not outcome.met:
        view = outcome.status
        raise CommandError(
            f"{workflow_id} ended ({view.status}, in {', '.join(view.states) or 'no state'}) "
            f"without reaching {wanted}"
        )
    io.emit(
        {
            "workflow_id": workflow_id,
            "reason": outcome.reason,
            "status": for_people(outcome.status.model_dump(mode="json")),
            "record": outcome.record,
        }
    )
    return 0


# ------------------------------------------------------------------------------------- tasks


async def cmd_tasks(args: argparse.Namespace, io: Io) -> int:
    client = await connect(args, io)
    unanswered: list[tuple[str, str]] = []
    async with waiting(io, "waiting for workers to answer the status queries"):
        try:
            found = await within(
                client.tasks(
                    domain=args.domain,
                    limit=args.limit,
                    rpc_timeout=timedelta(seconds=args.timeout),
                    unanswered=unanswered,
                ),
                args.timeout,
                "answers to the status queries",
            )
        except CommandError as error:
            raise CommandError(f"{error}{await _idle_queue(client, args.domain)}") from None
    now_ms = time.time() * 1000
    for task in found:
        request = task.request
        _write_line(
            io,
            {
                "workflow_id": task.workflow_id,
                "event_id": request.event_id,
                "type": request.event_type,
                "domain": request.domain,
                "reply_types": request.reply_types,
                "emitted": iso_time(request.emitted_ms),
                "age_seconds": round(max(0.0, now_ms - request.emitted_ms) / 1000, 1),
                "orchestrator": task.orchestrator,
                "subject": task.subject,
            },
        )
    for workflow_id, reason in unanswered:
        io.progress(f"arvo-temporal: {workflow_id} did not answer ({one_line(reason, 160)})")
    io.stdout.flush()
    return 0


def _write_line(io: Io, value: dict[str, Any]) -> None:
    io.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")


async def _idle_queue(client: ArvoTemporalClient, domain: str | None) -> str:
    """`` (no worker polls task queue X)`` for the queue of an execution with an open request,
    when no worker polls it; empty otherwise."""
    query = visibility_query(task_domain=domain, with_tasks=True, running=True)
    async for found in client.temporal.list_workflows(query, limit=1):
        queue = await idle_task_queue(client.temporal, found.id)
        return f" (no worker polls task queue {queue})" if queue else ""
    return ""


async def cmd_answer(args: argparse.Namespace, io: Io) -> int:
    app = app_from_args(args, io)
    data = parse_data(args.data)
    async with execution(args, io) as (client, subject):
        workflow_id = client.workflow_id(subject)
        view = await answer(
            args, io, "status", client.status(subject), client=client, workflow_id=workflow_id
        )
        request = next((r for r in view.open_requests if r.event_id == args.event_id), None)
        if request is None:
            waiting_ids = ", ".join(r.event_id for r in view.open_requests) or "none"
            raise CommandError(
                f"no request {args.event_id} awaits a reply in {workflow_id} (awaiting: "
                f"{waiting_ids})",
                code=EXIT_USAGE,
            )
        if args.type not in request.reply_types:
            raise CommandError(
                f"{request.event_type} is answered by {', '.join(request.reply_types)}, not "
                f"{args.type}",
                code=EXIT_USAGE,
            )
        machine = _machine_of(app, subject)
        contract = next(
            c for c in machine.service_contracts.values() if c.accepts_type == request.event_type
        )
        try:
            reply = ArvoEventFactory(contract).emits(
                type=args.type,
                source=args.source or contract.accepts_type,
                subject=subject,
                to=machine.source,
                parentid=request.event_id,
                data=data,
            )
        except DataValidationError as error:
            raise CommandError(
                f"the contract refuses the data of {args.type}: {one_line(error)}", code=EXIT_USAGE
            ) from None
        await client.send(reply)
    io.emit(
        {
            "workflow_id": workflow_id,
            "answered": request.event_id,
            "event_id": reply.id,
            "type": reply.type,
        }
    )
    return 0


# -------------------------------------------------------------------------------------- tree


async def cmd_list_executions(args: argparse.Namespace, io: Io) -> int:
    """``list``: an orchestration tree with ``--tree``, else the listing (``--state`` checked
    against the app's machines first when an app is given)."""
    if args.tree is not None:
        if args.orchestrator or args.status or args.state:
            raise CommandError(
                "--tree takes no --orchestrator, --status or --state", code=EXIT_USAGE
            )
        parse_execution_ref(args.tree)  # an input error, found before connecting
        client = await connect(args, io)
        await print_tree(args, io, client)
        return 0
    if args.state is not None:
        app = _optional_app(args, io)
        if app is not None:
            check_state_path(app, args.state, args.orchestrator)
    return await cmd_list(args, io)


async def print_tree(args: argparse.Namespace, io: Io, client: ArvoTemporalClient) -> None:
    """``list --tree ID``: the orchestration tree ``ID`` belongs to, from its root, one line per
    execution (workflow id, Arvo status, Temporal status), children indented under parents."""
    ref = parse_execution_ref(args.tree)
    description = await describe_execution(client.temporal, ref)
    root = description.typed_search_attributes.get(ARVO_ROOT) or ref.workflow_id
    members = await client.list(root=root, limit=MAX_TREE)
    by_id = {listing.workflow_id: listing for listing in members}
    if root not in by_id:  # started before roots were recorded: show it alone
        root_description = await describe_execution(client.temporal, parse_execution_ref(root))
        by_id[root] = await listing_of(root_description)
    children: dict[str | None, list[ExecutionListing]] = {}
    for listing in by_id.values():
        if listing.workflow_id == root:
            continue
        parent = listing.parent if listing.parent in by_id else root
        children.setdefault(parent, []).append(listing)
    lines: list[str] = []

    def walk(listing: ExecutionListing, prefix: str, last: bool, depth: int) -> None:
        branch = "" if depth == 0 else ("└─ " if last else "├─ ")
        marker = "  ◀" if listing.workflow_id == ref.workflow_id and depth > 0 else ""
        lines.append(f"{prefix}{branch}{_tree_line(listing)}{marker}")
        below = sorted(children.get(listing.workflow_id, ()), key=lambda item: item.workflow_id)
        extension = "" if depth == 0 else ("   " if last else "│  ")
        for index, child in enumerate(below):
            walk(child, prefix + extension, index == len(below) - 1, depth + 1)

    walk(by_id[root], "", True, 0)
    io.stdout.write("".join(f"{line}\n" for line in lines))
    io.stdout.flush()


def _tree_line(listing: ExecutionListing) -> str:
    states = f"  [{listing.states[-1]}]" if listing.states else ""
    return (
        f"{listing.workflow_id}  {listing.status or '?'}  "
        f"({(listing.temporal_status or '?').lower()}){states}"
    )

