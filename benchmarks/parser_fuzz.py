"""Count undocumented exceptions from the public parsers over seeded malformed input.

Usage: ``python -m benchmarks.parser_fuzz [N] [SEED]`` (default N = 10000 inputs, seed 9).

Each input is one hostile payload (random bytes or text, a JSON value that is not an object, a
valid event mutated byte by byte or field by field, deep nesting, huge integers, lone surrogates
in keys and values, NaN, zlib bombs for subjects, bad HTTP headers) and goes through every public
parser that can take it: ``ArvoEvent.from_json`` (text, bytes and the decoded value), ``from_http``
in structured and binary mode, ``from_http_batch`` (skipped where it does not exist, as before it
was added) and ``ArvoOrchestrationSubject.parse``. A call
may return or raise the documented error (``ArvoEventValidationError`` naming at least one field,
``InvalidSubjectError``); anything else is counted, by type. The last line printed is a JSON
object with the totals. Generation is deterministic for a seed, so runs compare like for like.
"""

from __future__ import annotations

import base64
import json
import random
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from arvo_temporal import (
    ArvoEventValidationError,
    ArvoOrchestrationSubject,
    DeterministicSource,
    InvalidSubjectError,
    create_arvo_event,
    to_http,
)
from arvo_temporal import transport as _transport
from arvo_temporal.events import ArvoEvent

_SOURCE = DeterministicSource()
_SUBJECT = ArvoOrchestrationSubject.new(
    orchestrator="arvo.orc.fuzz", version="1.0.0", initiator="com.fuzz.client", source=_SOURCE
)
_EVENT = create_arvo_event(
    source="com.fuzz.client",
    type="arvo.orc.fuzz",
    subject=_SUBJECT,
    data={"parentSubject$$": None, "a": [1, 2.5, "x"], "b": {"c": True}},
    executionunits=1,
    extensions={"tenant": "acme"},
    id_clock=_SOURCE,
)
_EVENT_TEXT = _EVENT.to_json_string()
_BINARY = to_http(_EVENT, "binary")
_STRUCTURED = "application/cloudevents+json; charset=UTF-8"
_BATCH = "application/cloudevents-batch+json; charset=UTF-8"
_FIELDS = list(_EVENT.to_json())


def _lone_surrogate_text(rng: random.Random) -> str:
    return rng.choice(["a", "", "é"]) + chr(rng.randint(0xD800, 0xDFFF)) + rng.choice(["", "z"])


def _random_text(rng: random.Random, size: int) -> str:
    pools = [(0x20, 0x7E), (0x00, 0x1F), (0x80, 0x2FF), (0xD800, 0xDFFF), (0x1F300, 0x1F6FF)]
    return "".join(chr(rng.randint(*rng.choice(pools))) for _ in range(size))


def _json_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.randint(-(2**64), 2**64)
    if kind == 3:
        return rng.choice([0.5, -1e308, float("nan"), float("inf"), 1e-320])
    if kind == 4:
        return _random_text(rng, rng.randrange(6))
    if kind == 5:
        return _lone_surrogate_text(rng)
    if kind == 6:
        return [_json_value(rng, depth + 1) for _ in range(rng.randrange(3))]
    return {_random_text(rng, 3): _json_value(rng, depth + 1) for _ in range(rng.randrange(3))}


def _nested(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


def _huge_integer(rng: random.Random) -> str:
    return rng.choice(["", "-"]) + "9" * rng.randint(4_290, 6_000)


def _hostile_value_text(rng: random.Random) -> str:
    """JSON text for one field's value, hostile in one of the ways the issue lists."""
    choice = rng.randrange(6)
    if choice == 0:
        return _nested(rng.choice([40, 129, 500, 990, 5_000, 100_000]))
    if choice == 1:
        return _huge_integer(rng)
    if choice == 2:
        return rng.choice(["NaN", "Infinity", "-Infinity", "1e400", "-0"])
    if choice == 3:
        return json.dumps(_lone_surrogate_text(rng))
    if choice == 4:
        return '{"' + _lone_surrogate_text(rng).encode("utf-16", "surrogatepass").hex() + '":1}'
    return json.dumps(_json_value(rng), allow_nan=True)


def _mutated_event(rng: random.Random) -> str:
    choice = rng.randrange(5)
    if choice == 0:  # a field's value replaced
        field = rng.choice(_FIELDS)
        head, _, tail = _EVENT_TEXT.partition(f'"{field}":')
        value_end = tail.find(',"') if not tail.startswith("{") else tail.find('},"') + 1
        return f'{head}"{field}":{_hostile_value_text(rng)}{tail[value_end:]}'
    if choice == 1:  # an extension whose key is hostile
        key = json.dumps(rng.choice([_lone_surrogate_text(rng), _random_text(rng, 4), "data"]))
        return _EVENT_TEXT[:-1] + f",{key}:{_hostile_value_text(rng)}}}"
    if choice == 2:  # byte-level damage
        chars = list(_EVENT_TEXT)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(chars))
            chars[at] = rng.choice(['"', "{", "]", "\\", ",", ":", "\x00", "é", "\ud800", ""])
        return "".join(chars)
    if choice == 3:  # data nested or huge
        return _EVENT_TEXT.replace('"b":{"c":true}', '"b":' + _hostile_value_text(rng))
    return _EVENT_TEXT.replace(f'"{_SUBJECT}"', json.dumps(_subject(rng)))


