"""Property tests: every codec round-trips, and garbage gives the documented error, never a crash."""

from __future__ import annotations

import string

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from arvo_temporal import (
    ArvoEvent,
    ArvoEventValidationError,
    ArvoOrchestrationSubject,
    InvalidSubjectError,
    create_arvo_event,
    from_cloudevent,
    from_http,
    parse_dataschema,
    to_cloudevent,
    to_http,
)
from arvo_temporal.uri import decode_uri, encode_uri, is_properly_encoded_uri

segment = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=8)
event_type = st.lists(segment, min_size=3, max_size=5).map(".".join)
domain = st.one_of(
    st.none(), st.text(alphabet=string.ascii_lowercase + ".", min_size=1, max_size=10)
)
json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
json_object = st.dictionaries(st.text(max_size=8), json_value, max_size=5)
arvo_time = st.datetimes(timezones=st.just(__import__("datetime").UTC)).map(
    lambda moment: moment.replace(microsecond=(moment.microsecond // 1000) * 1000)
)
RESERVED = {*ArvoEvent.model_fields, "data", "extensions"}
text_field = st.one_of(st.none(), st.text(min_size=1, max_size=30))


@st.composite
def arvo_events(draw, string_extensions_only=False):
    extension_value = (
        st.text(max_size=10)
        if string_extensions_only
        else json_scalar.filter(lambda v: v is not None)
    )
    return create_arvo_event(
        source=draw(st.text(min_size=1, max_size=20)),
        type=draw(event_type),
        subject=draw(st.text(min_size=1, max_size=40)),
        data=draw(json_object),
        time=draw(arvo_time),
        dataschema=draw(st.one_of(st.none(), st.text(min_size=1, max_size=20))),
        to=draw(st.one_of(st.none(), st.text(min_size=1, max_size=20))),
        accesscontrol=draw(text_field),
        redirectto=draw(st.one_of(st.none(), st.text(min_size=1, max_size=20))),
        executionunits=draw(st.one_of(st.none(), st.floats(0, 1e6), st.integers(0, 1000))),
        traceparent=draw(text_field),
        tracestate=draw(text_field),
        parentid=draw(st.one_of(st.none(), st.text(min_size=1, max_size=20))),
        domain=draw(domain),
        extensions=draw(
            st.dictionaries(
                segment.filter(lambda k: k not in RESERVED),
                extension_value,
                max_size=3,
            )
        ),
    )


@settings(max_examples=150)
@given(arvo_events())
def test_event_json_round_trip(event):
    assert ArvoEvent.from_json(event.to_json()) == event
    assert ArvoEvent.from_json(event.to_json_string()) == event
    assert ArvoEvent.model_validate(event.model_dump()) == event


@settings(max_examples=150)
@given(arvo_events())
def test_cloudevent_and_structured_http_round_trip(event):
    assert from_cloudevent(to_cloudevent(event)) == event
    message = to_http(event, "structured")
    assert message.headers["content-type"].startswith("application/cloudevents+json")
    assert from_http(message.headers, message.body) == event


@settings(max_examples=150)
@given(arvo_events(string_extensions_only=True))
def test_binary_http_round_trip(event):
    message = to_http(event, "binary")
    assert message.headers["ce-id"] == event.id
    assert not message.headers["content-type"].startswith("application/cloudevents"), (
        "binary mode must not look like structured mode to receivers"
    )
    assert from_http(message.headers, message.body) == event


@given(
    st.fixed_dictionaries(
        {
            "orchestrator": st.fixed_dictionaries(
                {
                    "name": event_type,
                    "version": st.tuples(
                        st.integers(0, 99), st.integers(0, 99), st.integers(0, 99)
                    ).map(lambda v: ".".join(map(str, v))),
                }
            ),
            "execution": st.fixed_dictionaries(
                {
                    "id": st.text(min_size=1, max_size=30).filter(lambda s: ";" not in s),
                    "initiator": event_type,
                    "domain": domain,
                }
            ),
            "meta": st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=3),
        }
    )
)
def test_subject_round_trip(content):
    subject = ArvoOrchestrationSubject.create(content)
    assert ArvoOrchestrationSubject.parse(subject).model_dump(mode="json") == content
    # Re-creating from the parsed model writes Arvo's canonical key order, which parses equal.
    canonical = ArvoOrchestrationSubject.create(ArvoOrchestrationSubject.parse(subject))
    assert ArvoOrchestrationSubject.parse(canonical) == ArvoOrchestrationSubject.parse(subject)


@given(st.one_of(st.text(), st.binary().map(lambda b: __import__("base64").b64encode(b).decode())))
def test_subject_garbage_gives_the_documented_error(garbage):
    try:
        ArvoOrchestrationSubject.parse(garbage)
    except InvalidSubjectError as error:
        assert "Error parsing orchestration subject string" in str(error)
        parsed = False
    else:
        parsed = True
    assert ArvoOrchestrationSubject.is_valid(garbage) is parsed


_VALID_EVENT_TEXT = create_arvo_event(
    source="com.a.b", type="com.x.y.z", subject="s", data={}
).to_json_string()


@example(b"\x80")  # not UTF-8
@example(b"\xff\xfe\x00")  # a UTF-16 byte order mark, then half a character
@example("[" * 100_000)  # deeper than the JSON decoder can recurse
@example(_VALID_EVENT_TEXT.replace('"data":{}', '"data":{"x":' + "[" * 500 + "]" * 500 + "}"))
@given(st.one_of(json_value, st.text(), st.binary()))
def test_event_garbage_gives_the_documented_error(garbage):
    # Anything from_json accepts (text, bytes or a JSON value) parses or raises the documented
    # error naming what is wrong; any other exception fails the test.
    try:
        event = ArvoEvent.from_json(
            garbage if not isinstance(garbage, (int, float, bool)) else str(garbage)
        )
    except ArvoEventValidationError as error:
        assert error.errors
        assert all(field and reason for field, reason in error.errors.items())
    else:
        assert ArvoEvent.from_json(event.to_json()) == event


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b"\x80", "not valid JSON: 'utf-8' codec can't decode byte 0x80"),
        (b"\xff\xfe\x00", "not valid JSON: 'utf-16-le' codec can't decode"),
        ("[" * 100_000, "nested deeper than 128 levels"),
        (b"{", "not valid JSON: Expecting property name"),
    ],
)
def test_undecodable_text_names_the_event_and_the_reason(text, reason):
    with pytest.raises(ArvoEventValidationError) as raised:
        ArvoEvent.from_json(text)
    assert list(raised.value.errors) == ["event"]
    assert raised.value.errors["event"].startswith(reason)


@given(
    st.dictionaries(st.text(max_size=12), st.text(max_size=12), max_size=6), st.binary(max_size=200)
)
def test_http_garbage_gives_the_documented_error(headers, body):
    try:
        from_http(headers, body)
    except ArvoEventValidationError as error:
        assert error.errors


@given(st.text())
def test_uri_codec(value):
    try:
        encoded = encode_uri(value)
    except ValueError:
        return  # a lone surrogate, which JavaScript rejects too
    assert is_properly_encoded_uri(encoded)
    assert decode_uri(encoded) == value or "%" in value


@given(st.text())
def test_dataschema_parse_never_crashes(value):
    parsed = parse_dataschema(value)
    assert parsed is None or f"{parsed[0]}/{parsed[1]}" == value


def test_an_extension_named_self_is_an_ordinary_extension():
    # Found by the round-trip property: pydantic calls __init__ while validating, and a
    # custom __init__(self, **fields) would collide with a field named "self".
    event = create_arvo_event(
        source="com.a.b", type="com.x.y.z", subject="s", data={}, extensions={"self": "x"}
    )
    assert ArvoEvent.from_json(event.to_json()) == event
    assert ArvoEvent(**event.to_json()).extensions == {"self": "x"}
