"""Replaying recorded histories: the check that machine and workflow code are still deterministic.

A history records the task queue its workflow ran on, and the workflow finds its orchestrator by
(task queue, source); so the app is registered under the recorded task queue before replaying.
Activities do not run during a replay: their results come from the history.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer, WorkflowReplayResult

from arvo_temporal.temporal._app import ArvoApp, temporarily_registered
from arvo_temporal.temporal._worker import sandbox_runner
from arvo_temporal.temporal._workflow import ArvoMachineWorkflow

__all__ = ["history_task_queue", "load_history", "replay_history"]


def load_history(
    source: str | Path | Mapping[str, Any], *, workflow_id: str = "replay"
) -> WorkflowHistory:
    """A history from a JSON file path, JSON text, or the parsed JSON (``temporal workflow show
    --output json`` and ``WorkflowHistory.to_json()`` both produce it)."""
    if isinstance(source, Path) or (
        isinstance(source, str) and not source.lstrip().startswith("{")
    ):
        source = Path(source).read_text(encoding="utf-8")
    data = json.loads(source) if isinstance(source, str) else dict(source)
    return WorkflowHistory.from_json(workflow_id, data)


def history_task_queue(history: WorkflowHistory) -> str:
    """The task queue the recorded workflow ran on.

    Raises:
        ValueError: the history does not start with a workflow-execution-started event.
    """
    first = history.events[0] if history.events else None
    if first is None or not first.HasField("workflow_execution_started_event_attributes"):
        raise ValueError("the history does not start with WorkflowExecutionStarted")
    return first.workflow_execution_started_event_attributes.task_queue.name


async def replay_history(history: WorkflowHistory, *, app: ArvoApp) -> WorkflowReplayResult:
    """Replay one history against the current code.

    Raises:
        temporalio.workflow.NondeterminismError: the code no longer produces the recorded history.
    """
    recorded = ArvoApp(
        orchestrators=app.orchestrators.values(),
        handlers=app.handlers.values(),
        task_queue=history_task_queue(history),
        handler_timeout=app.handler_timeout,
    )
    with temporarily_registered(recorded):
        replayer = Replayer(
            workflows=[ArvoMachineWorkflow],
            workflow_runner=sandbox_runner(),
            data_converter=pydantic_data_converter,
        )
        return await replayer.replay_workflow(history)
