"""Every public parser, fed hostile input, returns or raises its documented error naming a field.

The parsers are ``ArvoEvent.from_json`` (text, bytes, any JSON value), ``from_http`` (structured
and binary), ``from_http_batch`` and ``ArvoOrchestrationSubject.parse``. Inputs are generated:
arbitrary bytes and text (lone surrogates included), arbitrary JSON values, valid events with a
field, an extension key or some bytes replaced, deep nesting, integers over the digit limit,
``NaN``, HTTP header and body combinations, and zlib bombs for subjects. Any other exception, or an
error that names no known field or cannot be printed as UTF-8, fails the test. The CLI's reading
of the same input is in tests/test_cli_input.py.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import tracemalloc
import zlib

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from arvo_temporal import (
    MAX_JSON_DEPTH,
    MAX_JSON_INTEGER_DIGITS,
    MAX_SUBJECT_JSON_BYTES,
    MAX_SUBJECT_LENGTH,
    ArvoEvent,
    ArvoEventValidationError,
    ArvoOrchestrationSubject,
    InvalidSubjectError,
    SubjectContent,
    create_arvo_event,
    from_http,
    from_http_batch,
    parse_arvo_event_id,
    to_http,
)

SUBJECT = ArvoOrchestrationSubject.new(
    orchestrator="arvo.orc.hostile", version="1.0.0", initiator="com.hostile.client"
)
EVENT = create_arvo_event(
    source="com.hostile.client",
    type="arvo.orc.hostile",
    subject=SUBJECT,
    data={"parentSubject$$": None, "a": [1, 2.5, "x"], "b": {"c": True}},
    executionunits=1,
    extensions={"tenant": "acme"},
)
EVENT_TEXT = EVENT.to_json_string()
BINARY = to_http(EVENT, "binary")
STRUCTURED = {"content-type": "application/cloudevents+json; charset=UTF-8"}
BATCH = {"content-type": "application/cloudevents-batch+json; charset=UTF-8"}
SUBJECT_PREFIX = "Error parsing orchestration subject string: "

# Where an error may point: an event attribute, one of the parsers' own fields, and (below) an
# extension, a header or a batch item.
EVENT_FIELDS = {*ArvoEvent.model_fields, "event", "data_base64"}
REQUEST_FIELDS = {"body", "headers", "content-type"}
BATCH_ITEM = re.compile(r"^events(\[\d+\])?(\.|$)")

FAST = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MEDIUM = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_names_fields(error: ArvoEventValidationError) -> None:
    """The error names at least one known field, each with a reason, and prints as UTF-8."""
    assert error.errors
    for field, reason in error.errors.items():
        assert reason
        inner = BATCH_ITEM.sub("", field)
        if inner == "" and field.startswith("events"):
            continue  # the whole batch, or one item that is not an object
        head, dot, rest = inner.partition(".")
        if head == "extensions" or (head == "headers" and dot):
            assert rest, field
        else:
            assert head in EVENT_FIELDS | REQUEST_FIELDS, field
    str(error).encode("utf-8")


def parses_or_names_fields(parse, *args):
    """The parser's result, or None after checking its documented error."""
    try:
        return parse(*args)
    except ArvoEventValidationError as error:
        assert_names_fields(error)
        return None


def assert_usable(event: ArvoEvent) -> None:
    """An accepted event prints as JSON and reads back equal (nothing accepted is unusable)."""
    assert isinstance(event, ArvoEvent)
    assert ArvoEvent.from_json(event.to_json_string()) == event


# ------------------------------------------------------------------------------- strategies

any_character = st.characters(exclude_categories=())  # lone surrogates included
any_text = st.text(any_character, max_size=40)
huge_integer_text = st.builds(
    lambda sign, digits: sign + "9" * digits,
    st.sampled_from(["", "-"]),
    st.integers(MAX_JSON_INTEGER_DIGITS - 2, MAX_JSON_INTEGER_DIGITS + 200),
)
printable_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), any_text)
# Integers around the digit limit exist as values only: Python cannot print those over it.
scalar = printable_scalar | st.integers(
    MAX_JSON_INTEGER_DIGITS - 1, MAX_JSON_INTEGER_DIGITS + 3
).map(lambda n: 10**n)


def json_values(leaves):
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
        max_leaves=10,
    )


json_value = json_values(scalar)  # NaN and infinities included
json_text = json_values(printable_scalar).map(lambda value: json.dumps(value))


