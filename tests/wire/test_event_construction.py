"""The construction fast path: ``create_arvo_event`` builds its event from the checked field
values without pydantic's second validation pass (``ArvoEvent._from_checked``). Whatever goes in,
the result must be the event pydantic would build, in every respect a caller can see, and bad
input must fail with the same field errors."""

from __future__ import annotations

import copy
import pickle
import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from arvo_temporal import ArvoEvent, ArvoEventValidationError, create_arvo_event
from arvo_temporal.events import _validate_fields
from tests.wire.test_properties import arvo_events, json_object

VALID_SUBJECT = "order-42"


def assert_same_model(built: ArvoEvent, validated: ArvoEvent) -> None:
    assert built == validated
    assert list(vars(built)) == list(vars(validated))
    assert vars(built) == vars(validated)
    assert built.model_fields_set == validated.model_fields_set
    assert built.__pydantic_extra__ == validated.__pydantic_extra__
    assert built.__pydantic_private__ == validated.__pydantic_private__
    assert built.model_dump() == validated.model_dump()
    assert built.model_dump_json() == validated.model_dump_json()
    assert repr(built) == repr(validated)


@settings(max_examples=200)
@given(arvo_events())
def test_a_created_event_is_the_event_pydantic_validates(event: ArvoEvent) -> None:
    validated = ArvoEvent.model_validate(event.to_json())
    assert_same_model(event, validated)
    assert_same_model(copy.deepcopy(event), validated)
    assert_same_model(pickle.loads(pickle.dumps(event)), validated)
    assert_same_model(event.model_copy(), validated)


def test_a_created_event_is_frozen_and_owns_its_data() -> None:
    data: dict[str, Any] = {"a": [1, {"b": 2}]}
    event = create_arvo_event(
        source="com.test.client", type="com.test.thing", subject=VALID_SUBJECT, data=data
    )
    data["a"][1]["b"] = 3
    data["c"] = 4
    assert event.data == {"a": [1, {"b": 2}]}
    with pytest.raises(ValidationError, match="frozen"):
        event.type = "com.test.other"  # type: ignore[misc]
    changed = event.model_copy(update={"domain": "eu"})
    assert changed.domain == "eu" and event.domain is None
    assert changed.model_fields_set == event.model_fields_set


field_value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.text(alphabet=string.ascii_lowercase + ".", min_size=5, max_size=20),
    st.just("2025-01-01T00:00:00.000+00:00"),
    st.just("application/json"),
    json_object,
    st.lists(st.integers(), max_size=2),
)
field_name = st.sampled_from([*ArvoEvent.model_fields, "extensions", "custom", "Bad-Key"])


VALID_FIELDS: dict[str, Any] = {
    "id": "1",
    "source": "com.test.client",
    "type": "com.test.thing",
    "subject": VALID_SUBJECT,
    "data": {},
    "time": "2025-01-01T00:00:00.000+00:00",
    "to": "com.test.thing",
}


@settings(max_examples=2000)
@given(
    st.dictionaries(field_name, field_value, max_size=20),
    st.sets(st.sampled_from(list(VALID_FIELDS))),
)
def test_hostile_fields_fail_or_build_exactly_as_pydantic_does(
    overrides: dict[str, Any], dropped: set[str]
) -> None:
    fields = {key: value for key, value in VALID_FIELDS.items() if key not in dropped}
    fields.update(overrides)
    try:
        expected = ArvoEvent(**fields)
    except ArvoEventValidationError as error:
        with pytest.raises(ArvoEventValidationError) as raised:
            _validate_fields(fields)
        assert raised.value.errors == error.errors
        return
    assert_same_model(ArvoEvent._from_checked(_validate_fields(fields)), expected)


ARVO_ORDER = [
    "id",
    "source",
    "specversion",
    "type",
    "subject",
    "datacontenttype",
    "dataschema",
    "data",
    "time",
]
ARVO_EXTENSION_ORDER = [
    "to",
    "accesscontrol",
    "redirectto",
    "executionunits",
    "traceparent",
    "tracestate",
    "parentid",
    "domain",
]


@settings(max_examples=200)
@given(arvo_events())
def test_to_json_keeps_arvo_order_however_the_event_was_built(event: ArvoEvent) -> None:
    expected = [*ARVO_ORDER, *event.extensions, *ARVO_EXTENSION_ORDER]
    rebuilt = [
        event,
        ArvoEvent.from_json(event.to_json()),
        ArvoEvent(**event.to_json()),
        pickle.loads(pickle.dumps(event)),
        copy.deepcopy(event),
        event.model_copy(update={"domain": "x"}),
    ]
    for built in rebuilt:
        assert list(built.to_json()) == expected
        assert built.to_json()["data"] == event.data
        assert built.to_json()["data"] is not built.data  # a fresh copy every time
