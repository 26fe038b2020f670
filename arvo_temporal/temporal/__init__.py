"""The Temporal adapter: Arvo machines as workflows, history as memory, workflow id as lock.

This is the only package (with ``arvo_temporal.cli``) that imports ``temporalio``::

    client = await ArvoTemporalClient.connect("localhost:7233")
    worker = create_worker(client, app=ArvoApp(orchestrators=[machine], handlers=[handler]))
    async with worker:
        await client.send(init_event)
"""

from arvo_temporal.temporal.activities import ArvoActivities
from arvo_temporal.temporal.app import (
    DEFAULT_TASK_QUEUE,
    ArvoApp,
    OrchestratorSpec,
    register_app,
    unregister_app,
)
from arvo_temporal.temporal.client import ArvoTemporalClient, ExecutionListing
from arvo_temporal.temporal.devserver import DevServer, DevServerError
from arvo_temporal.temporal.ids import workflow_id_for
from arvo_temporal.temporal.models import ExecutionStatusView, ExecutionSummary
from arvo_temporal.temporal.search_attributes import register_search_attributes
from arvo_temporal.temporal.sinks import (
    CompositeSink,
    EventSink,
    HttpSink,
    JsonLinesSink,
    MemorySink,
    SinkDeliveryError,
    SinkRouter,
    StdoutSink,
    sink_from_url,
)
from arvo_temporal.temporal.worker import ArvoWorker, create_worker
from arvo_temporal.temporal.workflow import ArvoMachineWorkflow

__all__ = [
    "DEFAULT_TASK_QUEUE",
    "ArvoActivities",
    "ArvoApp",
    "ArvoMachineWorkflow",
    "ArvoTemporalClient",
    "ArvoWorker",
    "CompositeSink",
    "DevServer",
    "DevServerError",
    "EventSink",
    "ExecutionListing",
    "ExecutionStatusView",
    "ExecutionSummary",
    "HttpSink",
    "JsonLinesSink",
    "MemorySink",
    "OrchestratorSpec",
    "SinkDeliveryError",
    "SinkRouter",
    "StdoutSink",
    "create_worker",
    "register_app",
    "register_search_attributes",
    "sink_from_url",
    "unregister_app",
    "workflow_id_for",
]
