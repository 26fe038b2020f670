"""The example encryption codec and the codec server, over real HTTP on 127.0.0.1.

The server is driven the way the Temporal UI drives it: JSON bodies with base64 payload fields
(protobuf JSON), an ``X-Namespace`` header, and CORS preflights from the UI's origin.
"""

from __future__ import annotations

import asyncio
import base64
import json
import signal
import socket
import sys

import httpx
import pytest
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter

from arvo_temporal.cli import CodecServer, SettingsError
from arvo_temporal.cli._codec_server import MAX_BODY_BYTES, parse_listen
from examples.codec import ENCODING, KEY_ENV, EncryptionCodec, codec, new_key
from tests.conftest import ROOT

UI = "http://127.0.0.1:8233"
SECRET = {"amount": 1250, "note": "the merger with Initech"}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def plain_payload(value: object) -> Payload:
    (payload,) = DataConverter.default.payload_converter.to_payloads([value])
    return payload


def as_json(payloads: list[Payload]) -> dict:
    """A ``Payloads`` message in protobuf JSON, as the UI sends it."""
    return {
        "payloads": [
            {
                "metadata": {key: b64(value) for key, value in payload.metadata.items()},
                "data": b64(payload.data),
            }
            for payload in payloads
        ]
    }


def from_json(body: dict) -> list[Payload]:
    return [
        Payload(
            metadata={key: base64.b64decode(value) for key, value in item["metadata"].items()},
            data=base64.b64decode(item.get("data", "")),
        )
        for item in body["payloads"]
    ]


@pytest.fixture
def key_codec() -> EncryptionCodec:
    return EncryptionCodec(base64.b64decode(new_key()))


# ------------------------------------------------------------------------------ the codec


async def test_the_codec_hides_data_and_metadata_and_round_trips(key_codec):
    original = plain_payload(SECRET)
    (encrypted,) = await key_codec.encode([original])
    assert encrypted.metadata["encoding"] == ENCODING
    assert b"Initech" not in encrypted.SerializeToString()
    assert b"json/plain" not in encrypted.SerializeToString()
    assert await key_codec.decode([encrypted]) == [original]
    # Payloads it did not encrypt pass through (e.g. written before encryption was turned on).
    assert await key_codec.decode([original]) == [original]


async def test_another_key_is_refused_loudly(key_codec):
    (encrypted,) = await key_codec.encode([plain_payload(SECRET)])
    other = EncryptionCodec(base64.b64decode(new_key()))
    with pytest.raises(ValueError, match="encrypted with key"):
        await other.decode([encrypted])


def test_the_factory_reads_the_key_from_the_environment():
    key = new_key()
    assert codec({KEY_ENV: key}).key_id == EncryptionCodec(base64.b64decode(key)).key_id
    with pytest.raises(ValueError, match=f"{KEY_ENV} is not set"):
        codec({})
    with pytest.raises(ValueError, match="not base64"):
        codec({KEY_ENV: "not base64!"})
    with pytest.raises(ValueError, match="32 bytes; got 3"):
        codec({KEY_ENV: b64(b"abc")})


# ------------------------------------------------------------------------ the codec server


@pytest.fixture
async def served(key_codec):
    server = CodecServer(key_codec, port=0, ui_origins=[UI], namespaces=["default"])
    # The client is built after the server started, so the port it picked is known.
    async with server, httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        yield server, http


