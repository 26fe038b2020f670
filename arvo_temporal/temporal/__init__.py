"""The Temporal adapter: Arvo machines as workflows, history as memory, workflow id as lock.

This is the only package (with ``arvo_temporal.cli``) that imports ``temporalio``. One plugin
makes a plain client, worker and replayer serve an app::

    client = await Client.connect("localhost:7233", plugins=[ArvoPlugin(app)])
    async with Worker(client, task_queue=app.task_queue):
        await ArvoTemporalClient(client, task_queue=app.task_queue).send(init_event)
"""

from arvo_temporal.orchestration.step import SizeLimits
from arvo_temporal.temporal._activities import ArvoActivities
from arvo_temporal.temporal._app import (
    DEFAULT_TASK_QUEUE,
    ArvoApp,
    HandlerSettings,
    OrchestratorSpec,
    ResumableSpec,
)
from arvo_temporal.temporal._bulk import (
    BulkOperation,
    BulkProgress,
    BulkReport,
    BulkTarget,
    ItemOutcome,
    bulk_apply,
    cancel_operation,
    operator_operation,
    redrive_operation,
)
from arvo_temporal.temporal._client import ArvoTemporalClient
from arvo_temporal.temporal._devserver import DevServer, DevServerError
from arvo_temporal.temporal._event_template import EventTemplate
from arvo_temporal.temporal._ids import workflow_id_for
from arvo_temporal.temporal._models import (
    ExecutionStatusView,
    ExecutionSummary,
    OpenRequest,
    OperatorOutcome,
    PauseInfo,
    RedriveInfo,
    WaitOutcome,
)
from arvo_temporal.temporal._observing import ExecutionListing, HumanTask
from arvo_temporal.temporal._plugin import ArvoPlugin, arvo_data_converter
from arvo_temporal.temporal._redrive import RedriveOutcome
from arvo_temporal.temporal._replay import load_history, replay_history
from arvo_temporal.temporal._replay_gate import ReplayFailure, ReplayGateReport, replay_recent
from arvo_temporal.temporal._scheduled_start import ArvoScheduledStart
from arvo_temporal.temporal._schedules import ArvoSchedules, ScheduleFire, ScheduleView
from arvo_temporal.temporal._search_attributes import register_search_attributes
from arvo_temporal.temporal._suite_driver import TemporalDriver
from arvo_temporal.temporal._worker import create_worker
from arvo_temporal.temporal._workflow import ArvoMachineWorkflow

__all__ = [
    "DEFAULT_TASK_QUEUE",
    "ArvoActivities",
    "ArvoApp",
    "ArvoMachineWorkflow",
    "ArvoPlugin",
    "ArvoScheduledStart",
    "ArvoSchedules",
    "ArvoTemporalClient",
    "BulkOperation",
    "BulkProgress",
    "BulkReport",
    "BulkTarget",
    "DevServer",
    "DevServerError",
    "EventTemplate",
    "ExecutionListing",
    "ExecutionStatusView",
    "ExecutionSummary",
    "HandlerSettings",
    "HumanTask",
    "ItemOutcome",
    "OpenRequest",
    "OperatorOutcome",
    "OrchestratorSpec",
    "PauseInfo",
    "RedriveInfo",
    "RedriveOutcome",
    "ReplayFailure",
    "ReplayGateReport",
    "ResumableSpec",
    "ScheduleFire",
    "ScheduleView",
    "SizeLimits",
    "TemporalDriver",
    "WaitOutcome",
    "arvo_data_converter",
    "bulk_apply",
    "cancel_operation",
    "create_worker",
    "load_history",
    "operator_operation",
    "redrive_operation",
    "register_search_attributes",
    "replay_history",
    "replay_recent",
    "workflow_id_for",
]
