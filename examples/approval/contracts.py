"""The expense approval: the orchestrator ``arvo.orc.expense`` and the question it asks a person.

``com.expense.approval`` is not served by any handler: the request is emitted with domain
``external`` and leaves the system through the ``external`` sink (an inbox, a chat webhook …).
The person's answer, ``evt.expense.approval.decided``, is sent back on the execution's subject
with ``ArvoTemporalClient.send`` or ``arvo-temporal send``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from arvo_temporal import create_arvo_contract, create_arvo_orchestrator_contract


class ApprovalRequest(BaseModel):
    amount: float
    description: str
    requester: str


class ApprovalDecision(BaseModel):
    approved: bool
    approver: str
    comment: str | None = None


approval_contract = create_arvo_contract(
    uri="#/examples/approval/decision",
    type="com.expense.approval",
    description="A person approves or rejects an expense",
    versions={
        "1.0.0": {
            "accepts": ApprovalRequest,
            "emits": {"evt.expense.approval.decided": ApprovalDecision},
        }
    },
)


class ExpenseInit(BaseModel):
    amount: float = Field(gt=0)
    description: str
    requester: str
    timeout_seconds: float = Field(default=3600, gt=0)


class ExpenseDone(BaseModel):
    status: Literal["approved", "rejected", "timed_out"]
    approved: bool
    approver: str | None
    comment: str | None


expense_contract = create_arvo_orchestrator_contract(
    uri="#/examples/orchestrator/expense",
    name="expense",
    description="Asks a person to approve an expense; no answer in time means rejected",
    versions={"1.0.0": {"init": ExpenseInit, "complete": ExpenseDone}},
)
