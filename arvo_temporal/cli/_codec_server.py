"""A codec server: lets the Temporal Web UI (and CLI) show payloads that a codec encrypted.

With a payload codec (``--codec`` / ``ARVO_CODEC``) the cluster stores only encoded payloads, so
the UI shows ciphertext. The UI can send them to a *codec server* to be decoded in the browser
session, never on the cluster. The protocol (Temporal's remote codec protocol):

* ``POST …/decode`` and ``POST …/encode``: the body is a ``temporal.api.common.v1.Payloads``
  message in protobuf JSON (``{"payloads": [{"metadata": {"encoding": "<base64>"}, "data":
  "<base64>"}]}``), the answer the same message with every payload decoded or encoded; only the
  last path segment counts, so ``/default/decode`` works too; 400 for a body that is not such a
  message or a payload the codec refuses;
* the UI names the namespace in the ``X-Namespace`` header (the CLI may put it in the path); a
  server given ``namespaces`` answers only for those (403 otherwise);
* CORS: the UI runs in a browser at another origin, so a preflight ``OPTIONS`` and the ``POST``
  get ``Access-Control-Allow-*`` headers exactly when their ``Origin`` is a configured UI origin;
  other origins get none, and their browsers refuse to read the answer.

It listens on loopback only: anyone who can reach it can decrypt, so a shared deployment belongs
behind a proxy that authenticates users. The HTTP side is the standard library's threaded server;
the codec itself runs on the event loop that started the server, as the SDK would run it.
"""

from __future__ import annotations

import asyncio
import http.server
import ipaddress
import json
import threading
from collections.abc import Callable, Collection, Sequence
from types import TracebackType
from typing import Any

from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import PayloadCodec

from arvo_temporal.cli._errors import SettingsError

__all__ = ["MAX_BODY_BYTES", "CodecServer", "parse_listen"]

MAX_BODY_BYTES = 16 * 1024 * 1024
"""The largest request accepted (a history page of payloads; Temporal's own per-payload limit is
2 MB)."""

_CODEC_SECONDS = 60.0
_CORS_HEADERS = "Content-Type, X-Namespace, Authorization"


def parse_listen(value: str) -> tuple[str, int]:
    """``host:port`` for :class:`CodecServer`; the host must be a loopback address.

    Raises:
        SettingsError: not ``host:port``, or a host other than loopback.
    """
    host, colon, port_text = value.strip().rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not colon or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise SettingsError(f"--listen takes HOST:PORT (e.g. 127.0.0.1:8081); got {value!r}")
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SettingsError(
            f"the codec server decrypts for anyone who reaches it, so it listens on loopback "
            f"only (127.0.0.1); got {host!r}: put an authenticating proxy in front to share it"
        )
    return host, int(port_text)


