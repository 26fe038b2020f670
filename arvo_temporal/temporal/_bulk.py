"""bulk_apply: one operation over every Arvo execution a visibility query selects.

The loop every bulk verb shares (cancel today; redrive, pause, resume and migrate plug in as
more ``BulkOperation``s): list the executions first, so the total is known and an execution the
operation changes cannot slip into or out of the selection midway; then apply the operation to
each, a few at a time, reporting progress; a failure is recorded with its reason and the loop goes
on. The query is always narrowed to Arvo executions (``arvo_temporal/temporal/_arvo_query.py``).

Operations are idempotent under retry: running the same bulk request twice has one effect, and
the second run counts what the first did as ``unchanged`` (done already), not as a failure.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from arvo_temporal.errors import ArvoError, BulkItemError, InvalidQueryError
from arvo_temporal.temporal._arvo_query import restrict_to_arvo
from arvo_temporal.temporal._client import ArvoTemporalClient

__all__ = [
    "DEFAULT_CONCURRENCY",
    "BulkOperation",
    "BulkProgress",
    "BulkReport",
    "BulkTarget",
    "ItemOutcome",
    "bulk_apply",
    "cancel_operation",
]

DEFAULT_CONCURRENCY = 8
"""Executions acted on at once: enough to hide round trips, few enough not to crowd the
frontend's rate limits shared with the workers."""


class ItemOutcome(enum.Enum):
    """How an operation ended for one execution (a failure raises ``BulkItemError``)."""

    DONE = "done"
    UNCHANGED = "unchanged"
    """The effect was already in place (e.g. cancelled before): done, with nothing to do."""


@dataclass(frozen=True)
class BulkTarget:
    """One selected execution (its latest run is acted on)."""

    workflow_id: str


BulkOperation = Callable[[ArvoTemporalClient, BulkTarget], Awaitable[ItemOutcome]]
"""Acts on one execution; raises ``BulkItemError`` (or any ``ArvoError``) to report a failure."""


@dataclass(frozen=True)
class BulkProgress:
    """Where a bulk run is, after each execution."""

    finished: int
    total: int
    failed: int


@dataclass(frozen=True)
class BulkReport:
    """What a bulk run did: how many it selected and finished, and why each failure failed."""

    operation: str
    total: int
    done: int
    unchanged: int
    failed: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The summary line: ``done`` counts ``unchanged`` too; ``failed`` maps id → reason."""
        return {
            "operation": self.operation,
            "total": self.total,
            "done": self.done,
            "unchanged": self.unchanged,
            "failed": dict(self.failed),
        }


async def bulk_apply(
    client: ArvoTemporalClient,
    query: str,
    operation: BulkOperation,
    *,
    name: str,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_progress: Callable[[BulkProgress], None] | None = None,
) -> BulkReport:
    """Apply ``operation`` to every Arvo execution ``query`` selects.

    Args:
        query: a Temporal visibility query, e.g. ``"ArvoOrchestrator = 'arvo.orc.expense' AND
            ExecutionStatus = 'Running'"``; narrowed to Arvo executions.
        name: the operation's name in the report.
        concurrency: executions acted on at once.
        on_progress: told after each execution.

    Raises:
        InvalidQueryError: the query could escape the narrowing, or Temporal refused it.
        ValueError: ``concurrency`` below 1.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")
    targets = await _select(client, restrict_to_arvo(query))
    total = len(targets)
    pending = iter(targets)
    outcomes: dict[ItemOutcome, int] = dict.fromkeys(ItemOutcome, 0)
    failed: dict[str, str] = {}

    async def work() -> None:
        for target in pending:  # one shared iterator: each target is taken once
            try:
                outcomes[await operation(client, target)] += 1
            except (ArvoError, RPCError) as error:
                failed[target.workflow_id] = _reason(error)
            if on_progress is not None:
                finished = sum(outcomes.values()) + len(failed)
                on_progress(BulkProgress(finished=finished, total=total, failed=len(failed)))

    async with asyncio.TaskGroup() as group:
        for _ in range(min(concurrency, total)):
            group.create_task(work())
    return BulkReport(
        operation=name,
        total=total,
        done=outcomes[ItemOutcome.DONE] + outcomes[ItemOutcome.UNCHANGED],
        unchanged=outcomes[ItemOutcome.UNCHANGED],
        failed=failed,
    )


async def _select(client: ArvoTemporalClient, query: str) -> list[BulkTarget]:
    """The selected executions, each once (a query may match several runs of one)."""
    seen: dict[str, BulkTarget] = {}
    try:
        async for execution in client.temporal.list_workflows(query):
            seen.setdefault(execution.id, BulkTarget(workflow_id=execution.id))
    except RPCError as error:
        if error.status == RPCStatusCode.INVALID_ARGUMENT:
            raise InvalidQueryError(f"Temporal refused the query: {error.message}") from None
        raise
    return list(seen.values())


def _reason(error: ArvoError | RPCError) -> str:
    if isinstance(error, RPCError):
        return f"Temporal refused the request ({error.status.name}): {error.message}"
    return str(error)


def cancel_operation(reason: str) -> BulkOperation:
    """Cancel one execution as ``ArvoTemporalClient.cancel`` does (its initiator is told why).

    ``DONE`` means the cancel request was accepted (the execution ends as cancelled when its
    worker applies it); an execution already cancelled is ``UNCHANGED``; one that already ended
    otherwise (done, failed, terminated) is a failure naming how it ended: it was not cancelled,
    and the summary says so rather than count it as done. (Temporal itself accepts a cancel
    request for a closed run without complaint, so the state is read first.)
    """

    async def cancel(client: ArvoTemporalClient, target: BulkTarget) -> ItemOutcome:
        handle = client.temporal.get_workflow_handle(target.workflow_id)
        try:
            description = await handle.describe()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                raise BulkItemError("no such execution any more (deleted)") from None
            raise
        if description.close_time is None:
            await handle.cancel(reason=reason)
            return ItemOutcome.DONE
        if description.status == WorkflowExecutionStatus.CANCELED:
            return ItemOutcome.UNCHANGED
        ended = description.status.name.lower() if description.status else "closed"
        raise BulkItemError(f"already finished ({ended}); not cancelled")

    return cancel