def nested(depth: int, opener: str = "[", leaf: str = "1") -> str:
    closer = "]" if opener == "[" else "}"
    return opener * depth + leaf + closer * depth


hostile_value_text = st.one_of(
    huge_integer_text,
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-0", "1E-400", "1" * 400]),
    st.integers(MAX_JSON_DEPTH - 3, 3_000).map(nested),
    st.integers(MAX_JSON_DEPTH - 3, 600).map(lambda n: '{"a":' * n + "1" + "}" * n),
    any_text.map(json.dumps),  # a lone surrogate arrives as a \\udxxx escape
    json_text,
)
_HOLE = "\x00hole\x00"
_HOLE_TEXT = json.dumps(_HOLE)


@st.composite
def mutated_events(draw) -> str:
    """The valid event's JSON with one hostile change."""
    document = EVENT.to_json()
    how = draw(st.sampled_from(["field", "extension", "data", "bytes"]))
    if how == "field":
        document[draw(st.sampled_from(sorted(document)))] = _HOLE
    elif how == "extension":
        document[draw(any_text | st.sampled_from(["data", "to", "x" * 300]))] = _HOLE
    elif how == "data":
        document["data"] = {**document["data"], "b": _HOLE}
    text = json.dumps(document, ensure_ascii=False)
    if how == "bytes":
        chars = list(text)
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(chars) - 1))
            chars[at] = draw(st.sampled_from(['"', "{", "]", "\\", ",", ":", "\x00", "\ud800"]))
        return "".join(chars)
    return text.replace(_HOLE_TEXT, draw(hostile_value_text), 1)


def as_bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate becomes invalid UTF-8


payload_text = st.one_of(
    mutated_events(),
    any_text,
    json_text,
    st.integers(1, 5_000).map(nested),
)
payload = st.one_of(payload_text, payload_text.map(as_bytes), st.binary(max_size=200))


# ---------------------------------------------------------------------------- ArvoEvent.from_json


@FAST
@example(b"\xed\xa0\x80")  # a UTF-8-encoded surrogate: not UTF-8
@example(EVENT_TEXT.replace('"c":true', '"c":' + "9" * (MAX_JSON_INTEGER_DIGITS + 1)))
@example(EVENT_TEXT.replace('"c":true', '"c":NaN'))
@given(payload)
def test_from_json_text_and_bytes(text):
    event = parses_or_names_fields(ArvoEvent.from_json, text)
    if event is not None:
        assert_usable(event)


@MEDIUM
@given(json_value | st.dictionaries(any_text, json_value, max_size=6))
def test_from_json_any_json_value(value):
    event = parses_or_names_fields(ArvoEvent.from_json, value)
    if event is not None:
        assert_usable(event)


@MEDIUM
@given(st.sampled_from(sorted(EVENT.to_json())), json_value)
def test_from_json_a_field_replaced_by_any_value(field, value):
    event = parses_or_names_fields(ArvoEvent.from_json, {**EVENT.to_json(), field: value})
    if event is not None:
        assert_usable(event)


def test_a_lone_surrogate_in_an_extension_key_is_named_under_that_key():
    for document in ({**EVENT.to_json(), "a\ud800": 1}, EVENT_TEXT[:-1] + ',"a\\ud800":1}'):
        with pytest.raises(ArvoEventValidationError) as raised:
            ArvoEvent.from_json(document)
        assert raised.value.errors == {
            "extensions.a\\ud800": "extension keys must match ^[a-z0-9]+$"
        }


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        ("[1]", "event", "must be a JSON object, got an array"),
        ('"x"', "event", "must be a JSON object, got a string"),
        ("1", "event", "must be a JSON object, got a number"),
        ("null", "event", "must be a JSON object, got null"),
        ("9" * 4301, "event", "an integer has more than 4,300 digits"),
        ("NaN", "event", "not valid JSON: NaN is not a JSON number"),
        (nested(MAX_JSON_DEPTH + 1), "event", f"nested deeper than {MAX_JSON_DEPTH} levels"),
        (
            EVENT_TEXT.replace('"c":true', '"c":' + nested(MAX_JSON_DEPTH - 2)),
            "event",
            f"nested deeper than {MAX_JSON_DEPTH} levels",
        ),
        (
            EVENT_TEXT.replace('"executionunits":1', '"executionunits":1e400'),
            "executionunits",
            "must be null or a finite number",
        ),
    ],
)
def test_documented_reasons(text, field, reason):
    with pytest.raises(ArvoEventValidationError) as raised:
        ArvoEvent.from_json(text)
    assert raised.value.errors == {field: reason}


