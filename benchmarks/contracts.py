"""The benchmarks' contracts: data only, kept apart from the machines that use them.

``ArvoPlugin`` passes a module of contract models through the workflow sandbox unless it also
builds a machine (``arvo_temporal/temporal/_sandbox.py``), so keeping contracts here spares each
workflow run from building them again.
"""

from __future__ import annotations

from pydantic import BaseModel

from arvo_temporal import create_arvo_orchestrator_contract, create_simple_arvo_contract

__all__ = [
    "adder_contract",
    "calculator_contract",
    "counter_contract",
    "tick_contract",
]


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


class TickInput(BaseModel):
    n: int


class TickResult(BaseModel):
    n: int


class CounterInit(BaseModel):
    start: int


class CounterDone(BaseModel):
    count: int


tick_contract = create_simple_arvo_contract(
    uri="#/bench/counter/tick",
    type="bench.counter.tick",
    versions={"1.0.0": {"accepts": TickInput, "emits": TickResult}},
)
counter_contract = create_arvo_orchestrator_contract(
    uri="#/bench/orchestrator/counter",
    name="bench.counter",
    versions={"1.0.0": {"init": CounterInit, "complete": CounterDone}},
)
