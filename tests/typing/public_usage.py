"""Public usages that must type-check under mypy --strict (``make test`` checks this file).

Not run as a test: it exists so that a change to a public signature that breaks ordinary user
code shows up as a type error.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel

from arvo_temporal import (
    MAX_SUBJECT_JSON_BYTES,
    ArvoEvent,
    ArvoOrchestrationSubject,
    ArvoOrchestratorEventFactory,
    HandlerInput,
    OrchestratorResult,
    SimpleEventBroker,
    SimpleMachineMemory,
    create_arvo_event,
    create_arvo_event_handler,
    create_arvo_orchestrator,
    create_arvo_orchestrator_contract,
    create_simple_arvo_contract,
    from_http,
    from_http_batch,
    setup_arvo_machine,
)
from arvo_temporal.sinks import MemorySink
from arvo_temporal.statechart import ActionArgs, assign, emit
from arvo_temporal.temporal import (
    ArvoApp,
    ArvoTemporalClient,
    ExecutionListing,
    ExecutionStatusView,
    HumanTask,
    OpenRequest,
    OrchestratorSpec,
    WaitOutcome,
    create_worker,
)


class Numbers(BaseModel):
    a: float
    b: float


class Sum(BaseModel):
    result: float


calculator = create_simple_arvo_contract(
    uri="#/typing/calculator",
    type="typing.add",
    versions={"1.0.0": {"accepts": Numbers, "emits": Sum}},
)
adder = create_arvo_orchestrator_contract(
    uri="#/typing/adder",
    name="typing.adder",
    versions={"1.0.0": {"init": Numbers, "complete": Sum}},
)


def add_numbers(request: HandlerInput) -> dict[str, object]:
    data = request.event.data
    return {"type": "evt.typing.add.success", "data": {"result": data["a"] + data["b"]}}


def remember(args: ActionArgs, params: object) -> dict[str, object]:
    return {"result": args.event["data"]["result"]}


machine = setup_arvo_machine(
    contracts={"self": adder.version("1.0.0"), "services": {"add": calculator.version("1.0.0")}}
).create_machine(
    id="typing_adder",
    context=lambda init: {"a": init["data"]["a"], "b": init["data"]["b"], "result": None},
    output=lambda context: {"result": context["result"]},
    config={
        "initial": "adding",
        "states": {
            "adding": {
                "entry": emit({"type": "com.typing.add", "data": {"a": 1, "b": 2}}),
                "on": {"evt.typing.add.success": {"target": "done", "actions": assign(remember)}},
            },
            "done": {"type": "final"},
        },
    },
)


async def in_process() -> OrchestratorResult:
    orchestrator = create_arvo_orchestrator(memory=SimpleMachineMemory(), machines=[machine])
    handler = create_arvo_event_handler(contract=calculator, handlers={"1.0.0": add_numbers})
    broker = SimpleEventBroker([orchestrator, handler])
    init: ArvoEvent = ArvoOrchestratorEventFactory(adder.version("1.0.0")).init(
        source="com.typing.client", data={"parentSubject$$": None, "a": 1, "b": 2}
    )
    left: list[ArvoEvent] = await broker.send(init)
    assert left
    return await orchestrator.execute(init)


async def on_temporal(client: ArvoTemporalClient) -> ExecutionStatusView:
    app = ArvoApp(
        orchestrators=[OrchestratorSpec(machines=(machine,), execution_timeout=timedelta(hours=1))],
        handlers=[create_arvo_event_handler(contract=calculator, handlers={"1.0.0": add_numbers})],
        sinks={"default": MemorySink()},
    )
    async with create_worker(client, app=app):
        subject: str = ArvoOrchestrationSubject.new(
            orchestrator="arvo.orc.typing.adder", version="1.0.0", initiator="com.typing.client"
        )
        event = create_arvo_event(
            source="com.typing.client",
            type="arvo.orc.typing.adder",
            subject=subject,
            data={"parentSubject$$": None, "a": 1, "b": 2},
            dataschema="#/typing/adder/1.0.0",
        )
        workflow_id: str = await client.send(event)
        assert workflow_id
        output: dict[str, object] = await client.result(subject)
        assert output
        return await client.status(subject)


async def watching(client: ArvoTemporalClient, subject: str) -> list[str]:
    """What an execution accepts now, search by state, waiting, the tree and the task inbox."""
    outcome: WaitOutcome = await client.wait_for(
        subject, state="calculating", timeout=timedelta(seconds=30)
    )
    accepts: list[str] = outcome.status.accepts if outcome.met else []
    found: list[ExecutionListing] = await client.find_in_state("calculating")
    tree: list[ExecutionListing] = await client.list(root=found[0].root if found else None)
    tasks: list[HumanTask] = await client.tasks(domain="external")
    requests: list[OpenRequest] = [task.request for task in tasks]
    states: list[str] = machine.active_states("calculating") + machine.accepts("calculating")
    return accepts + states + [listing.workflow_id for listing in tree] + [
        request.event_id for request in requests
    ]


def receive(headers: dict[str, str], body: bytes) -> list[ArvoEvent]:
    """An ingress endpoint: one event, or a batch when the content type says so."""
    if headers.get("content-type", "").startswith("application/cloudevents-batch+json"):
        return from_http_batch(headers, body)
    limit: int = MAX_SUBJECT_JSON_BYTES
    assert limit > 0
    return [from_http(headers, body)]