def test_the_depth_limit_counts_the_event_the_same_way_for_text_and_values():
    # Text is refused before it is decoded (under ``event``); a value names ``data``.
    deepest = EVENT_TEXT.replace('"c":true', '"c":' + nested(MAX_JSON_DEPTH - 3))
    assert ArvoEvent.from_json(deepest) == ArvoEvent.from_json(json.loads(deepest))
    too_deep = EVENT_TEXT.replace('"c":true', '"c":' + nested(MAX_JSON_DEPTH - 2))
    with pytest.raises(ArvoEventValidationError) as raised:
        ArvoEvent.from_json(json.loads(too_deep))
    assert raised.value.errors == {
        "data": f"data: nested deeper than {MAX_JSON_DEPTH} levels (counting the event)"
    }
    cyclic: dict = {}
    cyclic["self"] = cyclic
    with pytest.raises(ArvoEventValidationError) as raised:
        ArvoEvent.from_json({**EVENT.to_json(), "data": cyclic})
    assert list(raised.value.errors) == ["data"]


# --------------------------------------------------------------------------------- HTTP parsers

header_value = st.one_of(
    any_text,
    st.sampled_from(
        [
            "%ZZ%ff",
            "0001-01-01T00:00:00+05:00",
            "9999-12-31T23:59:59-05:00",
            "2024-01-01T00:00:00",
            "1e400",
            "nan",
            "",
            "application/cloudevents-batch+json",
            "text/plain",
        ]
    ),
    st.integers(),
    st.none(),
    st.binary(max_size=8),
    st.just(["a list"]),
)
header_name = st.sampled_from(
    [*BINARY.headers, "content-type", "ce-time", "ce-executionunits", "ce-data", "ce-x"]
) | st.text(max_size=10)


@st.composite
def binary_headers(draw) -> dict:
    headers: dict = dict(BINARY.headers)
    for _ in range(draw(st.integers(1, 3))):
        headers[draw(header_name)] = draw(header_value)
    if draw(st.booleans()):
        headers.pop(draw(st.sampled_from(sorted(BINARY.headers))), None)
    if draw(st.integers(0, 9)) == 0:
        headers[draw(st.sampled_from([1, None, b"ce-id"]))] = "x"
    return headers


binary_body = st.one_of(st.just(BINARY.body), payload)


@FAST
@given(binary_headers(), binary_body)
def test_from_http_binary(headers, body):
    event = parses_or_names_fields(from_http, headers, body)
    if event is not None:
        assert_usable(event)


structured_headers = st.one_of(
    st.just(STRUCTURED),
    st.just(BATCH),
    st.just({}),
    st.dictionaries(st.text(max_size=12), header_value, max_size=4),
    header_value.map(lambda value: {"Content-Type": value}),
)


@FAST
@given(structured_headers, payload)
def test_from_http_structured(headers, body):
    event = parses_or_names_fields(from_http, headers, body)
    if event is not None:
        assert_usable(event)


@MEDIUM
@given(
    st.lists(st.one_of(st.just(EVENT_TEXT), payload_text), max_size=5),
    st.sampled_from([BATCH, STRUCTURED, {}]),
)
def test_from_http_batch(items, headers):
    events = parses_or_names_fields(from_http_batch, headers, as_bytes("[" + ",".join(items) + "]"))
    if events is not None:
        if set(items) == {EVENT_TEXT}:
            assert events == [EVENT] * len(items)
        for event in events:
            assert_usable(event)


@MEDIUM
@given(payload)
def test_from_http_batch_any_body(body):
    events = parses_or_names_fields(from_http_batch, BATCH, body)
    assert events is None or isinstance(events, list)