async def test_decode_answers_what_the_ui_asks(served, key_codec):
    server, http = served
    assert server.url.startswith("http://127.0.0.1:") and server.port != 0
    original = [plain_payload(SECRET), plain_payload("second")]
    encrypted = await key_codec.encode(original)
    answer = await http.post(
        "/decode", json=as_json(encrypted), headers={"X-Namespace": "default", "Origin": UI}
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["access-control-allow-origin"] == UI
    assert from_json(answer.json()) == original
    decoded = json.loads(from_json(answer.json())[0].data)
    assert decoded == SECRET


async def test_encode_then_decode_locally(served, key_codec):
    _, http = served
    original = [plain_payload(SECRET)]
    answer = await http.post("/encode", json=as_json(original), headers={"X-Namespace": "default"})
    assert answer.status_code == 200
    encoded = from_json(answer.json())
    assert encoded[0].metadata["encoding"] == ENCODING
    assert await key_codec.decode(encoded) == original


async def test_only_the_last_path_segment_counts(served, key_codec):
    _, http = served
    encrypted = await key_codec.encode([plain_payload(SECRET)])
    # The Temporal CLI may put the namespace in the path instead of the header.
    answer = await http.post("/default/decode", json=as_json(encrypted))
    assert answer.status_code == 200
    assert json.loads(from_json(answer.json())[0].data) == SECRET


async def test_namespaces_it_does_not_serve_are_refused(served, key_codec):
    _, http = served
    body = as_json(await key_codec.encode([plain_payload(SECRET)]))
    other = await http.post("/decode", json=body, headers={"X-Namespace": "payments"})
    assert other.status_code == 403
    assert other.json() == {"message": "this codec server does not serve namespace 'payments'"}
    unnamed = await http.post("/decode", json=body)
    assert unnamed.status_code == 403
    assert "names no namespace" in unnamed.json()["message"]
    in_path = await http.post("/payments/decode", json=body)
    assert in_path.status_code == 403


async def test_bad_requests(served, key_codec):
    _, http = served
    headers = {"X-Namespace": "default"}
    for content in (
        b"{not json",
        b'{"payloads": 3}',
        b'{"payloads": [{"data": 5}]}',
        b'{"payloads": [{"nope": 1}]}',
    ):
        answer = await http.post("/decode", content=content, headers=headers)
        assert answer.status_code == 400, content
        assert answer.json()["message"].startswith("the body is not Payloads in protobuf JSON")
    foreign = await EncryptionCodec(base64.b64decode(new_key())).encode([plain_payload(1)])
    refused = await http.post("/decode", json=as_json(foreign), headers=headers)
    assert refused.status_code == 400
    assert refused.json()["message"].startswith("the codec could not decode: ")
    assert (await http.post("/transcode", json={}, headers=headers)).status_code == 404
    get = await http.get("/decode")
    assert get.status_code == 405 and get.headers["allow"] == "POST, OPTIONS"


async def test_a_body_too_large_is_refused_before_it_is_read(served):
    server, _ = served
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    # Only the header claims the size; the server must answer without waiting for the body.
    writer.write(
        f"POST /decode HTTP/1.1\r\nHost: x\r\nContent-Length: {MAX_BODY_BYTES + 1}\r\n\r\n".encode()
    )
    await writer.drain()
    async with asyncio.timeout(30):
        status = await reader.readline()
        rest = await reader.read()  # the server closes the connection
    writer.close()
    assert status.startswith(b"HTTP/1.1 413")
    assert b"the body must be 0 to" in rest


async def test_cors_only_for_the_ui_origin(served, key_codec):
    _, http = served
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace",
    }
    allowed = await http.options("/decode", headers={**preflight, "Origin": UI})
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == UI
    assert "POST" in allowed.headers["access-control-allow-methods"]
    allowed_headers = allowed.headers["access-control-allow-headers"].lower()
    assert "x-namespace" in allowed_headers and "content-type" in allowed_headers
    assert allowed.headers["vary"] == "Origin"

    evil = "http://evil.example"
    refused = await http.options("/decode", headers={**preflight, "Origin": evil})
    assert refused.status_code == 403
    assert not any(name.startswith("access-control-") for name in refused.headers)

    # A simple POST from elsewhere is answered (curl has no origin), but without CORS headers
    # a browser on that origin cannot read it.
    body = as_json(await key_codec.encode([plain_payload(SECRET)]))
    posted = await http.post(
        "/decode", json=body, headers={"Origin": evil, "X-Namespace": "default"}
    )
    assert posted.status_code == 200
    assert not any(name.startswith("access-control-") for name in posted.headers)


