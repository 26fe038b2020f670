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
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal
from urllib.parse import unquote

from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings import http as ce_http
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from arvo_temporal._json_limits import (
    MAX_JSON_DEPTH,
    JsonLimitError,
    json_type_name,
    load_json,
    printable,
)
from arvo_temporal.errors import ArvoEventValidationError
from arvo_temporal.events import ARVO_DATA_CONTENT_TYPE, CLOUDEVENT_ATTRIBUTES, ArvoEvent
from arvo_temporal.sources import format_arvo_time

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
ARVO_BINARY_CONTENT_TYPE = "application/json;charset=UTF-8;profile=arvo"
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


def _restore_number(value: Any) -> Any:
    """A number carried as header text back to a number; text that is no finite number stays
    text, for the event's validation to name the field."""
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        if not math.isfinite(number):
            return value
        return int(number) if number.is_integer() and "." not in value else number
    return value


def from_cloudevent(cloudevent: BaseCloudEvent) -> ArvoEvent:
    """Rebuild an ``ArvoEvent`` from any ``cloudevents.core`` event.

    Raises:
        ArvoEventValidationError: when the CloudEvent is not a valid Arvo event (naming fields).
    """
    attributes = dict(cloudevent.get_attributes())
    if "time" in attributes:
        attributes["time"] = _arvo_time(attributes["time"])
    if "executionunits" in attributes:
        attributes["executionunits"] = _restore_number(attributes["executionunits"])
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
    lowered, payload = _read_request(headers, body)
    if any(name.startswith(_CE_PREFIX) for name in lowered):
        return _from_binary(lowered, payload)
    media_type = _media_type(lowered)
    if media_type == _STRUCTURED_MEDIA_TYPE:
        return _from_document(_load(payload, "event", MAX_JSON_DEPTH))
    if media_type == _BATCH_MEDIA_TYPE:
        raise ArvoEventValidationError(
            {"content-type": "a batch of events: parse it with from_http_batch"}
        )
    raise ArvoEventValidationError({"content-type": _content_type_problem(media_type)})


def from_http_batch(headers: Mapping[str, str], body: bytes) -> list[ArvoEvent]:
    """Parse a CloudEvents JSON batch (content type ``application/cloudevents-batch+json``):
    a JSON array of structured events, as the HTTP sinks' batch mode posts them.

    Raises:
        ArvoEventValidationError: naming each bad field of every bad event by its index
            (``events[3].type``), or ``events`` (a body that is not a JSON array, or breaks the
            JSON limits), ``content-type``, ``headers``, ``headers.<name>`` or ``body``.
    """
    lowered, payload = _read_request(headers, body)
    media_type = _media_type(lowered)
    if media_type != _BATCH_MEDIA_TYPE:
        raise ArvoEventValidationError(
            {"content-type": f"must be {_BATCH_MEDIA_TYPE}, got {_shown(media_type)}"}
        )
    # The array is one level more than each event, which keeps the limits of a single event.
    documents = _load(payload, "events", MAX_JSON_DEPTH + 1)
    if not isinstance(documents, list):
        raise ArvoEventValidationError({"events": "must be a JSON array of events"})
    events: list[ArvoEvent] = []
    errors: dict[str, str] = {}
    for index, document in enumerate(documents):
        try:
            events.append(_from_document(document))
        except ArvoEventValidationError as error:
            for field, reason in error.errors.items():
                name = f"events[{index}]" + ("" if field == "event" else f".{field}")
                errors[name] = reason
    if errors:
        raise ArvoEventValidationError(errors)
    return events


# ---------------------------------------------------------------------------- reading requests

_CE_PREFIX = "ce-"
_STRUCTURED_MEDIA_TYPE = "application/cloudevents+json"
_BATCH_MEDIA_TYPE = "application/cloudevents-batch+json"
_JSON_BODY = re.compile(r"^(application|text)/([a-z0-9.+-]+\+)?json$")


def _shown(value: str | None) -> str:
    return "none" if value is None else repr(printable(value))