@pytest.mark.parametrize(
    ("headers", "body", "errors"),
    [
        ([], b"{}", {"headers": "must be a mapping of names to text values"}),
        ({"ce-id": 7}, b"{}", {"headers.ce-id": "must be text, got int"}),
        (STRUCTURED, "text", {"body": "must be bytes, got str"}),
        (
            {},
            EVENT_TEXT.encode(),
            {
                "content-type": (
                    "must be application/cloudevents+json (structured mode), or the request must carry "
                    "ce-* headers (binary mode); got none"
                )
            },
        ),
        (BATCH, b"[]", {"content-type": "a batch of events: parse it with from_http_batch"}),
        (STRUCTURED, b"[1]", {"event": "must be a JSON object, got an array"}),
        (STRUCTURED, b'"x"', {"event": "must be a JSON object, got a string"}),
        (
            STRUCTURED,
            b"\x80",
            {
                "event": "not valid JSON: 'utf-8' codec can't decode byte 0x80 "
                "in position 0: invalid start byte"
            },
        ),
        (
            {**BINARY.headers, "ce-time": "yesterday"},
            BINARY.body,
            {"time": "must be an ISO-8601 date-time with an offset (Z or ±HH:MM)"},
        ),
        (
            {**BINARY.headers, "ce-executionunits": "1e400"},
            BINARY.body,
            {"executionunits": "must be null or a finite number"},
        ),
        (BINARY.headers, b"[1]", {"data": "must be a JSON object"}),
        (
            BINARY.headers,
            nested(5_000).encode(),
            {"data": f"nested deeper than {MAX_JSON_DEPTH - 1} levels"},
        ),
        (
            {**BINARY.headers, "content-type": "text/plain"},
            b"hi",
            {"data": "must be JSON (a JSON content type), got 'text/plain'"},
        ),
    ],
)
def test_http_errors_name_the_field(headers, body, errors):
    with pytest.raises(ArvoEventValidationError) as raised:
        from_http(headers, body)
    assert raised.value.errors == errors


def test_a_batch_names_the_index_of_each_bad_event():
    bad_type = EVENT_TEXT.replace('"type":"arvo.orc.hostile"', '"type":"Bad"')
    body = f"[{EVENT_TEXT},{EVENT_TEXT},{EVENT_TEXT},{bad_type},[1]]".encode()
    with pytest.raises(ArvoEventValidationError) as raised:
        from_http_batch(BATCH, body)
    assert set(raised.value.errors) == {"events[3].type", "events[4]"}
    assert raised.value.errors["events[4]"] == "must be a JSON object, got an array"
    assert from_http_batch(BATCH, f"[{EVENT_TEXT},{EVENT_TEXT}]".encode()) == [EVENT, EVENT]
    with pytest.raises(ArvoEventValidationError) as raised:
        from_http_batch(BATCH, EVENT_TEXT.encode())
    assert raised.value.errors == {"events": "must be a JSON array of events"}
    with pytest.raises(ArvoEventValidationError) as raised:
        from_http_batch(STRUCTURED, b"[]")
    assert list(raised.value.errors) == ["content-type"]


# ------------------------------------------------------------------------------------ subjects


