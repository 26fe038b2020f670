"""ArvoEvent ⇄ CloudEvents SDK (``cloudevents.core``, v2) and the HTTP bindings.

Pure functions at the edge (docs/style.md rule 11): inside the library an event is an ``ArvoEvent``;
only sinks and ingress convert. What is worth knowing about the mapping:

* ``time`` becomes a timezone-aware ``datetime`` in the SDK and comes back in Arvo's canonical form
  ``YYYY-MM-DDTHH:MM:SS.mmm+00:00`` (same instant; a non-UTC offset is normalised to UTC).
* Null Arvo extensions (``to``, ``parentid`` …) are omitted, as CloudEvents has no null
  attributes, and restored as null on the way back.
* HTTP binary mode carries attributes as ``ce-*`` headers, hence as text: ``executionunits`` is
  turned back into a number, custom extensions come back as strings (CloudEvents' own rule).
* Arvo's content type starts with ``application/cloudevents+json``, which HTTP receivers read as
  *structured* mode. In binary mode it is therefore sent as ``application/json;charset=UTF-8;
  profile=arvo`` and mapped back on receipt, so both directions stay spec-conformant and lossless.
* Requests are read by ``arvo_temporal/_http_reading.py``, not by the SDK's ``from_http``: the
  SDK decodes JSON without bounds, gives up on header values that are not text and reports
  problems without the field, while a receiver must answer any request with an error that names
  what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings import http as ce_http
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from arvo_temporal._http_reading import (
    ARVO_BINARY_CONTENT_TYPE,
    arvo_time,
    read_batch,
    read_event,
    restore_number,
)
from arvo_temporal.errors import ArvoEventValidationError
from arvo_temporal.events import ARVO_DATA_CONTENT_TYPE, CLOUDEVENT_ATTRIBUTES, ArvoEvent

__all__ = [
    "ARVO_BINARY_CONTENT_TYPE",
    "HttpMode",
    "HttpRequestParts",
    "from_cloudevent",
    "from_http",
    "from_http_batch",
    "to_cloudevent",
    "to_http",
]

HttpMode = Literal["binary", "structured"]
_FORMAT = JSONFormat()
# Every CloudEvents core attribute but data and time, which the SDK takes separately.
_CORE_ATTRIBUTES = tuple(a for a in CLOUDEVENT_ATTRIBUTES if a not in ("data", "time"))


class HttpRequestParts:
    """Headers and body of one HTTP request carrying an event (framework-neutral)."""

    __slots__ = ("body", "headers")

    def __init__(self, headers: dict[str, str], body: bytes) -> None:
        self.headers = headers
        self.body = body


def to_cloudevent(event: ArvoEvent) -> CloudEvent:
    """The event as a ``cloudevents.core.v1.event.CloudEvent`` (a fresh attribute dict, with
    explicit ``id`` and ``time``, since the SDK writes defaults into the dict it is given)."""
    attributes: dict[str, Any] = {}
    for key in _CORE_ATTRIBUTES:
        value = getattr(event, key)
        if value is not None:
            attributes[key] = value
    attributes["time"] = datetime.fromisoformat(event.time)
    for key, value in event.arvo_extensions.items():
        if value is not None:
            attributes[key] = value
    return CloudEvent(attributes=attributes, data=dict(event.data))


def from_cloudevent(cloudevent: BaseCloudEvent) -> ArvoEvent:
    """Rebuild an ``ArvoEvent`` from any ``cloudevents.core`` event.

    Raises:
        ArvoEventValidationError: when the CloudEvent is not a valid Arvo event (naming fields).
    """
    attributes = dict(cloudevent.get_attributes())
    if "time" in attributes:
        attributes["time"] = arvo_time(attributes["time"])
    if "executionunits" in attributes:
        attributes["executionunits"] = restore_number(attributes["executionunits"])
    data = cloudevent.get_data()
    if isinstance(data, (bytes, str)):
        raise ArvoEventValidationError({"data": "must be a JSON object, got text or bytes"})
    attributes["data"] = data if data is not None else {}
    return ArvoEvent.from_json(attributes)


def to_http(event: ArvoEvent, mode: HttpMode = "structured") -> HttpRequestParts:
    """Headers and body for an HTTP POST in CloudEvents binary or structured mode."""
    cloudevent = to_cloudevent(event)
    if mode == "structured":
        message = ce_http.to_structured(cloudevent, _FORMAT)
        return HttpRequestParts(dict(message.headers), message.body)
    attributes = dict(cloudevent.get_attributes())
    for key, value in attributes.items():
        if isinstance(value, bool):
            # CloudEvents spells booleans "true"/"false" in headers (Python's str() would not).
            attributes[key] = "true" if value else "false"
    if event.datacontenttype == ARVO_DATA_CONTENT_TYPE:
        attributes["datacontenttype"] = ARVO_BINARY_CONTENT_TYPE
    cloudevent = CloudEvent(attributes=attributes, data=cloudevent.get_data())
    message = ce_http.to_binary(cloudevent, _FORMAT)
    return HttpRequestParts(dict(message.headers), message.body)


def from_http(headers: Mapping[str, str], body: bytes) -> ArvoEvent:
    """Parse one event from an HTTP request: binary mode when any ``ce-*`` header is present,
    else structured mode, which needs the content type ``application/cloudevents+json``.

    Whatever the headers and body, this returns an event or raises the error below. Header
    values are text; the body in structured mode and the data in binary mode obey the JSON
    limits of ``arvo_temporal/_json_limits.py`` (nesting, integer size).

    Raises:
        ArvoEventValidationError: naming each bad field: an event attribute (``time``, ``type``
            …, from the body or from its ``ce-*`` header), ``data`` (a binary-mode body that is
            not a JSON object), ``event`` (a structured body that is not a JSON object),
            ``content-type``, ``headers`` or ``headers.<name>`` (not text), ``body`` (not bytes).
    """
    return read_event(headers, body)


def from_http_batch(headers: Mapping[str, str], body: bytes) -> list[ArvoEvent]:
    """Parse a CloudEvents JSON batch (content type ``application/cloudevents-batch+json``):
    a JSON array of structured events, as the HTTP sinks' batch mode posts them.

    Raises:
        ArvoEventValidationError: naming each bad field of every bad event by its index
            (``events[3].type``), or ``events`` (a body that is not a JSON array, or breaks the
            JSON limits), ``content-type``, ``headers``, ``headers.<name>`` or ``body``.
    """
    return read_batch(headers, body)
