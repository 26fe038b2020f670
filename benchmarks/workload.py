"""The calculator workload shared by the benchmarks: an adder orchestrator and its service.

``arvo.orc.bench.adder`` receives ``{a, b}``, calls ``com.calculator.add`` and completes with the
sum, exactly the shape the in-process and Temporal benchmarks measure; and the long-lived
counter of the execute-latency phase.
"""

from __future__ import annotations

from arvo_temporal.handler import ArvoEventHandler, HandlerInput, create_arvo_event_handler
from arvo_temporal.machine import ArvoMachine, setup_arvo_machine
from arvo_temporal.statechart import assign, emit
from benchmarks.contracts import (
    adder_contract,
    calculator_contract,
    counter_contract,
    tick_contract,
)

CLIENT = "com.bench.client"


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


# The long-lived counter of the execute-latency phase (benchmarks/temporal_adapter.py). It lives
# here, in an importable module, because each workflow run builds its machines again inside the
# sandbox from the module that built them.


def build_counter() -> ArvoMachine:
    """A long-lived machine for the execute-latency phase: it never finishes, and every
    ``evt.bench.counter.tick.success`` (a valid reply of its one service contract) adds ``n``
    to its count without leaving its state, so each ``execute`` is one warm machine step."""
    setup = setup_arvo_machine(
        contracts={
            "self": counter_contract.version("1.0.0"),
            "services": {"tick": tick_contract.version("1.0.0")},
        }
    )
    return setup.create_machine(
        id="bench_counter",
        context=lambda event: {"count": event["data"]["start"]},
        output=lambda context: {"count": context["count"]},
        config={
            "initial": "counting",
            "states": {
                "counting": {
                    "on": {
                        "evt.bench.counter.tick.success": {
                            "actions": assign(
                                lambda args, params: {
                                    "count": args.context["count"] + args.event["data"]["n"]
                                }
                            ),
                        }
                    }
                }
            },
        },
    )
