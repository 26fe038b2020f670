"""``arvo.orc.checkout``: totals an order by running the adder as a child orchestration."""

from __future__ import annotations

from pydantic import BaseModel

from arvo_temporal import ArvoErrorData, create_arvo_orchestrator_contract


class CheckoutInit(BaseModel):
    price: float
    shipping: float


class CheckoutDone(BaseModel):
    success: bool
    total: float | None
    errors: list[ArvoErrorData]


checkout_contract = create_arvo_orchestrator_contract(
    uri="#/examples/orchestrator/checkout",
    name="checkout",
    description="Totals price and shipping through a child adder execution",
    versions={"1.0.0": {"init": CheckoutInit, "complete": CheckoutDone}},
)