def zlib_bomb(inflated_size: int, *, gzip_container: bool = False) -> str:
    """A subject whose JSON inflates to ``inflated_size`` bytes of repeated content, compressed
    chunk by chunk so the test itself never holds the inflated bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31 if gzip_container else 15)
    parts = [compressor.compress(b'{"orchestrator":"')]
    chunk = b"a" * (1 << 20)
    for start in range(0, inflated_size, len(chunk)):
        parts.append(compressor.compress(chunk[: inflated_size - start]))
    parts.append(compressor.compress(b'"}') + compressor.flush())
    return base64.b64encode(b"".join(parts)).decode("ascii")


def subject_of(raw: bytes) -> str:
    return base64.b64encode(zlib.compress(raw)).decode("ascii")


subject_json = st.one_of(
    payload_text.map(as_bytes),
    st.fixed_dictionaries(
        {"orchestrator": json_text, "execution": json_text, "meta": json_text}
    ).map(lambda parts: as_bytes("{" + ",".join(f'"{k}":{v}' for k, v in parts.items()) + "}")),
)
subjects = st.one_of(
    any_text,
    st.binary(max_size=120).map(lambda raw: base64.b64encode(raw).decode()),
    subject_json.map(subject_of),
    subject_json.map(lambda raw: base64.b64encode(gzip.compress(raw)).decode()),
    subject_json.map(subject_of).map(lambda subject: subject[: len(subject) // 2]),
    st.integers(MAX_SUBJECT_JSON_BYTES - 40, 3 * MAX_SUBJECT_JSON_BYTES).map(zlib_bomb),
)


@FAST
@example(SUBJECT)
@example(zlib_bomb(MAX_SUBJECT_JSON_BYTES, gzip_container=True))
@given(subjects)
def test_subject_parse(subject):
    try:
        content = ArvoOrchestrationSubject.parse(subject)
    except InvalidSubjectError as error:
        assert str(error).startswith(SUBJECT_PREFIX)
        str(error).encode("utf-8")
        assert not ArvoOrchestrationSubject.is_valid(subject)
    else:
        assert isinstance(content, SubjectContent)
        assert ArvoOrchestrationSubject.is_valid(subject)


def test_an_inflated_size_over_the_limit_is_refused_and_the_limit_itself_is_not():
    at_limit = zlib_bomb(MAX_SUBJECT_JSON_BYTES - len('{"orchestrator":""}'))
    with pytest.raises(InvalidSubjectError, match="orchestrator"):  # inflated, then validated
        ArvoOrchestrationSubject.parse(at_limit)
    with pytest.raises(InvalidSubjectError) as raised:
        ArvoOrchestrationSubject.parse(zlib_bomb(MAX_SUBJECT_JSON_BYTES))
    assert str(raised.value) == f"{SUBJECT_PREFIX}inflates to more than 65,536 bytes"


def peak_allocation(call) -> int:
    tracemalloc.start()
    try:
        call()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_a_340_kib_subject_of_repeated_content_is_refused_without_inflating_it():
    bomb = zlib_bomb(300 << 20)  # 300 MiB of repeated bytes, about 300 KiB compressed
    assert len(bomb) >= 340 * 1024
    with pytest.raises(InvalidSubjectError) as raised:
        ArvoOrchestrationSubject.parse(bomb)
    assert str(raised.value) == f"{SUBJECT_PREFIX}the subject is longer than 98,304 characters"
    assert peak_allocation(lambda: ArvoOrchestrationSubject.is_valid(bomb)) < 64 * 1024


def test_a_bomb_within_the_length_limit_stops_inflating_at_the_bound():
    bomb = zlib_bomb(60 << 20)  # 60 MiB inflated, compressed into less than the length limit
    assert len(bomb) <= MAX_SUBJECT_LENGTH
    with pytest.raises(InvalidSubjectError, match="inflates to more than 65,536 bytes"):
        ArvoOrchestrationSubject.parse(bomb)
    # Input, the bounded output and zlib's window: far below the 60 MiB the stream holds.
    assert peak_allocation(lambda: ArvoOrchestrationSubject.is_valid(bomb)) < 1 << 20


def test_an_arvo_managed_id_is_inflated_within_a_bound_too():
    bomb = zlib_bomb(60 << 20)
    assert parse_arvo_event_id(bomb) is None
    assert peak_allocation(lambda: parse_arvo_event_id(bomb)) < 1 << 20


def test_create_refuses_what_parse_would_refuse():
    content = {
        "orchestrator": {"name": "arvo.orc.hostile", "version": "1.0.0"},
        "execution": {"id": "x", "initiator": "com.hostile.client", "domain": None},
        "meta": {"note": "a" * MAX_SUBJECT_JSON_BYTES},
    }
    with pytest.raises(InvalidSubjectError, match="over the 65,536-byte limit"):
        ArvoOrchestrationSubject.create(content)
    with pytest.raises(InvalidSubjectError, match="lone surrogate"):
        ArvoOrchestrationSubject.create({**content, "meta": {"note": "\ud800"}})
    content["meta"] = {"note": "a" * (MAX_SUBJECT_JSON_BYTES - 200)}
    subject = ArvoOrchestrationSubject.create(content)
    assert len(subject) <= MAX_SUBJECT_LENGTH
    assert ArvoOrchestrationSubject.parse(subject).model_dump(mode="json") == content


def test_huge_bodies_parse_or_name_the_field():
    # Size alone is not refused here (the client checks Temporal's limits); it costs linear time.
    wide = {"items": [[index] for index in range(20_000)], "text": "x" * (4 << 20)}
    event = create_arvo_event(source="com.hostile.client", type="com.x.y.z", subject="s", data=wide)
    message = to_http(event, "structured")
    assert from_http(message.headers, message.body) == event
    binary = to_http(event, "binary")
    assert from_http(binary.headers, binary.body) == event
    body = f"[{event.to_json_string()}]".encode()
    assert from_http_batch(BATCH, body) == [event]
    deep_and_wide = binary.body[:-1] + b',"deep":' + nested(MAX_JSON_DEPTH).encode() + b"}"
    with pytest.raises(ArvoEventValidationError) as raised:
        from_http(binary.headers, deep_and_wide)
    assert raised.value.errors == {"data": f"nested deeper than {MAX_JSON_DEPTH - 1} levels"}
