"""``arvo-temporal send`` / ``execute`` fed hostile input on stdin or in a file: exit status 2 and
one line on stderr that prints as UTF-8, never a traceback.

No server is needed: input is read and checked before the command connects. Every generated
event uses a subject that is not an orchestration subject, so even an event that parses ends in
the same one-line refusal instead of a connection attempt.
"""

from __future__ import annotations

import asyncio
import io
import json
import socket
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arvo_temporal import MAX_JSON_DEPTH, create_arvo_event
from arvo_temporal.cli import run

EVENT = create_arvo_event(source="com.cli.client", type="com.cli.x.y", subject="s", data={"a": 1})
EVENT_TEXT = EVENT.to_json_string()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


ADDRESS = ["--address", f"127.0.0.1:{_free_port()}"]


def run_cli(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = asyncio.run(run(list(argv), env={}, stdin=io.StringIO(stdin), stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def assert_one_line_usage_error(code: int, out: str, err: str) -> str:
    assert code == 2, err
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("arvo-temporal: ")
    lines[0].encode("utf-8")  # a lone surrogate from the input must not reach the terminal
    return lines[0]


any_text = st.text(st.characters(exclude_categories=()), max_size=30)
hostile_value = st.one_of(
    st.integers(4_290, 4_400).map(lambda digits: "9" * digits),
    st.sampled_from(["NaN", "-Infinity", "1e400", "[]", "null"]),
    st.integers(MAX_JSON_DEPTH - 2, 3_000).map(lambda depth: "[" * depth + "]" * depth),
    any_text.map(json.dumps),
)


@st.composite
def hostile_event_text(draw) -> str:
    document = EVENT.to_json()
    key = draw(st.sampled_from(sorted(document)) | any_text)
    document[key] = "\x00hole\x00"
    text = json.dumps(document, ensure_ascii=False)
    return text.replace(json.dumps("\x00hole\x00"), draw(hostile_value), 1)


hostile_input = st.one_of(
    hostile_event_text(),
    any_text,
    st.integers(1, 5_000).map(lambda depth: "[" * depth),
    st.just(EVENT_TEXT),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_input, st.sampled_from(["send", "execute"]))
def test_hostile_stdin_is_one_line_and_exit_2(text, command):
    assert_one_line_usage_error(*run_cli(command, "-", *ADDRESS, stdin=text))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_input.map(lambda text: text.encode("utf-8", "surrogatepass")) | st.binary())
def test_hostile_files_are_one_line_and_exit_2(raw):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "event.json"
        path.write_bytes(raw)
        assert_one_line_usage_error(*run_cli("send", str(path), *ADDRESS))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[" * 100_000, f"<stdin> is not valid JSON: nested deeper than {MAX_JSON_DEPTH} levels"),
        ("9" * 4_301, "<stdin> is not valid JSON: an integer has more than 4,300 digits"),
        ("NaN", "<stdin> is not valid JSON: NaN is not a JSON number"),
        (EVENT_TEXT[:-1] + ',"a\\ud800":1}', "invalid event in <stdin>: extensions.a\\ud800: "),
        ("[1]", "<stdin> must hold one JSON object (an Arvo event); got list"),
    ],
)
def test_the_line_says_what_is_wrong(text, expected):
    line = assert_one_line_usage_error(*run_cli("send", "-", *ADDRESS, stdin=text))
    assert expected in line