def _read_request(headers: Any, body: Any) -> tuple[dict[str, str], bytes]:
    """Headers with lower-case names, all text, and the body as bytes; or the error naming
    what is not (frameworks differ in what they hand over, and callers pass anything)."""
    if not isinstance(headers, Mapping):
        raise ArvoEventValidationError({"headers": "must be a mapping of names to text values"})
    lowered: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str):
            errors["headers"] = f"names must be text, got {type(name).__name__}"
        elif not isinstance(value, str):
            errors[f"headers.{printable(name)}"] = f"must be text, got {type(value).__name__}"
        else:
            lowered[name.lower()] = value
    if not isinstance(body, (bytes, bytearray, memoryview)):
        errors["body"] = f"must be bytes, got {type(body).__name__}"
    if errors:
        raise ArvoEventValidationError(errors)
    return lowered, bytes(body)


def _media_type(headers: Mapping[str, str]) -> str | None:
    value = headers.get("content-type")
    return None if value is None else value.partition(";")[0].strip().lower()


def _content_type_problem(media_type: str | None) -> str:
    return (
        f"must be {_STRUCTURED_MEDIA_TYPE} (structured mode), or the request must carry ce-* "
        f"headers (binary mode); got {_shown(media_type)}"
    )


def _load(payload: bytes, field: str, max_depth: int) -> Any:
    try:
        return load_json(payload, max_depth=max_depth)
    except JsonLimitError as error:
        raise ArvoEventValidationError({field: str(error)}) from None


def _arvo_time(value: Any) -> Any:
    """A timezone-aware time (a ``datetime`` or RFC 3339 text) in Arvo's canonical UTC form;
    anything else as it is, for the event's own validation to name ``time``."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if not isinstance(moment, datetime) or moment.tzinfo is None:
            return value
        return format_arvo_time(moment)
    except (ValueError, OverflowError):  # not a date-time, or outside the years UTC can hold
        return value.isoformat() if isinstance(value, datetime) else value


def _from_document(document: Any) -> ArvoEvent:
    """One event from its CloudEvents JSON form (structured mode, or one item of a batch)."""
    if not isinstance(document, dict):
        raise ArvoEventValidationError(
            {"event": f"must be a JSON object, got {json_type_name(document)}"}
        )
    attributes = dict(document)
    if "data_base64" in attributes:
        raise ArvoEventValidationError(
            {"data_base64": "binary data is not supported: Arvo data is a JSON object"}
        )
    if "time" in attributes:
        attributes["time"] = _arvo_time(attributes["time"])
    if attributes.get("data") is None:
        attributes["data"] = {}
    return ArvoEvent.from_json(attributes)


def _from_binary(headers: Mapping[str, str], payload: bytes) -> ArvoEvent:
    attributes: dict[str, Any] = {
        name[len(_CE_PREFIX) :]: unquote(value)
        for name, value in headers.items()
        if name.startswith(_CE_PREFIX)
    }
    if "data" in attributes:
        raise ArvoEventValidationError({"data": "is the body in binary mode, not a ce-data header"})
    content_type = headers.get("content-type")
    if content_type is not None:
        attributes["datacontenttype"] = (
            ARVO_DATA_CONTENT_TYPE if content_type == ARVO_BINARY_CONTENT_TYPE else content_type
        )
    if "time" in attributes:
        attributes["time"] = _arvo_time(attributes["time"])
    if "executionunits" in attributes:
        attributes["executionunits"] = _restore_number(attributes["executionunits"])
    attributes["data"] = _binary_data(content_type, payload)
    return ArvoEvent.from_json(attributes)


def _binary_data(content_type: str | None, payload: bytes) -> Any:
    """The event's data from a binary-mode body: JSON for a JSON content type (or none)."""
    if not payload:
        return {}
    media_type = _media_type({"content-type": content_type}) if content_type else None
    if media_type is not None and not _JSON_BODY.match(media_type):
        raise ArvoEventValidationError(
            {"data": f"must be JSON (a JSON content type), got {_shown(media_type)}"}
        )
    data = _load(payload, "data", MAX_JSON_DEPTH - 1)
    if not isinstance(data, dict):
        raise ArvoEventValidationError({"data": "must be a JSON object"})
    return data
