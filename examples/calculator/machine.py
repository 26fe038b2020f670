"""``arvo.orc.adder``: emit ``com.calculator.add``, wait for the answer, complete with the sum.

The service's reply comes back on the same subject; a ``sys.com.calculator.add.error`` (the
service raised) completes the execution too, with ``success: false`` and the error listed.
"""

from __future__ import annotations

from typing import Any

from arvo_temporal import ArvoMachine, setup_arvo_machine
from arvo_temporal.statechart import ActionArgs, assign, emit
from examples.calculator.contracts import adder_contract, calculator_contract


def _ask_calculator(args: ActionArgs, params: Any) -> dict[str, Any]:
    return {
        "type": "com.calculator.add",
        "data": {"a": args.context["a"], "b": args.context["b"]},
    }


def _store_sum(args: ActionArgs, params: Any) -> dict[str, Any]:
    return {"sum": args.event["data"]["result"]}


def _store_error(args: ActionArgs, params: Any) -> dict[str, Any]:
    return {"errors": [*args.context["errors"], args.event["data"]]}


def build_adder_machine() -> ArvoMachine:
    """Version 1.0.0 of the adder."""
    setup = setup_arvo_machine(
        contracts={
            "self": adder_contract.version("1.0.0"),
            "services": {"calculator": calculator_contract.version("1.0.0")},
        },
        actions={"storeSum": assign(_store_sum), "storeError": assign(_store_error)},
    )
    return setup.create_machine(
        id="adder",
        context=lambda init: {
            "a": init["data"]["a"],
            "b": init["data"]["b"],
            "sum": None,
            "errors": [],
        },
        output=lambda context: {
            "success": not context["errors"],
            "sum": context["sum"],
            "errors": context["errors"],
        },
        config={
            "initial": "calculating",
            "states": {
                "calculating": {
                    "entry": emit(_ask_calculator),
                    "on": {
                        "evt.calculator.add.success": {"target": "done", "actions": "storeSum"},
                        "sys.com.calculator.add.error": {
                            "target": "done",
                            "actions": "storeError",
                        },
                    },
                },
                "done": {"type": "final"},
            },
        },
    )
