"""HttpSink: events POSTed to an HTTP endpoint as CloudEvents (binary, structured or batch)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal
from urllib.parse import quote

import httpx

from arvo_temporal.events import ArvoEvent
from arvo_temporal.sinks._errors import SinkDeliveryError, combine_failures
from arvo_temporal.sinks._redaction import protect_http_logs, redact
from arvo_temporal.transport import to_http

__all__ = [
    "BATCH_CONTENT_TYPE",
    "DEFAULT_TIMEOUT",
    "HTTP_MODES",
    "HttpSink",
    "HttpSinkMode",
    "idempotency_key",
]

HttpSinkMode = Literal["binary", "structured", "batch"]
BATCH_CONTENT_TYPE = "application/cloudevents-batch+json; charset=UTF-8"
"""CloudEvents' batched JSON content type (HTTP binding §3.3): a JSON array of events."""

HTTP_MODES: tuple[HttpSinkMode, ...] = ("binary", "structured", "batch")
DEFAULT_TIMEOUT = 25.0
"""Seconds one request may take. Below the dispatch activity's 30 s start-to-close timeout
(``arvo_temporal/temporal/_workflow.py``), so a slow receiver is given nearly all of it and the
sink, not Temporal, ends a request that takes longer (and reports a retryable timeout)."""
# 425 Too Early asks the client to repeat the request later, like 408 and 429.
_RETRYABLE_STATUSES = frozenset({408, 425, 429})
_SHORTEST_SECRET = 4
_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "x-auth-token"}
)
# Printable ASCII minus space, '"' and '%' is what CloudEvents leaves unencoded in ce-* headers;
# ',' is encoded too so that a batch's joined Idempotency-Key splits back into its ids.
_KEY_SAFE_CHARS = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in ' "%,')


