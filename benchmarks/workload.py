"""The calculator workload shared by the benchmarks: an adder orchestrator and its service.

``arvo.orc.bench.adder`` receives ``{a, b}``, calls ``com.calculator.add`` and completes with the
sum, exactly the shape issue #4 and #5 measure.
"""

from __future__ import annotations

from pydantic import BaseModel

from arvo_temporal import (
    create_arvo_orchestrator_contract,
    create_simple_arvo_contract,
)
from arvo_temporal.handler import ArvoEventHandler, HandlerInput, create_arvo_event_handler
from arvo_temporal.machine import ArvoMachine, setup_arvo_machine
from arvo_temporal.statechart import assign, emit

CLIENT = "com.bench.client"


class AddInput(BaseModel):
    a: float
    b: float


class AddResult(BaseModel):
    result: float


class SumDone(BaseModel):
    sum: float


calculator_contract = create_simple_arvo_contract(
    uri="#/bench/calculator/add",
    type="calculator.add",
    versions={"1.0.0": {"accepts": AddInput, "emits": AddResult}},
)
adder_contract = create_arvo_orchestrator_contract(
    uri="#/bench/orchestrator/adder",
    name="bench.adder",
    versions={"1.0.0": {"init": AddInput, "complete": SumDone}},
)


def add(request: HandlerInput) -> dict[str, object]:
    data = request.event.data
    return {"type": "evt.calculator.add.success", "data": {"result": data["a"] + data["b"]}}


def build_calculator() -> ArvoEventHandler:
    return create_arvo_event_handler(
        contract=calculator_contract, handlers={"1.0.0": add}, execution_units=0.01
    )


def build_adder() -> ArvoMachine:
    setup = setup_arvo_machine(
        contracts={
            "self": adder_contract.version("1.0.0"),
            "services": {"add": calculator_contract.version("1.0.0")},
        }
    )
    return setup.create_machine(
        id="bench_adder",
        context=lambda event: {"a": event["data"]["a"], "b": event["data"]["b"], "sum": None},
        output=lambda context: {"sum": context["sum"]},
        config={
            "initial": "adding",
            "states": {
                "adding": {
                    "entry": emit(
                        lambda args, params: {
                            "type": "com.calculator.add",
                            "data": {"a": args.context["a"], "b": args.context["b"]},
                        }
                    ),
                    "on": {
                        "evt.calculator.add.success": {
                            "target": "done",
                            "actions": assign(
                                lambda args, params: {"sum": args.event["data"]["result"]}
                            ),
                        }
                    },
                },
                "done": {"type": "final"},
            },
        },
    )
