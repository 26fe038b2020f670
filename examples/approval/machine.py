"""``arvo.orc.expense``: ask a person, then finish as approved, rejected or timed out.

The request is emitted with ``"domain": ["external"]``, so it is not routed to a service but
delivered to the ``external`` sink. The ``after`` transition is a durable Temporal timer: the
execution survives worker restarts while it waits, and the timeout fires in workflow time.
Its length comes from the init event (``timeout_seconds``) through a named delay.
"""

from __future__ import annotations

from typing import Any

from arvo_temporal import ArvoMachine, setup_arvo_machine
from arvo_temporal.statechart import ActionArgs, assign, emit
from examples.approval.contracts import approval_contract, expense_contract


def _ask_person(args: ActionArgs, params: Any) -> dict[str, Any]:
    return {
        "type": "com.expense.approval",
        "domain": ["external"],
        "data": {
            "amount": args.context["amount"],
            "description": args.context["description"],
            "requester": args.context["requester"],
        },
    }


def _record_decision(args: ActionArgs, params: Any) -> dict[str, Any]:
    data = args.event["data"]
    return {
        "status": "approved" if data["approved"] else "rejected",
        "approver": data["approver"],
        "comment": data.get("comment"),
    }


def build_expense_machine() -> ArvoMachine:
    """Version 1.0.0 of the expense approval."""
    setup = setup_arvo_machine(
        contracts={
            "self": expense_contract.version("1.0.0"),
            "services": {"approval": approval_contract.version("1.0.0")},
        },
        guards={"isApproved": lambda args, params: bool(args.event["data"]["approved"])},
        actions={
            "recordDecision": assign(_record_decision),
            "recordTimeout": assign(
                lambda args, params: {
                    "status": "timed_out",
                    "comment": "no decision before the timeout",
                }
            ),
        },
        delays={"decisionTimeout": lambda args: args.context["timeoutSeconds"] * 1000},
    )
    return setup.create_machine(
        id="expense",
        context=lambda init: {
            "amount": init["data"]["amount"],
            "description": init["data"]["description"],
            "requester": init["data"]["requester"],
            "timeoutSeconds": init["data"].get("timeout_seconds", 3600),
            "status": "pending",
            "approver": None,
            "comment": None,
        },
        output=lambda context: {
            "status": context["status"],
            "approved": context["status"] == "approved",
            "approver": context["approver"],
            "comment": context["comment"],
        },
        config={
            "initial": "awaitingDecision",
            "states": {
                "awaitingDecision": {
                    "entry": emit(_ask_person),
                    "after": {"decisionTimeout": {"target": "timedOut"}},
                    "on": {
                        "evt.expense.approval.decided": [
                            {
                                "guard": "isApproved",
                                "target": "approved",
                                "actions": "recordDecision",
                            },
                            {"target": "rejected", "actions": "recordDecision"},
                        ]
                    },
                },
                "approved": {"type": "final"},
                "rejected": {"type": "final"},
                "timedOut": {"type": "final", "entry": "recordTimeout"},
            },
        },
    )
