"""``arvo-temporal schedule``: each fire of a Temporal Schedule starts a new execution (its own
subject) from the event template, and it runs to done on the examples' worker."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from temporalio.client import Schedule, ScheduleActionStartWorkflow, ScheduleSpec

from arvo_temporal.temporal import replay_history
from examples.app import build_app
from examples.calculator.starter import adder_init
from tests.temporal.test_cli import cli, examples_worker
from tests.temporal.waiting import eventually


@pytest.fixture
async def worker(temporal_server, temporal_client, task_queue):
    """The examples' app served on this test's task queue (``tests/temporal/test_cli.py``)."""
    async with examples_worker(temporal_server, temporal_client, task_queue) as running:
        yield running


def adder_template(tmp_path, a: float, b: float) -> str:
    """An adder init event without id, subject and time (each fire makes its own)."""
    event = adder_init(a, b).to_json()
    for per_fire in ("id", "subject", "time"):
        del event[per_fire]
    path = tmp_path / "adder-template.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    return str(path)


@contextlib.asynccontextmanager
async def schedule(worker, *argv: str) -> AsyncIterator[tuple[str, dict]]:
    """Create a schedule with a unique name; delete it afterwards, whatever happened."""
    name = f"adder-{uuid.uuid4()}"
    created = await cli("schedule", "create", name, *argv, *worker.opts())
    assert created.code == 0, created.err
    try:
        yield name, created.json()
    finally:
        with contextlib.suppress(Exception):
            await worker.client.temporal.get_schedule_handle(name).delete()


async def fires_started(worker, name: str, count: int) -> list[dict] | None:
    """The schedule's recent fires once ``count`` of them have started their execution."""
    described = await cli("schedule", "describe", name, *worker.opts())
    assert described.code == 0, described.err
    fires = [fire for fire in described.json()["recent_fires"] if fire["workflow_id"]]
    return fires if len(fires) >= count else None


async def a_later_second(fire: dict) -> bool:
    fired = datetime.fromisoformat(fire["scheduled_at"]).replace(microsecond=0)
    return datetime.now(UTC).replace(microsecond=0) > fired


async def test_each_triggered_fire_starts_a_new_execution_even_while_paused(worker, tmp_path):
    template = adder_template(tmp_path, 2, 3)
    argv = ("--every", "1h", "--event-template", template, "--app", "examples.app:app")
    async with schedule(worker, *argv, "--paused") as (name, created):
        assert (created["orchestrator"], created["version"]) == ("arvo.orc.adder", "1.0.0")
        assert created["every_seconds"] == [3600.0] and created["paused"] is True
        assert created["task_queue"] == worker.task_queue and created["next_fires"] == []
        # Paused, it never fires by itself; a trigger fires it all the same.
        triggered = await cli("schedule", "trigger", name, *worker.opts())
        assert triggered.code == 0, triggered.err
        (first,) = await eventually(lambda: fires_started(worker, name, 1), "the first fire")
        # Temporal names a fire's workflow by the second it fired: one fire a second.
        await eventually(lambda: a_later_second(first), "the next second")
        triggered = await cli("schedule", "trigger", name, *worker.opts())
        assert triggered.code == 0, triggered.err
        fires = await eventually(lambda: fires_started(worker, name, 2), "the second fire")
        subjects = {fire["subject"] for fire in fires}
        assert len(subjects) == 2, fires  # a new subject per fire
        for fire in fires:
            assert fire["workflow_id"] == worker.client.workflow_id(fire["subject"])
            assert fire["starter_id"].startswith(f"arvo-schedule/{name}")
            output = await worker.client.result(fire["subject"])
            assert output == {"success": True, "sum": 5.0, "errors": []}
            # The starter minted the subject from workflow randomness: its history replays.
            starter = worker.client.temporal.get_workflow_handle(fire["starter_id"])
            replayed = await replay_history(await starter.fetch_history(), app=build_app())
            assert replayed.replay_failure is None


async def test_an_interval_fires_by_itself_until_paused_and_is_gone_once_deleted(worker, tmp_path):
    template = adder_template(tmp_path, 4, 4)
    async with schedule(worker, "--every", "1s", "--event-template", template) as (name, _):
        fires = await eventually(lambda: fires_started(worker, name, 2), "two timed fires")
        for fire in fires[:2]:
            output = await worker.client.result(fire["subject"])
            assert output["sum"] == 8.0

        paused = await cli("schedule", "pause", name, "--note", "incident 42", *worker.opts())
        assert paused.code == 0 and paused.json() == {"schedule": name, "paused": True}
        described = (await cli("schedule", "describe", name, *worker.opts())).json()
        assert (described["paused"], described["note"]) == (True, "incident 42")

        async def listed_paused() -> dict | None:
            listing = await cli("schedule", "list", *worker.opts())
            rows = [json.loads(line) for line in listing.out.splitlines()]
            return next((row for row in rows if row["schedule"] == name and row["paused"]), None)

        row = await eventually(listed_paused, "the paused schedule in the list")
        assert (row["orchestrator"], row["every_seconds"]) == ("arvo.orc.adder", [1.0])

        unpaused = await cli("schedule", "unpause", name, *worker.opts())
        assert unpaused.code == 0 and unpaused.json()["paused"] is False
        assert (await cli("schedule", "describe", name, *worker.opts())).json()["paused"] is False

        deleted = await cli("schedule", "delete", name, *worker.opts())
        assert deleted.code == 0 and deleted.json() == {"schedule": name, "deleted": True}
        gone = await cli("schedule", "describe", name, *worker.opts())
        assert (
            gone.code == 1 and gone.error_line == f"arvo-temporal: no Arvo schedule named {name!r}"
        )


async def test_unknown_foreign_and_refused_schedules_are_one_line(worker, tmp_path):
    missing = f"missing-{uuid.uuid4()}"
    for action in ("describe", "pause", "unpause", "trigger", "delete"):
        outcome = await cli("schedule", action, missing, *worker.opts())
        assert outcome.code == 1, action
        assert outcome.error_line == f"arvo-temporal: no Arvo schedule named {missing!r}"

    foreign = f"not-arvo-{uuid.uuid4()}"
    await worker.client.temporal.create_schedule(
        foreign,
        Schedule(
            action=ScheduleActionStartWorkflow("SomethingElse", id=foreign, task_queue="elsewhere"),
            spec=ScheduleSpec(cron_expressions=["0 0 1 1 *"]),
        ),
    )
    try:
        refused = await cli("schedule", "delete", foreign, *worker.opts())
        assert refused.code == 1 and "does not start Arvo executions" in refused.error_line
        await worker.client.temporal.get_schedule_handle(foreign).describe()  # still there
    finally:
        await worker.client.temporal.get_schedule_handle(foreign).delete()

    template = adder_template(tmp_path, 1, 1)
    bad_cron = await cli(
        "schedule", "create", f"bad-{uuid.uuid4()}", "--cron", "every hour",
        "--event-template", template, *worker.opts(),
    )  # fmt: skip
    assert bad_cron.code == 2 and "Temporal refused schedule" in bad_cron.error_line

    async with schedule(worker, "--every", "1h", "--event-template", template) as (name, _):
        twice = await cli(
            "schedule", "create", name, "--every", "1h", "--event-template", template,
            *worker.opts(),
        )  # fmt: skip
        assert twice.code == 1
        assert twice.error_line == f"arvo-temporal: a schedule named {name!r} exists already"
