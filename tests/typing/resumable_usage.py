"""Public usages of resumables, memory protocol 3.0.28, violations as data and test suites
that must type-check under mypy --strict (not run as a test)."""

from __future__ import annotations

from pydantic import BaseModel

from arvo_temporal import (
    ArvoEvent,
    ArvoResumable,
    InProcessStatus,
    MachineMemoryMetadata,
    MachineMemoryRecord,
    ResumableInput,
    ResumableOutput,
    SimpleEventBroker,
    SimpleMachineMemory,
    ViolationError,
    create_arvo_orchestrator_contract,
    create_arvo_resumable,
    violation_from_payload,
    violation_to_payload,
)
from arvo_temporal.testing import (
    ArvoTestCase,
    ArvoTestConfig,
    ArvoTestStep,
    ArvoTestSuite,
    InProcessDriver,
    SuiteCaseRun,
    init_input,
    suite_runs,
)


class Init(BaseModel):
    n: int


class Done(BaseModel):
    n: int


contract = create_arvo_orchestrator_contract(
    uri="#/typing/echo", name="echo", versions={"1.0.0": {"init": Init, "complete": Done}}
)


def echo(request: ResumableInput) -> ResumableOutput | None:
    if request.input is None:
        return None
    return {"output": {"n": request.input["data"]["n"]}}


class StoreWithMetadata(SimpleMachineMemory[MachineMemoryRecord]):
    async def write(
        self,
        id: str,
        data: MachineMemoryRecord,
        prev_data: MachineMemoryRecord | None,
        metadata: MachineMemoryMetadata | None = None,
    ) -> None:
        await super().write(id, data, prev_data, metadata)


resumable: ArvoResumable = create_arvo_resumable(
    contracts={"self": contract, "services": {}},
    memory=StoreWithMetadata(finished_retention=100),
    handler={"1.0.0": echo},
    execution_units=1.0,
)
broker = SimpleEventBroker([resumable])


async def status_of(subject: str) -> InProcessStatus:
    return await resumable.status(subject)


def round_trip(error: ViolationError) -> ViolationError:
    return violation_from_payload(violation_to_payload(error))


suite = ArvoTestSuite(
    config=ArvoTestConfig(driver=lambda: InProcessDriver(resumable)),
    cases=[
        ArvoTestCase(
            name="echoes",
            steps=[
                ArvoTestStep(
                    input=init_input(
                        contract.version("1.0.0"),
                        source="com.typing.client",
                        data={"parentSubject$$": None, "n": 1},
                    ),
                    expected_events=lambda events: events[0].data == {"n": 1},
                )
            ],
        )
    ],
)
runs: list[SuiteCaseRun] = suite_runs([suite])
first: ArvoEvent | None = None
