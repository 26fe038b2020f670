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
receiver sent them): the dispatch activity is retried by Temporal, after the ``Retry-After`` delay
when there is one, and the events go again with the same ids. Any other status (other 4xx, 413
payload too large among them, and 3xx, since redirects are not followed) is *non-retryable*: the
request itself is wrong and sending it again cannot help, so the event goes to the **dead-letter
sink** with the reason (:func:`deliver_or_dead_letter`), the rest of the batch is still delivered,
and the execution carries on as if it had been delivered.

**Credentials** in sink URLs (user-info, query values) and credential-bearing headers never
appear in sink names, errors, or httpx's and httpcore's log records, at any level.

Errors: :class:`SinkDeliveryError` sits directly under :class:`~arvo_temporal.errors.ArvoError`::

    ArvoError
    └── SinkDeliveryError   retryable, status, sink, event_ids (not delivered), retry_after, causes

The implementations live in private modules (``_http``, ``_files``, ``_stdout``, ``_memory``,
``_routing``, ``_urls``, ``_dead_letters``, ``_redaction``); this package exports the public
names.
"""

from arvo_temporal.sinks._dead_letters import (
    DEAD_LETTER_FILE,
    DEFAULT_DATA_DIR,
    DeadLetter,
    DeadLetterSink,
    ForwardingDeadLetterSink,
    JsonLinesDeadLetterSink,
    dead_letter_sink_from_url,
    default_dead_letter_sink,
    deliver_or_dead_letter,
    read_dead_letters,
)
from arvo_temporal.sinks._errors import SinkDeliveryError
from arvo_temporal.sinks._files import JsonLinesSink
from arvo_temporal.sinks._http import (
    BATCH_CONTENT_TYPE,
    DEFAULT_TIMEOUT,
    HttpSink,
    HttpSinkMode,
    idempotency_key,
)
from arvo_temporal.sinks._memory import MemorySink
from arvo_temporal.sinks._protocol import EventSink
from arvo_temporal.sinks._routing import CompositeSink, SinkRouter
from arvo_temporal.sinks._stdout import StdoutSink
from arvo_temporal.sinks._urls import sink_from_url

__all__ = [
    "BATCH_CONTENT_TYPE",
    "DEAD_LETTER_FILE",
    "DEFAULT_DATA_DIR",
    "DEFAULT_TIMEOUT",
    "CompositeSink",
    "DeadLetter",
    "DeadLetterSink",
    "EventSink",
    "ForwardingDeadLetterSink",
    "HttpSink",
    "HttpSinkMode",
    "JsonLinesDeadLetterSink",
    "JsonLinesSink",
    "MemorySink",
    "SinkDeliveryError",
    "SinkRouter",
    "StdoutSink",
    "dead_letter_sink_from_url",
    "default_dead_letter_sink",
    "deliver_or_dead_letter",
    "idempotency_key",
    "read_dead_letters",
    "sink_from_url",
]