async def test_any_namespace_when_none_is_configured(key_codec):
    server = CodecServer(key_codec, port=0)
    async with server, httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        body = as_json(await key_codec.encode([plain_payload(SECRET)]))
        answer = await http.post("/decode", json=body, headers={"X-Namespace": "anything"})
        assert answer.status_code == 200
    await server.stop()  # a second stop is harmless


def test_it_listens_on_loopback_only(key_codec):
    assert parse_listen("127.0.0.1:8081") == ("127.0.0.1", 8081)
    assert parse_listen("localhost:0") == ("localhost", 0)
    assert parse_listen("[::1]:8081") == ("::1", 8081)
    for address in ("0.0.0.0:8081", "10.1.2.3:8081", "codec.example:8081"):
        with pytest.raises(SettingsError, match="listens on loopback only"):
            parse_listen(address)
    for address in ("8081", "127.0.0.1:http", "127.0.0.1:70000"):
        with pytest.raises(SettingsError, match="HOST:PORT"):
            parse_listen(address)
    with pytest.raises(SettingsError, match="loopback only"):
        CodecServer(key_codec, host="0.0.0.0")


# --------------------------------------------------------------- arvo-temporal codec-server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def run_cli(*argv: str, env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "arvo_temporal.cli", *argv,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(120):
        _, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, err.decode()


async def test_the_command_serves_until_ctrl_c():
    key = new_key()
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", KEY_ENV: key, "ARVO_CODEC": "examples.codec:codec"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "arvo_temporal.cli", "codec-server",
        "--listen", f"127.0.0.1:{port}", "--ui-origin", UI, "--log-requests",
        cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(120):
            while "press Ctrl-C" not in "".join(lines):
                line = (await process.stderr.readline()).decode()
                assert line, f"the codec server ended early: {lines}"
                lines.append(line)
        assert f"codec server http://127.0.0.1:{port} for examples.codec:codec" in lines[0]
        assert f"CORS for {UI}" in lines[1]
        mine = EncryptionCodec(base64.b64decode(key))
        body = as_json(await mine.encode([plain_payload(SECRET)]))
        async with httpx.AsyncClient(timeout=30) as http:
            answer = await http.post(
                f"http://127.0.0.1:{port}/decode", json=body, headers={"X-Namespace": "default"}
            )
        assert answer.status_code == 200
        assert json.loads(from_json(answer.json())[0].data) == SECRET
    finally:
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(60):
            _, err = await process.communicate()
    assert process.returncode == 0, err
    tail = err.decode().splitlines()
    assert any("POST /decode" in line and " 200 " in line for line in tail)  # --log-requests
    assert tail[-1] == "codec server stopped"


async def test_the_command_fails_in_one_line():
    env = {"PATH": "/usr/bin:/bin"}
    cases = [
        ([], 2, "give the codec to serve with --codec"),
        (["--codec", "examples.codec:codec", "--listen", "0.0.0.0:8081"], 2, "loopback only"),
        (["--codec", "examples.codec"], 2, "the codec must be given as module:attribute"),
        (
            ["--codec", "examples.codec:codec"],
            1,
            f"examples.codec:codec failed: ValueError: {KEY_ENV}",
        ),
    ]
    for argv, code, message in cases:
        returned, err = await run_cli("codec-server", *argv, env=env)
        assert returned == code, (argv, err)
        (line,) = err.splitlines()
        assert line.startswith("arvo-temporal: ") and message in line, (argv, line)

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        returned, err = await run_cli(
            "codec-server", "--codec", "examples.codec:codec", "--listen", f"127.0.0.1:{port}",
            env={**env, KEY_ENV: new_key()},
        )  # fmt: skip
    assert returned == 1
    (line,) = err.splitlines()
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in line
