"""User-defined violations: raised by a handler, a machine action or a resumable, they reach the
``execute`` caller unchanged (class and fields) and never become ``sys.*.error`` events; as data
they survive the trip (class path + fields) a later process boundary needs."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from arvo_temporal import (
    ArvoEventFactory,
    ArvoOrchestratorEventFactory,
    ConfigViolation,
    DataValidationError,
    ExecutionViolation,
    SimpleMachineMemory,
    TransactionCause,
    TransactionViolation,
    create_arvo_event_handler,
    create_arvo_orchestrator,
    setup_arvo_machine,
    violation_from_payload,
    violation_to_payload,
)
from arvo_temporal.orchestration.record import MachineMemoryRecord
from tests.fixtures import anchors
from tests.resumable.fixtures import BudgetExceeded, build_misbehaving


class Outer:
    class NestedViolation(ExecutionViolation):
        """A violation class defined inside another class (a dotted qualname)."""


def _raise_budget(args, params):
    raise BudgetExceeded(limit=1, asked=args.context["a"])


async def test_a_handler_raises_it_to_the_caller():
    def refuse(request):
        raise BudgetExceeded(limit=1, asked=request.event.data["a"])

    handler = create_arvo_event_handler(contract=anchors.calculator, handlers={"1.0.0": refuse})
    event = ArvoEventFactory(anchors.calculator.version("1.0.0")).accepts(
        source="com.test.client", data={"a": 5, "b": 1}
    )
    with pytest.raises(BudgetExceeded) as raised:
        await handler.execute(event)
    assert (raised.value.limit, raised.value.asked) == (1, 5)


async def test_a_machine_action_raises_it_and_nothing_is_written():
    machine = setup_arvo_machine(
        contracts={"self": anchors.adder.version("1.0.0"), "services": {}},
        actions={"refuse": _raise_budget},
    ).create_machine(
        id="adder",
        context=lambda event: {"a": event["data"]["a"]},
        config={"initial": "start", "states": {"start": {"entry": "refuse"}}},
    )
    memory = SimpleMachineMemory[MachineMemoryRecord]()
    orchestrator = create_arvo_orchestrator(memory=memory, machines=[machine])
    init = ArvoOrchestratorEventFactory(anchors.adder.version("1.0.0")).init(
        source="com.test.client", data={"parentSubject$$": None, "a": 7, "b": 0}
    )
    with pytest.raises(BudgetExceeded) as raised:
        await orchestrator.execute(init)
    assert raised.value.asked == 7 and raised.value.metadata == {"limit": 1}
    assert await memory.read(init.subject) is None


async def test_a_resumable_raises_it_and_nothing_is_written():
    memory = SimpleMachineMemory[MachineMemoryRecord]()
    init = ArvoOrchestratorEventFactory(anchors.adder.version("1.0.0")).init(
        source="com.test.client", data={"parentSubject$$": None, "a": 2, "b": 30}
    )
    with pytest.raises(BudgetExceeded):
        await build_misbehaving(memory).execute(init)
    assert len(memory) == 0


def test_a_user_violation_round_trips_through_json_with_its_class_and_fields():
    original = BudgetExceeded(limit=10, asked=12.5)
    payload = json.loads(json.dumps(violation_to_payload(original)))
    assert payload["class"] == "tests.resumable.fixtures:BudgetExceeded"
    rebuilt = violation_from_payload(payload)
    assert type(rebuilt) is BudgetExceeded
    assert (rebuilt.limit, rebuilt.asked, rebuilt.metadata) == (10, 12.5, {"limit": 10})
    assert str(rebuilt) == str(original) and rebuilt.name == original.name


def test_built_in_violations_round_trip_too():
    lock = TransactionViolation("denied", cause=TransactionCause.LOCK_UNACQUIRED, metadata={"a": 1})
    rebuilt = violation_from_payload(json.loads(json.dumps(violation_to_payload(lock))))
    assert isinstance(rebuilt, TransactionViolation)
    assert rebuilt.cause is TransactionCause.LOCK_UNACQUIRED and str(rebuilt) == str(lock)
    nested = violation_from_payload(violation_to_payload(Outer.NestedViolation("deep")))
    assert type(nested) is Outer.NestedViolation and nested.raw_message == "deep"
    config = violation_from_payload(violation_to_payload(ConfigViolation("no version")))
    assert type(config) is ConfigViolation


def test_an_unknown_class_comes_back_as_an_execution_violation():
    payload = violation_to_payload(BudgetExceeded(limit=1, asked=2))
    payload["class"] = "nowhere.to.be:Found"
    rebuilt = violation_from_payload(payload)
    assert type(rebuilt) is ExecutionViolation
    assert rebuilt.raw_message == "asked 2, the limit is 1"
    assert rebuilt.original_class == "nowhere.to.be:Found"  # type: ignore[attr-defined]
    payload["class"] = "builtins:ValueError"  # importable, but not a violation
    assert type(violation_from_payload(payload)) is ExecutionViolation


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"args": [], "fields": {}}, "class"),
        ({"class": "a:B", "fields": {}}, "args"),
        ({"class": "a:B", "args": [], "fields": []}, "fields"),
        ("not a mapping", "(root)"),
    ],
)
def test_a_malformed_payload_names_the_field(payload, field):
    with pytest.raises(DataValidationError) as raised:
        violation_from_payload(payload)
    assert raised.value.issues[0][0] == field


VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10) | st.floats(allow_nan=False),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(limit=VALUES, asked=VALUES, extra=st.one_of(VALUES, st.builds(object), st.just({1, 2})))
@example(limit=float("inf"), asked=-float("inf"), extra=None)  # not JSON: travels as its repr
def test_any_field_values_survive_or_travel_as_their_repr(limit, asked, extra):
    original = BudgetExceeded(limit=limit, asked=asked)
    original.extra = extra  # type: ignore[attr-defined]
    payload = json.loads(json.dumps(violation_to_payload(original)))
    rebuilt = violation_from_payload(payload)
    assert type(rebuilt) is BudgetExceeded
    # JSON values come back as they were; anything else (infinity included) as its repr.
    assert json.dumps(rebuilt.limit) == json.dumps(_as_travelled(limit))
    assert rebuilt.extra == _as_travelled(extra)  # type: ignore[attr-defined]


def _as_travelled(value):
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        return repr(value)
