"""Memory protocol 3.0.28 through the in-process orchestrator: write metadata, cleanup at the end
(once), stores written for the older protocol, execution units in the record and ``status``, and
Arvo's lock-denied violation."""

from __future__ import annotations

from typing import Any

import pytest

from arvo_temporal import (
    ArvoOrchestratorEventFactory,
    SimpleEventBroker,
    SimpleMachineMemory,
    TransactionCause,
    TransactionViolation,
    create_arvo_orchestrator,
)
from arvo_temporal.memory import MachineMemoryMetadata, Materialized
from arvo_temporal.orchestration.record import MachineMemoryRecord
from tests.fixtures import anchors
from tests.fixtures.machines import build_adder, build_faulty, build_parent
from tests.fixtures.services import EXECUTION_UNITS, make_calculator_handler
from tests.fixtures.timing import build_counter, counter

ORCHESTRATOR_UNITS = 0.5


class RecordingMemory(SimpleMachineMemory[MachineMemoryRecord]):
    """The 3.0.28 protocol: keeps every write's metadata and every cleanup call."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.metadata: list[MachineMemoryMetadata | None] = []
        self.cleaned: list[str] = []

    async def write(self, id, data, prev_data, metadata=None):
        self.metadata.append(metadata)
        await super().write(id, data, prev_data, metadata)

    async def cleanup(self, id: str) -> None:
        self.cleaned.append(id)
        await super().cleanup(id)


class LegacyMemory:
    """A store written before 3.0.28: three-argument write, no cleanup."""

    def __init__(self) -> None:
        self.records: dict[str, Any] = {}
        self.writes = 0

    async def read(self, id: str) -> Any:
        return self.records.get(id)

    async def write(self, id: str, data: Any, prev_data: Any) -> None:
        self.writes += 1
        self.records[id] = data

    async def lock(self, id: str) -> bool:
        return True

    async def unlock(self, id: str) -> bool:
        return True


def adder_init(a: float = 2, b: float = 3, parent: str | None = None):
    return ArvoOrchestratorEventFactory(anchors.adder.version("1.0.0")).init(
        source="com.test.client", data={"parentSubject$$": parent, "a": a, "b": b}
    )


async def run_adder(memory: Any, *, a: float = 2) -> tuple[Any, Any, Any]:
    orchestrator = create_arvo_orchestrator(
        memory=memory, machines=[build_adder()], execution_units=ORCHESTRATOR_UNITS
    )
    broker = SimpleEventBroker([orchestrator, make_calculator_handler()])
    init = adder_init(a=a)
    (done,) = await broker.send(init)
    return orchestrator, init, done


async def test_writes_carry_arvo_metadata_and_cleanup_runs_once_at_the_end():
    memory = RecordingMemory()
    orchestrator, init, done = await run_adder(memory)
    assert done.type == "arvo.orc.adder.done"
    assert len(memory.metadata) == 2  # the init, then the calculator's answer
    for metadata in memory.metadata:
        assert metadata == MachineMemoryMetadata(
            subject=init.subject,
            parent_subject=Materialized.resolved(None),
            initiator=Materialized.resolved("com.test.client"),
            source="arvo.orc.adder",
        )
    assert memory.metadata[0].to_json() == {
        "subject": init.subject,
        "parentSubject": {"state": "resolved", "value": None},
        "initiator": {"state": "resolved", "value": "com.test.client"},
        "source": "arvo.orc.adder",
    }
    assert memory.cleaned == [init.subject]
    # A late duplicate answer is written again (as Arvo does) but does not clean up twice.
    await orchestrator.execute(init)
    assert memory.cleaned == [init.subject]


async def test_a_child_execution_reports_its_parent_subject():
    memory = RecordingMemory()
    parent = create_arvo_orchestrator(memory=memory, machines=[build_parent()])
    adder = create_arvo_orchestrator(memory=memory, machines=[build_adder()])
    broker = SimpleEventBroker([parent, adder, make_calculator_handler()])
    init = ArvoOrchestratorEventFactory(anchors.parent.version("1.0.0")).init(
        source="com.test.client", data={"parentSubject$$": None, "a": 1, "b": 2, "c": 3}
    )
    await broker.send(init)
    children = [m for m in memory.metadata if m is not None and m.source == "arvo.orc.adder"]
    assert children and all(
        m.parent_subject == Materialized.resolved(init.subject)
        and m.initiator == Materialized.resolved("arvo.orc.parent")
        for m in children
    )
    assert init.subject in memory.cleaned and children[0].subject in memory.cleaned


async def test_a_failure_record_is_terminal_and_its_parent_is_pending():
    memory = RecordingMemory()
    orchestrator = create_arvo_orchestrator(memory=memory, machines=[build_faulty()])
    init = ArvoOrchestratorEventFactory(anchors.faulty.version("1.0.0")).init(
        source="com.test.client", data={"parentSubject$$": None, "mode": "error"}
    )
    (error,) = (await orchestrator.execute(init)).events
    assert error.type == "sys.arvo.orc.faulty.error"
    (metadata,) = memory.metadata
    assert metadata is not None and metadata.parent_subject == Materialized.pending()
    assert metadata.parent_subject.to_json() == {"state": "pending"}
    assert memory.cleaned == [init.subject]
    assert (await orchestrator.status(init.subject)).status == "failed"


async def test_older_memories_without_metadata_or_cleanup_keep_working():
    memory = LegacyMemory()
    orchestrator, init, done = await run_adder(memory)
    assert done.data["sum"] == 5
    assert memory.writes == 2
    assert memory.records[init.subject].status == "done"
    assert not orchestrator.access.supports_cleanup


async def test_retention_keeps_recent_finished_records_and_deletes_older_ones():
    memory = SimpleMachineMemory[MachineMemoryRecord](finished_retention=2)
    orchestrator = create_arvo_orchestrator(memory=memory, machines=[build_adder()])
    broker = SimpleEventBroker([orchestrator, make_calculator_handler()])
    inits = [adder_init(a=n) for n in range(5)]
    for init in inits:
        await broker.send(init)
    assert len(memory) == 2
    assert [await memory.read(init.subject) is not None for init in inits] == [
        False,
        False,
        False,
        True,
        True,
    ]


async def test_execution_units_sum_consumed_and_emitted_events_and_show_in_status():
    memory = SimpleMachineMemory[MachineMemoryRecord]()
    orchestrator, init, _ = await run_adder(memory)
    status = await orchestrator.status(init.subject)
    # init (none) + service call (0.5) | answer (0.01) + completion (0.5)
    expected = ORCHESTRATOR_UNITS + EXECUTION_UNITS + ORCHESTRATOR_UNITS
    assert status.execution_units == pytest.approx(expected)
    assert (status.status, status.value, status.orchestrator) == ("done", "done", "arvo.orc.adder")
    record = await memory.read(init.subject)
    assert record is not None and record.to_json()["executionUnits"] == pytest.approx(expected)


async def test_status_of_an_unknown_execution_is_pending():
    orchestrator = create_arvo_orchestrator(memory=SimpleMachineMemory(), machines=[build_adder()])
    status = await orchestrator.status(adder_init().subject)
    assert (status.status, status.execution_units, status.value) == ("pending", 0.0, None)


async def test_lock_denied_has_arvos_message_and_the_initiating_event():
    memory = SimpleMachineMemory[MachineMemoryRecord]()
    orchestrator = create_arvo_orchestrator(memory=memory, machines=[build_counter()])
    init = ArvoOrchestratorEventFactory(counter.version("1.0.0")).init(
        source="com.test.client", data={"parentSubject$$": None}
    )
    await memory.lock(init.subject)
    with pytest.raises(TransactionViolation) as raised:
        await orchestrator.execute(init)
    violation = raised.value
    assert violation.cause is TransactionCause.LOCK_UNACQUIRED
    assert str(violation) == (
        "ViolationError<OrchestratorTransaction> [LOCK_UNACQUIRED] Lock acquisition denied - "
        "Unable to obtain exclusive access to event processing"
    )
    assert violation.metadata == {"initiatingEvent": init.to_json()}
