"""The declarative suites on Temporal: the adder suite's cases, written for the in-process
driver, pass unchanged against the machine and the resumable on a worker (TemporalDriver)."""

from __future__ import annotations

from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoApp, ArvoTemporalClient, TemporalDriver, create_worker
from arvo_temporal.testing import ArvoTestConfig, ArvoTestSuite, suite_runs
from tests.fixtures.machines import build_adder
from tests.resumable.fixtures import build_adder_resumable_on_temporal
from tests.suites.test_suites import ADDER_SUITE


async def test_the_adder_suite_passes_on_temporal_for_the_machine_and_the_resumable(
    temporal_client, task_queue
):
    ran: list[str] = []
    for name, orchestrator in (
        ("machine", build_adder()),
        ("resumable", build_adder_resumable_on_temporal()),
    ):
        queue = f"{task_queue}-{name}"
        client = ArvoTemporalClient(temporal_client, task_queue=queue)
        # No calculator handler: the suite answers for the calculator, as in process.
        app = ArvoApp(orchestrators=[orchestrator], default_sink=MemorySink(), task_queue=queue)
        suite = ArvoTestSuite(
            config=ArvoTestConfig(
                name=f"adder {name} on Temporal", driver=lambda c=client: TemporalDriver(c)
            ),
            cases=ADDER_SUITE.cases,
        )
        async with create_worker(client, app=app):
            for run in suite_runs([suite]):
                await run.run()  # raises AssertionError naming the failed step
                ran.append(run.id)
    assert len(ran) == 2 * len(ADDER_SUITE.cases), ran
