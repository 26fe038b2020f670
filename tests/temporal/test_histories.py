"""Replaying recorded workflow histories: the machine and workflow code stay deterministic.

``test_committed_histories_replay`` replays every history committed under ``tests/histories/``
(recorded by earlier versions of the code) against the current code, so a change that would
break running executions fails CI. ``test_fresh_histories_replay`` records new histories of
the scenarios on the real server and replays them at once; run it with
``ARVO_RECORD_HISTORIES=1`` to refresh the committed files.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from arvo_temporal import ArvoEventFactory, ArvoOrchestratorEventFactory
from arvo_temporal.errors import ExecutionCancelledError, ExecutionFailedError
from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoApp, ArvoTemporalClient, OrchestratorSpec, create_worker
from arvo_temporal.temporal._replay import load_history, replay_history
from tests.fixtures import anchors
from tests.fixtures.machines import BUILDERS, EXECUTION_UNITS
from tests.fixtures.services import make_calculator_handler
from tests.fixtures.timing import build_counter, build_waiter, counter, ticker
from tests.temporal.drivers import HISTORY_TASK_QUEUE

HISTORIES = Path(__file__).resolve().parent.parent / "histories"
MINIMUM_COMMITTED = 8


def history_app(task_queue: str = HISTORY_TASK_QUEUE, sink: MemorySink | None = None) -> ArvoApp:
    """The app the committed histories were recorded with (conformance machines, counter, waiter)."""
    _waiter_contract, waiter = build_waiter(delay_ms=300)
    return ArvoApp(
        orchestrators=[
            *(
                OrchestratorSpec(machines=(build(),), execution_units=EXECUTION_UNITS[name])
                for name, build in BUILDERS.items()
            ),
            build_counter(),
            waiter,
        ],
        handlers=[make_calculator_handler()],
        default_sink=sink or MemorySink(),
        task_queue=task_queue,
    )


def _init(contract, data, source=anchors.CLIENT):
    return ArvoOrchestratorEventFactory(contract.version("1.0.0")).init(
        source=source, data={"parentSubject$$": None, **data}
    )


async def test_committed_histories_replay():
    files = sorted(HISTORIES.glob("*.json"))
    assert len(files) >= MINIMUM_COMMITTED, (
        f"expected at least {MINIMUM_COMMITTED} committed histories in {HISTORIES}; record them "
        "with ARVO_RECORD_HISTORIES=1 pytest tests/temporal/test_histories.py"
    )
    app = history_app()
    for path in files:
        result = await replay_history(load_history(path, workflow_id=path.stem), app=app)
        assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"


async def test_fresh_histories_replay(temporal_client):
    client = ArvoTemporalClient(temporal_client, task_queue=HISTORY_TASK_QUEUE)
    app = history_app()
    waiter_contract = next(
        spec.machines[0].self_contract
        for spec in app.orchestrators.values()
        if spec.source == "arvo.orc.waiter"
    )
    recorded: dict[str, str] = {}
    async with create_worker(client, app=app):
        adder = _init(anchors.adder, {"a": 2, "b": 3})
        await client.send(adder)
        await client.result(adder.subject)
        recorded["adder_happy_path"] = adder.subject

        parent = _init(anchors.parent, {"a": 1, "b": 2, "c": 10})
        await client.send(parent)
        await client.result(parent.subject)
        recorded["parent_child_chain_parent"] = parent.subject
        # The child adder ran on this test's task queue (other tests' adders may be encrypted).
        query = (
            f"WorkflowType = 'ArvoExecution' AND TaskQueue = '{HISTORY_TASK_QUEUE}' "
            "AND ArvoOrchestrator = 'arvo.orc.adder'"
        )
        children = [
            (await execution.memo()).get("subject")
            async for execution in temporal_client.list_workflows(query)
        ]
        child = next((subject for subject in children if subject != adder.subject), None)
        assert child is not None, "the parent's child execution ran on this task queue"
        recorded["parent_child_chain_child"] = child

        faulty = _init(anchors.faulty, {"mode": "error"})
        await client.send(faulty)
        with contextlib.suppress(ExecutionFailedError):
            await client.result(faulty.subject)
        recorded["machine_error_to_sys_event"] = faulty.subject

        domained = _init(anchors.domained, {"a": 2, "b": 2})
        await client.send(domained)
        await client.result(domained.subject)
        recorded["domains"] = domained.subject

        enqueue = _init(anchors.faulty, {"mode": "ok"})
        await client.send(enqueue)
        await client.result(enqueue.subject)
        recorded["enqueue_and_emit"] = enqueue.subject

        waiting = ArvoOrchestratorEventFactory(waiter_contract).init(
            source="com.test.client", data={"parentSubject$$": None}
        )
        await client.send(waiting)
        await client.result(waiting.subject)
        recorded["after_timer"] = waiting.subject

        counting = ArvoOrchestratorEventFactory(counter.version("1.0.0")).init(
            source="com.test.client", data={"parentSubject$$": None}
        )
        await client.execute(counting)
        ticks = ArvoEventFactory(ticker.version("1.0.0"))
        for n in range(5):
            await client.execute(
                ticks.emits(
                    type="evt.ticker.tick.success",
                    source="com.ticker.tick",
                    subject=counting.subject,
                    to="arvo.orc.counter",
                    data={"n": n},
                )
            )
        await client.cancel(counting.subject, reason="recorded cancel")
        with contextlib.suppress(ExecutionCancelledError):
            await client.result(counting.subject)
        recorded["counter_updates_and_cancel"] = counting.subject

    assert len(recorded) >= MINIMUM_COMMITTED - 1
    write = os.environ.get("ARVO_RECORD_HISTORIES") == "1"
    for name, subject in recorded.items():
        handle = client.temporal.get_workflow_handle(client.workflow_id(subject))
        history = await handle.fetch_history()
        result = await replay_history(history, app=history_app())
        assert result.replay_failure is None, f"{name}: {result.replay_failure}"
        if write:
            HISTORIES.mkdir(exist_ok=True)
            (HISTORIES / f"{name}.json").write_text(history.to_json(), encoding="utf-8")
