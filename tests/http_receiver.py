"""A real HTTP receiver on loopback for sink tests (stdlib ``ThreadingHTTPServer`` in a thread).

It records every request as it arrived on the wire (with its arrival time on the monotonic
clock) and answers with what a test queued — status, headers, body, and how long to take — so
the CloudEvents headers, bodies and retry classification are checked end to end rather than
against a mock.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = 0.0
    """``time.monotonic()`` when the request had been read."""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes | None
    delay: float


@dataclass
class Receiver:
    """What the test controls and observes on the server side."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    answers: deque[Answer] = field(default_factory=deque)
    held: threading.Event | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    released: threading.Event = field(default_factory=threading.Event)

    def answer(
        self,
        *statuses: int,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        delay: float = 0.0,
    ) -> None:
        """Queue the next responses (afterwards: 200 at once). ``delay`` seconds pass before
        each is sent; the receiver's own shutdown cuts a delay short."""
        for status in statuses:
            self.answers.append(Answer(status, dict(headers or {}), body, delay))

    def hold(self) -> threading.Event:
        """Make the next requests wait until the returned event is set (to provoke timeouts)."""
        self.held = threading.Event()
        return self.held

    def ids(self) -> list[str]:
        """The ``Idempotency-Key`` of every request so far, in arrival order."""
        with self.lock:
            return [request.headers.get("idempotency-key", "") for request in self.requests]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: Receiver

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that gave up (timeout test) makes the late answer fail; that is expected.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:
        receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        with receiver.lock:
            receiver.requests.append(
                Received(
                    "POST",
                    self.path,
                    {name.lower(): value for name, value in self.headers.items()},
                    body,
                    time.monotonic(),
                )
            )
            answer = receiver.answers.popleft() if receiver.answers else Answer(200, {}, None, 0)
            held = receiver.held
        if held is not None:
            held.wait(30)
        if answer.delay:
            receiver.released.wait(answer.delay)
        payload = answer.body
        if payload is None:
            payload = b"" if answer.status < 300 else f"answer {answer.status}".encode()
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A loopback HTTP server on a free port, stopped (and every held answer released) after."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.receiver = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="sink-receiver", daemon=True
    )
    thread.start()
    try:
        yield server.receiver
    finally:
        server.receiver.released.set()
        if server.receiver.held is not None:
            server.receiver.held.set()
        server.shutdown()
        server.server_close()
        thread.join()
