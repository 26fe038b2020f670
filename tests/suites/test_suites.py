"""Declarative test suites (arvo_temporal.testing), with two of upstream's documented suite
shapes ported: one suite run against several implementations (the adder as a machine and as a
resumable), and a service handler suite with chained steps, an expected error and a repeat."""

from __future__ import annotations

import random

import pytest

from arvo_temporal import (
    ArvoEvent,
    ContractViolation,
    InvalidTestSuite,
    SimpleMachineMemory,
    create_arvo_event_handler,
    create_arvo_orchestrator,
)
from arvo_temporal.testing import (
    ArvoTestCase,
    ArvoTestConfig,
    ArvoTestStep,
    ArvoTestSuite,
    InProcessDriver,
    SuiteCaseRun,
    accepts_input,
    init_input,
    matches,
    reply_input,
    suite_params,
    suite_runs,
)
from tests.fixtures import anchors
from tests.fixtures.machines import build_adder
from tests.fixtures.services import make_calculator_handler
from tests.resumable.fixtures import build_adder_resumable

CLIENT = "com.test.client"
ADDER = anchors.adder.version("1.0.0")
CALCULATOR = anchors.calculator.version("1.0.0")

# ---- shape 1: several configs, the same cases (upstream: "config: [V1 handler, V2 handler]")

ADDER_SUITE = ArvoTestSuite(
    config=[
        ArvoTestConfig(
            name="adder machine",
            driver=lambda: InProcessDriver(
                create_arvo_orchestrator(memory=SimpleMachineMemory(), machines=[build_adder()])
            ),
        ),
        ArvoTestConfig(
            name="adder resumable", driver=lambda: InProcessDriver(build_adder_resumable())
        ),
    ],
    cases=[
        ArvoTestCase(
            name="adds through the calculator",
            steps=[
                ArvoTestStep(
                    input=init_input(
                        ADDER, source=CLIENT, data={"parentSubject$$": None, "a": 2, "b": 3}
                    ),
                    expected_events=[
                        {
                            "type": "com.calculator.add",
                            "data": {"a": 2, "b": 3},
                            "to": "com.calculator.add",
                        }
                    ],
                ),
                ArvoTestStep(
                    input=reply_input(
                        CALCULATOR,
                        type="evt.calculator.add.success",
                        data=lambda call: {"result": call.data["a"] + call.data["b"]},
                    ),
                    expected_events=[
                        {
                            "type": "arvo.orc.adder.done",
                            "to": CLIENT,
                            "data": {"success": True, "sum": 5, "errors": []},
                        }
                    ],
                ),
            ],
        ),
        ArvoTestCase(
            name="a calculator error ends with the error in the output",
            steps=[
                ArvoTestStep(
                    input=init_input(
                        ADDER, source=CLIENT, data={"parentSubject$$": None, "a": -1, "b": 3}
                    )
                ),
                ArvoTestStep(
                    input=reply_input(CALCULATOR, error=ValueError("negative")),
                    expected_events=lambda events: (
                        len(events) == 1
                        and events[0].data["success"] is False
                        and events[0].data["errors"][0]["errorMessage"] == "negative"
                    ),
                ),
            ],
        ),
        ArvoTestCase(
            name="init data that breaks the contract is a violation",
            steps=[
                ArvoTestStep(
                    input=init_input(
                        ADDER, source=CLIENT, data={"parentSubject$$": None, "a": 1, "b": 1}
                    ),
                ),
                ArvoTestStep(
                    input=lambda previous: _with_data(
                        previous, {"parentSubject$$": None, "a": "x"}
                    ),
                    expected_error=ContractViolation,
                ),
            ],
        ),
    ],
)


def _with_data(previous: list[ArvoEvent] | None, data: dict) -> ArvoEvent:
    """A fresh init like the first step's, but with other data (an invalid one here)."""
    return init_input(ADDER, source=CLIENT, data={"parentSubject$$": None, "a": 0, "b": 0})(
        previous
    ).model_copy(update={"data": data})


# ---- shape 2: a service handler, chained steps, an expected error, a repeat

_coin = random.Random(7)


def flaky_add(request):
    """Answers right about nine times in ten (a stand-in for a non-deterministic service)."""
    data = request.event.data
    wrong = _coin.random() < 0.1
    return {"type": "evt.calculator.add.success", "data": {"result": data["a"] + data["b"] + wrong}}


HANDLER_SUITE = ArvoTestSuite(
    config=ArvoTestConfig(handler=make_calculator_handler()),
    cases=[
        ArvoTestCase(
            name="each answer feeds the next request",
            steps=[
                ArvoTestStep(
                    input=accepts_input(CALCULATOR, source=CLIENT, data={"a": 1, "b": 2}),
                    expected_events=[{"data": {"result": 3}, "to": CLIENT}],
                ),
                ArvoTestStep(
                    input=accepts_input(
                        CALCULATOR,
                        source=CLIENT,
                        data=lambda previous: {"a": previous[0].data["result"], "b": 10},
                    ),
                    expected_events=[{"data": {"result": 13}}],
                ),
            ],
        ),
        ArvoTestCase(
            name="a refused request becomes a system error event",
            steps=[
                ArvoTestStep(
                    input=accepts_input(CALCULATOR, source=CLIENT, data={"a": -1, "b": 2}),
                    expected_events=[{"type": "sys.com.calculator.add.error", "to": CLIENT}],
                )
            ],
        ),
        ArvoTestCase(
            name="a request of another type is a violation",
            steps=[
                ArvoTestStep(
                    input=init_input(
                        ADDER, source=CLIENT, data={"parentSubject$$": None, "a": 1, "b": 1}
                    ),
                    expected_error=lambda error: "Event type mismatch" in str(error),
                )
            ],
        ),
    ],
)