def _payload(rng: random.Random) -> str | bytes:
    choice = rng.randrange(6)
    if choice == 0:
        return rng.randbytes(rng.randrange(64))
    if choice == 1:
        return _random_text(rng, rng.randrange(48))
    if choice == 2:
        return json.dumps(_json_value(rng), allow_nan=True)
    if choice == 3:
        return _nested(rng.choice([100, 1_000, 50_000]), rng.choice(["1", '{"a":1}', "["]))
    text = _mutated_event(rng)
    return text.encode("utf-8", "surrogatepass") if rng.random() < 0.3 else text


def _subject(rng: random.Random) -> str:
    choice = rng.randrange(5)
    if choice == 0:
        return _random_text(rng, rng.randrange(40))
    if choice == 1:
        return base64.b64encode(rng.randbytes(rng.randrange(80))).decode()
    if choice == 2:  # a zlib bomb: small, inflating to up to 4 MiB
        inflated = b'{"orchestrator":' + b" " * rng.randint(60_000, 4 << 20) + b"}"
        return base64.b64encode(zlib.compress(inflated, 9)).decode()
    content = json.loads(zlib.decompress(base64.b64decode(_SUBJECT)))
    if choice == 3:
        section = rng.choice(["orchestrator", "execution", "meta"])
        content[section] = _json_value(rng)
        text = json.dumps(content, allow_nan=True)
    else:
        text = json.dumps(content).replace('"meta":{}', '"meta":' + _hostile_value_text(rng))
    raw = text.encode("utf-8", "surrogatepass")
    return base64.b64encode(zlib.compress(raw)).decode()


def _binary_headers(rng: random.Random) -> dict[Any, Any]:
    headers: dict[Any, Any] = dict(_BINARY.headers)
    for _ in range(rng.randint(1, 3)):
        name = rng.choice([*headers, "content-type", "ce-time", "ce-executionunits", "ce-x"])
        headers[name] = rng.choice(
            [
                7,
                None,
                b"bytes",
                ["list"],
                "%ZZ%ff",
                _lone_surrogate_text(rng),
                "0001-01-01T00:00:00+05:00",
                "9999-12-31T23:59:59-05:00",
                "2024-01-01T00:00:00",
                "1e400",
                "nan",
                "",
                "application/cloudevents-batch+json",
                _random_text(rng, 8),
            ]
        )
    if rng.random() < 0.1:
        headers[rng.choice([1, None, b"ce-id"])] = "x"
    if rng.random() < 0.1:
        headers.pop("content-type", None)
    return headers


def _calls(rng: random.Random) -> Iterator[tuple[str, Callable[[], object]]]:
    payload = _payload(rng)
    body = payload if isinstance(payload, bytes) else payload.encode("utf-8", "surrogatepass")
    yield "from_json(text)", lambda: ArvoEvent.from_json(payload)
    try:
        value = json.loads(payload)
    except (ValueError, RecursionError):
        pass
    else:
        yield "from_json(value)", lambda: ArvoEvent.from_json(value)
    structured = {"content-type": rng.choice([_STRUCTURED, _STRUCTURED, "text/plain", ""])}
    yield "from_http(structured)", lambda: _transport.from_http(structured, body)
    yield "from_http(binary)", lambda: _transport.from_http(_binary_headers(rng), body)
    batch = getattr(_transport, "from_http_batch", None)
    if batch is not None:
        items = [_EVENT_TEXT.encode()] * rng.randrange(4) + [body]
        rng.shuffle(items)
        batch_body = b"[" + b",".join(items) + b"]" if rng.random() < 0.8 else body
        yield "from_http_batch", lambda: batch({"content-type": _BATCH}, batch_body)
    subject = _subject(rng)
    yield "subject.parse", lambda: ArvoOrchestrationSubject.parse(subject)


def main(n: int = 10_000, seed: int = 9) -> dict[str, Any]:
    rng = random.Random(seed)
    calls = 0
    undocumented: Counter[str] = Counter()
    unnamed = 0
    returned = 0
    began = time.perf_counter()
    for _ in range(n):
        for name, call in _calls(rng):
            calls += 1
            try:
                call()
                returned += 1
            except ArvoEventValidationError as error:
                unnamed += not error.errors
            except InvalidSubjectError:
                pass
            except Exception as error:  # counting them is the point
                undocumented[f"{name}: {type(error).__name__}"] += 1
    summary = {
        "inputs": n,
        "calls": calls,
        "returned": returned,
        "undocumented": sum(undocumented.values()),
        "errors_naming_no_field": unnamed,
        "by_parser_and_type": dict(undocumented.most_common()),
        "seconds": round(time.perf_counter() - began, 1),
    }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    arguments = [int(argument) for argument in sys.argv[1:3]]
    main(*arguments)
