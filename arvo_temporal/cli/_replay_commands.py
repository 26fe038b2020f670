"""``arvo-temporal replay``: replaying recorded histories against the code at hand.

Two forms: ``replay FILE --app X`` replays one saved history; ``replay --app X [--query Q]
[--limit N]`` is the replay gate of a deploy (:func:`~arvo_temporal.temporal._replay_gate.
replay_recent`): it downloads the newest Arvo executions of the cluster and replays them, and
exits 1 naming the first that the code no longer reproduces.
"""

from __future__ import annotations

import argparse
import asyncio
import re
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import NondeterminismError

from arvo_temporal.cli._client_commands import connect
from arvo_temporal.cli._errors import EXIT_USAGE, CommandError, SettingsError, one_line
from arvo_temporal.cli._io import Io, read_json_text, waiting
from arvo_temporal.cli._loading import load_app, load_codec
from arvo_temporal.cli._runtime import data_converter
from arvo_temporal.temporal._replay import classify_replay_failure, load_history, replay_history
from arvo_temporal.temporal._replay_gate import gate_query, replay_recent

__all__ = ["DEFAULT_LIMIT", "cmd_replay", "read_history_file"]

DEFAULT_LIMIT = 100
"""Executions the gate replays when ``--limit`` is not given (visibility lists newest first)."""


async def cmd_replay(args: argparse.Namespace, io: Io) -> int:
    if args.history is None:
        return await _replay_from_cluster(args, io)
    if args.query is not None or args.limit is not None:
        raise SettingsError("replay takes a HISTORY file or --query/--limit, not both")
    return await _replay_file(args, io)


async def _replay_from_cluster(args: argparse.Namespace, io: Io) -> int:
    limit = DEFAULT_LIMIT if args.limit is None else args.limit
    if limit < 1:
        raise SettingsError(f"--limit must be at least 1; got {limit}")
    app = load_app(args.app)
    codec = load_codec(args.codec) if args.codec else None
    client = await connect(args, io)
    query = gate_query(args.query)
    try:
        async with waiting(io, f"replaying up to {limit} executions matching {query}"):
            report = await replay_recent(
                client.temporal,
                app=app,
                query=args.query,
                limit=limit,
                data_converter=data_converter(codec),
            )
    except RPCError as error:
        if error.status != RPCStatusCode.INVALID_ARGUMENT:
            raise
        raise CommandError(
            f"{query} is not a valid visibility query: {one_line(error.message)}", code=EXIT_USAGE
        ) from None
    failure = report.failure
    if failure is not None:
        raise CommandError(
            f"{failure.workflow_id} (run {failure.run_id}) does not replay: {failure.kind}: "
            f"{_reason(failure.message)} ({report.replayed - 1} replayed before it)"
        )
    if report.replayed == 0:
        io.progress("no execution matched: nothing was checked")
    io.emit({"query": report.query, "replayed": report.replayed, "passed": True})
    return 0


def _reason(message: str) -> str:
    """The SDK core's own words (``[TMPRL1100] Nondeterminism error: …``) when the failure wraps
    them in Rust debug output, else the whole message on one line."""
    found = re.search(r'message: "((?:[^"\\]|\\.)*)"', message)
    return one_line(found.group(1) if found else message)


async def read_history_file(path: Path) -> WorkflowHistory:
    """A history saved with ``arvo-temporal history`` (or ``temporal workflow show``).

    Raises:
        CommandError (exit 2): unreadable, not JSON, or not a workflow history.
    """
    try:
        text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    except OSError as error:
        raise CommandError(
            f"cannot read {path}: {error.strerror or error}", code=EXIT_USAGE
        ) from None
    except UnicodeDecodeError as error:
        raise CommandError(f"{path} is not valid JSON: {error}", code=EXIT_USAGE) from None
    data = read_json_text(text, str(path))
    try:
        if not isinstance(data, dict):
            raise TypeError(f"expected a JSON object, got {type(data).__name__}")
        return load_history(data, workflow_id=path.stem)
    except Exception as error:  # protobuf's parse errors have no common public base class
        raise CommandError(
            f"{path} is not a Temporal workflow history (make one with 'arvo-temporal history' "
            f"or 'temporal workflow show --output json'): {one_line(error, 200)}",
            code=EXIT_USAGE,
        ) from None


async def _replay_file(args: argparse.Namespace, io: Io) -> int:
    path = Path(args.history)
    history = await read_history_file(path)
    app = load_app(args.app)
    codec = load_codec(args.codec) if args.codec else None
    try:
        await replay_history(history, app=app, data_converter=data_converter(codec))
    except NondeterminismError as error:
        raise CommandError(f"replay of {path} failed: nondeterminism: {one_line(error)}") from None
    except ValueError as error:
        raise CommandError(f"cannot replay {path}: {one_line(error)}", code=EXIT_USAGE) from None
    except Exception as error:  # any other workflow task failure is a failed replay as well
        kind, message = classify_replay_failure(error)
        raise CommandError(f"replay of {path} failed: {kind}: {one_line(message)}") from None
    io.emit({"history": str(path), "events": len(history.events), "replayed": True})
    return 0
