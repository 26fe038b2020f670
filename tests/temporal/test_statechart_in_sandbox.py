"""The statechart interpreter runs unmodified inside the Temporal workflow sandbox, imported
under the sandbox's restrictions rather than passed through."""

from __future__ import annotations

import uuid

from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from tests.temporal.sandboxed_statechart import SandboxedStatechart


async def test_the_interpreter_runs_inside_the_sandbox(temporal_client, task_queue):
    restrictions = SandboxRestrictions.default
    assert not any(
        module.startswith("arvo_temporal") for module in restrictions.passthrough_modules
    ), "arvo_temporal must not be passed through for this proof"
    async with Worker(
        temporal_client,
        task_queue=task_queue,
        workflows=[SandboxedStatechart],
        workflow_runner=SandboxedWorkflowRunner(restrictions=restrictions),
    ):
        result = await temporal_client.execute_workflow(
            SandboxedStatechart.run,
            ["GO", "GO", "GO", "STOP"],
            id=f"sandboxed-{uuid.uuid4()}",
            task_queue=task_queue,
        )
    assert result == {
        "status": "done",
        "output": {"count": 3},
        "emitted": [{"type": "busy", "n": 1}],
    }
