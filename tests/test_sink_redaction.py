"""No URL credential, token or ``Authorization`` value in any log line at any level, nor in a
sink's errors: real requests to a real receiver on loopback, every log record captured at DEBUG.
"""

from __future__ import annotations

import base64
import logging
import socket
from collections.abc import Iterator

import pytest

from arvo_temporal.sinks import HttpSink, SinkDeliveryError
from arvo_temporal.sinks._redaction import redact
from tests.http_receiver import Receiver, running_receiver
from tests.test_sinks import make_event

PASSWORD = "pa55word-9f3"
TOKEN = "T0KEN-77c1e2"
BEARER = "B3ARER-5d0a94"
COOKIE = "C00KIE-e81b"
API_KEY = "K3Y-2a7f61"
SECRETS = [
    PASSWORD,
    TOKEN,
    BEARER,
    COOKIE,
    API_KEY,
    base64.b64encode(f"alice:{PASSWORD}".encode()).decode(),
]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def leaked(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'HTTP Request: POST http://alice:pw@h:1/p?token=abc&mode=x#frag "HTTP/1.1 200 OK"',
            'HTTP Request: POST http://***@h:1/p?token=***&mode=***#*** "HTTP/1.1 200 OK"',
        ),
        ("https://h/p?abcdef", "https://h/p?***"),
        (
            "[(b'Set-Cookie', b'sid=1'), (b'content-length', b'0')]",
            "[(b'Set-Cookie', b'***'), (b'content-length', b'0')]",
        ),
        (
            "{'authorization': 'Bearer x', 'accept': '*/*'}",
            "{'authorization': '***', 'accept': '*/*'}",
        ),
        ("Authorization: Basic dXNlcjpwdw==", "Authorization: *** ***"),
        ("x-api-key=abc123; other=1", "x-api-key=***; other=1"),
        (
            "plain text, http://h:1/path and no secrets",
            "plain text, http://h:1/path and no secrets",
        ),
    ],
)
def test_redact_hides_credentials_in_the_shapes_httpx_and_httpcore_print(text, expected):
    assert redact(text) == expected


def test_redact_hides_given_secrets_wherever_they_are():
    assert redact("echo: pa55 and pa55word", ["pa55word", "pa55"]) == "echo: *** and ***"


async def test_no_secret_reaches_a_log_record_or_an_error(receiver, caplog):
    caplog.set_level(logging.DEBUG)
    port = receiver.url.rsplit(":", 1)[1]
    url = f"http://alice:{PASSWORD}@127.0.0.1:{port}/hook?token={TOKEN}&tenant=acme"
    echo = f"you sent Authorization: Bearer {BEARER}, cookie={COOKIE}, token {TOKEN}"
    basic = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    # Each sink's three requests are answered 200, 400, 503, echoing what it sent (the first
    # sink sends its URL's credentials as Basic, the second a Bearer header).
    for echoed in (f"{echo}, {basic}".encode(), echo.encode()):
        receiver.answer(200)
        receiver.answer(400, body=echoed)
        receiver.answer(503, headers={"set-cookie": f"sid={COOKIE}"}, body=echoed)
    errors: list[str] = []
    sinks = [
        HttpSink(url, headers={"X-Api-Key": API_KEY, "Cookie": f"sid={COOKIE}"}),
        HttpSink(url.replace("alice:", "bob:"), headers={"Authorization": f"Bearer {BEARER}"}),
    ]
    try:
        for sink in sinks:
            for _ in range(3):
                try:
                    await sink.deliver([make_event()])
                except SinkDeliveryError as error:
                    errors.append(str(error))
    finally:
        for sink in sinks:
            await sink.aclose()
    with socket.socket() as unused:  # a port nobody listens on: the connection is refused
        unused.bind(("127.0.0.1", 0))
        refused = url.replace(f":{port}/", f":{unused.getsockname()[1]}/")
        nowhere = HttpSink(refused, headers={"Authorization": f"Bearer {BEARER}"})
        try:
            await nowhere.deliver([make_event()])
        except SinkDeliveryError as error:
            errors.append(str(error))
        finally:
            await nowhere.aclose()

    assert len(receiver.requests) == 6 and len(errors) == 5  # 400 and 503 per sink, refused
    assert receiver.requests[1].headers["x-api-key"] == API_KEY  # the secrets were sent
    assert any(f"token={TOKEN}" in request.path for request in receiver.requests)
    records = "\n".join(
        f"{record.name} {record.levelname} {record.getMessage()}" for record in caplog.records
    )
    assert f"POST http://***@127.0.0.1:{port}/hook?token=***&tenant=***" not in records, (
        "httpx never even sees the credentials of the URL"
    )
    assert f"POST http://127.0.0.1:{port}/hook?token=***&tenant=***" in records
    assert "httpcore.http11" in records  # the DEBUG records were captured too
    assert leaked(records) == []
    assert leaked(caplog.text) == []
    assert leaked("\n".join(errors)) == []
    assert any("you sent Authorization: ***" in error for error in errors)