class CodecServer:
    """Temporal's remote codec protocol over HTTP for one :class:`PayloadCodec`.

    Use it as an async context manager (or call :meth:`start` and :meth:`stop`)::

        async with CodecServer(codec, ui_origins=["http://127.0.0.1:8233"]) as server:
            print(server.url)          # give it to the UI: --ui-codec-endpoint
    """

    def __init__(
        self,
        codec: PayloadCodec,
        *,
        host: str = "127.0.0.1",
        port: int = 8081,
        ui_origins: Collection[str] = (),
        namespaces: Collection[str] = (),
        log: Callable[[str], None] | None = None,
    ) -> None:
        """Prepare a server (nothing listens before :meth:`start`).

        Args:
            codec: encodes and decodes the payloads.
            host: a loopback address to listen on.
            port: the port; ``0`` picks a free one (see :attr:`url`).
            ui_origins: the browser origins of the Temporal UI (``http://127.0.0.1:8233``),
                the only ones given CORS headers.
            namespaces: answer only for these namespaces (``X-Namespace``); any when empty.
            log: receives one line per request (method, path, status).

        Raises:
            SettingsError: ``host`` is not a loopback address.
        """
        parse_listen(f"{host}:{port}")
        self.codec = codec
        self.host = host
        self.port = port
        self.ui_origins = frozenset(origin.rstrip("/") for origin in ui_origins)
        self.namespaces = frozenset(namespaces)
        self._log = log
        self._http: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        """The base URL (``http://127.0.0.1:8081``); ``/decode`` and ``/encode`` are below it."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """Listen and serve in a background thread.

        Raises:
            OSError: the port cannot be bound (e.g. in use).
        """
        self._loop = asyncio.get_running_loop()
        handler = _handler_for(self)
        self._http = http.server.ThreadingHTTPServer((self.host, self.port), handler)
        self._http.daemon_threads = True
        self.port = self._http.server_address[1]
        self._thread = threading.Thread(
            target=self._http.serve_forever, name="arvo-codec-server", daemon=True
        )
        self._thread.start()

    async def stop(self) -> None:
        """Stop listening; safe to call twice."""
        server, self._http = self._http, None
        if server is None:
            return
        await asyncio.to_thread(server.shutdown)
        server.server_close()

    async def __aenter__(self) -> CodecServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # --------------------------------------------------------------------------------------
    # what the request threads call

    def cors_headers(self, origin: str | None) -> dict[str, str]:
        """The CORS headers for a request from ``origin``: none unless it is a UI origin."""
        if origin is None or origin.rstrip("/") not in self.ui_origins:
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": _CORS_HEADERS,
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Max-Age": "600",
        }

    def refuses_namespace(self, namespace: str | None) -> str | None:
        """Why a request for ``namespace`` is refused, or ``None`` to serve it."""
        if not self.namespaces or namespace in self.namespaces:
            return None
        if namespace is None:
            return "the request names no namespace (X-Namespace header)"
        return f"this codec server does not serve namespace {namespace!r}"

    def apply(self, operation: str, body: bytes) -> bytes:
        """Decode or encode the payloads of a request body on the server's event loop.

        Raises:
            ValueError: the body is not a ``Payloads`` message in protobuf JSON, or the codec
                refused a payload.
        """
        try:
            payloads = json_format.Parse(body, Payloads())
        except (json_format.ParseError, UnicodeDecodeError) as error:
            raise ValueError(f"the body is not Payloads in protobuf JSON: {error}") from None
        function = self.codec.decode if operation == "decode" else self.codec.encode
        assert self._loop is not None  # start() set it before the first request
        future = asyncio.run_coroutine_threadsafe(
            _call(function, list(payloads.payloads)), self._loop
        )
        try:
            result = future.result(timeout=_CODEC_SECONDS)
        except Exception as error:
            raise ValueError(f"the codec could not {operation}: {error}") from None
        return json_format.MessageToJson(Payloads(payloads=result), indent=None).encode()

    def log(self, line: str) -> None:
        if self._log is not None:
            self._log(line)


async def _call(
    function: Callable[[Sequence[Payload]], Any], payloads: list[Payload]
) -> list[Payload]:
    result: list[Payload] = await function(payloads)
    return result


def _handler_for(server: CodecServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "arvo-temporal-codec"
        protocol_version = "HTTP/1.1"

        def do_OPTIONS(self) -> None:
            cors = server.cors_headers(self.headers.get("Origin"))
            self._send(204 if cors else 403, b"", cors)

        def do_POST(self) -> None:
            cors = server.cors_headers(self.headers.get("Origin"))
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if not 0 <= length <= MAX_BODY_BYTES:
                # The unread body would be taken for the next request: end the connection.
                self.close_connection = True
                self._error(413, f"the body must be 0 to {MAX_BODY_BYTES} bytes", cors)
                return
            # Read before answering anything, so a kept-alive connection stays in step.
            body = self.rfile.read(length)
            path = self.path.partition("?")[0].rstrip("/")
            parts = path.split("/")
            operation = parts[-1]
            if operation not in ("decode", "encode"):
                self._error(404, f"no such endpoint {path!r}: POST …/decode or …/encode", cors)
                return
            in_path = parts[-2] if len(parts) > 2 and parts[-2] else None
            namespace = self.headers.get("X-Namespace") or in_path
            refused = server.refuses_namespace(namespace)
            if refused is not None:
                self._error(403, refused, cors)
                return
            try:
                answer = server.apply(operation, body)
            except ValueError as error:
                self._error(400, str(error), cors)
                return
            self._send(200, answer, {**cors, "Content-Type": "application/json"})

        def do_GET(self) -> None:
            cors = server.cors_headers(self.headers.get("Origin"))
            self._error(405, "use POST …/decode or …/encode", {**cors, "Allow": "POST, OPTIONS"})

        def _error(self, status: int, message: str, headers: dict[str, str]) -> None:
            body = json.dumps({"message": message}).encode()
            self._send(status, body, {**headers, "Content-Type": "application/json"})

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Vary", "Origin")
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            server.log(f"{self.address_string()} {format % args}")

    return Handler
