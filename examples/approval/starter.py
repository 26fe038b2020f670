"""Start an expense approval, and build the person's answer.

Needs a running worker for ``examples.app:app`` (the connection comes from ``TEMPORAL_ADDRESS``
& co. and ``TASK_QUEUE``, ``examples/starting.py``). The request appears on the worker's
``external`` sink (stdout unless ``ARVO_SINK_EXTERNAL`` says otherwise); answer it with::

    python -m examples.approval.starter request 120 "team lunch"     # prints the subject
    python -m examples.approval.starter decide SUBJECT --approve --approver alice \\
        | arvo-temporal send -
    arvo-temporal result SUBJECT
"""

from __future__ import annotations

import argparse
import asyncio
import json

from arvo_temporal import ArvoEvent, ArvoEventFactory, ArvoOrchestratorEventFactory
from arvo_temporal.temporal import ArvoTemporalClient
from examples.approval.contracts import approval_contract, expense_contract
from examples.calculator.contracts import CLIENT
from examples.starting import connect, leave

APPROVER_SOURCE = "com.example.approver"
"""The source of a person's answer: whatever system the person used to decide."""


def expense_init(
    amount: float,
    description: str,
    *,
    requester: str = "sam",
    timeout_seconds: float = 3600,
) -> ArvoEvent:
    """The ``arvo.orc.expense`` init event."""
    factory = ArvoOrchestratorEventFactory(expense_contract.version("1.0.0"))
    return factory.init(
        source=CLIENT,
        data={
            "parentSubject$$": None,
            "amount": amount,
            "description": description,
            "requester": requester,
            "timeout_seconds": timeout_seconds,
        },
    )


def decision_event(
    subject: str,
    *,
    approved: bool,
    approver: str,
    comment: str | None = None,
    request_id: str | None = None,
) -> ArvoEvent:
    """The person's answer, on the expense execution's subject.

    ``request_id`` (the ``com.expense.approval`` event's id) links the answer to the question in
    traces and logs; it is optional because the subject alone routes the answer.
    """
    factory = ArvoEventFactory(approval_contract.version("1.0.0"))
    return factory.emits(
        type="evt.expense.approval.decided",
        source=APPROVER_SOURCE,
        subject=subject,
        to=expense_contract.version("1.0.0").accepts_type,
        parentid=request_id,
        data={"approved": approved, "approver": approver, "comment": comment},
    )


async def main(
    client: ArvoTemporalClient | None = None,
    *,
    amount: float = 120,
    description: str = "team lunch",
    timeout_seconds: float = 3600,
) -> str:
    """Start an approval; returns the execution's subject (answer it with ``decision_event``)."""
    client = client or await connect()
    init = expense_init(amount, description, timeout_seconds=timeout_seconds)
    await client.send(init)
    return init.subject


def _arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m examples.approval.starter")
    commands = parser.add_subparsers(dest="command", required=True)
    request = commands.add_parser("request", help="start an approval; prints its subject")
    request.add_argument("amount", type=float)
    request.add_argument("description")
    request.add_argument("--timeout-seconds", type=float, default=3600)
    decide = commands.add_parser("decide", help="print the answer event (JSON) for a subject")
    decide.add_argument("subject")
    verdict = decide.add_mutually_exclusive_group(required=True)
    verdict.add_argument("--approve", dest="approved", action="store_true")
    verdict.add_argument("--reject", dest="approved", action="store_false")
    decide.add_argument("--approver", default="alice")
    decide.add_argument("--comment")
    return parser.parse_args(argv)


async def _answer(args: argparse.Namespace) -> str:
    if args.command == "request":
        return await main(
            amount=args.amount,
            description=args.description,
            timeout_seconds=args.timeout_seconds,
        )
    event = decision_event(
        args.subject, approved=args.approved, approver=args.approver, comment=args.comment
    )
    return json.dumps(event.to_json())


def _cli(argv: list[str] | None = None) -> str:
    """What the command line ``argv`` prints (a request runs in an event loop of its own)."""
    return asyncio.run(_answer(_arguments(argv)))


if __name__ == "__main__":
    arguments = _arguments()  # a usage error exits 2 here, before any connection
    leave(lambda: _answer(arguments))
