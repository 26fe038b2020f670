"""Sinks: where events that leave the system are delivered, chosen by the event's domain.

An event that no registered orchestrator or handler consumes leaves arvo_temporal through a sink:
an HTTP endpoint (a broker's ingress, a webhook), a JSON Lines file, stdout, or memory in tests.
:class:`SinkRouter` picks the sink by ``event.domain`` (``None`` is Arvo's default domain); the
deployable worker builds it from URLs in its environment (``ARVO_SINK_DEFAULT``,
``ARVO_SINK_EXTERNAL`` …) with :func:`sink_from_url`.

Sinks run inside Temporal activities but are plain async code with no ``temporalio`` import, so they
can be tested, and reused, without a server.

**Delivery is at least once.** The emit activity may run again after a crash, a timeout or a retry,
and a sink may have delivered part of a batch before failing; the whole batch is then delivered
again. Event ids are minted inside the workflow (``workflow.uuid4()``), so a re-delivered event
carries the *same* id every time, and a receiver dedupes on it:

* structured mode: the ``id`` field of the JSON body;
* binary mode: the ``ce-id`` header (percent-encoded, as CloudEvents encodes every ``ce-*`` header);
* every HTTP request also carries ``Idempotency-Key``: the event id, encoded the same way; in batch
  mode the ids of the batch joined by ``,`` (an id's own commas are percent-encoded).

The in-process dedupe of :class:`JsonLinesSink` and :class:`MemorySink` is a convenience, not a
guarantee: it cannot span processes or restarts.

**HTTP outcomes.** 2xx is delivered. 408, 425, 429, every 5xx, connection failures and timeouts are
*retryable* (:attr:`SinkDeliveryError.retryable` true, with ``Retry-After`` seconds when the
receiver sent them): the activity lets Temporal retry with back-off. Any other status (other 4xx,
and 3xx, since redirects are not followed) is *non-retryable*: the request itself is wrong, and
sending it again cannot help, so the activity fails without retrying.

Errors: :class:`SinkDeliveryError` sits directly under :class:`~arvo_temporal.errors.ArvoError`::

    ArvoError
    └── SinkDeliveryError   retryable, status, sink, event_ids (not delivered), retry_after, causes
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Literal, Protocol, TextIO, runtime_checkable
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import httpx

from arvo_temporal.errors import ArvoError
from arvo_temporal.events import ArvoEvent
from arvo_temporal.transport import to_http

__all__ = [
    "BATCH_CONTENT_TYPE",
    "CompositeSink",
    "EventSink",
    "HttpSink",
    "HttpSinkMode",
    "JsonLinesSink",
    "MemorySink",
    "SinkDeliveryError",
    "SinkRouter",
    "StdoutSink",
    "idempotency_key",
    "sink_from_url",
]

HttpSinkMode = Literal["binary", "structured", "batch"]
BATCH_CONTENT_TYPE = "application/cloudevents-batch+json; charset=UTF-8"
"""CloudEvents' batched JSON content type (HTTP binding §3.3): a JSON array of events."""

_HTTP_MODES: tuple[HttpSinkMode, ...] = ("binary", "structured", "batch")
_MODE_BY_NAME: dict[str, HttpSinkMode] = {mode: mode for mode in _HTTP_MODES}
_RETRYABLE_STATUSES = frozenset({408, 425, 429})
_URL_SCHEMES = ("http", "https", "file", "jsonl", "stdout", "memory")
# Printable ASCII minus space, '"' and '%' is what CloudEvents leaves unencoded in ce-* headers;
# ',' is encoded too so that a batch's joined Idempotency-Key splits back into its ids.
_KEY_SAFE_CHARS = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in ' "%,')


