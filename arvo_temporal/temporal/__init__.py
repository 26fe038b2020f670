"""The Temporal adapter: Arvo machines as workflows, history as memory, workflow id as lock.

This is the only package (with ``arvo_temporal.cli``) that imports ``temporalio``::

    client = await ArvoTemporalClient.connect("localhost:7233")
    worker = create_worker(client, app=ArvoApp(orchestrators=[machine], handlers=[handler]))
    async with worker:
        await client.send(init_event)
"""

from arvo_temporal.temporal._activities import ArvoActivities
from arvo_temporal.temporal._app import (
    DEFAULT_TASK_QUEUE,
    ArvoApp,
    OrchestratorSpec,
    register_app,
    unregister_app,
)
from arvo_temporal.temporal._client import ArvoTemporalClient, ExecutionListing
from arvo_temporal.temporal._devserver import DevServer, DevServerError
from arvo_temporal.temporal._ids import workflow_id_for
from arvo_temporal.temporal._models import ExecutionStatusView, ExecutionSummary
from arvo_temporal.temporal._search_attributes import register_search_attributes
from arvo_temporal.temporal._worker import ArvoWorker, create_worker
from arvo_temporal.temporal._workflow import ArvoMachineWorkflow

__all__ = [
    "DEFAULT_TASK_QUEUE",
    "ArvoActivities",
    "ArvoApp",
    "ArvoMachineWorkflow",
    "ArvoTemporalClient",
    "ArvoWorker",
    "DevServer",
    "DevServerError",
    "ExecutionListing",
    "ExecutionStatusView",
    "ExecutionSummary",
    "OrchestratorSpec",
    "create_worker",
    "register_app",
    "register_search_attributes",
    "unregister_app",
    "workflow_id_for",
]
