"""A workflow that imports and runs the statechart interpreter *inside* the Temporal sandbox.

The worker in ``test_statechart_in_sandbox.py`` does not pass ``arvo_temporal`` through, so this
module and the interpreter are re-imported under the sandbox's restrictions: any clock, uuid,
random or I/O call in the interpreter would fail the workflow task.
"""

from __future__ import annotations

import json
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    pass

from arvo_temporal.statechart import Machine, Snapshot, assign, emit, send, start

CONFIG: dict[str, Any] = {
    "id": "sandboxed",
    "initial": "idle",
    "context": {"count": 0},
    "states": {
        "idle": {"on": {"GO": {"target": "busy", "actions": "count"}}},
        "busy": {
            "entry": "announce",
            "after": {"1000": "idle"},
            "on": {"STOP": "done", "GO": {"actions": "count"}},
        },
        "done": {"type": "final"},
    },
}


@workflow.defn(name="SandboxedStatechart")
class SandboxedStatechart:
    @workflow.run
    async def run(self, events: list[str]) -> dict[str, Any]:
        machine = Machine(
            CONFIG,
            actions={
                "count": assign(lambda args, params: {"count": args.context["count"] + 1}),
                "announce": emit(lambda args, params: {"type": "busy", "n": args.context["count"]}),
            },
            output=lambda context: {"count": context["count"]},
        )
        snapshot, effects = start(machine, None)
        emitted: list[Any] = list(effects.emitted)
        for event_type in events:
            # The snapshot crosses a JSON round trip between events, as in Arvo.
            restored = Snapshot.from_json(json.loads(json.dumps(snapshot.to_json())))
            snapshot, effects = send(machine, restored, {"type": event_type}, now_ms=1)
            emitted.extend(effects.emitted)
        return {"status": snapshot.status, "output": snapshot.output, "emitted": emitted}
