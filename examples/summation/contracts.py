"""The summation orchestrator's contract; it calls the calculator of ``examples/calculator``."""

from __future__ import annotations

from pydantic import BaseModel, Field

from arvo_temporal import ArvoErrorData, create_arvo_orchestrator_contract

CLIENT = "com.example.client"


class SumInit(BaseModel):
    numbers: list[float] = Field(min_length=1)


class SumDone(BaseModel):
    success: bool
    total: float | None
    rounds: int
    errors: list[ArvoErrorData]


summation_contract = create_arvo_orchestrator_contract(
    uri="#/examples/orchestrator/summation",
    name="numbers.sum",
    description="Sums a list by asking the calculator for pairwise sums, one round at a time",
    versions={"1.0.0": {"init": SumInit, "complete": SumDone}},
)
