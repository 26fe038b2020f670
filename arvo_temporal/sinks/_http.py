"""HttpSink: events POSTed to an HTTP endpoint as CloudEvents (binary, structured or batch)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from email.utils import parsedate_to_datetime
from typing import Literal
from urllib.parse import quote

import httpx

from arvo_temporal.events import ArvoEvent
from arvo_temporal.sinks._errors import SinkDeliveryError
from arvo_temporal.transport import to_http

__all__ = ["BATCH_CONTENT_TYPE", "HTTP_MODES", "HttpSink", "HttpSinkMode", "idempotency_key"]

HttpSinkMode = Literal["binary", "structured", "batch"]
BATCH_CONTENT_TYPE = "application/cloudevents-batch+json; charset=UTF-8"
"""CloudEvents' batched JSON content type (HTTP binding §3.3): a JSON array of events."""

HTTP_MODES: tuple[HttpSinkMode, ...] = ("binary", "structured", "batch")
_RETRYABLE_STATUSES = frozenset({408, 425, 429})
# Printable ASCII minus space, '"' and '%' is what CloudEvents leaves unencoded in ce-* headers;
# ',' is encoded too so that a batch's joined Idempotency-Key splits back into its ids.
_KEY_SAFE_CHARS = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in ' "%,')


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
        if mode not in HTTP_MODES:
            raise ValueError(f"HttpSink mode must be one of {', '.join(HTTP_MODES)}; got {mode!r}")
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
