"""``arvo.orc.checkout``: start the adder as a child, finish with its sum.

Emitting the child's init type (``arvo.orc.adder``) with ``parentSubject$$`` set to our own
subject makes Arvo build a child subject; the child's completion (``arvo.orc.adder.done``) is then
emitted on *our* subject, addressed to us, so on Temporal it is signalled straight into this
execution's workflow. A child that fails (``sys.arvo.orc.adder.error``) or reports
``success: false`` ends the checkout with ``success: false``.
"""

from __future__ import annotations

from typing import Any

from arvo_temporal import ArvoMachine, setup_arvo_machine
from arvo_temporal.statechart import ActionArgs, assign, emit
from examples.calculator.contracts import adder_contract
from examples.parent_child.contracts import checkout_contract


def _start_child(args: ActionArgs, params: Any) -> dict[str, Any]:
    return {
        "type": "arvo.orc.adder",
        "data": {
            "parentSubject$$": args.context["currentSubject"],
            "a": args.context["price"],
            "b": args.context["shipping"],
        },
    }


def _child_errors(args: ActionArgs, params: Any) -> dict[str, Any]:
    data = args.event["data"]
    # A completion carries its own error list; a system error event is itself the error.
    found = data.get("errors", []) if "success" in data else [data]
    return {"errors": [*args.context["errors"], *found]}


def build_checkout_machine() -> ArvoMachine:
    """Version 1.0.0 of the checkout."""
    setup = setup_arvo_machine(
        contracts={
            "self": checkout_contract.version("1.0.0"),
            "services": {"adder": adder_contract.version("1.0.0")},
        },
        guards={"childSucceeded": lambda args, params: bool(args.event["data"]["success"])},
        actions={
            "storeTotal": assign(lambda args, params: {"total": args.event["data"]["sum"]}),
            "storeErrors": assign(_child_errors),
        },
    )
    return setup.create_machine(
        id="checkout",
        context=lambda init: {
            "price": init["data"]["price"],
            "shipping": init["data"]["shipping"],
            "currentSubject": init["subject"],
            "total": None,
            "errors": [],
        },
        output=lambda context: {
            "success": not context["errors"],
            "total": context["total"],
            "errors": context["errors"],
        },
        config={
            "initial": "totalling",
            "states": {
                "totalling": {
                    "entry": emit(_start_child),
                    "on": {
                        "arvo.orc.adder.done": [
                            {"guard": "childSucceeded", "target": "done", "actions": "storeTotal"},
                            {"target": "failed", "actions": "storeErrors"},
                        ],
                        "sys.arvo.orc.adder.error": {"target": "failed", "actions": "storeErrors"},
                    },
                },
                "done": {"type": "final"},
                "failed": {"type": "final"},
            },
        },
    )
