"""Delayed transitions stored out of due order, on the Temporal driver.

The workflow sleeps until the first pending timer (``pending_timers`` sorts them) and delivers
that one, so the order matters there: unsorted, a quick timer stored after a slow one would fire
late, after the slow one had already ended the race. The in-process driver's counterpart is in
tests/orchestration/test_step.py.
"""

from __future__ import annotations

from arvo_temporal import ArvoOrchestratorEventFactory, StatechartExecutionEngine
from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoApp, ArvoTemporalClient, create_worker
from tests.fixtures.timing import build_timer_race

SLOW_MS = 20_000
QUICK_MS = 500


async def test_the_earliest_timer_fires_first_though_stored_second(temporal_client, task_queue):
    contract, machine = build_timer_race(slow_ms=SLOW_MS, quick_ms=QUICK_MS)
    client = ArvoTemporalClient(temporal_client, task_queue=task_queue)
    app = ArvoApp(orchestrators=[machine], default_sink=MemorySink(), task_queue=task_queue)
    init = ArvoOrchestratorEventFactory(contract.version("1.0.0")).init(
        source="com.test.client", data={"parentSubject$$": None}
    )
    # Read from the pure engine, not the workflow: by the time a query ran, the quick timer
    # might have fired already.
    started = StatechartExecutionEngine().execute(machine=machine, state=None, event=init)
    assert [timer["delay_ms"] for timer in started.state["timers"]] == [SLOW_MS, QUICK_MS], (
        "the machine must store its timers out of due order for this test to mean anything"
    )
    async with create_worker(client, app=app):
        assert (await client.execute(init)).all_events == []
        # The quick timer is due long before the slow one, and were both due at once, the
        # earlier deadline must still be delivered first: the outcome does not depend on load.
        assert await client.result(init.subject) == {"fired": "quick"}
        assert (await client.status(init.subject)).timers == []