class SinkDeliveryError(ArvoError):
    """Raised by a sink when events could not be delivered.

    The emit activity turns a retryable error into an ordinary activity failure (Temporal retries
    it under the activity's retry policy) and a non-retryable one into
    ``ApplicationError(non_retryable=True)``.

    Attributes:
        sink: the name of the sink that failed.
        event_ids: the ids of the events not known to be delivered, failing one first.
        retryable: whether sending the same events again may succeed.
        status: the HTTP status that caused the failure, when there was one.
        retry_after: seconds the receiver asked us to wait (``Retry-After``), when it said so.
        reason: the failure without the sink and id decoration.
        causes: the per-sink errors when several sinks failed (composite and router).
    """

    def __init__(
        self,
        reason: str,
        *,
        sink: str,
        event_ids: Iterable[str],
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
        causes: Sequence[SinkDeliveryError] = (),
    ) -> None:
        self.reason = reason
        self.sink = sink
        self.event_ids: tuple[str, ...] = tuple(event_ids)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after
        self.causes: tuple[SinkDeliveryError, ...] = tuple(causes)
        verdict = "retryable" if retryable else "not retryable"
        super().__init__(
            f"sink {sink!r} failed to deliver {_describe_ids(self.event_ids)}: {reason} ({verdict})"
        )


def _describe_ids(ids: Sequence[str], shown: int = 5) -> str:
    """A short list of ids for messages; a large batch must not turn into a huge log line."""
    noun = "event" if len(ids) == 1 else "events"
    listed = ", ".join(ids[:shown])
    more = f" and {len(ids) - shown} more" if len(ids) > shown else ""
    return f"{len(ids)} {noun} ({listed}{more})"


@runtime_checkable
class EventSink(Protocol):
    """Somewhere events go when they leave the system.

    ``deliver`` receives a batch in emission order and either returns (every event delivered) or
    raises :class:`SinkDeliveryError`. It may be called again with events it already delivered
    (at-least-once), so it must tolerate duplicates or leave dedupe to the receiver.
    """

    @property
    def name(self) -> str:
        """A short label for logs and errors; never carries credentials."""
        ...

    async def deliver(self, events: Sequence[ArvoEvent]) -> None:
        """Deliver ``events`` in order, or raise :class:`SinkDeliveryError`."""
        ...

    async def aclose(self) -> None:
        """Release what the sink holds (connections, files). Safe to call more than once."""
        ...


# ----------------------------------------------------------------------------------------- HTTP


def idempotency_key(event_ids: Iterable[str]) -> str:
    """The ``Idempotency-Key`` header value for these ids: each percent-encoded as CloudEvents
    encodes ``ce-id`` (header values must be ASCII), commas included, then joined by ``,``."""
    return ",".join(quote(event_id, safe=_KEY_SAFE_CHARS) for event_id in event_ids)


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), or None when absent or bad."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    date = response.headers.get("date")
    try:
        now = parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError):
        now = None
    if now is None:
        return None
    return max(0.0, (moment - now).total_seconds())


def _is_retryable_status(status: int) -> bool:
    return status in _RETRYABLE_STATUSES or 500 <= status <= 599


def _is_retryable_transport_error(error: httpx.TransportError) -> bool:
    """Timeouts, network failures and a receiver that broke the protocol may pass; a URL scheme
    httpx cannot speak, or a request httpx refuses to build, never will."""
    return isinstance(
        error,
        httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError | httpx.ProxyError,
    )


