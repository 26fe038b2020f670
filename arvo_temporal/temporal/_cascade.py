"""Cascade: cancelling a parent execution cancels the executions it started, all the way down.

A child is started by its parent's dispatch activity, not as a Temporal child workflow (Arvo's
subjects, not Temporal, say who answers whom), so Temporal's parent-close policy does not apply
and the tree is found where it is recorded: ``ArvoParent`` (the parent's workflow id), a search
attribute set in the child's *start request* (never upserted later), so a child is findable as
soon as visibility has indexed its start. The alternative, the parent tracking the children it
started in its own state, was set aside: it would grow every parent's carried state, miss
children started by an older build or by a client on the parent's behalf, and a parent's record
of its children is no fresher than the children's own start.

Each child is cancelled with a Temporal cancel request like ``ArvoTemporalClient.cancel``'s, so
it ends as ``cancelled`` and tells its initiator (the parent) with ``sys.<source>.error``, as
Arvo does. The walk goes breadth first from the parent and visits each execution once.
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from arvo_temporal.temporal._observing import visibility_query

__all__ = ["MAX_CASCADE", "cancel_descendants"]

MAX_CASCADE = 10_000
"""Executions one cascade cancels at most: a bound on a runaway tree, far above real ones."""


async def cancel_descendants(temporal: Client, workflow_id: str, reason: str) -> list[str]:
    """Cancel every running execution under ``workflow_id``; returns their workflow ids, in the
    order cancelled (children before grandchildren). A child that closed meanwhile is skipped.
    """
    cancelled: list[str] = []
    visited = {workflow_id}
    frontier = [workflow_id]
    while frontier and len(cancelled) < MAX_CASCADE:
        parent = frontier.pop(0)
        query = visibility_query(parent=parent, running=True)
        async for execution in temporal.list_workflows(query):
            if execution.id in visited:
                continue
            visited.add(execution.id)
            handle = temporal.get_workflow_handle(execution.id)
            try:
                await handle.cancel(reason=f"{reason} (cascaded from {parent})")
            except RPCError as error:
                if error.status == RPCStatusCode.NOT_FOUND:
                    continue  # it ended meanwhile
                raise
            cancelled.append(execution.id)
            frontier.append(execution.id)
    return cancelled
