"""Operating executions: ``cancel`` (one, or every execution a query selects) and ``schedule``.

Thin wrappers over ``bulk_apply`` and ``ArvoSchedules`` (arvo_temporal/temporal/_bulk.py,
arvo_temporal/temporal/_schedules.py). A bulk run prints its progress on stderr and one summary
line of JSON on stdout, and exits 1 when any execution failed; a query, template or timetable
that cannot be used is an input error (one line, exit 2). The bulk verbs still to come (redrive,
pause, resume, migrate) register here the same way as ``cancel``: an ID or ``--query``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
from collections.abc import Callable, Iterator
from datetime import timedelta

from temporalio.client import ScheduleOverlapPolicy

from arvo_temporal.cli._client_commands import cmd_cancel, connect
from arvo_temporal.cli._errors import EXIT_USAGE, CommandError, SettingsError
from arvo_temporal.cli._io import Io, read_json_source
from arvo_temporal.cli._loading import load_app
from arvo_temporal.cli._runtime import env_text
from arvo_temporal.errors import InvalidEventTemplate, InvalidQueryError, InvalidScheduleError
from arvo_temporal.temporal._arvo_query import restrict_to_arvo
from arvo_temporal.temporal._bulk import (
    DEFAULT_CONCURRENCY,
    BulkOperation,
    BulkProgress,
    bulk_apply,
    cancel_operation,
)
from arvo_temporal.temporal._event_template import EventTemplate
from arvo_temporal.temporal._schedules import (
    DEFAULT_CATCHUP_WINDOW,
    ArvoSchedules,
)

__all__ = ["add_operate_commands", "parse_duration"]

_Command = Callable[..., argparse.ArgumentParser]

_OVERLAP = {
    "skip": ScheduleOverlapPolicy.SKIP,
    "buffer-one": ScheduleOverlapPolicy.BUFFER_ONE,
    "buffer-all": ScheduleOverlapPolicy.BUFFER_ALL,
    "allow-all": ScheduleOverlapPolicy.ALLOW_ALL,
}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PROGRESS_LINES = 20
"""About how many progress lines a bulk run prints, however many executions it selects."""


def parse_duration(text: str) -> timedelta:
    """``90``, ``90s``, ``15m``, ``2h``, ``1d``, ``500ms`` as a duration (argparse type).

    Raises:
        argparse.ArgumentTypeError: anything else, or zero.
    """
    match = _DURATION.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration (a number with s, m, h, d or ms, e.g. 30s or 15m)"
        )
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2) or "s"]
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive duration")
    return timedelta(seconds=seconds)


def _concurrency(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def add_operate_commands(
    command: _Command, add_connection_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    """Add ``cancel`` and ``schedule`` to the parser being built."""
    cancel = command(
        "cancel",
        "cancel an execution, or with --query every Arvo execution it selects; each initiator "
        "is told why",
        cmd_cancel_executions,
    )
    _add_target(cancel, verb="cancel")
    cancel.add_argument("--reason", default="cancelled with arvo-temporal cancel")
    add_connection_options(cancel)
    _add_schedule_commands(command, add_connection_options)


def _add_target(parser: argparse.ArgumentParser, *, verb: str) -> None:
    """ID or ``--query`` (one of them), as every bulk verb takes them."""
    parser.add_argument(
        "subject",
        metavar="ID",
        nargs="?",
        help="the execution: its subject, or its workflow id as the Temporal UI shows it",
    )
    parser.add_argument(
        "--query",
        metavar="VISIBILITY_QUERY",
        help=f"{verb} every Arvo execution this Temporal visibility query selects, e.g. "
        "\"ArvoOrchestrator = 'arvo.orc.expense' AND ExecutionStatus = 'Running'\"; progress "
        "on stderr, a summary line on stdout, exit 1 if any failed",
    )
    parser.add_argument(
        "--concurrency",
        type=_concurrency,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"with --query, executions acted on at once (default {DEFAULT_CONCURRENCY})",
    )


@contextlib.contextmanager
def _input_errors() -> Iterator[None]:
    """A query, template or timetable that cannot be used is the caller's input: exit 2."""
    try:
        yield
    except (InvalidQueryError, InvalidEventTemplate, InvalidScheduleError) as error:
        raise CommandError(str(error), code=EXIT_USAGE) from None


