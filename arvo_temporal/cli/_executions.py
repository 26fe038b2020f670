"""Naming an execution on the command line, and reading it back from Temporal without a worker.

People copy what they see: the base64 subject from an event, or the workflow id the Temporal UI
shows (``arvo.orc.adder/<execution id>/<hash>``, arvo_temporal/temporal/_ids.py). Both name one
execution: a subject gives its workflow id without a lookup, a workflow id gives its subject
through the memo the client writes at start. A closed execution's history (every run, when it
continued as new) is all ``inspect``, ``export``, ``graph`` and the closed forms of ``status``
and ``snapshot`` need.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionDescription, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from arvo_temporal.cli._errors import EXIT_USAGE, CommandError, one_line
from arvo_temporal.errors import InvalidSubjectError
from arvo_temporal.temporal._ids import workflow_id_for

__all__ = [
    "MAX_RUNS",
    "ExecutionRef",
    "describe_execution",
    "fetch_runs",
    "parse_execution_ref",
    "resolve_subject",
]

MAX_RUNS = 1000
"""Runs of one execution read back through continue-as-new before giving up (a guard, not a
limit anyone should meet: a run continues as new after thousands of events)."""

_WORKFLOW_ID = re.compile(r"[A-Za-z0-9_.:@+=-]+/[A-Za-z0-9_.:@+=-]+/[0-9a-f]{16}")
_WHAT_ID_IS = (
    "the execution's subject (the base64 'subject' of its events) or its workflow id "
    "(arvo.orc.<name>/<execution id>/<hash>, as the Temporal UI shows it)"
)


@dataclass(frozen=True)
class ExecutionRef:
    """An execution as the user named it: the workflow id, and the subject when it was given."""

    workflow_id: str
    subject: str | None = None


def parse_execution_ref(text: str) -> ExecutionRef:
    """Read an ``ID`` argument without connecting.

    Raises:
        CommandError (exit 2): neither a subject nor a workflow id.
    """
    value = text.strip()
    if _WORKFLOW_ID.fullmatch(value):
        return ExecutionRef(workflow_id=value)
    try:
        return ExecutionRef(workflow_id=workflow_id_for(value), subject=value)
    except InvalidSubjectError:
        raise CommandError(
            f"ID must be {_WHAT_ID_IS}; got {value[:60]!r}", code=EXIT_USAGE
        ) from None


async def describe_execution(client: Client, ref: ExecutionRef) -> WorkflowExecutionDescription:
    """Temporal's description of the execution's latest run.

    Raises:
        CommandError: no such workflow (named), or another refusal of Temporal.
    """
    try:
        return await client.get_workflow_handle(ref.workflow_id).describe()
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        if "namespace" in error.message.lower():
            raise CommandError(f"Temporal: {one_line(error.message)}") from None
        what = "subject" if ref.subject else "workflow id"
        raise CommandError(
            f"no execution exists for this {what} (workflow id {ref.workflow_id})"
        ) from None


async def resolve_subject(client: Client, ref: ExecutionRef) -> str:
    """The execution's subject: as given, or from the memo of the workflow named by its id.

    Raises:
        CommandError: no such workflow, or a workflow that is not an Arvo execution.
    """
    if ref.subject is not None:
        return ref.subject
    description = await describe_execution(client, ref)
    memo: Mapping[str, Any] = await description.memo()
    subject = memo.get("subject")
    if not isinstance(subject, str) or not subject:
        kind = description.workflow_type or "unknown"
        raise CommandError(
            f"{ref.workflow_id} is not an Arvo execution (workflow type {kind}, no subject in "
            "its memo)"
        )
    return subject


def _previous_run(history: WorkflowHistory) -> str | None:
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            attributes = event.workflow_execution_started_event_attributes
            return attributes.continued_execution_run_id or None
    return None


async def fetch_runs(client: Client, ref: ExecutionRef) -> list[WorkflowHistory]:
    """The history of every run of the execution, oldest first (following continue-as-new
    back from the latest run).

    Raises:
        CommandError: no such workflow, or more than ``MAX_RUNS`` runs.
    """
    await describe_execution(client, ref)  # a clear error for an unknown id
    histories: list[WorkflowHistory] = []
    run_id: str | None = None
    while True:
        handle = client.get_workflow_handle(ref.workflow_id, run_id=run_id)
        history = await handle.fetch_history()
        histories.append(history)
        run_id = _previous_run(history)
        if run_id is None:
            break
        if len(histories) >= MAX_RUNS:
            raise CommandError(f"{ref.workflow_id} has more than {MAX_RUNS} runs; not read")
    histories.reverse()
    return histories