def idempotency_key(event_ids: Iterable[str]) -> str:
    """The ``Idempotency-Key`` header value for these ids: each percent-encoded as CloudEvents
    encodes ``ce-id`` (header values must be ASCII), commas included, then joined by ``,``."""
    return ",".join(quote(event_id, safe=_KEY_SAFE_CHARS) for event_id in event_ids)


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), or None when absent or bad.

    A date is measured from the response's own ``Date`` (the receiver's clock), else from ours.
    """
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
        now = parsedate_to_datetime(date) if date else datetime.now(UTC)
    except (TypeError, ValueError):
        now = datetime.now(UTC)
    if moment.tzinfo is None or now.tzinfo is None:
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
    modes send in order. A retryable failure stops the batch, so a receiver never sees an event
    before the ones emitted ahead of it; an event the receiver refuses for good (a 4xx other than
    408, 425 and 429, a 3xx, since redirects are not followed, or a request httpx cannot build) is
    passed over and the rest are still sent, then the refusals are raised together.

    Credentials in the URL (``https://user:password@host/…``) are sent as HTTP Basic
    ``Authorization`` (unless ``headers`` has its own) and never given to httpx in the URL; the
    sink's name, its errors and httpx's and httpcore's log records never show a credential, a
    query value or a credential-bearing header (``arvo_temporal/sinks/_redaction.py``).

    Args:
        url: the ``http://`` or ``https://`` endpoint.
        mode: how events are encoded (see above).
        timeout: seconds one request may take in all (connecting, sending and waiting for the
            answer); it applies to a given ``client`` too, so the setting always means the same
            thing. The default (25) stays below the dispatch activity's 30 s limit.
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
        timeout: float = DEFAULT_TIMEOUT,
        headers: Mapping[str, str] | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if mode not in HTTP_MODES:
            raise ValueError(f"HttpSink mode must be one of {', '.join(HTTP_MODES)}; got {mode!r}")
        if timeout <= 0:
            raise ValueError(f"HttpSink timeout must be positive; got {timeout!r}")
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as error:
            raise ValueError(f"HttpSink URL is not valid: {redact(str(error))}") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError("HttpSink URL must be absolute http:// or https:// with a host")
        protect_http_logs()
        self._headers = {name.lower(): value for name, value in (headers or {}).items()}
        secrets = [value for name, value in self._headers.items() if name in _SECRET_HEADERS]
        if parsed.userinfo:
            secrets += [parsed.password, parsed.userinfo.decode("ascii")]
            if "authorization" not in self._headers:
                basic = base64.b64encode(f"{parsed.username}:{parsed.password}".encode()).decode()
                self._headers["authorization"] = f"Basic {basic}"
                secrets += [self._headers["authorization"], basic]
            parsed = parsed.copy_with(username=None, password=None)
        secrets += [value for _, value in parsed.params.multi_items()]
        # Hidden literally in this sink's messages; values this short are everyday text ("1",
        # "true"), and the URL patterns of redact() still hide them where they sit in a URL.
        self._secrets = tuple(secret for secret in secrets if len(secret) >= _SHORTEST_SECRET)
        self.url = str(parsed)
        self.mode: HttpSinkMode = mode
        self.timeout = timeout
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
            SinkDeliveryError: naming the events not delivered. Retryable: the failing event and
                every later one (and any refused before it). Not retryable: only refused events,
                each with its own cause; every other event was delivered.
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
        refused: list[SinkDeliveryError] = []
        for index, event in enumerate(events):
            parts = to_http(event, self.mode)
            try:
                await self._post(
                    parts.headers,
                    parts.body,
                    [event.id],
                    undelivered=[later.id for later in events[index + 1 :]],
                )
            except SinkDeliveryError as error:
                if not error.retryable:
                    refused.append(error)  # refused for good: the rest may still go through
                    continue
                raise combine_failures(self.name, "requests", [*refused, error]) from None
        if refused:
            raise combine_failures(self.name, "requests", refused)

    async def _post(
        self,
        headers: Mapping[str, str],
        body: bytes,
        ids: Sequence[str],
        *,
        undelivered: Sequence[str] = (),
    ) -> None:
        """One request; raises naming ``ids`` (plus ``undelivered`` when a retry is in order)."""
        request_headers = {
            name: value
            for name, value in self._headers.items()
            # ce-* names belong to the CloudEvents binding: one stray ce-* header makes receivers
            # read a structured request as binary (or add an attribute the event does not have).
            if not name.startswith("ce-")
        }
        request_headers.update({name.lower(): value for name, value in headers.items()})
        request_headers["idempotency-key"] = idempotency_key(ids)
        try:
            async with asyncio.timeout(self.timeout):
                response = await self._client.post(
                    self.url, content=body, headers=request_headers, timeout=self.timeout
                )
        except (httpx.TransportError, TimeoutError) as error:
            kind = type(error).__name__
            retryable = not isinstance(error, httpx.TransportError) or (
                _is_retryable_transport_error(error)
            )
            detail = str(error) or (
                f"no answer within {self.timeout:g}s" if isinstance(error, TimeoutError) else ""
            )
            # Raised without the httpx exception as its cause: its text and attributes may hold
            # the URL, and tracebacks are logged.
            raise SinkDeliveryError(
                self._redact(f"{kind}: {detail}" if detail else kind),
                sink=self.name,
                event_ids=[*ids, *undelivered] if retryable else ids,
                retryable=retryable,
            ) from None
        status = response.status_code
        if 200 <= status <= 299:
            return
        retryable = _is_retryable_status(status)
        snippet = response.text[:200].strip()
        reason = f"HTTP {status} {response.reason_phrase}".rstrip()
        if 300 <= status <= 399:
            reason += " (redirects are not followed; configure the final URL)"
        raise SinkDeliveryError(
            self._redact(f"{reason}: {snippet}" if snippet else reason),
            sink=self.name,
            event_ids=[*ids, *undelivered] if retryable else ids,
            retryable=retryable,
            status=status,
            retry_after=_retry_after(response) if retryable else None,
        )

    def _redact(self, text: str) -> str:
        """A message with this sink's secrets hidden (a receiver may echo what it was sent)."""
        return redact(text, self._secrets)

    async def aclose(self) -> None:
        """Close the HTTP client if this sink created it; a shared client is left open."""
        if self._owns_client:
            await self._client.aclose()