async def cmd_cancel_executions(args: argparse.Namespace, io: Io) -> int:
    if (args.subject is None) == (args.query is None):
        raise CommandError("give an execution ID or --query, not both", code=EXIT_USAGE)
    if args.subject is not None:
        return await cmd_cancel(args, io)
    return await _bulk(args, io, "cancel", cancel_operation(args.reason))


async def _bulk(args: argparse.Namespace, io: Io, name: str, operation: BulkOperation) -> int:
    with _input_errors():
        restrict_to_arvo(args.query)  # a malformed query is refused before connecting
        client = await connect(args, io)

        def progress(at: BulkProgress) -> None:
            step = max(1, at.total // _PROGRESS_LINES)
            if at.finished % step == 0 or at.finished == at.total:
                failed = f" ({at.failed} failed)" if at.failed else ""
                io.progress(f"{name}: {at.finished}/{at.total}{failed}")

        report = await bulk_apply(
            client,
            args.query,
            operation,
            name=name,
            concurrency=args.concurrency,
            on_progress=progress,
        )
    if report.total == 0:
        io.progress(f"{name}: no Arvo execution matches the query")
    io.stdout.write(json.dumps(report.to_json(), ensure_ascii=False) + "\n")
    io.stdout.flush()
    return 1 if report.failed else 0


# ------------------------------------------------------------------------------------ schedule


def _add_schedule_commands(
    command: _Command, add_connection_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    schedule = command(
        "schedule",
        "start a new execution from an event template on a timetable (Temporal Schedules); "
        "workers of the app on the schedule's task queue run the fires",
        cmd_schedule_list,
    )
    actions = schedule.add_subparsers(dest="schedule_action", required=True, metavar="ACTION")

    def action(name: str, help: str, handler: Callable[..., object]) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = actions.add_parser(name, help=help, description=help)
        sub.set_defaults(handler=handler)
        if name != "list":
            sub.add_argument("name", metavar="NAME", help="the schedule's name (its Temporal id)")
        return sub

    create = action(
        "create",
        "create a schedule; each fire starts a new execution (new subject, event id and time) "
        "from the template",
        cmd_schedule_create,
    )
    create.add_argument(
        "--event-template",
        required=True,
        metavar="FILE",
        help="an init event as JSON, or - for stdin (id, subject and time may be left out: "
        "each fire makes its own); e.g. the output of 'arvo-temporal event'",
    )
    create.add_argument(
        "--cron",
        action="append",
        default=[],
        metavar="EXPR",
        help='a cron expression, e.g. "0 * * * *" (UTC); repeatable',
    )
    create.add_argument(
        "--every",
        action="append",
        default=[],
        type=parse_duration,
        metavar="DURATION",
        help="an interval, e.g. 15m; repeatable",
    )
    create.add_argument(
        "--app",
        metavar="MODULE:ATTR",
        help="check the template against this ArvoApp's contract (and take the newest version "
        "when the template's dataschema has none) [ARVO_APP]",
    )
    create.add_argument(
        "--overlap",
        choices=sorted(_OVERLAP),
        default="skip",
        help="a fire while the previous one is still starting its execution (e.g. no worker "
        "yet): skip it (default), buffer one, buffer all, or start it anyway",
    )
    create.add_argument(
        "--catchup-window",
        type=parse_duration,
        default=DEFAULT_CATCHUP_WINDOW,
        metavar="DURATION",
        help="after an outage, make up fires missed by at most this much (default 1m; "
        "at least 10s)",
    )
    create.add_argument(
        "--jitter",
        type=parse_duration,
        metavar="DURATION",
        help="delay each fire by a random time up to this (default none)",
    )
    create.add_argument("--paused", action="store_true", help="create it paused")
    create.add_argument("--note", help="a note shown with the schedule")
    add_connection_options(create)

    listing = action("list", "list the Arvo schedules, one JSON object per line", cmd_schedule_list)
    add_connection_options(listing)
    describe = action(
        "describe", "a schedule, its next fires and the executions its recent fires started",
        cmd_schedule_describe,
    )  # fmt: skip
    add_connection_options(describe)
    pause = action("pause", "stop firing (started executions keep running)", cmd_schedule_pause)
    pause.add_argument("--note", help="why it is paused (shown with the schedule)")
    add_connection_options(pause)
    unpause = action("unpause", "fire again from the next scheduled time", cmd_schedule_unpause)
    unpause.add_argument("--note", help="a note shown with the schedule")
    add_connection_options(unpause)
    trigger = action("trigger", "fire once now, even while paused", cmd_schedule_trigger)
    add_connection_options(trigger)
    delete = action(
        "delete", "delete a schedule (started executions keep running)", cmd_schedule_delete
    )
    add_connection_options(delete)


async def _schedules(args: argparse.Namespace, io: Io) -> ArvoSchedules:
    client = await connect(args, io)
    return ArvoSchedules(client.temporal, task_queue=args.task_queue)


def _template(args: argparse.Namespace, io: Io) -> EventTemplate:
    name, value = read_json_source(args.event_template, io)
    try:
        template = EventTemplate.parse(value)
        app_spec = args.app or env_text(io.env, "ARVO_APP")
        return template.for_app(load_app(app_spec)) if app_spec else template.ready()
    except InvalidEventTemplate as error:
        raise CommandError(f"{name}: {error}", code=EXIT_USAGE) from None


async def cmd_schedule_create(args: argparse.Namespace, io: Io) -> int:
    if not args.cron and not args.every:
        raise SettingsError("give at least one --cron or --every")
    template = _template(args, io)
    with _input_errors():
        schedules = await _schedules(args, io)
        view = await schedules.create(
            args.name,
            template,
            cron=args.cron,
            every=args.every,
            overlap=_OVERLAP[args.overlap],
            catchup_window=args.catchup_window,
            jitter=args.jitter,
            paused=args.paused,
            note=args.note,
        )
    io.emit({**view.to_json(), "task_queue": args.task_queue})
    return 0


async def cmd_schedule_list(args: argparse.Namespace, io: Io) -> int:
    schedules = await _schedules(args, io)
    for view in await schedules.list():
        listed = view.to_json()
        del listed["recent_fires"]  # list does not look them up; describe does
        io.stdout.write(json.dumps(listed, ensure_ascii=False) + "\n")
    io.stdout.flush()
    return 0


async def cmd_schedule_describe(args: argparse.Namespace, io: Io) -> int:
    schedules = await _schedules(args, io)
    io.emit((await schedules.describe(args.name)).to_json())
    return 0


async def cmd_schedule_pause(args: argparse.Namespace, io: Io) -> int:
    await (await _schedules(args, io)).pause(args.name, note=args.note)
    io.emit({"schedule": args.name, "paused": True})
    return 0


async def cmd_schedule_unpause(args: argparse.Namespace, io: Io) -> int:
    await (await _schedules(args, io)).unpause(args.name, note=args.note)
    io.emit({"schedule": args.name, "paused": False})
    return 0


async def cmd_schedule_trigger(args: argparse.Namespace, io: Io) -> int:
    await (await _schedules(args, io)).trigger(args.name)
    io.emit({"schedule": args.name, "triggered": True})
    return 0


async def cmd_schedule_delete(args: argparse.Namespace, io: Io) -> int:
    await (await _schedules(args, io)).delete(args.name)
    io.emit({"schedule": args.name, "deleted": True})
    return 0
