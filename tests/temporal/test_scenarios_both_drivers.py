"""Every orchestration scenario on both drivers: in process and on Temporal, same events out.

Each scenario runs on both drivers inside one test and compares them there, so the comparison
never depends on which tests ran or in what order.

Event ids, times and generated subjects differ between runs, so events are compared by what they
say: type, source, to, domain, data (stacks dropped), routing fields, the decoded shape of their
subject (execution ids dropped) and whether they name a parent.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from arvo_temporal import (
    ArvoEvent,
    ArvoOrchestrationSubject,
    ArvoOrchestratorEventFactory,
    ContractViolation,
    ExecutionViolation,
)
from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoTemporalClient, create_worker
from tests.fixtures import anchors
from tests.temporal.drivers import InProcessDriver, TemporalDriver, fixture_app


@pytest_asyncio.fixture(loop_scope="session")
async def temporal_driver(task_queue, temporal_client) -> AsyncIterator[TemporalDriver]:
    client = ArvoTemporalClient(temporal_client, task_queue=task_queue)
    sink = MemorySink()
    async with create_worker(client, app=fixture_app(task_queue, sink)):
        yield TemporalDriver(client, sink)


@pytest.fixture(params=["memory", "temporal"])
def driver(request) -> Any:
    """One driver per test, for behaviour each driver must show on its own."""
    if request.param == "memory":
        return InProcessDriver()
    return request.getfixturevalue("temporal_driver")


def _shape(subject: str) -> Any:
    try:
        content = ArvoOrchestrationSubject.parse(subject).model_dump(mode="json")
    except ValueError:
        return subject
    content["execution"].pop("id")
    return content


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != "errorStack"}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def summary(events: list[ArvoEvent]) -> list[str]:
    """An order-independent, id-independent description of events."""
    return sorted(
        json.dumps(
            {
                "type": e.type,
                "source": e.source,
                "to": e.to,
                "domain": e.domain,
                "data": _strip(e.data),
                "redirectto": e.redirectto,
                "accesscontrol": e.accesscontrol,
                "executionunits": e.executionunits,
                "dataschema": e.dataschema,
                "subject": _shape(e.subject),
                "has_parent": e.parentid is not None,
            },
            sort_keys=True,
        )
        for e in events
    )


def init(contract, data, **fields) -> ArvoEvent:
    return ArvoOrchestratorEventFactory(contract.version("1.0.0")).init(
        source=anchors.CLIENT, data={"parentSubject$$": None, **data}, **fields
    )


EXPECTED = {
    "adder_happy_path": [("arvo.orc.adder.done", {"success": True, "sum": 5, "errors": []})],
    "adder_service_error": [("arvo.orc.adder.done", None)],
    "parent_child_chain": [("arvo.orc.parent.done", {"success": True, "total": 13, "errors": []})],
    "machine_error": [("sys.arvo.orc.faulty.error", None)],
    "enqueue_and_emit": [("notif.anchor.audit", None), ("arvo.orc.faulty.done", {"ok": True})],
    "domains": [
        ("arvo.orc.domained.done", {"sum": 4}),
        ("com.approval.request", None),
        ("com.approval.request", None),
        ("com.calculator.add", None),
    ],
}


def make_init(name: str) -> ArvoEvent:
    if name == "adder_happy_path":
        return init(anchors.adder, {"a": 2, "b": 3}, accesscontrol="tenant:acme")
    if name == "adder_service_error":
        # redirectto on the event only (the factory would also put it in the subject's meta,
        # which does redirect completion): the completion must still go to the initiator.
        return init(anchors.adder, {"a": -1, "b": 3}).model_copy(
            update={"redirectto": "com.anchor.sink"}
        )
    if name == "parent_child_chain":
        return init(anchors.parent, {"a": 1, "b": 2, "c": 10})
    if name == "machine_error":
        return init(anchors.faulty, {"mode": "error"})
    if name == "enqueue_and_emit":
        return init(anchors.faulty, {"mode": "ok"})
    if name == "domains":
        return init(anchors.domained, {"a": 2, "b": 2})
    raise AssertionError(name)


def check_expected(scenario: str, events: list[ArvoEvent]) -> None:
    """What the scenario must produce on any driver."""
    expected = EXPECTED[scenario]
    assert sorted(e.type for e in events) == sorted(t for t, _ in expected), [
        e.type for e in events
    ]
    for event_type, data in expected:
        if data is not None:
            (event,) = [e for e in events if e.type == event_type]
            assert event.data == data
            assert event.to == anchors.CLIENT
    if scenario == "adder_service_error":
        (done,) = events
        assert done.data["success"] is False
        assert done.data["errors"][0]["errorMessage"] == "Negative numbers are not supported"
        assert done.to == anchors.CLIENT, (
            "completion goes to the initiator, not the init's redirectto"
        )
    if scenario == "machine_error":
        (error,) = events
        assert error.to == anchors.CLIENT
        assert error.data["errorMessage"] == "Deliberate failure inside a machine action"


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
async def test_scenario_gives_the_same_events_on_both_drivers(temporal_driver, scenario):
    runs: dict[str, list[str]] = {}
    for driver in (InProcessDriver(), temporal_driver):
        events = await driver.run(make_init(scenario))
        check_expected(scenario, events)
        runs[driver.name] = summary(events)
    assert runs["memory"] == runs["temporal"]


async def test_violations_are_raised_by_both(driver):
    bad_data = init(anchors.adder, {"a": 1, "b": 3}).model_copy(
        update={"data": {"parentSubject$$": None, "a": "two", "b": 3}}
    )
    with pytest.raises(ContractViolation, match="Input validation failed"):
        await driver.execute(bad_data)
    wrong_version = init(anchors.adder, {"a": 1, "b": 3}).model_copy(
        update={"dataschema": "#/anchors/orchestrator/adder/2.0.0"}
    )
    with pytest.raises(ContractViolation, match="version mismatch"):
        await driver.execute(wrong_version)
    not_a_subject = init(anchors.adder, {"a": 1, "b": 3}).model_copy(
        update={"subject": "not-an-arvo-subject"}
    )
    with pytest.raises(ExecutionViolation):
        await driver.execute(not_a_subject)
    # A valid event afterwards is processed normally: nothing was wedged.
    result = await driver.execute(init(anchors.adder, {"a": 1, "b": 3}))
    assert [e.type for e in result.events] == ["com.calculator.add"]
