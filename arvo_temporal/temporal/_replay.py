"""Replaying recorded histories: the check that machine and workflow code are still deterministic.

``ArvoPlugin(app)`` binds the app to each replayed run as it does on a worker, whatever task
queue the history ran on. Activities do not run during a replay: their results come from the
history.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.worker import Replayer, WorkflowReplayResult
from temporalio.workflow import NondeterminismError

from arvo_temporal.temporal._app import ArvoApp
from arvo_temporal.temporal._plugin import ArvoPlugin

__all__ = ["ReplayFailureKind", "classify_replay_failure", "load_history", "replay_history"]

ReplayFailureKind = Literal["nondeterminism", "failure"]

_UNDECODABLE = re.compile(r"validation error for (\w+)")


def classify_replay_failure(error: BaseException) -> tuple[ReplayFailureKind, str]:
    """What a failed replay means, in one line.

    Temporal matches recorded local-activity results to the code's local activities by
    sequence, not by activity type: when a changed machine runs another local activity first
    (a dispatch where a handler was recorded), the recorded result fails to decode instead of
    raising ``NondeterminismError``. That is the same finding, so it is reported as one.
    """
    if isinstance(error, NondeterminismError):
        return "nondeterminism", str(error)
    text = str(error)
    if "Failed decoding arguments" in text:
        expected = _UNDECODABLE.search(text)
        what = f" as {expected.group(1)}" if expected else ""
        return "nondeterminism", (
            f"a recorded local activity result does not decode{what}: this code runs another "
            "activity at that point than the history recorded (the machine or what it emits "
            "changed)"
        )
    return "failure", f"{type(error).__name__}: {text}"


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


async def replay_history(
    history: WorkflowHistory,
    *,
    app: ArvoApp,
    data_converter: DataConverter | None = None,
    sandboxed_machines: bool = True,
) -> WorkflowReplayResult:
    """Replay one history against the current code, through ``ArvoPlugin(app)``.

    Args:
        history: a recorded execution.
        app: the app whose machines the history ran.
        data_converter: the converter (with its codec) the history was written with.
        sandboxed_machines: see ``ArvoPlugin``.

    Raises:
        temporalio.workflow.NondeterminismError: the code no longer produces the recorded history.
    """
    replayer = Replayer(
        workflows=[],
        plugins=[ArvoPlugin(app, sandboxed_machines=sandboxed_machines)],
        data_converter=data_converter or DataConverter.default,
    )
    return await replayer.replay_workflow(history)