class HttpSink:
    """POSTs events to an HTTP endpoint as CloudEvents.

    Modes: ``structured`` (one request per event, the whole event as
    ``application/cloudevents+json``), ``binary`` (one request per event, attributes as ``ce-*``
    headers, ``data`` as the body) and ``batch`` (one request for the whole batch,
    ``application/cloudevents-batch+json``, a JSON array of the events' ``to_json()``). Per-event
    modes send in order and stop at the first failure, so a receiver never sees an event before
    the ones emitted ahead of it in the same batch.

    Args:
        url: the ``http://`` or ``https://`` endpoint.
        mode: how events are encoded (see above).
        timeout: seconds for each of connect, write, read and pool acquisition, per request; it
            applies to a given ``client`` too, so the setting always means the same thing.
        headers: extra headers on every request (e.g. ``Authorization``). They cannot override the
            CloudEvents headers, ``Content-Type`` or ``Idempotency-Key``, and ``ce-*`` names are
            dropped.
        client: an ``httpx.AsyncClient`` to share; the sink then never closes it. Without one the
            sink creates and owns its own (pooled connections, redirects not followed, proxies from
            the environment as httpx reads them).

    Raises:
        ValueError: for a URL that is not absolute http(s) or a mode that does not exist.
    """

    def __init__(
        self,
        url: str,
        *,
        mode: HttpSinkMode = "structured",
        timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if mode not in _HTTP_MODES:
            raise ValueError(f"HttpSink mode must be one of {', '.join(_HTTP_MODES)}; got {mode!r}")
        if timeout <= 0:
            raise ValueError(f"HttpSink timeout must be positive; got {timeout!r}")
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as error:
            raise ValueError(f"HttpSink URL is not valid: {error}") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError("HttpSink URL must be absolute http:// or https:// with a host")
        self.url = url
        self.mode: HttpSinkMode = mode
        self.timeout = timeout
        self._headers = dict(headers or {})
        self._owns_client = client is None
        self._client = (
            client
            if client is not None
            else httpx.AsyncClient(timeout=httpx.Timeout(timeout), follow_redirects=False)
        )
        # The name appears in logs and in Temporal failure messages: drop userinfo and the query,
        # which is where credentials and tokens tend to live.
        port = f":{parsed.port}" if parsed.port is not None else ""
        self.name = f"http({mode}) {parsed.scheme}://{parsed.host}{port}{parsed.path}"

    async def deliver(self, events: Sequence[ArvoEvent]) -> None:
        """POST the events (one request each, or one for the batch).

        Raises:
            SinkDeliveryError: naming the events not delivered; retryable as the module says.
        """
        if not events:
            return
        if self.mode == "batch":
            body = ("[" + ",".join(event.to_json_string() for event in events) + "]").encode()
            await self._post(
                {"content-type": BATCH_CONTENT_TYPE},
                body,
                [event.id for event in events],
            )
            return
        for index, event in enumerate(events):
            parts = to_http(event, self.mode)
            await self._post(
                parts.headers,
                parts.body,
                [event.id],
                undelivered=[later.id for later in events[index + 1 :]],
            )

    async def _post(
        self,
        headers: Mapping[str, str],
        body: bytes,
        ids: Sequence[str],
        *,
        undelivered: Sequence[str] = (),
    ) -> None:
        request_headers = {
            name.lower(): value
            for name, value in self._headers.items()
            # ce-* names belong to the CloudEvents binding: one stray ce-* header makes receivers
            # read a structured request as binary (or add an attribute the event does not have).
            if not name.lower().startswith("ce-")
        }
        request_headers.update({name.lower(): value for name, value in headers.items()})
        request_headers["idempotency-key"] = idempotency_key(ids)
        not_delivered = [*ids, *undelivered]
        try:
            response = await self._client.post(
                self.url, content=body, headers=request_headers, timeout=self.timeout
            )
        except httpx.TransportError as error:
            kind = type(error).__name__
            raise SinkDeliveryError(
                f"{kind}: {error}" if str(error) else kind,
                sink=self.name,
                event_ids=not_delivered,
                retryable=_is_retryable_transport_error(error),
            ) from error
        status = response.status_code
        if 200 <= status <= 299:
            return
        retryable = _is_retryable_status(status)
        snippet = response.text[:200].strip()
        reason = f"HTTP {status} {response.reason_phrase}".rstrip()
        if 300 <= status <= 399:
            reason += " (redirects are not followed; configure the final URL)"
        raise SinkDeliveryError(
            f"{reason}: {snippet}" if snippet else reason,
            sink=self.name,
            event_ids=not_delivered,
            retryable=retryable,
            status=status,
            retry_after=_retry_after(response) if retryable else None,
        )

    async def aclose(self) -> None:
        """Close the HTTP client if this sink created it; a shared client is left open."""
        if self._owns_client:
            await self._client.aclose()


# ----------------------------------------------------------------------------------- JSON Lines


class JsonLinesSink:
    """Appends one compact JSON line per event (``event.to_json_string()``) to a file.

    Useful as an audit trail, for local development, and for handing events to a tool that tails a
    file. Parent folders are created on first write. Batches are written whole, under a lock, in a
    worker thread (the event loop never blocks on disk), so lines of concurrent batches never
    interleave.

    Ids written during this process's lifetime are skipped on re-delivery, remembering the last
    ``remember`` of them. That is best effort only (a restarted worker forgets, another worker
    never knew); a reader that needs exactly-once dedupes on ``id``.

    Args:
        path: the file to append to.
        fsync: flush each batch to stable storage before ``deliver`` returns (slower, survives a
            machine crash, not only a process crash).
        remember: how many recent ids to keep for skipping duplicates.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, fsync: bool = False, remember: int = 10_000
    ) -> None:
        if remember < 0:
            raise ValueError(f"JsonLinesSink remember must be >= 0; got {remember!r}")
        self.path = Path(path)
        self.fsync = fsync
        self.name = f"jsonl:{self.path}"
        self._remember = remember
        # A dict keeps insertion order, so the oldest id is the first key: a bounded ordered set.
        self._written: dict[str, None] = {}
        self._lock = asyncio.Lock()

    async def deliver(self, events: Sequence[ArvoEvent]) -> None:
        """Append the events not written before.

        Raises:
            SinkDeliveryError: when the file cannot be written; retryable unless the failure is
                about permissions or the path's shape, which waiting does not fix.
        """
        async with self._lock:
            fresh: list[ArvoEvent] = []
            batch_ids: set[str] = set()
            for event in events:
                if event.id not in self._written and event.id not in batch_ids:
                    fresh.append(event)
                    batch_ids.add(event.id)
            if not fresh:
                return
            text = "".join(event.to_json_string() + "\n" for event in fresh)
            try:
                await asyncio.to_thread(self._append, text)
            except OSError as error:
                # A file where a folder should be (or the reverse) or missing permissions need an
                # operator; a full disk or a flaky network mount may recover on its own.
                permanent = isinstance(
                    error,
                    PermissionError | IsADirectoryError | NotADirectoryError | FileExistsError,
                )
                raise SinkDeliveryError(
                    f"{type(error).__name__}: {error}",
                    sink=self.name,
                    event_ids=[event.id for event in fresh],
                    retryable=not permanent,
                ) from error
            for event in fresh:
                self._note(event.id)

    def _append(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            if self.fsync:
                os.fsync(handle.fileno())

    def _note(self, event_id: str) -> None:
        if self._remember == 0:
            return
        self._written[event_id] = None
        while len(self._written) > self._remember:
            del self._written[next(iter(self._written))]

    async def aclose(self) -> None:
        """Nothing to release: the file is opened per batch, so rotation and deletion are safe."""


# --------------------------------------------------------------------------------------- stdout


class StdoutSink:
    """Prints a one-line summary per event, ``[<domain or default>] <type> → <to> (<id>)``, then the
    indented JSON when ``pretty``. Meant for people watching a terminal, so it does not dedupe.

    Args:
        stream: where to write; ``None`` (the default) means ``sys.stdout`` as it is at delivery
            time, so redirection (and pytest's capture) set up after construction is honoured.
        pretty: also print each event's JSON, indented.
    """

    name = "stdout"

    def __init__(self, stream: TextIO | None = None, *, pretty: bool = False) -> None:
        self._stream = stream
        self.pretty = pretty

    async def deliver(self, events: Sequence[ArvoEvent]) -> None:
        """Write the summaries (and JSON) and flush."""
        stream = self._stream if self._stream is not None else sys.stdout
        for event in events:
            stream.write(f"{_summary(event)}\n")
            if self.pretty:
                stream.write(f"{event.to_json_string(indent=2)}\n")
        stream.flush()

    async def aclose(self) -> None:
        """Nothing to release; the stream belongs to the caller."""


def _summary(event: ArvoEvent) -> str:
    """``[<domain or default>] <type> → <to> (<id>)``: one line a person can scan."""
    return f"[{event.domain or 'default'}] {event.type} → {event.to or '-'} ({event.id})"


# --------------------------------------------------------------------------------------- memory


class MemorySink:
    """Keeps delivered events in memory, in order, once per id: the sink for tests.

    A re-delivery of an id already kept is ignored, as a well-behaved receiver would, so tests can
    assert on exactly what a deduping receiver ends up with. :meth:`wait_for` lets a test await
    deliveries made by a worker running concurrently.
    """

    name = "memory"

    def __init__(self) -> None:
        self._events: list[ArvoEvent] = []
        self._ids: set[str] = set()
        self._changed = asyncio.Event()

    @property
    def events(self) -> list[ArvoEvent]:
        """The events kept so far, in delivery order (a copy)."""
        return list(self._events)

    async def deliver(self, events: Sequence[ArvoEvent]) -> None:
        """Keep the events whose ids are new; never fails."""
        added = False
        for event in events:
            if event.id not in self._ids:
                self._ids.add(event.id)
                self._events.append(event)
                added = True
        if added:
            self._changed.set()

    # A timeout argument, not asyncio.timeout() around the call: it reads better in tests and
    # lets the error say how many events did arrive.
    async def wait_for(self, count: int, timeout: float = 10.0) -> list[ArvoEvent]:  # noqa: ASYNC109
        """Wait until at least ``count`` events are kept, then return all of them.

        Raises:
            TimeoutError: when fewer than ``count`` arrived within ``timeout`` seconds; the message
                says how many did.
        """
        try:
            async with asyncio.timeout(timeout):
                while len(self._events) < count:
                    # Clearing first and re-checking after each wake-up means a delivery can never
                    # be missed between the check and the wait.
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise TimeoutError(
                f"MemorySink: waited {timeout}s for {count} events, got {len(self._events)}"
            ) from None
        return self.events

    async def aclose(self) -> None:
        """Nothing to release; the events stay readable."""


# ------------------------------------------------------------------------------------ composing


async def _deliver_all(
    owner: str, batches: Iterable[tuple[EventSink, Sequence[ArvoEvent]]]
) -> None:
    """Deliver each batch to its sink; try every sink even when one fails, then raise.

    Trying the rest means a dead sink does not hold back healthy ones; the retry that follows
    re-delivers to those too, which at-least-once delivery allows. The combined error is retryable
    only when every failure is: retrying cannot fix a permanent failure, and a retry policy that
    kept retrying one would only postpone the same verdict.
    """
    failures: list[SinkDeliveryError] = []
    for sink, batch in batches:
        try:
            await sink.deliver(batch)
        except SinkDeliveryError as error:
            failures.append(error)
    if not failures:
        return
    if len(failures) == 1:
        raise failures[0]
    ids = dict.fromkeys(event_id for failure in failures for event_id in failure.event_ids)
    delays = [failure.retry_after for failure in failures if failure.retry_after is not None]
    raise SinkDeliveryError(
        f"{len(failures)} sinks failed: " + "; ".join(str(failure) for failure in failures),
        sink=owner,
        event_ids=ids,
        retryable=all(failure.retryable for failure in failures),
        retry_after=max(delays) if delays else None,
        causes=failures,
    )


async def _close_all(sinks: Iterable[EventSink]) -> None:
    """Close every sink, even when one fails to close, then raise the first failure."""
    first: BaseException | None = None
    for sink in sinks:
        try:
            await sink.aclose()
        except Exception as error:
            first = first or error
    if first is not None:
        raise first


class CompositeSink:
    """Delivers every batch to several sinks (e.g. a broker and an audit file), in the order given.

    Raises:
        ValueError: when no sink is given.
    """

    def __init__(self, *sinks: EventSink) -> None:
        if not sinks:
            raise ValueError("CompositeSink needs at least one sink")
        self.sinks: tuple[EventSink, ...] = sinks
        self.name = "composite(" + ", ".join(sink.name for sink in sinks) + ")"

    async def deliver(self, events: Sequence[ArvoEvent]) -> None:
        """Deliver to each sink.

        Raises:
            SinkDeliveryError: one sink's error as is, or a combined one (``causes``) when several
                failed.
        """
        await _deliver_all(self.name, ((sink, events) for sink in self.sinks))

    async def aclose(self) -> None:
        """Close every sink."""
        await _close_all(self.sinks)


class SinkRouter:
    """Chooses a sink per event by its domain and delivers each sink's share in order.

    Args:
        sinks: domain → sink. Key ``"default"`` serves events whose domain is ``None`` (Arvo's
            default domain); other keys are domains such as ``"external"``.
        default: catch-all for any domain without an entry (including ``None`` when there is no
            ``"default"`` entry). Without it such events are an error, never dropped.

    A domain literally named ``"default"`` shares the ``None`` entry. Events are grouped by the sink
    they resolve to, in order of first appearance, keeping each event's relative order, so two
    domains routed to one sink make one batch. The router is itself an :class:`EventSink`.
    """

    name = "router"

    def __init__(self, sinks: Mapping[str, EventSink], *, default: EventSink | None = None) -> None:
        self.sinks: dict[str, EventSink] = dict(sinks)
        self.default = default

    def sink_for(self, domain: str | None) -> EventSink | None:
        """The sink for ``domain`` (``None`` → the ``"default"`` entry), else the catch-all."""
        return self.sinks.get("default" if domain is None else domain, self.default)

    async def deliver(self, events: Sequence[ArvoEvent]) -> None:
        """Deliver each event to its domain's sink.

        Nothing is delivered when any event has no sink: that is a deployment error, reported
        before a partial delivery could make it look like a transient one.

        Raises:
            SinkDeliveryError: not retryable, naming the domains without a sink; or the sinks'
                own errors as :class:`CompositeSink` reports them.
        """
        groups: dict[int, tuple[EventSink, list[ArvoEvent]]] = {}
        missing: dict[str | None, list[str]] = {}
        for event in events:
            sink = self.sink_for(event.domain)
            if sink is None:
                missing.setdefault(event.domain, []).append(event.id)
                continue
            groups.setdefault(id(sink), (sink, []))[1].append(event)
        if missing:
            domains = ", ".join(
                "None (default)" if domain is None else repr(domain) for domain in missing
            )
            configured = ", ".join(sorted(self.sinks)) or "none"
            raise SinkDeliveryError(
                f"no sink for domain {domains} (configured: {configured}; no catch-all)",
                sink=self.name,
                event_ids=[event_id for ids in missing.values() for event_id in ids],
                retryable=False,
            )
        await _deliver_all(self.name, groups.values())

    async def aclose(self) -> None:
        """Close every distinct sink once (one sink may serve several domains)."""
        distinct = {id(sink): sink for sink in (*self.sinks.values(), self.default) if sink}
        await _close_all(distinct.values())


# ------------------------------------------------------------------------------------ from URLs


def _http_sink_from_url(url: str) -> HttpSink:
    """``?mode=`` picks the mode and is removed; every other query parameter is kept verbatim
    (re-encoding them could change what the receiver sees)."""
    parts = urlsplit(url)
    kept: list[str] = []
    modes: list[str] = []
    for piece in parts.query.split("&") if parts.query else []:
        key, _, value = piece.partition("=")
        if unquote(key) == "mode":
            modes.append(unquote(value))
        else:
            kept.append(piece)
    if len(modes) > 1:
        raise ValueError("sink URL gives ?mode= more than once")
    name = modes[0] if modes else "structured"
    mode = _MODE_BY_NAME.get(name)
    if mode is None:
        raise ValueError(f"sink URL mode must be one of {', '.join(_HTTP_MODES)}; got {name!r}")
    target = urlunsplit(parts._replace(query="&".join(kept)))
    return HttpSink(target, mode=mode)


def sink_from_url(url: str) -> EventSink:
    """Build a sink from a URL, as the deployable worker does for ``ARVO_SINK_*`` variables.

    * ``http://…`` / ``https://…`` → :class:`HttpSink`; ``?mode=binary|structured|batch``
      (default structured) selects the mode and is removed from the URL.
    * ``file:///abs/path.jsonl`` (or ``file://localhost/…``) → :class:`JsonLinesSink`.
    * ``jsonl:relative/path.jsonl`` (relative to the working directory) → :class:`JsonLinesSink`.
    * ``stdout:`` → :class:`StdoutSink`; ``memory:`` → :class:`MemorySink`.

    Raises:
        ValueError: for any other scheme (naming it and the accepted ones) or a malformed URL.
            Messages never repeat the URL, which may hold credentials.
    """
    scheme, colon, rest = url.strip().partition(":")
    scheme = scheme.lower()
    if not colon or scheme not in _URL_SCHEMES:
        shown = repr(scheme) if colon else "none"
        raise ValueError(
            f"unsupported sink URL scheme {shown}; accepted: "
            + ", ".join(f"{accepted}:" for accepted in _URL_SCHEMES)
        )
    if scheme in ("http", "https"):
        return _http_sink_from_url(url.strip())
    if scheme == "file":
        parts = urlsplit(url.strip())
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise ValueError(
                "file: sink URLs must be file:///absolute/path (use jsonl:relative/path for a "
                "path relative to the working directory)"
            )
        return JsonLinesSink(unquote(parts.path))
    if scheme == "jsonl":
        if not rest:
            raise ValueError("jsonl: sink URLs need a path, e.g. jsonl:events/out.jsonl")
        return JsonLinesSink(rest)
    if rest.strip("/"):
        raise ValueError(f"{scheme}: sink URLs take nothing after the colon")
    return StdoutSink() if scheme == "stdout" else MemorySink()