FLAKY_SUITE = ArvoTestSuite(
    config=ArvoTestConfig(
        name="flaky calculator",
        handler=create_arvo_event_handler(
            contract=anchors.calculator, handlers={"1.0.0": flaky_add}
        ),
    ),
    cases=[
        ArvoTestCase(
            name="mostly right",
            steps=[
                ArvoTestStep(
                    input=accepts_input(CALCULATOR, source=CLIENT, data={"a": 1, "b": 1}),
                    expected_events=[{"data": {"result": 2}}],
                )
            ],
            repeat=(50, 70),
        )
    ],
)


@pytest.mark.parametrize("case", suite_params([ADDER_SUITE, HANDLER_SUITE, FLAKY_SUITE]))
async def test_suite(case: SuiteCaseRun) -> None:
    await case.run()


# ---- the runner itself


def test_one_item_per_config_and_case():
    ids = [run.id for run in suite_runs([ADDER_SUITE, HANDLER_SUITE])]
    assert ids[:3] == [
        "adder machine::adds through the calculator",
        "adder machine::a calculator error ends with the error in the output",
        "adder machine::init data that breaks the contract is a violation",
    ]
    assert (
        len(ids) == 9
        and ids[-1] == "Test<com.calculator.add>::a request of another type is a violation"
    )


def _one_step_run(step: ArvoTestStep) -> SuiteCaseRun:
    return SuiteCaseRun(
        ArvoTestConfig(handler=make_calculator_handler()), ArvoTestCase("c", [step])
    )


ADD_ONE_TWO = accepts_input(CALCULATOR, source=CLIENT, data={"a": 1, "b": 2})


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            ArvoTestStep(input=ADD_ONE_TWO, expected_events=[{"data": {"result": 4}}]),
            "Step 1: expected 1 event",
        ),
        (ArvoTestStep(input=ADD_ONE_TWO, expected_events=[]), "expected 0 event"),
        (ArvoTestStep(input=ADD_ONE_TWO, expected_events=lambda events: False), "returned False"),
        (
            ArvoTestStep(input=ADD_ONE_TWO, expected_error=ValueError),
            "expected an error, but the step succeeded",
        ),
    ],
)
async def test_a_failed_expectation_names_the_step_and_shows_the_events(step, message):
    with pytest.raises(AssertionError, match=message) as raised:
        await _one_step_run(step).run()
    if "succeeded" not in message:
        assert '"evt.calculator.add.success"' in str(raised.value)


async def test_a_predicate_may_assert_and_an_error_class_must_match():
    def check(events):
        assert events[0].data["result"] == 99, "not 99"

    with pytest.raises(AssertionError, match="Step 1: not 99"):
        await _one_step_run(ArvoTestStep(input=ADD_ONE_TWO, expected_events=check)).run()
    wrong_type = init_input(ADDER, source=CLIENT, data={"parentSubject$$": None, "a": 1, "b": 1})
    with pytest.raises(AssertionError, match="expected ContractViolation"):
        await _one_step_run(ArvoTestStep(input=wrong_type, expected_error=ContractViolation)).run()


async def test_a_repeat_under_its_threshold_fails_with_the_rate():
    always_wrong = ArvoTestStep(input=ADD_ONE_TWO, expected_events=[{"data": {"result": 0}}])
    run = SuiteCaseRun(
        ArvoTestConfig(handler=make_calculator_handler()),
        ArvoTestCase("c", [always_wrong], repeat=(3, 50)),
    )
    with pytest.raises(AssertionError, match=r"Success rate 0.00% is below threshold 50%"):
        await run.run()


def test_partial_matching():
    assert matches({"a": {"b": 1}}, {"a": {"b": 1, "c": 2}, "d": 3})
    assert not matches({"a": {"b": 2}}, {"a": {"b": 1}})
    assert not matches({"missing": None}, {})
    assert matches([1, {"x": 1}], [1, {"x": 1, "y": 2}]) and not matches([1], [1, 2])
    assert matches({"n": lambda value: value > 3}, {"n": 4})


@pytest.mark.parametrize(
    "declare",
    [
        lambda: ArvoTestStep(input=ADD_ONE_TWO, expected_events=[], expected_error=ValueError),
        lambda: ArvoTestStep(input=42),
        lambda: ArvoTestCase("empty", []),
        lambda: ArvoTestCase("c", [ArvoTestStep(input=ADD_ONE_TWO)], repeat=(0, 50)),
        lambda: ArvoTestCase("c", [ArvoTestStep(input=ADD_ONE_TWO)], repeat=(3, 101)),
        lambda: ArvoTestConfig(),
        lambda: reply_input(CALCULATOR, type="evt.calculator.add.success"),
    ],
)
def test_suites_that_cannot_run_are_refused_when_declared(declare):
    with pytest.raises(InvalidTestSuite):
        declare()


async def test_a_reply_on_the_first_step_is_refused():
    step = ArvoTestStep(input=reply_input(CALCULATOR, error=ValueError("x")))
    with pytest.raises(InvalidTestSuite, match="previous step"):
        await _one_step_run(step).run()
