"""The calculator's contracts.

The URIs live under ``#/examples/…`` so the events of these examples never validate against the
conformance fixtures' contracts (``#/anchors/…``), which use the same event types.
"""

from __future__ import annotations

from pydantic import BaseModel

from arvo_temporal import (
    ArvoErrorData,
    create_arvo_orchestrator_contract,
    create_simple_arvo_contract,
)

CLIENT = "com.example.client"
"""The source the examples' starters send events as (the executions' initiator)."""


class AddRequest(BaseModel):
    a: float
    b: float


class AddResult(BaseModel):
    result: float


calculator_contract = create_simple_arvo_contract(
    uri="#/examples/calculator/add",
    type="calculator.add",
    description="Adds two numbers (accepts com.calculator.add, emits evt.calculator.add.success)",
    versions={"1.0.0": {"accepts": AddRequest, "emits": AddResult}},
)


class AdderInit(BaseModel):
    a: float
    b: float


class AdderDone(BaseModel):
    success: bool
    sum: float | None
    errors: list[ArvoErrorData]


adder_contract = create_arvo_orchestrator_contract(
    uri="#/examples/orchestrator/adder",
    name="adder",
    description="Adds a and b by asking the calculator service",
    versions={"1.0.0": {"init": AdderInit, "complete": AdderDone}},
)
