"""Every run of one execution: an execution continues as new many times, and what happened to
it (events applied, tasks failed, pauses between runs) is spread over the histories of all its
runs. Followed from the first run through each ``ContinuedAsNew`` event, not through
visibility, which lags behind."""

from __future__ import annotations

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory

__all__ = ["fetch_chain"]


async def fetch_chain(client: Client, workflow_id: str) -> list[WorkflowHistory]:
    """The histories of every run of ``workflow_id``, first run first."""
    latest = await client.get_workflow_handle(workflow_id).fetch_history()
    started = latest.events[0].workflow_execution_started_event_attributes
    run_id = started.first_execution_run_id or latest.run_id
    chain: list[WorkflowHistory] = []
    while True:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        chain.append(history)
        last = history.events[-1]
        if last.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            return chain
        run_id = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
