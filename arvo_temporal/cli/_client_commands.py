"""The client commands of ``arvo-temporal``: send, execute, status, snapshot, result, cancel,
list and history, each a thin wrapper over :class:`~arvo_temporal.temporal.ArvoTemporalClient`.

They connect through :mod:`arvo_temporal.cli._connection` (envconfig profile, ``TEMPORAL_*``
variables, then options) with the codec of ``--codec`` / ``ARVO_CODEC``, so encrypted payloads
are read and written as the workers do."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from temporalio.client import WorkflowExecutionDescription, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from arvo_temporal.cli._closed_executions import closed_record, closed_status, for_people
from arvo_temporal.cli._connection import ConnectionSettings, connection_from_env
from arvo_temporal.cli._errors import EXIT_USAGE, CommandError, one_line
from arvo_temporal.cli._executions import parse_execution_ref, resolve_subject
from arvo_temporal.cli._io import Io, read_event, waiting, within
from arvo_temporal.cli._loading import load_codec
from arvo_temporal.cli._pollers import PollerWatch, watch_pollers
from arvo_temporal.cli._runtime import connect_with_retries, data_converter
from arvo_temporal.errors import ConfigViolation
from arvo_temporal.orchestration.result import OrchestratorResult
from arvo_temporal.temporal._client import ArvoTemporalClient
from arvo_temporal.temporal._ids import workflow_id_for
from arvo_temporal.temporal._plugin import ArvoPlugin

__all__ = [
    "QUERY_TIMEOUT",
    "answer",
    "cmd_cancel",
    "cmd_execute",
    "cmd_history",
    "cmd_list",
    "cmd_result",
    "cmd_send",
    "cmd_snapshot",
    "cmd_status",
    "connect",
    "connection_from_args",
    "execution",
    "explain_missing",
    "result_json",
]

QUERY_TIMEOUT = 30.0
"""Seconds a status/snapshot query waits: a query needs a worker, and without one it would hang."""

_T = TypeVar("_T")


async def explain_missing(client: ArvoTemporalClient, subject: str) -> CommandError:
    """Why Temporal answered NOT_FOUND: the execution finished, or never existed."""
    workflow_id = workflow_id_for(subject)
    try:
        description = await client.temporal.get_workflow_handle(workflow_id).describe()
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            return CommandError(f"Temporal refused the request: {one_line(error.message)}")
        if "namespace" in error.message.lower():
            return CommandError(f"Temporal: {one_line(error.message)}")
        return CommandError(f"no execution exists for this subject (workflow id {workflow_id})")
    if description.close_time is None:
        return CommandError(f"Temporal could not find what was asked of running {workflow_id}")
    status = description.status.name.lower() if description.status else "closed"
    return CommandError(f"the execution {workflow_id} has already finished ({status})")


def result_json(result: OrchestratorResult) -> dict[str, Any]:
    return {
        "events": [event.to_json() for event in result.events],
        "all_event_domains": list(result.all_event_domains),
        "domained_events": {
            domain: [event.to_json() for event in events]
            for domain, events in result.domained_events.items()
        },
    }


async def connect(args: argparse.Namespace, io: Io) -> ArvoTemporalClient:
    connection = connection_from_args(args, io.env)
    codec = load_codec(args.codec) if args.codec else None
    client = await connect_with_retries(
        connection, retry_for=0, data_converter=data_converter(codec), plugins=[ArvoPlugin()]
    )
    assert client is not None  # without a stop event the only outcomes are a client or an error
    return ArvoTemporalClient(client, task_queue=args.task_queue)


def connection_from_args(args: argparse.Namespace, env: Mapping[str, str]) -> ConnectionSettings:
    """The envconfig profile (``--profile``, ``--config-file``) with the options on top."""
    base = connection_from_env(env, profile=args.profile, config_file=args.config_file)
    return base.with_overrides(
        address=args.address,
        namespace=args.namespace,
        api_key=args.api_key,
        tls=args.tls,
        tls_cert=Path(args.tls_cert) if args.tls_cert else None,
        tls_key=Path(args.tls_key) if args.tls_key else None,
        tls_ca=Path(args.tls_ca) if args.tls_ca else None,
        tls_server_name=args.tls_server_name,
    )


async def cmd_send(args: argparse.Namespace, io: Io) -> int:
    event = read_event(args.event, io)
    client = await connect(args, io)
    workflow_id = await client.send(event)
    io.emit({"workflow_id": workflow_id, "subject": event.subject, "event_id": event.id})
    return 0


async def cmd_execute(args: argparse.Namespace, io: Io) -> int:
    event = read_event(args.event, io)
    client = await connect(args, io)
    async with waiting(
        io, f"waiting for a worker on task queue {args.task_queue} to apply {event.type}"
    ):
        result = await within(client.execute(event), args.timeout, f"applying {event.type}")
    io.emit(result_json(result))
    return 0


@contextlib.asynccontextmanager
async def execution(
    args: argparse.Namespace, io: Io
) -> AsyncIterator[tuple[ArvoTemporalClient, str]]:
    """Connect for a command about one execution (``args.subject``: its subject or its workflow
    id); Temporal's NOT_FOUND inside the block becomes a clear error saying whether the
    execution finished or never existed."""
    ref = parse_execution_ref(args.subject)  # a malformed ID is an input error, found first
    client = await connect(args, io)
    subject = await resolve_subject(client.temporal, ref)
    try:
        yield client, subject
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        raise await explain_missing(client, subject) from None


async def answer(
    args: argparse.Namespace,
    io: Io,
    what: str,
    query: Awaitable[_T],
    *,
    client: ArvoTemporalClient | None = None,
    workflow_id: str | None = None,
) -> _T:
    """A query's answer; queries are answered by a worker, so say so while waiting for one, and
    (given the execution) which task queue has no worker when none answers for a few seconds."""
    try:
        async with contextlib.AsyncExitStack() as stack:
            watch = PollerWatch()
            if client is not None and workflow_id is not None:
                waited = f"waiting for a worker to answer the {what} query of {workflow_id}"
                watch = await stack.enter_async_context(
                    watch_pollers(io, client.temporal, workflow_id)
                )
            else:
                waited = f"waiting for a worker on task queue {args.task_queue} to answer"
            await stack.enter_async_context(waiting(io, waited))
            try:
                return await within(query, args.timeout, f"an answer to the {what} query")
            except CommandError as error:
                raise CommandError(f"{error}{watch.reason()}", code=error.code) from None
    except WorkflowQueryFailedError as error:
        raise CommandError(f"the {what} query failed: {one_line(error)}") from None


async def _closed(client: ArvoTemporalClient, subject: str) -> WorkflowExecutionDescription | None:
    """The description of a closed execution (answered from its history), None while it runs."""
    description = await client.temporal.get_workflow_handle(client.workflow_id(subject)).describe()
    return description if description.close_time is not None else None


async def cmd_status(args: argparse.Namespace, io: Io) -> int:
    async with execution(args, io) as (client, subject):
        closed = await _closed(client, subject)
        if closed is not None:
            view = await closed_status(args, io, client, subject, closed)
        else:
            answered = await answer(
                args,
                io,
                "status",
                client.status(subject),
                client=client,
                workflow_id=client.workflow_id(subject),
            )
            view = answered.model_dump(mode="json")
    io.emit(for_people(view))
    return 0


async def cmd_snapshot(args: argparse.Namespace, io: Io) -> int:
    async with execution(args, io) as (client, subject):
        closed = await _closed(client, subject)
        if closed is not None:
            record = await closed_record(args, io, client, subject, closed)
        else:
            record = await answer(
                args,
                io,
                "snapshot",
                client.snapshot(subject),
                client=client,
                workflow_id=client.workflow_id(subject),
            )
    io.emit(record)
    return 0


async def cmd_result(args: argparse.Namespace, io: Io) -> int:
    async with execution(args, io) as (client, subject):
        workflow_id = client.workflow_id(subject)
        async with waiting(io, f"waiting for {workflow_id} to finish"):
            output = await within(client.result(subject), args.timeout, f"the end of {workflow_id}")
    io.emit(output)
    return 0


async def cmd_cancel(args: argparse.Namespace, io: Io) -> int:
    async with execution(args, io) as (client, subject):
        await client.cancel(subject, reason=args.reason)
    io.emit({"workflow_id": client.workflow_id(subject), "cancelled": True, "reason": args.reason})
    return 0


async def cmd_list(args: argparse.Namespace, io: Io) -> int:
    client = await connect(args, io)
    try:
        listings = await client.list(
            orchestrator=args.orchestrator,
            status=args.status,
            state=getattr(args, "state", None),
            limit=args.limit,
        )
    except ConfigViolation as error:
        raise CommandError(str(error), code=EXIT_USAGE) from None
    for listing in listings:
        io.stdout.write(
            json.dumps(
                {
                    "workflow_id": listing.workflow_id,
                    "orchestrator": listing.orchestrator,
                    "status": listing.status,
                    "temporal_status": listing.temporal_status,
                    "states": list(listing.states),
                    "parent": listing.parent,
                    "subject": listing.subject,
                },
                ensure_ascii=False,
            )
            + "\n"
        )
    io.stdout.flush()
    return 0


async def cmd_history(args: argparse.Namespace, io: Io) -> int:
    async with execution(args, io) as (client, subject):
        workflow_id = client.workflow_id(subject)
        history = await client.temporal.get_workflow_handle(workflow_id).fetch_history()
    text = history.to_json()
    if args.output and args.output != "-":
        try:
            await asyncio.to_thread(Path(args.output).write_text, text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"cannot write {args.output}: {error.strerror or error}") from None
        io.progress(f"wrote {len(history.events)} events of {workflow_id} to {args.output}")
    else:
        io.stdout.write(text + "\n")
        io.stdout.flush()
    return 0
